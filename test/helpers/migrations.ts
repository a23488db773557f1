// Shared by the migrator tests: scratch databases, editable copies of prisma/migrations, and SQL probes.
import { readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { MigrationError, type MigrationErrorCode } from '../../src/platform/db/migration-error.js';
import { createEmptyTestDatabase, type TestDatabase } from './db.js';
import { MIGRATIONS_DIR } from './db-names.js';

/** Every migration folder in prisma/migrations, in the order they apply. */
export const ALL_MIGRATIONS = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/**
 * A name for a migration a test adds, numbered `offset` after the last real one (`0007_six` while 0006 is the last),
 * so it sorts after every migration of prisma/migrations, whatever gets added there.
 */
export function laterMigration(offset: number, suffix: string): string {
  const last = Number.parseInt(ALL_MIGRATIONS.at(-1) ?? '0', 10);
  return `${String(last + offset).padStart(4, '0')}_${suffix}`;
}

/** Scratch databases and directories to remove: call `afterAll(runCleanups)` in each test file using these. */
export const cleanups: (() => Promise<void>)[] = [];
export async function runCleanups(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((c) => c()));
}

export async function emptyDb(): Promise<TestDatabase> {
  const db = await createEmptyTestDatabase();
  cleanups.push(db.drop);
  return db;
}

/** A copy of prisma/migrations that a test may edit. */
export async function migrationsCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chimera-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

export async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'migration.sql'), sql);
}

export async function query<R extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}
export const rowsOf = (url: string) =>
  query<MigrationRow>(url, 'SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name');

export async function rejection(promise: Promise<unknown>, code: MigrationErrorCode): Promise<MigrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected MigrationError ${code}`).toBeInstanceOf(MigrationError);
  expect((error as MigrationError).code, (error as Error).message).toBe(code);
  return error as MigrationError;
}

export const indexValidity = (url: string, names: string[]) =>
  query<{ name: string; valid: boolean }>(
    url,
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relname = ANY($1) ORDER BY 1`,
    [names],
  );
