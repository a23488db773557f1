// chimera doctor: checks every dependency the configuration names and prints, for each problem, what is wrong and
// how to fix it. Exit code 1 when anything failed (warnings alone exit 0). Every probe has a deadline: a dependency
// that hangs is reported as such, never a hung doctor.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { type Config, ConfigError } from '../../config.js';
import { anvilBinary } from '../../platform/chain/anvil.js';
import { createEvmChain } from '../../platform/chain/evm.js';
import { migrationStatus } from '../../platform/db/migrator.js';
import { databaseNameOf, redactUrl, withDatabaseName } from '../../platform/db/pg-admin.js';
import { createMcpHub } from '../../platform/mcp/hub.js';
import { createRedis } from '../../platform/redis/redis.js';
import { type CliCommand, flag } from '../command.js';
import { MIGRATIONS_DIR } from './migrate.js';

const run = promisify(execFile);

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** How to fix it (for warn and fail). */
  fix?: string;
}

const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'warn', detail, fix });
const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

function withDeadline<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

async function postgres(c: Config, timeoutMs: number): Promise<CheckResult[]> {
  const where = redactUrl(c.databaseUrl);
  const client = new pg.Client({
    connectionString: withDatabaseName(c.databaseUrl, 'postgres'),
    connectionTimeoutMillis: timeoutMs,
  });
  let serverVersion: number;
  try {
    await withDeadline(timeoutMs, client.connect(), 'PostgreSQL');
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    serverVersion = Number(rows[0]?.v ?? 0);
  } catch (err) {
    return [
      fail(
        'PostgreSQL',
        `not reachable at ${where} (${message(err)})`,
        'Start PostgreSQL (`pg_ctlcluster 15 main start`, or `docker compose up -d postgres`) or set DATABASE_URL.',
      ),
    ];
  } finally {
    await client.end().catch(() => undefined);
  }
  const results = [ok('PostgreSQL', `reachable at ${where} (server ${Math.floor(serverVersion / 10_000)})`)];
  if (serverVersion < 140_000) {
    results.push(fail('PostgreSQL version', `server ${serverVersion}`, 'Chimera needs PostgreSQL 14 or later.'));
  }
  try {
    const s = await migrationStatus({ databaseUrl: c.databaseUrl, migrationsDir: MIGRATIONS_DIR });
    if (!s.databaseExists) {
      results.push(
        fail(
          'Database schema',
          `database "${databaseNameOf(c.databaseUrl)}" does not exist`,
          'Run `chimera migrate` (it creates it).',
        ),
      );
    } else if (s.failed.length) {
      results.push(
        fail(
          'Database schema',
          `failed migration(s): ${s.failed.map((f) => f.name).join(', ')}`,
          'Run `chimera migrate status` and resolve them (`chimera migrate resolve …`).',
        ),
      );
    } else if (s.checksumMismatches.length) {
      results.push(
        fail(
          'Database schema',
          `applied migrations edited since: ${s.checksumMismatches.join(', ')}`,
          'Restore prisma/migrations from git.',
        ),
      );
    } else if (s.pending.length) {
      results.push(
        fail(
          'Database schema',
          `${s.pending.length} migration(s) pending (${s.pending.join(', ')})`,
          'Run `chimera migrate`.',
        ),
      );
    } else {
      results.push(ok('Database schema', `up to date (${s.applied.length} migrations)`));
    }
  } catch (err) {
    results.push(
      fail(
        'Database schema',
        `cannot be read (${message(err)})`,
        'Check that DATABASE_URL’s user may read the database.',
      ),
    );
  }
  return results;
}

async function redis(c: Config, timeoutMs: number): Promise<CheckResult[]> {
  const client = createRedis(c.redisUrl, c.redisKeyPrefix);
  client.options.maxRetriesPerRequest = 0;
  client.options.retryStrategy = () => null;
  client.on('error', () => undefined);
  try {
    const info = await withDeadline(timeoutMs, client.info('server'), 'Redis');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const results = [ok('Redis', `reachable at ${new URL(c.redisUrl).host} (${version})`)];
    if (Number(version.split('.')[0]) < 6) {
      results.push(fail('Redis version', version, 'BullMQ needs Redis 6.2 or later.'));
    }
    const policy = (await client.config('GET', 'maxmemory-policy').catch(() => [])) as string[];
    if (policy[1] && policy[1] !== 'noeviction') {
      results.push(
        fail(
          'Redis eviction',
          `maxmemory-policy is ${policy[1]}: Redis may evict queue keys`,
          'Set `maxmemory-policy noeviction` (BullMQ requires it).',
        ),
      );
    }
    return results;
  } catch (err) {
    return [
      fail(
        'Redis',
        `not reachable at ${new URL(c.redisUrl).host} (${message(err)})`,
        'Start Redis (`redis-server --daemonize yes`, or `docker compose up -d redis`) or set REDIS_URL.',
      ),
    ];
  } finally {
    client.disconnect();
  }
}

