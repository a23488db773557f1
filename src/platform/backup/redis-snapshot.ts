// Redis backups. Chimera shares its Redis with others and every key it writes starts with REDIS_KEY_PREFIX, so the
// snapshot is of those keys only: SCAN the prefix, DUMP each key (Redis's own RDB serialization of the value) with
// its PTTL, into a file of records. Keys are stored without the prefix, so a snapshot can be restored under another
// one. A restore first removes every key under the prefix (the restored state is the snapshot's, not a mix), then
// RESTOREs each key with REPLACE and the TTL it had left when the snapshot was taken.
//
// The full-server path (`redisRdb`, `chimera backup --rdb`) streams `redis-cli --rdb -`: Redis's own dump.rdb of every
// database. Restoring that one is an operator's job (stop Redis, put the file in place, start it): docs/backup.md.
//
// File format: "CHIMERA-REDIS-SNAPSHOT/1\n", then per key: 0x01 | key length u32 | key | PTTL i64 (-1: no expiry) |
// payload length u32 | DUMP payload; then 0x00 | key count u64.
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { BackupAdapterError, messageOf } from './backup-error.js';
import { ByteReader } from './byte-reader.js';
import { runTool } from './tools.js';

const MAGIC = Buffer.from('CHIMERA-REDIS-SNAPSHOT/1\n', 'latin1');
const BATCH = 500;

export interface RedisSnapshotOptions {
  url: string;
  /** Chimera's key prefix (REDIS_KEY_PREFIX). */
  keyPrefix: string;
  /** Called with the keys done so far. */
  onKeys?: (done: number) => void;
}

/** A SCAN MATCH pattern for keys that start with `prefix` (glob characters escaped). */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

function connect(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => (times > 3 ? null : 100 * times),
  });
  redis.on('error', () => undefined);
  return redis;
}

const redactRedis = (url: string) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable Redis URL>';
  }
};

async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const redis = connect(url);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new BackupAdapterError(
      'BACKUP_REDIS_FAILED',
      `Cannot connect to Redis at ${redactRedis(url)}: ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }
  try {
    return await fn(redis);
  } catch (err) {
    if (err instanceof BackupAdapterError) throw err;
    throw new BackupAdapterError('BACKUP_REDIS_FAILED', `Redis: ${messageOf(err)}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}

