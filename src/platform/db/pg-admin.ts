// Small PostgreSQL administration helpers over `pg`: database names in URLs, creating and dropping databases.
import pg from 'pg';

/** The database named by a postgres:// URL. */
export function databaseNameOf(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (name === '') throw new Error(`The database URL names no database: ${redactUrl(databaseUrl)}`);
  return name;
}

/** The same URL with another database name (user, host, port and parameters kept). */
export function withDatabaseName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** The URL without its password, for messages. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/** Runs `fn` with a client connected to the server's `postgres` maintenance database. */
export async function withMaintenanceClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: withDatabaseName(databaseUrl, 'postgres'),
    application_name: 'chimera-admin',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function databaseExists(databaseUrl: string, name = databaseNameOf(databaseUrl)): Promise<boolean> {
  return withMaintenanceClient(databaseUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  });
}

/**
 * Creates the database named by the URL unless it exists. Returns true when it created it. Safe when two processes
 * do it at once (the loser sees duplicate_database and carries on).
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseNameOf(databaseUrl);
  return withMaintenanceClient(databaseUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 1) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (error) {
      // 42P04 duplicate_database; 23505 when a concurrent CREATE DATABASE won the race on pg_database's unique index.
      if (sqlState(error) === '42P04' || sqlState(error) === '23505') return false;
      throw error;
    }
  });
}

/** Drops a database, first disconnecting whoever is connected to it (PostgreSQL 13+ `WITH (FORCE)`). */
export async function dropDatabase(databaseUrl: string, name: string): Promise<void> {
  await withMaintenanceClient(databaseUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}
