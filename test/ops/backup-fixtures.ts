// Shared pieces of the backup tests: running a CLI command as `chimera` would, a seeded world in all three stores,
// and fingerprints of each store taken independently of the code under test.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { seedDemo } from '../../prisma/seed.js';
import type { CliCommand, CliValues } from '../../src/cli/command.js';
import { type Config, loadConfig } from '../../src/config.js';
import { dropDatabase } from '../../src/platform/db/pg-admin.js';
import { createDatabase } from '../../src/platform/db/prisma.js';
import { openLanceDbStore } from '../../src/platform/vector/lancedb.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../helpers/db.js';
import { makeTask } from '../helpers/fixtures.js';
import { content, memory, randomVector, SYNTHETIC } from '../vector/fixtures.js';

/** A password in the URL: trust authentication ignores it, and no output may ever show it. */
export const DB_PASSWORD = 'Sup3r-Secret-pw';

export function withPassword(url: string): string {
  const u = new URL(url);
  u.password = DB_PASSWORD;
  return u.toString();
}

export function backupEnv(over: Record<string, string>): Record<string, string> {
  return { CHIMERA_ENV: 'test', CHIMERA_LOG_LEVEL: 'silent', ...over };
}

export const newKey = () => randomBytes(32).toString('base64');

export interface CommandRun {
  code: number;
  out: string;
  err: string;
}

