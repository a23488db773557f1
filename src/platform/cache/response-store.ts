// The response cache's storage in Redis, shared by every API process. An entry is a serialized result with a TTL and
// the tags it depends on (entities, lists, the caller's scope); each tag is a set of the entries that carry it.
// Invalidating a tag deletes those entries, and bumps a generation counter: a result computed before an invalidation
// and stored after it (a read that raced a write) is refused, so the cache never keeps what a write has replaced.
import type { Redis } from 'ioredis';

const ENTRY = 'rc:entry:';
const TAG = 'rc:tag:';
const GENERATION = 'rc:generation';

// KEYS[1] entry, KEYS[2] generation, KEYS[3..] tag sets. ARGV: generation seen, body, ttl seconds.
const STORE = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('TTL', KEYS[i]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[3])) end
end
return 1
`;

// KEYS[1] generation, KEYS[2..] tag sets. Returns how many entries were dropped.
const INVALIDATE = `
redis.call('INCR', KEYS[1])
local dropped = 0
for i = 2, #KEYS do
  local entries = redis.call('SMEMBERS', KEYS[i])
  for _, e in ipairs(entries) do dropped = dropped + redis.call('DEL', e) end
  redis.call('DEL', KEYS[i])
end
return dropped
`;

export interface CachedResponse {
  body: string;
  ttlSeconds: number;
  tags: string[];
  publicScope: boolean;
}

export function createResponseStore(redis: Redis) {
  return {
    /** The current generation: pass it to `set`, read before computing the result. */
    async generation(): Promise<string> {
      return (await redis.get(GENERATION)) ?? '0';
    },
    async get(key: string): Promise<CachedResponse | null> {
      const raw = await redis.get(ENTRY + key);
      if (!raw) return null;
      try {
        return JSON.parse(raw) as CachedResponse;
      } catch {
        return null;
      }
    },
    /** Stores unless something was invalidated since `generation`; returns whether it stored. */
    async set(key: string, entry: CachedResponse, generation: string): Promise<boolean> {
      const keys = [ENTRY + key, GENERATION, ...entry.tags.map((t) => TAG + t)];
      const stored = await redis.eval(STORE, keys.length, ...keys, generation, JSON.stringify(entry), entry.ttlSeconds);
      return stored === 1;
    },
    /** Drops every entry carrying one of the tags; returns how many. */
    async invalidate(tags: readonly string[]): Promise<number> {
      if (tags.length === 0) return 0;
      const keys = [GENERATION, ...tags.map((t) => TAG + t)];
      return Number(await redis.eval(INVALIDATE, keys.length, ...keys));
    },
    /** Drops everything (after the change feed was down: what changed meanwhile is unknown). */
    async clear(): Promise<void> {
      await redis.incr(GENERATION);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redis.options.keyPrefix ?? ''}rc:*`, 'COUNT', 500);
        cursor = next;
        const own = keys.map((k) => k.slice((redis.options.keyPrefix ?? '').length)).filter((k) => k !== GENERATION);
        if (own.length) await redis.del(...own);
      } while (cursor !== '0');
    },
  };
}

export type ResponseStore = ReturnType<typeof createResponseStore>;
