// Runs once per `vitest run`, before any test file. It makes sure one migrated template database exists for the
// current set of migrations (test files clone it: CREATE DATABASE … TEMPLATE, see helpers/db.ts) and drops test
// databases that crashed runs left behind.
import type pg from 'pg';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../src/config.js';
import { readMigrations } from '../src/platform/db/migration-files.js';
import { migrate } from '../src/platform/db/migrator.js';
import { quoteIdent, sqlState, withDatabaseName, withMaintenanceClient } from '../src/platform/db/pg-admin.js';
import { MIGRATIONS_DIR, templateDatabaseName, testDatabaseCreatedAt } from './helpers/db-names.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Name of the migrated template database that createTestDatabase() clones. */
    templateDatabase: string;
  }
}

const STALE_AFTER_MS = 6 * 60 * 60 * 1000;
/** Templates of other migration sets (other branches) kept besides the current one. */
const OTHER_TEMPLATES_KEPT = 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function databaseNames(admin: pg.Client, like: string): Promise<string[]> {
  const { rows } = await admin.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY oid DESC',
    [like],
  );
  return rows.map((r) => r.datname);
}

async function exists(admin: pg.Client, name: string): Promise<boolean> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rowCount === 1;
}

async function dropStaleTestDatabases(admin: pg.Client): Promise<void> {
  for (const name of await databaseNames(admin, 'chimera\\_t\\_%')) {
    const createdAt = testDatabaseCreatedAt(name);
    if (createdAt !== undefined && Date.now() - createdAt.getTime() > STALE_AFTER_MS) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    }
  }
}

/** ALTER DATABASE … RENAME fails while the migrator's backend is still exiting: retry for a moment. */
async function renameDatabase(admin: pg.Client, from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`);
      return;
    } catch (error) {
      if (sqlState(error) !== '55006' || attempt >= 20) throw error;
      await sleep(50 * attempt);
    }
  }
}

async function ensureTemplate(admin: pg.Client, databaseUrl: string, template: string): Promise<void> {
  if (await exists(admin, template)) return;
  // Another run may be building the same template right now: one builds, the others wait and then reuse it.
  await admin.query(`SELECT pg_advisory_lock(hashtext('chimera:test-template'))`);
  try {
    if (await exists(admin, template)) return;
    for (const leftover of await databaseNames(admin, `${template}\\_build\\_%`)) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(leftover)} WITH (FORCE)`);
    }
    // Built under a temporary name and renamed when complete, so a half-built template is never cloned.
    const build = `${template}_build_${process.pid}`;
    await admin.query(`CREATE DATABASE ${quoteIdent(build)}`);
    try {
      await migrate({ databaseUrl: withDatabaseName(databaseUrl, build), migrationsDir: MIGRATIONS_DIR });
      // No connections to the template, ever: a connected session makes CREATE DATABASE … TEMPLATE fail.
      await admin.query(`ALTER DATABASE ${quoteIdent(build)} ALLOW_CONNECTIONS false`);
      await renameDatabase(admin, build, template);
    } catch (error) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(build)} WITH (FORCE)`).catch(() => undefined);
      throw error;
    }
    const others = (await databaseNames(admin, 'chimera\\_tpl\\_%')).filter(
      (name) => name !== template && !name.includes('_build_'),
    );
    for (const old of others.slice(OTHER_TEMPLATES_KEPT)) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(old)}`).catch(() => undefined);
    }
  } finally {
    await admin.query(`SELECT pg_advisory_unlock(hashtext('chimera:test-template'))`);
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const { databaseUrl } = loadConfig();
  const template = templateDatabaseName(await readMigrations(MIGRATIONS_DIR));
  await withMaintenanceClient(databaseUrl, async (admin) => {
    await dropStaleTestDatabases(admin);
    await ensureTemplate(admin, databaseUrl, template);
  });
  project.provide('templateDatabase', template);
}
