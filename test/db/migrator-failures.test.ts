// The migrator's failure modes: edited files, failing migrations with and without a transaction, invalid files,
// and the operator's ways out (resolve --rolled-back / --applied).
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationStatus, resolveApplied, resolveRolledBack } from '../../src/platform/db/migrator.js';
import {
  ALL_MIGRATIONS as ALL,
  addMigration,
  emptyDb,
  indexValidity,
  laterMigration,
  migrationsCopy,
  query,
  rejection,
  rowsOf,
  runCleanups,
} from '../helpers/migrations.js';

afterAll(runCleanups);

/** Migrations the tests add, after every real one. */
const NEW = laterMigration(1, 'new');
const SIX = laterMigration(1, 'six');
const UNIQUE_PRIORITY = laterMigration(1, 'unique_priority');
const IDX = laterMigration(1, 'idx');
const MIXED = laterMigration(1, 'mixed');
const TXN = laterMigration(1, 'txn');
const AFTER = laterMigration(2, 'after');

describe.concurrent('migrate() refuses, fails safely, and recovers', () => {
  it('refuses to run when an applied migration was edited, and applies nothing', async () => {
    const db = await emptyDb();
    const dir = await migrationsCopy();
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    const file = join(dir, '0002_v1_1_tracking_columns', 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\nALTER TABLE tasks ADD COLUMN sneaky INTEGER;\n`);
    await addMigration(dir, NEW, 'CREATE TABLE six (id INTEGER);');
    const error = await rejection(migrate({ databaseUrl: db.url, migrationsDir: dir }), 'CHECKSUM_MISMATCH');
    expect(error.message).toContain('0002_v1_1_tracking_columns');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/Nothing was applied/);
    expect((await rowsOf(db.url)).map((r) => r.migration_name)).toEqual(ALL);
    expect(await query(db.url, `SELECT to_regclass('six') AS t`)).toEqual([{ t: null }]);
    const status = await migrationStatus({ databaseUrl: db.url, migrationsDir: dir });
    expect(status.checksumMismatches).toEqual(['0002_v1_1_tracking_columns']);
    expect(status.pending).toEqual([NEW]);
  });

  it('accepts an applied file whose line endings changed (CRLF), like Prisma, and warns about missing folders', async () => {
    const db = await emptyDb();
    const dir = await migrationsCopy();
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    const file = join(dir, '0001_init', 'migration.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('\n', '\r\n'));
    const removed = '0005_append_only_audit_and_updated_at';
    await rm(join(dir, removed), { recursive: true });
    const logs: string[] = [];
    const result = await migrate({ databaseUrl: db.url, migrationsDir: dir, log: (m) => logs.push(m) });
    expect(result).toEqual({ applied: [], alreadyApplied: ALL.filter((m) => m !== removed) });
    expect(logs.join('\n')).toMatch(new RegExp(`${removed} is applied .* but has no folder`));
  });

  it('rolls back a failing transactional migration completely, records it rolled back, and retries it once fixed', async () => {
    const db = await emptyDb();
    const dir = await migrationsCopy();
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    const bad =
      'CREATE TABLE six (id INTEGER);\nINSERT INTO six VALUES (1);\nALTER TABLE tasks ADD COLUMN six INTEGER;\nSELEC 1;\n';
    await addMigration(dir, SIX, bad);
    const error = await rejection(migrate({ databaseUrl: db.url, migrationsDir: dir }), 'MIGRATION_FAILED');
    expect(error.migration).toBe(SIX);
    expect(error.message).toMatch(/rolled back: none of it was applied/);
    expect(error.message).toContain(`${join(dir, SIX, 'migration.sql')}:4:1`);
    expect(await query(db.url, `SELECT to_regclass('six') AS t`)).toEqual([{ t: null }]);
    expect(
      await query(
        db.url,
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'tasks' AND column_name = 'six'`,
      ),
    ).toEqual([]);
    const failed = (await rowsOf(db.url)).filter((r) => r.migration_name === SIX);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ finished_at: null, applied_steps_count: 0 });
    expect(failed[0]?.rolled_back_at).toBeInstanceOf(Date);
    expect(failed[0]?.logs).toMatch(/syntax error at or near "SELEC"/);
    const status = await migrationStatus({ databaseUrl: db.url, migrationsDir: dir });
    expect(status).toMatchObject({ pending: [SIX], failed: [] });

    await writeFile(join(dir, SIX, 'migration.sql'), bad.replace('SELEC', 'SELECT'));
    expect((await migrate({ databaseUrl: db.url, migrationsDir: dir })).applied).toEqual([SIX]);
    expect(await query(db.url, 'SELECT id FROM six')).toEqual([{ id: 1 }]);
    const attempts = (await rowsOf(db.url)).filter((r) => r.migration_name === SIX);
    expect(attempts.map((r) => [r.rolled_back_at !== null, r.finished_at !== null])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('blocks every later run after a failed CONCURRENTLY migration until it is resolved as rolled back', async () => {
    const db = await emptyDb();
    const dir = await migrationsCopy();
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    await query(
      db.url,
      `INSERT INTO tasks (task_type, priority, context) VALUES ('fetch_trends', 'high', '{}'), ('fetch_trends', 'high', '{}')`,
    );
    const file = join(dir, UNIQUE_PRIORITY, 'migration.sql');
    await addMigration(
      dir,
      UNIQUE_PRIORITY,
      '-- one statement\nCREATE UNIQUE INDEX CONCURRENTLY idx_six ON tasks(priority);\n',
    );
    await addMigration(dir, AFTER, 'CREATE TABLE seven (id INTEGER);');

    const first = await rejection(migrate({ databaseUrl: db.url, migrationsDir: dir }), 'MIGRATION_FAILED');
    expect(first.message).toContain('DROP INDEX CONCURRENTLY IF EXISTS idx_six;');
    expect(first.message).toContain(`resolve --rolled-back ${UNIQUE_PRIORITY}`);
    expect(await indexValidity(db.url, ['idx_six'])).toEqual([{ name: 'idx_six', valid: false }]);
    const row = (await rowsOf(db.url)).find((r) => r.migration_name === UNIQUE_PRIORITY);
    expect(row).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(row?.logs).toMatch(/could not create unique index "idx_six"/);

    const blocked = await rejection(migrate({ databaseUrl: db.url, migrationsDir: dir }), 'FAILED_MIGRATION');
    expect(blocked.migration).toBe(UNIQUE_PRIORITY);
    expect(blocked.message).toMatch(new RegExp(`${UNIQUE_PRIORITY} .*failed and was not rolled back`));
    expect(blocked.message).toContain('could not create unique index');
    expect(blocked.message).toContain(`resolve --rolled-back ${UNIQUE_PRIORITY}`);
    expect(await query(db.url, `SELECT to_regclass('seven') AS t`)).toEqual([{ t: null }]);
    expect((await migrationStatus({ databaseUrl: db.url, migrationsDir: dir })).failed.map((f) => f.name)).toEqual([
      UNIQUE_PRIORITY,
    ]);
    await rejection(resolveRolledBack({ databaseUrl: db.url, name: '0001_init' }), 'NOT_FAILED');

    // The operator's fix: drop the invalid index, mark the attempt rolled back, correct the file.
    await query(db.url, 'DROP INDEX CONCURRENTLY IF EXISTS idx_six');
    await resolveRolledBack({ databaseUrl: db.url, name: UNIQUE_PRIORITY });
    await writeFile(file, 'CREATE INDEX CONCURRENTLY idx_six ON tasks(priority);\n');
    expect((await migrate({ databaseUrl: db.url, migrationsDir: dir })).applied).toEqual([UNIQUE_PRIORITY, AFTER]);
    expect(await indexValidity(db.url, ['idx_six'])).toEqual([{ name: 'idx_six', valid: true }]);
    await rejection(resolveRolledBack({ databaseUrl: db.url, name: UNIQUE_PRIORITY }), 'NOT_FAILED');
  });

  it('records a failed migration as applied when the operator completed it by hand (resolve --applied)', async () => {
    const db = await emptyDb();
    const dir = await migrationsCopy();
    await addMigration(dir, IDX, 'CREATE INDEX CONCURRENTLY idx_six ON tasks(no_such_column);');
    await rejection(migrate({ databaseUrl: db.url, migrationsDir: dir }), 'MIGRATION_FAILED');
    expect((await migrationStatus({ databaseUrl: db.url, migrationsDir: dir })).pending).toEqual([]);
    await query(db.url, 'CREATE INDEX CONCURRENTLY idx_six ON tasks(priority)');
    await writeFile(join(dir, IDX, 'migration.sql'), 'CREATE INDEX CONCURRENTLY idx_six ON tasks(priority);');
    await resolveApplied({ databaseUrl: db.url, migrationsDir: dir, name: IDX });
    expect(await migrate({ databaseUrl: db.url, migrationsDir: dir })).toEqual({
      applied: [],
      alreadyApplied: [...ALL, IDX],
    });
    const attempts = (await rowsOf(db.url)).filter((r) => r.migration_name === IDX);
    expect(attempts.map((r) => [r.rolled_back_at !== null, r.finished_at !== null])).toEqual([
      [true, false],
      [false, true],
    ]);
    await rejection(resolveApplied({ databaseUrl: db.url, migrationsDir: dir, name: IDX }), 'NOT_FAILED');
  });

  it('rejects CONCURRENTLY mixed with other statements, and transaction control, before applying anything', async () => {
    const db = await emptyDb();
    const dir = await migrationsCopy();
    await addMigration(dir, MIXED, 'CREATE INDEX CONCURRENTLY idx_a ON tasks(status);\nCREATE TABLE b (id INTEGER);\n');
    const mixed = await rejection(migrate({ databaseUrl: db.url, migrationsDir: dir }), 'INVALID_MIGRATION');
    expect(mixed.message).toMatch(new RegExp(`${MIXED} uses CONCURRENTLY.*exactly one statement, and it has 2`, 's'));
    expect(
      await query(
        db.url,
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
      ),
    ).toEqual([{ n: 0 }]);

    await rm(join(dir, MIXED), { recursive: true });
    await addMigration(dir, TXN, 'BEGIN;\nCREATE TABLE b (id INTEGER);\nCOMMIT;\n');
    const txn = await rejection(migrate({ databaseUrl: db.url, migrationsDir: dir }), 'INVALID_MIGRATION');
    expect(txn.message).toContain(`${TXN} contains the transaction-control statement "BEGIN"`);
    expect(await rowsOf(db.url)).toEqual([]);
  });
});
