// Chimera as the HTTP benches run it: a world of its own (database, Redis prefix, vector directory, all removed by
// the cleanup), the environment its server process gets (every protection on, limits far above what a run reaches,
// so they are checked but never refuse), and a signed-in super_admin.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { benchRedis, type Cleanup, createMigratedDatabase, deleteKeys } from './resources.js';

export interface BenchWorld {
  databaseUrl: string;
  redisUrl: string;
  /** Redis key prefix of this run (channels carry it too). */
  prefix: string;
  vectorDir: string;
  redis: ReturnType<typeof benchRedis>;
  /** One key for the run: the processes that share the database share the sealed signing keys. */
  encryptionKey: string;
}

/** Where PostgreSQL and Redis are: the environment's DATABASE_URL / REDIS_URL, else the project's defaults. */
export function serverUrls() {
  const defaults = loadConfig({});
  return {
    databaseUrl: process.env.DATABASE_URL || defaults.databaseUrl,
    redisUrl: process.env.REDIS_URL || defaults.redisUrl,
  };
}

/** A new migrated database `chimera_bench_<name>_<stamp>` and a Redis prefix of the same name. */
export async function createWorld(cleanup: Cleanup, name: string): Promise<BenchWorld> {
  const where = serverUrls();
  const stamp = `${Date.now()}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = await createMigratedDatabase(cleanup, where.databaseUrl, `chimera_bench_${name}_${stamp}`);
  const prefix = `chimera_bench_${name}_${stamp}:`;
  const redis = benchRedis(cleanup, where.redisUrl);
  cleanup.add(`delete the Redis keys under ${prefix}`, () => deleteKeys(redis, prefix));
  const vectorDir = mkdtempSync(join(tmpdir(), 'chimera-bench-vectors-'));
  cleanup.add('remove the vector dir', async () => rmSync(vectorDir, { recursive: true, force: true }));
  return {
    databaseUrl,
    redisUrl: where.redisUrl,
    prefix,
    vectorDir,
    redis,
    encryptionKey: randomBytes(32).toString('base64'),
  };
}

const HIGH = { perMinute: 100_000_000, burst: 10_000_000 };

/** The environment of a Chimera server under test (bench/servers/chimera.ts, src/main.ts, workers/*.ts). */
export function chimeraEnv(world: BenchWorld, opts: { cache: boolean }): Record<string, string> {
  return {
    CHIMERA_ENV: 'test',
    CHIMERA_LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    EMBEDDED_WORKERS: 'false',
    SOCIAL_SANDBOX: 'false',
    LLM_PROVIDER: 'offline',
    ENCRYPTION_KEY: world.encryptionKey,
    DATABASE_URL: world.databaseUrl,
    REDIS_URL: world.redisUrl,
    REDIS_KEY_PREFIX: world.prefix,
    VECTOR_STORE_DIR: world.vectorDir,
    RESPONSE_CACHE: String(opts.cache),
    // Sign-ups are not under test.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    RATE_LIMIT_PER_MINUTE: '10000000',
    RATE_LIMIT_API_PER_MINUTE: '10000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000000',
    CONCURRENT_REQUESTS_PER_USER: '100000',
    CONCURRENT_REQUESTS_PER_API_USER: '100000',
    CONCURRENT_REQUESTS_ANONYMOUS: '100000',
    RATE_LIMIT_GROUPS: JSON.stringify({ all: HIGH, agents: HIGH, content: HIGH }),
    MONITOR_INTERVAL_MS: '0',
  };
}

export function chimeraConfig(world: BenchWorld): Config {
  return loadConfig(chimeraEnv(world, { cache: false }));
}

/**
 * A stepped-up super_admin with MFA (as test/helpers/app.ts makes one), signed in through the real session
 * service of an app built on the same database and key (not listening); returns the bearer token.
 */
export async function adminToken(world: BenchWorld): Promise<string> {
  const app = createApp(chimeraConfig(world));
  try {
    const user = await app.services.users.create(
      {
        email: `bench-admin-${randomBytes(4).toString('hex')}@bench.chimera`,
        password: randomBytes(18).toString('base64url'),
        roles: ['super_admin'],
        attributes: {},
      },
      null,
      {},
    );
    await app.db.user.update({ where: { id: user.id }, data: { mfaEnabledAt: new Date() } });
    const pair = await app.services.auth.startSession(user.id, { method: 'password', amr: ['pwd', 'otp'] }, {});
    await app.services.auth.markStepUp(pair.sessionId, 'otp');
    return pair.accessToken;
  } finally {
    await app.close();
  }
}
