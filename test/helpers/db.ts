// Per-test-file databases: each test file works in a database of its own, cloned from the migrated template that
// test/global-setup.ts builds, so files run in parallel without seeing each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  dropDatabase,
  quoteIdent,
  sqlState,
  withDatabaseName,
  withMaintenanceClient,
} from '../../src/platform/db/pg-admin.js';
import { testDatabaseName } from './db-names.js';

export interface TestDatabase {
  name: string;
  /** DATABASE_URL's server and credentials, with this database's name. */
  url: string;
  /** Disconnects every session of the database and drops it. */
  drop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function handle(serverUrl: string, name: string): TestDatabase {
  return { name, url: withDatabaseName(serverUrl, name), drop: () => dropDatabase(serverUrl, name) };
}

async function create(sql: (name: string) => string): Promise<TestDatabase> {
  const { databaseUrl } = loadConfig();
  const name = testDatabaseName();
  await withMaintenanceClient(databaseUrl, async (admin) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(sql(name));
        return;
      } catch (error) {
        // 55006: "source database … is being accessed by other users" — a session still closing on the template.
        if (sqlState(error) !== '55006' || attempt >= 10) throw error;
        await sleep(50 * attempt);
      }
    }
  });
  return handle(databaseUrl, name);
}

/** A fresh, fully migrated database (a clone of the template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  return create((name) => `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
}

/** A fresh database with no tables at all, for tests of the migrator itself. */
export async function createEmptyTestDatabase(): Promise<TestDatabase> {
  return create((name) => `CREATE DATABASE ${quoteIdent(name)}`);
}

/** A name for a test database that does not exist yet (dropped like the others if a run leaves it behind). */
export function unusedTestDatabase(): TestDatabase {
  return handle(loadConfig().databaseUrl, testDatabaseName());
}

/** A Redis key prefix of this test's own: `chimera:test:<random>:`. */
export function testRedisPrefix(): string {
  return `chimera:test:${randomBytes(6).toString('hex')}:`;
}

export interface DatabaseClientFixture {
  /** Valid inside tests and hooks (set by beforeAll). */
  readonly database: TestDatabase;
  readonly client: pg.Client;
}

/**
 * Gives the calling test file a migrated database of its own and a connected `pg` client on it, both torn down
 * after the file. Call at the top level of the file.
 */
export function useMigratedDatabaseClient(): DatabaseClientFixture {
  const fixture = {} as { database: TestDatabase; client: pg.Client };
  beforeAll(async () => {
    fixture.database = await createTestDatabase();
    fixture.client = new pg.Client({ connectionString: fixture.database.url });
    await fixture.client.connect();
  });
  afterAll(async () => {
    await fixture.client?.end();
    await fixture.database?.drop();
  });
  return fixture;
}