function writableDir(name: string, dir: string, envName: string): CheckResult {
  const path = resolve(dir);
  try {
    if (existsSync(path)) accessSync(path, constants.W_OK);
    else {
      mkdirSync(dirname(path), { recursive: true });
      accessSync(dirname(path), constants.W_OK);
    }
    return ok(name, `${path} is writable`);
  } catch (err) {
    return fail(name, `${path} is not writable (${message(err)})`, `Make it writable by this user, or set ${envName}.`);
  }
}

async function vectorStore(c: Config, timeoutMs: number): Promise<CheckResult> {
  const v = c.memory.vectorStore;
  if (v.kind === 'lancedb') return writableDir('Vector store (LanceDB)', v.dir, 'VECTOR_STORE_DIR');
  try {
    const res = await fetch(new URL('/v1/.well-known/ready', v.weaviateUrl), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`it answered ${res.status}`);
    return ok('Vector store (Weaviate)', `ready at ${v.weaviateUrl}`);
  } catch (err) {
    return fail(
      'Vector store (Weaviate)',
      `not ready at ${v.weaviateUrl} (${message(err)})`,
      'Start Weaviate (`docker compose up -d weaviate`) or fix WEAVIATE_URL.',
    );
  }
}

async function chain(c: Config, timeoutMs: number): Promise<CheckResult> {
  if (c.chain.rpcUrl) {
    try {
      const id = await createEvmChain({ rpcUrl: c.chain.rpcUrl, timeoutMs }).chainId();
      return ok('Chain', `chain ${id} at ${new URL(c.chain.rpcUrl).host}`);
    } catch (err) {
      return fail(
        'Chain',
        `no answer from BLOCKCHAIN_RPC_URL (${message(err)})`,
        'Check BLOCKCHAIN_RPC_URL and that the node is up.',
      );
    }
  }
  if (!c.chain.embedded.enabled)
    return warn('Chain', 'none configured: wallets and transfers are off', 'Set BLOCKCHAIN_RPC_URL to enable them.');
  const binary = anvilBinary();
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: timeoutMs });
    return ok('Chain (embedded anvil)', stdout.trim().split('\n')[0] ?? 'anvil');
  } catch (err) {
    return fail(
      'Chain (embedded anvil)',
      `cannot run ${binary} (${message(err)})`,
      'Run `npm install` (it ships @foundry-rs/anvil), or set BLOCKCHAIN_RPC_URL.',
    );
  }
}

async function backupTools(c: Config, timeoutMs: number): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const tool of ['pg_dump', 'pg_restore']) {
    try {
      const bin = c.backup.pgBinDir ? join(c.backup.pgBinDir, tool) : tool;
      const { stdout } = await run(bin, ['--version'], { timeout: timeoutMs });
      results.push(ok(tool, stdout.trim()));
    } catch {
      results.push(
        fail(
          tool,
          'not found on PATH: backups and restores cannot run',
          'Install the PostgreSQL client (`apt-get install postgresql-client`), or set BACKUP_PG_BIN_DIR.',
        ),
      );
    }
  }
  if (c.backup.target.kind === 'local') results.push(writableDir('Backup directory', c.backup.dir, 'BACKUP_DIR'));
  else {
    const t = c.backup.target;
    const endpoint = t.endpoint ?? `https://s3.${t.region}.amazonaws.com`;
    try {
      await fetch(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
      results.push(ok('Backup target (S3)', `${endpoint} answers (bucket ${t.bucket})`));
    } catch (err) {
      results.push(
        fail(
          'Backup target (S3)',
          `${endpoint} not reachable (${message(err)})`,
          'Check BACKUP_S3_ENDPOINT and the network.',
        ),
      );
    }
  }
  return results;
}

async function mcpServers(c: Config, timeoutMs: number): Promise<CheckResult[]> {
  if (c.mcp.servers.length === 0)
    return [warn('MCP servers', 'none configured', 'Set MCP_SERVERS or MCP_CONFIG_FILE.')];
  const hub = createMcpHub({ servers: c.mcp.servers, timeoutMs, startTimeoutMs: Math.max(timeoutMs, 15_000) });
  try {
    return await Promise.all(
      c.mcp.servers.map(async (s) => {
        const where = s.transport === 'http' ? s.url : `${s.command} (stdio)`;
        try {
          await hub.ping(s.name);
          return ok(`MCP server "${s.name}"`, `answers at ${where}`);
        } catch (err) {
          // The bundled social sandbox runs beside the API: down while the API is down is expected.
          const beside = s.name === 'social' && c.socialSandbox.enabled;
          const fix = beside
            ? 'It starts with the API (`npm start`); nothing to do if the API is not running.'
            : 'Start the server or fix its entry in MCP_SERVERS / MCP_CONFIG_FILE.';
          return (beside ? warn : fail)(`MCP server "${s.name}"`, `no answer at ${where} (${message(err)})`, fix);
        }
      }),
    );
  } finally {
    await hub.close();
  }
}

