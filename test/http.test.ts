// The HTTP surface on a real port: liveness, readiness (and its failure), GraphiQL, GET queries, request ids,
// and malformed requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

describe('a running API', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp();
    base = await t.app.listen();
  });
  afterAll(() => t?.close());

  it('answers /health and reports PostgreSQL and Redis on /ready', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ postgres: 'ok', redis: 'ok', ready: true });
  });

  it('serves GraphiQL to browsers outside production', async () => {
    const res = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<title>Chimera</title>');
    // Works offline: no script or stylesheet is fetched from elsewhere.
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="?https?:/);
  });

  it('runs queries over POST and GET, echoing or assigning a request id', async () => {
    const { headers } = await t.admin();
    const post = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'x-request-id': 'req-123' },
      body: JSON.stringify({ query: '{ agents { totalCount } }' }),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('x-request-id')).toBe('req-123');
    expect(await post.json()).toEqual({ data: { agents: { totalCount: 0 } } });

    const get = await fetch(`${base}/graphql?query=${encodeURIComponent('{ personas { totalCount } }')}`, {
      headers: { ...headers, accept: 'application/json' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await get.json()).toEqual({ data: { personas: { totalCount: 0 } } });
  });

  it('refuses mutations over GET and malformed bodies with 4xx, never 500', async () => {
    const mutationGet = await fetch(
      `${base}/graphql?query=${encodeURIComponent('mutation { createPersona(input: { name: "x" }) { id } }')}`,
      { headers: { accept: 'application/json' } },
    );
    expect(mutationGet.status).toBe(405);
    expect(await t.app.db.persona.count()).toBe(0);

    const badJson = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(badJson.status).toBe(400);
    // GraphQL-over-HTTP: clients that accept application/graphql-response+json get real status codes.
    const noQuery = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: '{}',
    });
    expect(noQuery.status).toBe(400);
    expect(((await noQuery.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      'BAD_REQUEST',
    );
  });
});

describe('readiness when a dependency is down', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Nothing listens on port 1: Redis is unreachable.
    t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', READY_TIMEOUT_MS: '300' });
  });
  afterAll(() => t?.close());

  it('answers /ready with 503 naming the dependency, while /health stays up', async () => {
    const ready = await t.app.yoga.fetch('http://chimera.test/ready');
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { postgres: string; redis: string; ready: boolean };
    expect(body.postgres).toBe('ok');
    expect(body.redis).toMatch(/^unavailable/);
    expect(body.ready).toBe(false);
    expect((await t.app.yoga.fetch('http://chimera.test/health')).status).toBe(200);
  });
});

describe('in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CHIMERA_ENV: 'production', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
  });
  afterAll(() => t?.close());

  it('does not serve GraphiQL', async () => {
    const res = await t.app.yoga.fetch('http://chimera.test/graphql', { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
  });
});
