// The spec's rate limits on the real API over a real port: per identity kind, in flight, per operation group and
// burst; the headers on every response; 429 over HTTP and RATE_LIMITED over graphql-ws; and under a load far above
// the limits, exactly the limit is admitted and every header is exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityKindOf } from '../../src/domain/security/rate-limit.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { connectWs } from '../helpers/ws-client.js';

const GROUPS = {
  all: { perMinute: 1_000_000, burst: 1_000_000 },
  agents: { perMinute: 5, burst: 1_000 },
  content: { perMinute: 1_000_000, burst: 1_000_000 },
};

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await startTestApp({
    RATE_LIMIT_PER_MINUTE: '4',
    RATE_LIMIT_API_PER_MINUTE: '6',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3',
    CONCURRENT_REQUESTS_PER_USER: '2',
    RATE_LIMIT_GROUPS: JSON.stringify(GROUPS),
  });
  url = `${await t.app.listen()}/graphql`;
}, 120_000);
afterAll(() => t?.close());

async function post(query: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { errors?: { extensions?: Record<string, unknown> }[] };
  const h = (name: string) => res.headers.get(name);
  return {
    status: res.status,
    codes: (body.errors ?? []).map((e) => e.extensions?.code),
    limit: h('x-ratelimit-limit'),
    remaining: h('x-ratelimit-remaining'),
    reset: Number(h('x-ratelimit-reset')),
    retryAfter: h('retry-after'),
    xRetryAfter: h('x-ratelimit-retry-after'),
    extensions: body.errors?.[0]?.extensions,
  };
}

describe('per identity kind', () => {
  it('admits an authenticated user 4 a minute, whatever token it uses, with exact headers', async () => {
    const user = await t.signIn(['analyst']);
    const second = await t.app.services.auth.startSession(user.userId, { method: 'password', amr: ['pwd'] }, {});
    const tokens = [user.headers, { authorization: `Bearer ${second.accessToken}` }];
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await post('{ me { id } }', tokens[i % 2]));
    expect(results.map((r) => [r.status, r.remaining])).toEqual([
      [200, '3'],
      [200, '2'],
      [200, '1'],
      [200, '0'],
      [429, '0'],
      [429, '0'],
    ]);
    for (const r of results) {
      expect(r.limit).toBe('4');
      expect(r.reset * 1000).toBeGreaterThan(Date.now() + 50_000);
      expect(r.reset * 1000).toBeLessThanOrEqual(Date.now() + 61_000);
    }
    const refused = results[4];
    expect(refused?.codes).toEqual(['RATE_LIMITED']);
    expect(Number(refused?.retryAfter)).toBeGreaterThan(50);
    expect(refused?.xRetryAfter).toBe(refused?.retryAfter);
    expect(refused?.extensions).toMatchObject({ limit: 'authenticated requests per minute' });
    // Refused requests used nothing: the window holds the 4 admitted ones.
    expect(await t.app.redis.zcard(`rate_limit:user:${user.userId}:minute`)).toBe(4);
  });

  it('gives API keys 6 and anonymous callers 3, by address', async () => {
    const admin = await t.admin();
    const key = await t.ok<{ createApiKey: { secret: string } }>(
      'mutation { createApiKey(input: { name: "rl", roles: [API_USER] }) { secret } }',
      {},
      admin.headers,
    );
    const apiHeaders = { authorization: `Bearer ${key.createApiKey.secret}` };
    const api = [];
    for (let i = 0; i < 7; i++) api.push((await post('{ me { id } }', apiHeaders)).status);
    expect(api).toEqual([200, 200, 200, 200, 200, 200, 429]);
    const anonymous = [];
    for (let i = 0; i < 4; i++) anonymous.push(await post('{ __typename }'));
    expect(anonymous.map((r) => [r.status, r.limit, r.remaining])).toEqual([
      [200, '3', '2'],
      [200, '3', '1'],
      [200, '3', '0'],
      [429, '3', '0'],
    ]);
  });

  it('sorts principals into kinds', () => {
    expect(identityKindOf(null)).toBe('anonymous');
    const base = { kind: 'user', roles: ['analyst'] } as unknown as Parameters<typeof identityKindOf>[0];
    expect(identityKindOf(base)).toBe('authenticated');
    expect(identityKindOf({ ...base, kind: 'api_key' } as never)).toBe('api');
    expect(identityKindOf({ ...base, roles: ['api_user'] } as never)).toBe('api');
  });
});

describe('in flight', () => {
  it('refuses a third request while two are in flight, and frees the slot when one ends', async () => {
    const user = await t.signIn(['analyst']);
    const limiter = t.app.services.rateLimiter;
    const busy = [
      await limiter.acquire(`user:${user.userId}`, 'authenticated'),
      await limiter.acquire(`user:${user.userId}`, 'authenticated'),
    ];
    const refused = await post('{ me { id } }', user.headers);
    expect([refused.status, refused.codes, refused.extensions?.limit]).toEqual([
      429,
      ['RATE_LIMITED'],
      'concurrentRequests',
    ]);
    await busy[0]?.();
    expect((await post('{ me { id } }', user.headers)).status).toBe(200);
    // Finished requests give their slot back.
    expect(await t.app.redis.zcard(`rate_limit:user:${user.userId}:inflight`)).toBe(1);
    await busy[1]?.();
  });
});