async function llm(c: Config, timeoutMs: number): Promise<CheckResult> {
  if (c.llm.provider === 'offline') {
    return c.env === 'production'
      ? warn(
          'Language model',
          'the offline composer (no model configured)',
          'Set OPENAI_API_KEY or OPENAI_BASE_URL for real generation.',
        )
      : ok('Language model', 'the offline composer (development default)');
  }
  const base = c.llm.baseUrl ?? 'https://api.openai.com/v1';
  try {
    const res = await fetch(`${base.replace(/\/$/, '')}/models`, {
      headers: c.llm.apiKey ? { authorization: `Bearer ${c.llm.apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 401 || res.status === 403) {
      return fail('Language model', `${base} refused the key (${res.status})`, 'Check OPENAI_API_KEY.');
    }
    return ok('Language model', `${c.llm.model} at ${base}`);
  } catch (err) {
    return fail('Language model', `${base} not reachable (${message(err)})`, 'Check OPENAI_BASE_URL and the network.');
  }
}

function secrets(c: Config): CheckResult[] {
  const results: CheckResult[] = [];
  if (c.encryptionKeyIsDevelopmentDefault) {
    const r = c.env === 'production' ? fail : warn;
    results.push(
      r(
        'Encryption key',
        'the built-in development key (publicly known)',
        'Set ENCRYPTION_KEY (`openssl rand -base64 32`) before storing real secrets.',
      ),
    );
  } else {
    results.push(ok('Encryption key', 'configured'));
  }
  if (c.env === 'production' && !c.alertWebhookUrl) {
    results.push(
      warn('On-call webhook', 'ALERT_WEBHOOK_URL is not set: alerts are only stored', 'Set ALERT_WEBHOOK_URL.'),
    );
  }
  return results;
}

/** Every check for a loaded configuration, in the order they are printed. */
export async function runChecks(c: Config, timeoutMs = 3_000): Promise<CheckResult[]> {
  const node = Number(process.versions.node.split('.')[0]);
  const nodeCheck =
    node >= 20
      ? ok('Node.js', process.versions.node)
      : fail('Node.js', process.versions.node, 'Install Node.js 20 or later.');
  const groups = await Promise.all([
    postgres(c, timeoutMs),
    redis(c, timeoutMs),
    vectorStore(c, timeoutMs).then((r) => [r]),
    chain(c, timeoutMs).then((r) => [r]),
    mcpServers(c, timeoutMs),
    llm(c, timeoutMs).then((r) => [r]),
    backupTools(c, timeoutMs),
  ]);
  return [nodeCheck, ...secrets(c), ...groups.flat()];
}

const MARK: Record<CheckStatus, string> = { ok: '✔', warn: '!', fail: '✘' };

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check every dependency and print what is wrong and how to fix it',
  usage: `Usage: chimera doctor [--json] [--timeout-ms <ms>]

Checks the configuration, Node.js, PostgreSQL (and the schema's migrations), Redis, the vector store, the chain, the
MCP servers, the language model and the backup tools. Exit code 1 when a check failed; warnings alone exit 0.`,
  options: { json: { type: 'boolean' }, 'timeout-ms': { type: 'string' } },
  async run({ values, config, io }) {
    let c: Config;
    try {
      c = await config();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const result = fail('Configuration', err.message, 'Fix the variables named above (README, "Configuration").');
      if (flag(values, 'json')) io.out(JSON.stringify([result], null, 2));
      else io.out(`${MARK.fail} Configuration\n${err.message}\n    fix: ${result.fix}`);
      return 1;
    }
    const timeout = Number(values['timeout-ms'] ?? 3_000);
    const results = [
      ok('Configuration', `valid (${c.env})`),
      ...(await runChecks(c, Number.isFinite(timeout) ? timeout : 3_000)),
    ];
    if (flag(values, 'json')) io.out(JSON.stringify(results, null, 2));
    else {
      const width = Math.max(...results.map((r) => r.name.length));
      for (const r of results) {
        io.out(`${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`);
        if (r.fix) io.out(`  ${' '.repeat(width)}  fix: ${r.fix}`);
      }
      const failed = results.filter((r) => r.status === 'fail').length;
      const warned = results.filter((r) => r.status === 'warn').length;
      io.out(`\n${failed ? `${failed} problem(s)` : 'No problems'}${warned ? `, ${warned} warning(s)` : ''}.`);
    }
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  },
};
