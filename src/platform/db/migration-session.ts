// One migrator session: a `pg` connection to the target database, holding Prisma's migration lock while it works.
import pg from 'pg';
import { PRISMA_MIGRATE_LOCK_KEY } from './migration-apply.js';
import { MigrationError } from './migration-error.js';
import { databaseNameOf, redactUrl, sqlState } from './pg-admin.js';

export interface ConnectionOptions {
  databaseUrl: string;
  log?: (message: string) => void;
  /** How long to wait for another migrator's lock. Default 10 minutes. */
  lockTimeoutMs?: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;
export const noop = (): void => undefined;

export async function connect(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'chimera-migrate' });
  // A connection the server drops while idle must not crash the process; the next query reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    if (sqlState(error) === '3D000') {
      throw new MigrationError(
        'DATABASE_MISSING',
        `The database "${databaseNameOf(databaseUrl)}" does not exist (${redactUrl(databaseUrl)}). ` +
          'Run `npm run db:migrate`, which creates it, or create it yourself (createdb).',
        { cause: error },
      );
    }
    throw error;
  }
  return client;
}

/**
 * Holds Prisma's migration lock on `client` while `fn` runs. It polls pg_try_advisory_lock rather than blocking in
 * pg_advisory_lock: a session blocked in a statement holds a snapshot, which a CREATE INDEX CONCURRENTLY run by the
 * lock holder waits for — PostgreSQL then reports a deadlock and kills the waiter. A polling session between tries
 * holds nothing.
 */
export async function withLock<T>(client: pg.Client, options: ConnectionOptions, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  let told = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      PRISMA_MIGRATE_LOCK_KEY,
    ]);
    if (rows[0]?.locked) break;
    if (Date.now() >= deadline) {
      throw new MigrationError(
        'LOCK_TIMEOUT',
        `Another migration run has held the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})) for more ` +
          `than ${Math.round(timeoutMs / 1000)} s. Wait for it to finish, or find it with:\n` +
          `  SELECT pid, application_name, state, query_start, query FROM pg_stat_activity WHERE pid IN\n` +
          `    (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = ${PRISMA_MIGRATE_LOCK_KEY});\n` +
          'and, if it is a stuck session, end it with SELECT pg_terminate_backend(pid).',
      );
    }
    if (!told) (options.log ?? noop)('Another migration run holds the migration lock; waiting for it to finish…');
    told = true;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
  try {
    return await fn();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]).catch(() => undefined);
  }
}