/** Runs a command the way src/cli/main.ts does (parseArgs with its options), with the configuration of `env`. */
export async function runCommand(
  command: CliCommand,
  args: string[],
  env: Record<string, string>,
): Promise<CommandRun> {
  const out: string[] = [];
  const err: string[] = [];
  const parsed = parseArgs({ args, options: command.options, allowPositionals: true, strict: true });
  let config: Promise<Config> | undefined;
  const code = await command.run({
    values: parsed.values as CliValues,
    positionals: parsed.positionals,
    config: () => {
      config ??= Promise.resolve(loadConfig(env));
      return config;
    },
    io: {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      progress: () => undefined,
    },
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Personas, agents, tasks, content, interactions, a wallet and its transaction, audit rows. */
export async function seedWorld(databaseUrl: string): Promise<{ agentId: string }> {
  const db = createDatabase({ url: databaseUrl, poolSize: 2 });
  try {
    const { agentId } = await seedDemo(db, new Date('2026-03-01T12:00:00Z'));
    const persona = await db.persona.create({ data: { name: 'Second persona', voiceTone: { formality: 0.8 } } });
    const other = await db.agent.create({
      data: { name: 'second-agent', personaId: persona.id, performanceScore: '0.87' },
    });
    for (let i = 0; i < 5; i++) {
      const task = await makeTask(db, i % 2 ? agentId : other.id, {
        status: i === 4 ? 'complete' : 'pending',
        relevanceScore: '0.5',
      });
      const c = await db.content.create({
        data: {
          taskId: task.id,
          agentId: task.agentId,
          contentType: 'text',
          contentData: `Post ${i}: the “quoted” text, with émojis 🚀 and a tab\there`,
          confidenceScore: '0.91',
          engagementMetrics: { likes: i * 3, shares: [1, 2, 3] },
        },
      });
      await db.interaction.create({
        data: { contentId: c.id, platform: 'social', interactionType: 'like', data: { n: i } },
      });
    }
    const wallet = await db.wallet.create({
      data: {
        agentId,
        address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        blockchain: 'eip155:31337',
        metadata: { demo: true },
      },
    });
    await db.transaction.create({
      data: {
        walletId: wallet.id,
        amount: '0.12345678',
        currency: 'ETH',
        status: 'confirmed',
        nonce: 7n,
        amountBaseUnits: '123456780000000000',
      },
    });
    await db.auditLog.create({
      data: { agentId, action: 'backup.test', details: { actor: { kind: 'system', id: 'test' } } },
    });
    return { agentId };
  } finally {
    await db.$disconnect();
  }
}

export interface TableFingerprint {
  rows: number;
  md5: string;
}

/** Every table's row count and the md5 of its rows' text in order, computed here (not by the backup code). */
export async function fingerprint(databaseUrl: string): Promise<Record<string, TableFingerprint>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SET TimeZone = 'UTC'");
    const { rows: tables } = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    const out: Record<string, TableFingerprint> = {};
    for (const { name } of tables) {
      const { rows } = await client.query<{ rows: string; md5: string }>(
        `SELECT count(*)::text AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5 FROM "${name}" t`,
      );
      out[name] = { rows: Number(rows[0]?.rows), md5: String(rows[0]?.md5) };
    }
    return out;
  } finally {
    await client.end();
  }
}

export const rawRedis = () => {
  const r = new Redis(loadConfig().redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  r.on('error', () => undefined);
  return r;
};

/** Keys of every type under `prefix`, some with TTLs, one with binary contents, one with glob characters in its name. */
export async function seedRedis(redis: Redis, prefix: string): Promise<void> {
  await redis.set(`${prefix}cache:persona:1`, JSON.stringify({ name: 'Juno' }), 'EX', 3600);
  await redis.hset(`${prefix}session:abc`, { agent_id: 'a1', context: '{"x":1}' });
  await redis.pexpire(`${prefix}session:abc`, 7 * 86_400_000);
  await redis.rpush(`${prefix}tasks:pending:high`, 't1', 't2', 't3');
  await redis.sadd(`${prefix}tasks:processing`, 't9', 't8');
  await redis.zadd(`${prefix}metrics:tasks:completed`, 1, 'h1', 2, 'h2');
  await redis.set(`${prefix}binary`, Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  await redis.set(`${prefix}odd*[key]?`, 'glob characters in the name');
}

/** Each key under `prefix`: its DUMP (value and type, as Redis serializes it) and PTTL. */
export async function redisState(redis: Redis, prefix: string): Promise<Map<string, { dump: string; pttl: number }>> {
  const out = new Map<string, { dump: string; pttl: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const k of keys.filter((key) => key.startsWith(prefix))) {
      // A set's DUMP lists its members in hash-table order, which depends on the server's random hash seed and the
      // table's history: compare sets by their sorted members, everything else byte for byte.
      const type = await redis.type(k);
      const dump =
        type === 'set'
          ? `set:${JSON.stringify((await redis.smembers(k)).sort())}`
          : ((await redis.dumpBuffer(k)) as Buffer).toString('hex');
      out.set(k, { dump, pttl: await redis.pttl(k) });
    }
  } while (cursor !== '0');
  return out;
}

export async function seedVectors(dir: string, agentId: string): Promise<void> {
  const store = await openLanceDbStore({ dir, model: SYNTHETIC });
  try {
    await store.upsert(
      'AgentMemory',
      Array.from({ length: 30 }, (_, i) => ({
        record: memory({ agentId, content: `memory ${i}` }),
        vector: randomVector(i),
      })),
    );
    await store.upsert(
      'ContentEmbedding',
      Array.from({ length: 10 }, (_, i) => ({ record: content({ agentId }), vector: randomVector(100 + i) })),
    );
  } finally {
    await store.close();
  }
}

export interface World {
  db: TestDatabase;
  /** The database URL with a password in it (as production has). */
  url: string;
  prefix: string;
  vectorDir: string;
  backupDir: string;
  /** The environment of `chimera backup` / `chimera restore` for this world. */
  env: Record<string, string>;
  agentId: string;
}

/** A database, Redis prefix, vector store and backup directory of the test's own, all seeded. */
export async function makeWorld(
  redis: Redis,
  cleanups: (() => Promise<unknown>)[],
  extra: Record<string, string> = {},
): Promise<World> {
  const db = await createTestDatabase();
  const work = mkdtempSync(join(tmpdir(), 'chimera-backup-'));
  // Glob characters in the prefix: the snapshot's SCAN pattern must escape them.
  const base = testRedisPrefix();
  const prefix = `${base}a*[b]:`;
  cleanups.push(async () => {
    await db.drop();
    rmSync(work, { recursive: true, force: true });
    const keys = [...(await redisState(redis, base)).keys()];
    if (keys.length) await redis.del(...keys);
  });
  const vectorDir = join(work, 'vectors');
  const backupDir = join(work, 'backups');
  const url = withPassword(db.url);
  const env = backupEnv({
    DATABASE_URL: url,
    REDIS_KEY_PREFIX: prefix,
    VECTOR_STORE_DIR: vectorDir,
    BACKUP_DIR: backupDir,
    ...extra,
  });
  const { agentId } = await seedWorld(db.url);
  await seedRedis(redis, prefix);
  await seedVectors(vectorDir, agentId);
  return { db, url, prefix, vectorDir, backupDir, env, agentId };
}

/** Loses everything: the database dropped, the prefix's keys deleted, the vector directory removed. */
export async function destroyWorld(redis: Redis, w: World): Promise<void> {
  await dropDatabase(w.db.url, w.db.name);
  const keys = [...(await redisState(redis, w.prefix)).keys()];
  if (keys.length) await redis.del(...keys);
  rmSync(w.vectorDir, { recursive: true, force: true });
}
