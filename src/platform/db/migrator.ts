// Chimera's migration runner: applies prisma/migrations/NNNN_name/migration.sql with `pg`, recording them in Prisma's
// own `_prisma_migrations` table with Prisma's checksums, so this command and `prisma migrate deploy` are
// interchangeable (the Prisma CLI needs a schema-engine binary that cannot be downloaded here).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  applyMigration,
  failedMigrationAdvice,
  type MigrationRow,
  migrationsTableExists,
  PRISMA_MIGRATIONS_TABLE_DDL,
  readMigrationRows,
} from './migration-apply.js';
import { MigrationError } from './migration-error.js';
import { type MigrationFile, readMigrations, scriptMatchesChecksum } from './migration-files.js';
import { type ConnectionOptions, connect, noop, withLock } from './migration-session.js';
import { databaseExists, databaseNameOf, ensureDatabase } from './pg-admin.js';

export { MigrationError, type MigrationErrorCode } from './migration-error.js';
export type { ConnectionOptions } from './migration-session.js';

export interface MigrateOptions extends ConnectionOptions {
  migrationsDir: string;
  /** Create the database first if it does not exist (connects to the `postgres` maintenance database). */
  createDatabase?: boolean;
  /** Apply migrations up to and including this one only. */
  target?: string;
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Local migrations that were applied before this call. */
  alreadyApplied: string[];
}

export interface MigrationStatus {
  databaseExists: boolean;
  /** Local migrations that are applied. */
  applied: string[];
  /** Local migrations not applied yet and not failed (a failed-and-rolled-back one is pending again). */
  pending: string[];
  /** Migrations whose last attempt failed without being rolled back: they block `migrate` until resolved. */
  failed: { name: string; startedAt: Date; logs: string | null }[];
  /** Applied migrations whose local file no longer matches the recorded checksum. */
  checksumMismatches: string[];
  /** Applied migrations that have no local folder. */
  missingLocally: string[];
}

interface Assessment {
  applied: Map<string, MigrationRow>;
  failed: MigrationRow[];
  checksumMismatches: MigrationFile[];
  missingLocally: string[];
}

function assess(migrations: readonly MigrationFile[], rows: readonly MigrationRow[]): Assessment {
  const local = new Map(migrations.map((m) => [m.name, m]));
  const applied = new Map<string, MigrationRow>();
  for (const row of rows) {
    if (row.finished_at !== null && row.rolled_back_at === null) applied.set(row.migration_name, row);
  }
  const failed = rows.filter(
    (row) => row.finished_at === null && row.rolled_back_at === null && !applied.has(row.migration_name),
  );
  const checksumMismatches = migrations.filter((m) => {
    const row = applied.get(m.name);
    return row !== undefined && !scriptMatchesChecksum(m.script, row.checksum);
  });
  const missingLocally = [...applied.keys()].filter((name) => !local.has(name));
  return { applied, failed, checksumMismatches, missingLocally };
}

function failedError(failed: readonly MigrationRow[], migrations: readonly MigrationFile[]): MigrationError {
  const row = failed[0] as MigrationRow;
  const migration = migrations.find((m) => m.name === row.migration_name);
  return new MigrationError(
    'FAILED_MIGRATION',
    `Migration ${row.migration_name} (started ${row.started_at.toISOString()}) failed and was not rolled back, so ` +
      `no further migration is applied (Prisma error P3009).\n` +
      `Its error was:\n  ${(row.logs ?? '(no log recorded: the run was interrupted)').replaceAll('\n', '\n  ')}\n` +
      failedMigrationAdvice(row.migration_name, migration),
    { migration: row.migration_name },
  );
}

function checksumError(mismatches: readonly MigrationFile[]): MigrationError {
  const list = mismatches.map((m) => `  ${m.name}  (${m.path})`).join('\n');
  return new MigrationError(
    'CHECKSUM_MISMATCH',
    `${mismatches.length === 1 ? 'This migration was' : 'These migrations were'} edited after being applied to ` +
      `this database, so the database no longer matches the files:\n${list}\n` +
      'Nothing was applied. Restore the applied version of each file (e.g. `git checkout -- <path>`) and put the ' +
      'change in a new migration folder instead. If the database is a disposable local one, drop it and migrate ' +
      'from scratch.',
    { migration: mismatches[0]?.name },
  );
}

