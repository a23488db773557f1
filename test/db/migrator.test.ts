// The migration runner against a real PostgreSQL: Prisma-compatible bookkeeping, locking, targets, database creation.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationStatus } from '../../src/platform/db/migrator.js';
import { unusedTestDatabase } from '../helpers/db.js';
import { MIGRATIONS_DIR } from '../helpers/db-names.js';
import {
  ALL_MIGRATIONS as ALL,
  cleanups,
  emptyDb,
  indexValidity,
  query,
  rejection,
  rowsOf,
  runCleanups,
} from '../helpers/migrations.js';

afterAll(runCleanups);

describe.concurrent('migrate()', () => {
  it('applies every migration to an empty database and records each exactly as Prisma does', async () => {
    const db = await emptyDb();
    expect(await migrate({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR })).toEqual({
      applied: ALL,
      alreadyApplied: [],
    });
    const rows = await rowsOf(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(ALL);
    for (const row of rows) {
      const bytes = await readFile(join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at?.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row).toMatchObject({ applied_steps_count: 1, rolled_back_at: null, logs: null });
    }
    // Prisma's own DDL for the table.
    const columns = await query(
      db.url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      { column_name: 'checksum', data_type: 'character varying', len: 64, is_nullable: 'NO', column_default: null },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        len: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      { column_name: 'applied_steps_count', data_type: 'integer', len: null, is_nullable: 'NO', column_default: '0' },
    ]);
    expect(await indexValidity(db.url, ['idx_content_engagement', 'idx_tasks_execution_time'])).toEqual([
      { name: 'idx_content_engagement', valid: true },
      { name: 'idx_tasks_execution_time', valid: true },
    ]);
    // Running again is a no-op.
    const logs: string[] = [];
    expect(await migrate({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR, log: (m) => logs.push(m) })).toEqual({
      applied: [],
      alreadyApplied: ALL,
    });
    expect(logs).toContain('No pending migrations.');
    expect(await rowsOf(db.url)).toEqual(rows);
    expect(await migrationStatus({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR })).toEqual({
      databaseExists: true,
      applied: ALL,
      pending: [],
      failed: [],
      checksumMismatches: [],
      missingLocally: [],
    });
  });

  it('lets two runs started at once both succeed, applying each migration exactly once', async () => {
    const db = await emptyDb();
    const run = () => migrate({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR });
    const results = await Promise.all([run(), run(), run()]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(ALL);
    const rows = await rowsOf(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(ALL);
    expect(rows.every((r) => r.finished_at !== null && r.rolled_back_at === null)).toBe(true);
    expect(
      (await indexValidity(db.url, ['idx_content_engagement', 'idx_tasks_execution_time'])).map((r) => r.valid),
    ).toEqual([true, true]);
  });

  it('applies only up to a target, and rejects an unknown target', async () => {
    const db = await emptyDb();
    const result = await migrate({
      databaseUrl: db.url,
      migrationsDir: MIGRATIONS_DIR,
      target: '0002_v1_1_tracking_columns',
    });
    expect(result.applied).toEqual(ALL.slice(0, 2));
    expect((await migrationStatus({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR })).pending).toEqual(
      ALL.slice(2),
    );
    await rejection(
      migrate({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR, target: '0009_nope' }),
      'UNKNOWN_MIGRATION',
    );
  });

  it('creates a missing database only when asked to', async () => {
    const db = unusedTestDatabase();
    cleanups.push(db.drop);
    const missing = await rejection(
      migrate({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR }),
      'DATABASE_MISSING',
    );
    expect(missing.message).toContain(db.name);
    expect((await migrationStatus({ databaseUrl: db.url, migrationsDir: MIGRATIONS_DIR })).databaseExists).toBe(false);
    const logs: string[] = [];
    const result = await migrate({
      databaseUrl: db.url,
      migrationsDir: MIGRATIONS_DIR,
      createDatabase: true,
      log: (m) => logs.push(m),
    });
    expect(result.applied).toEqual(ALL);
    expect(logs[0]).toBe(`Created database ${db.name}.`);
  });
});
