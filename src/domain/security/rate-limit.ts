// Per-subject request limits (spec: per-user limits; forbidden: bypassing rate limits by switching tokens). The key
// is the principal's subject — the user, not the token — so every session and token of one user shares one budget.
// A fixed one-minute window in Redis; the edge-caching issue refines this into the spec's sliding windows.
import type { Redis } from 'ioredis';

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export function createRateLimiter({
  redis,
  perMinute,
  now = () => Date.now(),
}: {
  redis: Redis;
  perMinute: number;
  now?: () => number;
}) {
  return {
    async hit(subject: string): Promise<RateLimitResult> {
      const windowStart = Math.floor(now() / 60_000);
      const key = `rate_limit:${subject}:${windowStart}`;
      const [[, count]] = (await redis.multi().incr(key).expire(key, 120).exec()) as [[null, number], [null, number]];
      const resetSeconds = 60 - Math.floor((now() % 60_000) / 1000);
      return { allowed: count <= perMinute, limit: perMinute, remaining: Math.max(0, perMinute - count), resetSeconds };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