describe('operation groups', () => {
  it('holds /api/v1/agents to 5 a minute for everyone together, without touching other operations', async () => {
    const a = await t.signIn(['super_admin'], { stepUp: true });
    const b = await t.signIn(['analyst']);
    const agents = (who: Identity) => post('{ agents(first: 1) { totalCount } }', who.headers);
    const statuses = [];
    for (const who of [a, a, b, a, b]) statuses.push((await agents(who)).codes);
    // The analyst is refused by the rules, but still used the group's budget: the limit comes first.
    expect(statuses).toEqual([[], [], ['FORBIDDEN'], [], ['FORBIDDEN']]);
    const sixth = await post('{ agents(first: 1) { totalCount } }', b.headers);
    expect(sixth.status).toBe(429);
    expect(sixth.extensions?.limit).toBe('agents requests per minute');
    const fresh = await t.signIn(['analyst']);
    expect((await post('{ trends(first: 1) { totalCount } }', fresh.headers)).status).toBe(200);
  });

  it('limits bursts per second', async () => {
    const burst = await startTestApp({
      RATE_LIMIT_GROUPS: JSON.stringify({ ...GROUPS, all: { perMinute: 1_000_000, burst: 3 } }),
    });
    try {
      const who = await burst.signIn(['analyst']);
      const results = await Promise.all(Array.from({ length: 5 }, () => burst.gql('{ me { id } }', {}, who.headers)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(3);
      expect(results.filter((r) => r.status === 429)).toHaveLength(2);
    } finally {
      await burst.close();
    }
  });
});

describe('over graphql-ws', () => {
  it('answers an operation over the limit with RATE_LIMITED', async () => {
    const user = await t.signIn(['analyst']);
    const ws = connectWs(url.replace('http', 'ws'), { authorization: user.headers.authorization });
    try {
      await ws.connected;
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await ws.subscribe('{ me { id } }').next(5_000));
      expect(results.map((r) => (r.errors ?? []).map((e) => e.extensions?.code))).toEqual([
        [],
        [],
        [],
        [],
        ['RATE_LIMITED'],
      ]);
    } finally {
      await ws.dispose();
    }
  });
});

describe('under load', () => {
  // 1,200 requests, 40 at a time over real connections, from two users: far above every limit.
  async function flood(env: Record<string, string>) {
    const loaded = await startTestApp({ CONCURRENT_REQUESTS_PER_USER: '1000', ...env });
    try {
      const base = `${await loaded.app.listen()}/graphql`;
      const users = [await loaded.signIn(['analyst']), await loaded.signIn(['analyst'])];
      const send = async (who: Identity) => {
        const res = await fetch(base, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...who.headers },
          body: JSON.stringify({ query: '{ me { id } }' }),
        });
        await res.arrayBuffer();
        return { status: res.status, remaining: Number(res.headers.get('x-ratelimit-remaining')), who };
      };
      const jobs = Array.from({ length: 1_200 }, (_, i) => users[i % 2] as Identity);
      const results: Awaited<ReturnType<typeof send>>[] = [];
      for (let i = 0; i < jobs.length; i += 40) results.push(...(await Promise.all(jobs.slice(i, i + 40).map(send))));
      return { users, results };
    } finally {
      await loaded.close();
    }
  }
  const admittedRemaining = (results: { status: number; remaining: number }[]) =>
    results
      .filter((r) => r.status === 200)
      .map((r) => r.remaining)
      .sort((a, b) => a - b);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('holds each user to its limit exactly, every admitted response reporting its own place', async () => {
    const { users, results } = await flood({ RATE_LIMIT_PER_MINUTE: '300' });
    for (const user of users) expect(admittedRemaining(results.filter((r) => r.who === user))).toEqual(range(300));
    expect(results.filter((r) => r.status === 429)).toHaveLength(600);
    expect(results.filter((r) => r.status === 429).every((r) => r.remaining === 0)).toBe(true);
  }, 120_000);

  it('holds everyone together to the global limit exactly', async () => {
    const { results } = await flood({
      RATE_LIMIT_GROUPS: JSON.stringify({ ...GROUPS, all: { perMinute: 450, burst: 1_000_000 } }),
    });
    expect(admittedRemaining(results)).toEqual(range(450));
    expect(results.filter((r) => r.status === 429)).toHaveLength(750);
  }, 120_000);
});

it('codes a refused request the same way over the in-process handler', async () => {
  const who = await t.signIn(['analyst']);
  for (let i = 0; i < 4; i++) await t.gql('{ me { id } }', {}, who.headers);
  expect(codes(await t.gql('{ me { id } }', {}, who.headers))).toEqual(['RATE_LIMITED']);
});