/** Every key under the prefix, in batches (SCAN: keys written meanwhile may or may not be seen). */
async function* keysUnder(redis: Redis, prefix: Buffer): AsyncGenerator<Buffer[]> {
  const pattern = prefixPattern(prefix.toString('utf8'));
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next.toString();
    const mine = keys.filter((k) => k.subarray(0, prefix.length).equals(prefix));
    if (mine.length) yield mine;
  } while (cursor !== '0');
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function createRedisSnapshots(options: RedisSnapshotOptions) {
  const prefix = Buffer.from(options.keyPrefix, 'utf8');

  async function* records(redis: Redis, counted: { keys: number }): AsyncGenerator<Buffer> {
    yield MAGIC;
    for await (const batch of keysUnder(redis, prefix)) {
      const pipe = redis.pipeline();
      for (const key of batch) {
        pipe.pttl(key);
        pipe.dumpBuffer(key);
      }
      const results = (await pipe.exec()) ?? [];
      for (let i = 0; i < batch.length; i++) {
        const [ttlErr, ttl] = results[2 * i] ?? [];
        const [dumpErr, payload] = results[2 * i + 1] ?? [];
        if (ttlErr || dumpErr) throw ttlErr ?? dumpErr;
        // Expired or deleted between SCAN and DUMP: not part of the snapshot.
        if (!(payload instanceof Buffer) || ttl === -2) continue;
        const key = (batch[i] as Buffer).subarray(prefix.length);
        const pttl = Buffer.alloc(8);
        pttl.writeBigInt64BE(BigInt(typeof ttl === 'number' ? ttl : -1));
        yield Buffer.concat([Buffer.from([1]), u32(key.length), key, pttl, u32(payload.length), payload]);
        counted.keys += 1;
      }
      options.onKeys?.(counted.keys);
    }
    const end = Buffer.alloc(9);
    end.writeBigUInt64BE(BigInt(counted.keys), 1);
    yield end;
  }

  return {
    keyPrefix: options.keyPrefix,

    /** Streams the snapshot of the prefix's keys into `sink`; returns how many keys it holds. */
    async snapshot(sink: (data: Readable) => Promise<void>): Promise<{ keys: number }> {
      return withRedis(options.url, async (redis) => {
        const counted = { keys: 0 };
        await sink(Readable.from(records(redis, counted), { objectMode: false }));
        return counted;
      });
    },

    /** Removes the prefix's keys, then restores the snapshot read from `source`. */
    async restore(source: Readable): Promise<{ restored: number; removed: number }> {
      return withRedis(options.url, async (redis) => {
        const removed = await removeAll(redis);
        const reader = new ByteReader(source);
        const bad = (what: string) => new BackupAdapterError('BACKUP_BAD_FORMAT', `The Redis snapshot is ${what}.`);
        try {
          const magic = await reader.read(MAGIC.length);
          if (!magic?.equals(MAGIC)) throw bad('not a Chimera Redis snapshot (bad header)');
          let restored = 0;
          let pipe = redis.pipeline();
          let queued = 0;
          const flush = async () => {
            if (queued === 0) return;
            for (const [err] of (await pipe.exec()) ?? []) {
              if (err) throw new BackupAdapterError('BACKUP_REDIS_FAILED', `RESTORE failed: ${err.message}`);
            }
            restored += queued;
            options.onKeys?.(restored);
            pipe = redis.pipeline();
            queued = 0;
          };
          for (;;) {
            const type = (await reader.need(1))[0];
            if (type === 0) {
              const count = Number((await reader.need(8)).readBigUInt64BE());
              await flush();
              if (count !== restored) throw bad(`inconsistent (${count} keys announced, ${restored} read)`);
              if (!(await reader.atEnd())) throw bad('followed by unexpected bytes');
              return { restored, removed };
            }
            if (type !== 1) throw bad('damaged (unknown record type)');
            const key = await reader.need((await reader.need(4)).readUInt32BE());
            const pttl = Number((await reader.need(8)).readBigInt64BE());
            const payload = await reader.need((await reader.need(4)).readUInt32BE());
            pipe.restore(Buffer.concat([prefix, key]), Math.max(pttl, 0), payload, 'REPLACE');
            queued += 1;
            if (queued >= BATCH) await flush();
          }
        } catch (err) {
          if (err instanceof BackupAdapterError) throw err;
          throw bad(`damaged: ${messageOf(err)}`);
        } finally {
          await reader.close();
        }
      });
    },

    /** How many keys are under the prefix now. */
    async count(): Promise<number> {
      return withRedis(options.url, async (redis) => {
        let n = 0;
        for await (const batch of keysUnder(redis, prefix)) n += batch.length;
        return n;
      });
    },

    /** Deletes every key under the prefix; returns how many. */
    async clear(): Promise<number> {
      return withRedis(options.url, removeAll);
    },
  };

  async function removeAll(redis: Redis): Promise<number> {
    let removed = 0;
    for await (const batch of keysUnder(redis, prefix)) removed += await redis.unlink(...batch);
    return removed;
  }
}

export type RedisSnapshots = ReturnType<typeof createRedisSnapshots>;

/**
 * Streams the whole server's RDB file (`redis-cli --rdb -`) into `sink`: the disaster-recovery copy of every
 * database on the server, not only Chimera's keys. The password goes in REDISCLI_AUTH, never on the command line.
 */
export async function redisRdb(url: string, sink: (data: Readable) => Promise<void>, redisCli = 'redis-cli') {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.password = '';
  await runTool({
    command: redisCli,
    args: ['-u', u.toString(), '--no-auth-warning', '--rdb', '-'],
    env: { REDISCLI_AUTH: password },
    secrets: password ? [password] : [],
    stdout: sink,
    what: 'redis-cli --rdb',
    hint: 'install redis-tools (Debian) or run without --rdb',
  });
}
