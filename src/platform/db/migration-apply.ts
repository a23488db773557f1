// Applying one migration and keeping Prisma's `_prisma_migrations` bookkeeping, row for row as `prisma migrate deploy`
// would, so that either tool can take over from the other.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { MigrationError } from './migration-error.js';
import { concurrentIndexName, type MigrationFile } from './migration-files.js';

/** Prisma's advisory lock key for Migrate ("an arbitrary number … not used by any other tool"). */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

/** How an operator runs this project's migrate command (used in messages). */
export const MIGRATE_CLI = 'npm run db:migrate --';

/** Prisma's own DDL for its bookkeeping table (sql-schema-connector, PostgreSQL flavour). */
export const PRISMA_MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

export interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

export async function migrationsTableExists(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS "exists"`,
  );
  return rows[0]?.exists === true;
}

export async function readMigrationRows(client: pg.Client): Promise<MigrationRow[]> {
  if (!(await migrationsTableExists(client))) return [];
  const { rows } = await client.query<MigrationRow>(
    'SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name',
  );
  return rows;
}

/** A PostgreSQL error as a person wants to read it: message, where in the file, detail and hint. */
export function describeFailure(error: unknown, migration: MigrationFile): string {
  if (!(error instanceof pg.DatabaseError)) return error instanceof Error ? error.message : String(error);
  const lines = [`${error.severity ?? 'ERROR'} ${error.code ?? ''}: ${error.message}`];
  if (error.position !== undefined) {
    const before = migration.script.slice(0, Math.max(0, Number(error.position) - 1)).split('\n');
    lines.push(`at ${migration.path}:${before.length}:${(before.at(-1)?.length ?? 0) + 1}`);
  }
  if (error.detail) lines.push(`DETAIL: ${error.detail}`);
  if (error.hint) lines.push(`HINT: ${error.hint}`);
  if (error.where) lines.push(`CONTEXT: ${error.where}`);
  return lines.join('\n');
}

/** What to tell the operator about a non-transactional migration that failed (now or in an earlier run). */
export function failedMigrationAdvice(name: string, migration: MigrationFile | undefined): string {
  const index = migration === undefined ? undefined : concurrentIndexName(migration);
  const cleanup =
    index === undefined
      ? '  1. Check what of it reached the database and undo that by hand (psql).'
      : `  1. Drop what it may have left behind (a failed CREATE INDEX CONCURRENTLY leaves an INVALID index):\n` +
        `       DROP INDEX CONCURRENTLY IF EXISTS ${index};`;
  return [
    'To resolve it:',
    cleanup,
    `  2. Fix ${migration?.path ?? `the migration ${name}`} if the error was in the file.`,
    `  3. Mark the failed attempt rolled back:  ${MIGRATE_CLI} resolve --rolled-back ${name}`,
    `     (same as: npx prisma migrate resolve --rolled-back ${name})`,
    `  4. Apply the migrations again:  npm run db:migrate`,
    `If the change did in fact complete (e.g. the index exists and pg_index.indisvalid is true), record it as applied`,
    `instead of steps 1-4:  ${MIGRATE_CLI} resolve --applied ${name}`,
  ].join('\n');
}

/**
 * Applies one migration. A transactional one runs in a transaction together with its bookkeeping row: it is applied
 * and recorded, or neither (then a row with rolled_back_at records the failed attempt). A non-transactional one
 * (CONCURRENTLY) is recorded as started first; if it fails the row stays failed, which blocks later runs (Prisma's
 * P3009) until an operator resolves it.
 */
export async function applyMigration(client: pg.Client, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  const insert =
    'INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ($1, $2, $3) RETURNING started_at';
  const finish = 'UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1';
  if (migration.transactional) {
    await client.query('BEGIN');
    let startedAt: Date | undefined;
    try {
      const { rows } = await client.query<{ started_at: Date }>(insert, [id, migration.checksum, migration.name]);
      startedAt = rows[0]?.started_at;
      await client.query(migration.script);
      await client.query(finish, [id]);
      await client.query('COMMIT');
      return;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      const logs = describeFailure(error, migration);
      const recorded = await client
        .query(
          `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, rolled_back_at)
           VALUES ($1, $2, $3, $4, COALESCE($5, now()), now())`,
          [randomUUID(), migration.checksum, migration.name, logs, startedAt ?? null],
        )
        .then(
          () => '',
          (e: unknown) => `\n(The failed attempt could not be recorded in _prisma_migrations: ${String(e)})`,
        );
      throw new MigrationError(
        'MIGRATION_FAILED',
        `Migration ${migration.name} failed, and its transaction was rolled back: none of it was applied.\n` +
          `${logs}\nFix ${migration.path} and run the migrations again (npm run db:migrate).${recorded}`,
        { migration: migration.name, cause: error },
      );
    }
  }
  await client.query(insert, [id, migration.checksum, migration.name]);
  try {
    await client.query(migration.script);
  } catch (error) {
    const logs = describeFailure(error, migration);
    await client.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, logs]).catch(() => undefined);
    throw new MigrationError(
      'MIGRATION_FAILED',
      `Migration ${migration.name} failed. It runs outside a transaction (CONCURRENTLY), so PostgreSQL did not roll ` +
        `it back: it is recorded as failed, and no further migration will be applied until it is resolved.\n` +
        `${logs}\n${failedMigrationAdvice(migration.name, migration)}`,
      { migration: migration.name, cause: error },
    );
  }
  await client.query(finish, [id]);
}
