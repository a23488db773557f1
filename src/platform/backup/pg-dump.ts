// PostgreSQL backups: `pg_dump --format=custom` of the database, with its integrity figures (row count and checksum per
// table, applied migrations) taken in the very snapshot the dump reads (pg_export_snapshot + pg_dump --snapshot), so
// the figures describe the dump exactly even while the application writes. A restore loads the dump into a new
// scratch database and only then swaps it in for the live one: a failed pg_restore leaves the live database as it was.
//
// The password never appears on a command line or in a message: the tools get it in PGPASSWORD, URLs are redacted
// and tool output is scrubbed of it.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import pg from 'pg';
import {
  databaseNameOf,
  quoteIdent,
  redactUrl,
  sqlState,
  withDatabaseName,
  withMaintenanceClient,
} from '../db/pg-admin.js';
import { BackupAdapterError, messageOf } from './backup-error.js';
import { runTool, toolPath } from './tools.js';

export interface TableFigures {
  rows: number;
  /** md5 over the row count and the sums of every row's md5 (order-independent, constant memory). */
  checksum: string;
}

export interface MigrationRecord {
  name: string;
  checksum: string;
}

export interface PostgresFigures {
  /** By table name (schema-qualified outside `public`), sorted. */
  tables: Record<string, TableFigures>;
  /** Applied migrations (finished, not rolled back) from _prisma_migrations, by name. */
  migrations: MigrationRecord[];
}

export interface PostgresDumpInfo extends PostgresFigures {
  database: string;
  serverVersion: string;
}

export interface PostgresBackupOptions {
  databaseUrl: string;
  /** Where pg_dump and pg_restore are (default: PATH). */
  binDir?: string | undefined;
}

/** Query parameters of Prisma's URLs that libpq does not know (it refuses the URL with them). */
const NOT_LIBPQ = ['schema', 'connection_limit', 'pool_timeout', 'socket_timeout', 'pgbouncer', 'statement_cache_size'];

/** The URL for libpq tools without its password (which goes in PGPASSWORD), and the password. */
function forTools(databaseUrl: string): { url: string; password: string | undefined } {
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.password = '';
  for (const p of NOT_LIBPQ) url.searchParams.delete(p);
  return { url: url.toString(), password };
}

const HINT =
  'install the PostgreSQL client tools of the server major version or newer (Debian: postgresql-client), or '.concat(
    'set BACKUP_PG_BIN_DIR to their directory',
  );

async function withClient<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'chimera-backup' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new BackupAdapterError(
      'BACKUP_DATABASE_FAILED',
      `Cannot connect to ${redactUrl(databaseUrl)}: ${messageOf(err)}`,
      { cause: err },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Session settings that make a row's text the same on every server and connection. */
const STABLE_TEXT = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 1',
  "SET bytea_output = 'hex'",
];

