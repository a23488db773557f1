// The spec's "Rate Limiting Strategy": Redis sliding windows, atomic and shared by every API process.
//
//   per identity     authenticated users 100/min, API users (API keys, the api_user role) 1,000/min, anonymous
//                    callers 10/min by address — keyed by the principal's subject, so switching tokens never resets it
//   concurrency      requests in flight at once: 10 / 50 / 2
//   global groups    the spec's /api/v1/* (every operation) 1,000/min with a burst of 100 a second, /api/v1/agents
//                    (agent and persona operations) 100/min burst 20, /api/v1/content (content operations) 500/min
//                    burst 50 — for all callers together
//
// A window is a sorted set of the requests it admitted, scored by time (rate_limit:{subject}:{window} and
// rate_limit:global:{group}:{window}): exact, not an approximation. One Lua script checks every window a request
// falls under and admits it to all of them or to none, so a refused request uses no budget and two processes can
// never both take the last slot. Redis's own clock is used, so API hosts with skewed clocks agree.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Principal } from '../auth/principal.js';

export type IdentityKind = 'authenticated' | 'api' | 'anonymous';

export interface IdentityLimits {
  perMinute: number;
  concurrent: number;
}

export interface GroupLimit {
  perMinute: number;
  /** Requests in any one second. */
  burst: number;
}

export interface RateLimitSettings {
  identities: Readonly<Record<IdentityKind, IdentityLimits>>;
  groups: Readonly<Record<string, GroupLimit>>;
  /** An in-flight request not released after this long (its process died) stops counting. */
  staleRequestMs: number;
}

export const SPEC_RATE_LIMITS: RateLimitSettings = {
  identities: {
    authenticated: { perMinute: 100, concurrent: 10 },
    api: { perMinute: 1_000, concurrent: 50 },
    anonymous: { perMinute: 10, concurrent: 2 },
  },
  groups: {
    all: { perMinute: 1_000, burst: 100 },
    agents: { perMinute: 100, burst: 20 },
    content: { perMinute: 500, burst: 50 },
  },
  staleRequestMs: 30_000,
};

/** One window a request was checked against, after the check. */
export interface WindowState {
  name: string;
  limit: number;
  windowMs: number;
  /** Requests in the window, this one included when it was admitted. */
  used: number;
  remaining: number;
  /** When the oldest request in the window leaves it (Unix ms); now + window when it is empty. */
  resetAt: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Every window, in the order checked. */
  windows: WindowState[];
  /** The window the headers report: the one that refused, else the one with the least room. */
  binding: WindowState;
  /** When a refused request may try again (seconds, at least 1). */
  retryAfterSeconds: number;
}

export function identityKindOf(principal: Principal | null): IdentityKind {
  if (!principal) return 'anonymous';
  return principal.kind === 'api_key' || principal.roles.includes('api_user') ? 'api' : 'authenticated';
}

// KEYS: one sorted set per window. ARGV: member, then (limit, windowMs) per window. Returns the time, whether
// admitted, and per window (used, oldest score).
const SLIDING_WINDOWS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local used = {}
local oldest = {}
local allowed = 1
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  used[i] = redis.call('ZCARD', KEYS[i])
  if used[i] >= limit then allowed = 0 end
end
if allowed == 1 then
  for i = 1, n do
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 * i + 1]))
    used[i] = used[i] + 1
  end
end
local out = { now, allowed }
for i = 1, n do
  local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  out[#out + 1] = used[i]
  out[#out + 1] = first[2] or now
end
return out
`;

// KEYS[1]: the in-flight set. ARGV: member, limit, staleMs. Returns 1 when admitted.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;

export interface WindowSpec {
  name: string;
  key: string;
  limit: number;
  windowMs: number;
}

export function createRateLimiter({ redis, settings }: { redis: Redis; settings: RateLimitSettings }) {
  /** Checks a request against windows and admits it to all of them, or to none. */
  async function check(windows: readonly WindowSpec[]): Promise<RateLimitDecision> {
    const args = [randomUUID(), ...windows.flatMap((w) => [w.limit, w.windowMs])];
    const raw = (await redis.eval(SLIDING_WINDOWS, windows.length, ...windows.map((w) => w.key), ...args)) as number[];
    const now = Number(raw[0]);
    const allowed = raw[1] === 1;
    const states = windows.map((w, i): WindowState => {
      const used = Number(raw[2 + 2 * i]);
      const oldest = Number(raw[3 + 2 * i]);
      return {
        name: w.name,
        limit: w.limit,
        windowMs: w.windowMs,
        used,
        remaining: Math.max(0, w.limit - used),
        resetAt: oldest + w.windowMs,
      };
    });
    const refused = states.filter((s) => s.used >= s.limit);
    const binding = allowed
      ? states.reduce((a, b) => (b.remaining < a.remaining ? b : a))
      : refused.reduce((a, b) => (b.resetAt > a.resetAt ? b : a));
    return {
      allowed,
      windows: states,
      binding,
      retryAfterSeconds: Math.max(1, Math.ceil((binding.resetAt - now) / 1000)),
    };
  }

  return {
    settings,
    check,

    /**
     * A request of `subject` (of kind `kind`) in operation groups `groups` ('all' is implied): its identity's window
     * and every group's minute and burst windows.
     */
    hit(subject: string, kind: IdentityKind, groups: readonly string[] = []): Promise<RateLimitDecision> {
      const windows: WindowSpec[] = [
        {
          name: `${kind} requests per minute`,
          key: `rate_limit:${subject}:minute`,
          limit: settings.identities[kind].perMinute,
          windowMs: 60_000,
        },
      ];
      for (const group of new Set(['all', ...groups])) {
        const limit = settings.groups[group];
        if (!limit) continue;
        windows.push(
          {
            name: `${group} requests per minute`,
            key: `rate_limit:global:${group}:minute`,
            limit: limit.perMinute,
            windowMs: 60_000,
          },
          {
            name: `${group} burst per second`,
            key: `rate_limit:global:${group}:second`,
            limit: limit.burst,
            windowMs: 1_000,
          },
        );
      }
      return check(windows);
    },

    /** Takes one of the subject's in-flight slots; returns the release, or null when all are taken. */
    async acquire(subject: string, kind: IdentityKind): Promise<(() => Promise<void>) | null> {
      const key = `rate_limit:${subject}:inflight`;
      const member = randomUUID();
      const limit = settings.identities[kind].concurrent;
      const ok = await redis.eval(ACQUIRE, 1, key, member, limit, settings.staleRequestMs);
      if (ok !== 1) return null;
      return async () => {
        await redis.zrem(key, member);
      };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
