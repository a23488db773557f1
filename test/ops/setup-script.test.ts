// The quick start's first half, as a new user runs it: scripts/setup.sh (what `npm run up` runs before starting the
// API) against a database that does not exist yet — checks the services, creates and migrates the database, seeds
// the demo persona, agent and users — as real processes, twice (it must be idempotent). A deadlock or a crash in
// any of its steps (one once hid in seeding through the CLI) fails here rather than on a user's first run.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { demoUsers } from '../../prisma/seed-users.js';
import { testRedisPrefix, unusedTestDatabase } from '../helpers/db.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const database = unusedTestDatabase();
afterAll(() => database.drop());

const env = {
  ...process.env,
  CHIMERA_ENV: 'development',
  DATABASE_URL: database.url,
  REDIS_KEY_PREFIX: testRedisPrefix(),
  CHAIN_EMBEDDED: 'false',
  CHIMERA_LOG_LEVEL: 'warn',
};

async function setup() {
  return exec('bash', ['scripts/setup.sh'], { cwd: ROOT, env, timeout: 150_000 });
}

async function counts() {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const one = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n);
    return {
      personas: await one('SELECT count(*) AS n FROM personas'),
      agents: await one('SELECT count(*) AS n FROM agents'),
      users: await one('SELECT count(*) AS n FROM users'),
      trends: await one('SELECT count(*) AS n FROM trends'),
    };
  } finally {
    await client.end();
  }
}

describe('scripts/setup.sh', () => {
  it('creates, migrates and seeds a new database, and running it again changes nothing', {
    timeout: 300_000,
  }, async () => {
    const first = await setup();
    expect(first.stderr).not.toMatch(/error|failed/i);
    const seeded = await counts();
    expect(seeded.personas).toBeGreaterThanOrEqual(1);
    expect(seeded.agents).toBeGreaterThanOrEqual(1);
    // Outside production the demo sign-ins (the banner prints them).
    expect(seeded.users).toBe(demoUsers('', '').length);
    expect(seeded.trends).toBeGreaterThan(0);
    await setup();
    expect(await counts()).toEqual(seeded);
  });
});