/** Applies every pending migration, in name order, under Prisma's migration lock. */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? noop;
  const migrations = await readMigrations(options.migrationsDir);
  let wanted = migrations;
  if (options.target !== undefined) {
    const index = migrations.findIndex((m) => m.name === options.target);
    if (index === -1) {
      throw new MigrationError(
        'UNKNOWN_MIGRATION',
        `No migration named ${options.target} in ${options.migrationsDir}. Known: ${migrations.map((m) => m.name).join(', ')}.`,
      );
    }
    wanted = migrations.slice(0, index + 1);
  }
  if (options.createDatabase && (await ensureDatabase(options.databaseUrl))) {
    log(`Created database ${databaseNameOf(options.databaseUrl)}.`);
  }
  const client = await connect(options.databaseUrl);
  client.on('notice', (notice) => log(`${notice.severity ?? 'NOTICE'}: ${notice.message}`));
  try {
    return await withLock(client, options, async () => {
      if (!(await migrationsTableExists(client))) await client.query(PRISMA_MIGRATIONS_TABLE_DDL);
      const state = assess(migrations, await readMigrationRows(client));
      if (state.failed.length > 0) throw failedError(state.failed, migrations);
      if (state.checksumMismatches.length > 0) throw checksumError(state.checksumMismatches);
      for (const name of state.missingLocally) {
        log(`Warning: migration ${name} is applied to the database but has no folder in ${options.migrationsDir}.`);
      }
      const pending = wanted.filter((m) => !state.applied.has(m.name));
      const invalid = pending.filter((m) => m.problem !== undefined);
      if (invalid.length > 0) {
        throw new MigrationError(
          'INVALID_MIGRATION',
          `Nothing was applied: ${invalid.map((m) => m.problem).join('\n')}`,
          { migration: invalid[0]?.name },
        );
      }
      const alreadyApplied = migrations.filter((m) => state.applied.has(m.name)).map((m) => m.name);
      const lastApplied = alreadyApplied.at(-1);
      const applied: string[] = [];
      for (const migration of pending) {
        if (lastApplied !== undefined && migration.name < lastApplied) {
          log(`Warning: ${migration.name} sorts before the already-applied ${lastApplied}; applying it now.`);
        }
        const started = Date.now();
        await applyMigration(client, migration);
        applied.push(migration.name);
        log(
          `Applied ${migration.name}${migration.transactional ? '' : ' (outside a transaction)'} in ${Date.now() - started} ms`,
        );
      }
      log(applied.length === 0 ? 'No pending migrations.' : `${applied.length} migration(s) applied.`);
      return { applied, alreadyApplied };
    });
  } finally {
    await client.end();
  }
}

/** Compares the migrations folder with the database, without changing anything or taking the lock. */
export async function migrationStatus(
  options: Pick<MigrateOptions, 'databaseUrl' | 'migrationsDir'>,
): Promise<MigrationStatus> {
  const migrations = await readMigrations(options.migrationsDir);
  if (!(await databaseExists(options.databaseUrl))) {
    const pending = migrations.map((m) => m.name);
    return { databaseExists: false, applied: [], pending, failed: [], checksumMismatches: [], missingLocally: [] };
  }
  const client = await connect(options.databaseUrl);
  try {
    const state = assess(migrations, await readMigrationRows(client));
    return {
      databaseExists: true,
      applied: migrations.filter((m) => state.applied.has(m.name)).map((m) => m.name),
      pending: migrations
        .filter((m) => !state.applied.has(m.name) && !state.failed.some((r) => r.migration_name === m.name))
        .map((m) => m.name),
      failed: state.failed.map((r) => ({ name: r.migration_name, startedAt: r.started_at, logs: r.logs })),
      checksumMismatches: state.checksumMismatches.map((m) => m.name),
      missingLocally: state.missingLocally,
    };
  } finally {
    await client.end();
  }
}

async function failedRowsOf(client: pg.Client, name: string): Promise<MigrationRow[]> {
  const rows = await readMigrationRows(client);
  const state = assess([], rows);
  const failed = state.failed.filter((r) => r.migration_name === name);
  if (failed.length === 0) {
    const what = state.applied.has(name)
      ? 'it is applied, not failed (to undo an applied migration, write a new migration that reverts it)'
      : rows.some((r) => r.migration_name === name)
        ? 'its failed attempts are already marked rolled back'
        : 'there is no record of it in _prisma_migrations';
    throw new MigrationError('NOT_FAILED', `Cannot resolve ${name}: ${what}. Nothing was changed.`, {
      migration: name,
    });
  }
  return failed;
}

/**
 * Marks a failed migration as rolled back (like `prisma migrate resolve --rolled-back`): the operator has undone
 * whatever part of it reached the database, and the next `migrate` applies the (fixed) file again.
 */
export async function resolveRolledBack(options: ConnectionOptions & { name: string }): Promise<void> {
  const client = await connect(options.databaseUrl);
  try {
    await withLock(client, options, async () => {
      await failedRowsOf(client, options.name);
      await client.query(
        `UPDATE _prisma_migrations SET rolled_back_at = now()
         WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`,
        [options.name],
      );
      (options.log ?? noop)(`Marked ${options.name} as rolled back. Run the migrations again to apply it.`);
    });
  } finally {
    await client.end();
  }
}

/**
 * Records a failed migration as applied (like `prisma migrate resolve --applied`): the operator has checked that its
 * change is fully in the database. The failed attempt is marked rolled back and a finished row is added.
 */
export async function resolveApplied(options: MigrateOptions & { name: string }): Promise<void> {
  const migration = (await readMigrations(options.migrationsDir)).find((m) => m.name === options.name);
  if (migration === undefined) {
    throw new MigrationError('UNKNOWN_MIGRATION', `No migration named ${options.name} in ${options.migrationsDir}.`);
  }
  const client = await connect(options.databaseUrl);
  try {
    await withLock(client, options, async () => {
      await failedRowsOf(client, options.name);
      await client.query('BEGIN');
      await client.query(
        `UPDATE _prisma_migrations SET rolled_back_at = now()
         WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`,
        [options.name],
      );
      await client.query(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), 0)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      await client.query('COMMIT');
      (options.log ?? noop)(`Recorded ${options.name} as applied.`);
    });
  } finally {
    await client.end();
  }
}