async function tablesOf(client: pg.Client): Promise<{ key: string; sql: string }[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
      ORDER BY 1, 2`,
  );
  return rows.map((r) => ({
    key: r.schema === 'public' ? r.name : `${r.schema}.${r.name}`,
    sql: `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`,
  }));
}

/** The integrity figures of the database the client is connected to (inside whatever snapshot it holds). */
export async function figuresOf(client: pg.Client): Promise<PostgresFigures> {
  for (const s of STABLE_TEXT) await client.query(s);
  const tables: Record<string, TableFigures> = {};
  for (const t of await tablesOf(client)) {
    const { rows } = await client.query<{ rows: string; a: string; b: string }>(
      `SELECT count(*)::text AS rows,
              coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text AS a,
              coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text AS b
         FROM (SELECT md5(t::text) AS h FROM ${t.sql} t) s`,
    );
    const r = rows[0] as { rows: string; a: string; b: string };
    tables[t.key] = {
      rows: Number(r.rows),
      checksum: createHash('md5').update(`${r.rows}:${r.a}:${r.b}`).digest('hex'),
    };
  }
  return { tables, migrations: await migrationsOf(client) };
}

async function migrationsOf(client: pg.Client): Promise<MigrationRecord[]> {
  const present = await client.query<{ present: boolean }>(
    "SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS present",
  );
  if (!present.rows[0]?.present) return [];
  const applied = await client.query<{ name: string; checksum: string }>(
    `SELECT migration_name AS name, checksum FROM public._prisma_migrations
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return applied.rows.map((m) => ({ name: m.name, checksum: m.checksum }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs an ALTER/DROP DATABASE that fails while sessions linger (55006), a few times. */
async function retryingBusy(client: pg.Client, sql: string, before?: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await before?.();
    try {
      await client.query(sql);
      return;
    } catch (err) {
      if (sqlState(err) !== '55006' || attempt >= 20) throw err;
      await sleep(50 * attempt);
    }
  }
}

export function createPostgresBackup(options: PostgresBackupOptions) {
  const { databaseUrl } = options;
  const database = databaseNameOf(databaseUrl);
  const tool = (name: string) => toolPath(name, options.binDir);
  const secretsOf = (password: string | undefined) => (password ? [password, encodeURIComponent(password)] : []);

  /** Makes `scratch` the database (by name): the old one is renamed away, then dropped. */
  async function swapIn(scratch: string): Promise<void> {
    const old = `${database.slice(0, 40)}_old_${randomBytes(4).toString('hex')}`;
    await withMaintenanceClient(databaseUrl, async (admin) => {
      const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
      const kick = () =>
        admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [database],
        );
      if (exists) {
        await admin.query(`ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS false`);
        try {
          await retryingBusy(admin, `ALTER DATABASE ${quoteIdent(database)} RENAME TO ${quoteIdent(old)}`, kick);
        } catch (err) {
          await admin.query(`ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS true`).catch(() => undefined);
          throw err;
        }
      }
      try {
        await retryingBusy(admin, `ALTER DATABASE ${quoteIdent(scratch)} RENAME TO ${quoteIdent(database)}`);
      } catch (err) {
        if (exists) {
          await admin
            .query(`ALTER DATABASE ${quoteIdent(old)} RENAME TO ${quoteIdent(database)}`)
            .catch(() => undefined);
          await admin.query(`ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS true`).catch(() => undefined);
        }
        throw err;
      }
      if (exists) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(old)} WITH (FORCE)`);
    }).catch((err: unknown) => {
      throw new BackupAdapterError(
        'BACKUP_DATABASE_FAILED',
        `Swapping the restored database in for ${database} failed: ${messageOf(err)}`,
        { cause: err },
      );
    });
  }

  return {
    database,

    /** Streams the dump into `sink` and returns the figures of the same snapshot. */
    async dump(sink: (dump: Readable) => Promise<void>): Promise<PostgresDumpInfo> {
      return withClient(databaseUrl, async (client) => {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        try {
          const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id;
          const serverVersion =
            (await client.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version'])).rows[0]?.v ?? '';
          const { url, password } = forTools(databaseUrl);
          const dumped = runTool({
            command: tool('pg_dump'),
            args: ['--format=custom', '--no-password', `--snapshot=${snapshot}`, `--dbname=${url}`],
            env: { PGPASSWORD: password, PGAPPNAME: 'chimera-backup' },
            secrets: secretsOf(password),
            stdout: sink,
            what: `pg_dump of ${database}`,
            hint: HINT,
          });
          // The figures are read while pg_dump runs, in the same snapshot.
          const figures = figuresOf(client);
          const [d, f] = await Promise.allSettled([dumped, figures]);
          if (d.status === 'rejected') throw d.reason;
          if (f.status === 'rejected') {
            throw new BackupAdapterError(
              'BACKUP_DATABASE_FAILED',
              `Taking the integrity figures of ${database} failed: ${messageOf(f.reason)}`,
              { cause: f.reason },
            );
          }
          return { database, serverVersion, ...f.value };
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
        }
      });
    },

    /**
     * Replaces the database with the dump read from `source`: pg_restore into a new database, then a swap (the old
     * one is dropped). When pg_restore fails, the scratch database is dropped and the live one is untouched.
     */
    async restore(source: Readable): Promise<void> {
      const scratch = `${database.slice(0, 40)}_rs_${randomBytes(4).toString('hex')}`;
      const scratchUrl = withDatabaseName(databaseUrl, scratch);
      await withMaintenanceClient(databaseUrl, async (admin) => {
        const live = await admin.query<{ enc: string; collate: string; ctype: string }>(
          `SELECT pg_encoding_to_char(encoding) AS enc, datcollate AS collate, datctype AS ctype
             FROM pg_database WHERE datname = $1`,
          [database],
        );
        const like = live.rows[0];
        const as = like
          ? ` ENCODING '${like.enc}' LC_COLLATE '${like.collate.replaceAll("'", "''")}' LC_CTYPE '${like.ctype.replaceAll("'", "''")}'`
          : '';
        await admin.query(`CREATE DATABASE ${quoteIdent(scratch)} TEMPLATE template0${as}`);
      }).catch((err: unknown) => {
        if (err instanceof BackupAdapterError) throw err;
        throw new BackupAdapterError(
          'BACKUP_DATABASE_FAILED',
          `Cannot create the scratch database ${scratch} on ${redactUrl(databaseUrl)}: ${messageOf(err)}`,
          { cause: err },
        );
      });
      const dropScratch = () =>
        withMaintenanceClient(databaseUrl, (admin) =>
          admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`),
        ).catch(() => undefined);
      try {
        const { url, password } = forTools(scratchUrl);
        await runTool({
          command: tool('pg_restore'),
          args: ['--no-owner', '--exit-on-error', '--no-password', `--dbname=${url}`],
          env: { PGPASSWORD: password, PGAPPNAME: 'chimera-restore' },
          secrets: secretsOf(password),
          stdin: source,
          what: `pg_restore into ${scratch} (the live database ${database} was not touched)`,
          hint: HINT,
        });
      } catch (err) {
        await dropScratch();
        throw err;
      }
      await swapIn(scratch).catch(async (err: unknown) => {
        await dropScratch();
        throw err;
      });
    },

    /** REINDEX DATABASE (the spec's rebuild_indexes step). */
    async reindex(): Promise<void> {
      await withClient(databaseUrl, async (client) => {
        try {
          await client.query(`REINDEX DATABASE ${quoteIdent(database)}`);
        } catch (err) {
          throw new BackupAdapterError(
            'BACKUP_DATABASE_FAILED',
            `REINDEX DATABASE ${database} failed: ${messageOf(err)}`,
            {
              cause: err,
            },
          );
        }
      });
    },

    /** The applied migrations (from _prisma_migrations). */
    async migrations(): Promise<MigrationRecord[]> {
      return withClient(databaseUrl, async (client) => migrationsOf(client));
    },

    /** The integrity figures of the database now. */
    async figures(): Promise<PostgresFigures> {
      return withClient(databaseUrl, async (client) => {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        try {
          return await figuresOf(client);
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
        }
      });
    },
  };
}

export type PostgresBackup = ReturnType<typeof createPostgresBackup>;
