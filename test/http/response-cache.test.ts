// The response cache on the real server over a real port, with the change feed: public results shared and
// edge-tagged, private results per caller, ETag and 304, and every kind of write — a mutation, a worker's or anyone's
// write straight to the database, a new row, a changed user — dropping exactly what it changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tagsOfChanges } from '../../src/domain/cache/invalidation.js';
import { createResponseStore } from '../../src/platform/cache/response-store.js';
import { type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent } from '../helpers/fixtures.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let base: string;
let agent: { id: string; name: string };
let postId: string;
let operator: Identity;

beforeAll(async () => {
  t = await startTestApp({ RESPONSE_CACHE: 'true' });
  base = `${await t.app.listen()}/graphql`;
  await t.app.changeFeed?.listening;
  agent = await makeAgent(t.app.db, 'cached-agent');
  postId = (
    await t.app.db.content.create({
      data: {
        agentId: agent.id,
        contentType: 'text',
        contentData: 'First post',
        status: 'published',
        publishedAt: new Date(),
      },
    })
  ).id;
  operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agent.id] } });
}, 120_000);
afterAll(() => t?.close());

async function get(query: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>) {
  const url = new URL(base);
  url.searchParams.set('query', query);
  if (variables) url.searchParams.set('variables', JSON.stringify(variables));
  const res = await fetch(url, { headers: { accept: 'application/json', ...headers } });
  const text = await res.text();
  const h = (n: string) => res.headers.get(n);
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] }) : null,
    cache: h('x-chimera-cache'),
    cacheControl: h('cache-control'),
    etag: h('etag'),
    xkey: h('xkey'),
    surrogateKey: h('surrogate-key'),
    cacheTag: h('cache-tag'),
  };
}

const POSTS = '{ publicPosts(limit: 10) { id text agentName } }';
const texts = (r: Awaited<ReturnType<typeof get>>) =>
  ((r.body?.data?.publicPosts ?? []) as { text: string }[]).map((p) => p.text);

describe('public results', () => {
  it('are cached for everyone, tagged for the edge, and answer 304 to a matching If-None-Match', async () => {
    const first = await get(POSTS);
    expect(first.cache).toBe('MISS');
    const second = await get(POSTS);
    expect(second.cache).toBe('HIT');
    expect(second.body).toEqual(first.body);
    expect(second.cacheControl).toBe('public, max-age=0, s-maxage=21600, stale-while-revalidate=2160');
    const keys = (second.xkey ?? '').split(' ');
    expect(keys).toEqual(expect.arrayContaining(['chimera', 'list:Content', `Content:${postId}`]));
    expect(second.surrogateKey).toBe(second.xkey);
    expect(second.cacheTag).toBe(keys.join(','));
    expect(second.etag).toBe(first.etag);
    const notModified = await get(POSTS, { 'if-none-match': first.etag ?? '' });
    expect([notModified.status, notModified.body, notModified.etag]).toEqual([304, null, first.etag]);
    expect((await get(POSTS, { 'if-none-match': 'W/"other"' })).status).toBe(200);
  });

  it('drop a new row into their list as soon as it is committed, by whoever', async () => {
    expect(texts(await get(POSTS))).not.toContain('Second post');
    await t.app.db.content.create({
      data: {
        agentId: agent.id,
        contentType: 'text',
        contentData: 'Second post',
        status: 'published',
        publishedAt: new Date(),
      },
    });
    await eventually(async () => texts(await get(POSTS)).includes('Second post') || undefined, 5_000, 'the new post');
  });

  it('are refreshed when a worker (any writer outside GraphQL) changes a row they show', async () => {
    await get(POSTS);
    expect((await get(POSTS)).cache).toBe('HIT');
    await t.app.db.content.update({ where: { id: postId }, data: { contentData: 'First post, edited' } });
    const fresh = await eventually(
      async () => {
        const r = await get(POSTS);
        return texts(r).includes('First post, edited') ? r : undefined;
      },
      5_000,
      'the edited post',
    );
    expect(fresh.cache).toBe('MISS');
  });
});

describe('private results', () => {
  const AGENTS = '{ agents(first: 5) { edges { node { id name } } } }';
  it('are cached for their caller only, and never marked for an edge', async () => {
    const first = await get(AGENTS, operator.headers);
    const again = await get(AGENTS, operator.headers);
    expect([first.cache, again.cache]).toEqual(['MISS', 'HIT']);
    expect(again.cacheControl).toBe('private, no-store');
    expect([again.xkey, again.surrogateKey, again.cacheTag]).toEqual([null, null, null]);
    const other = await t.signIn(['agent_operator'], { attributes: { agentIds: [] } });
    const theirs = await get(AGENTS, other.headers);
    expect(theirs.cache).toBe('MISS');
    expect(theirs.body).not.toEqual(first.body);
  });

  it('reflect the caller’s own mutation in the very next read', async () => {
    await get(AGENTS, operator.headers);
    const res = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...operator.headers },
      body: JSON.stringify({
        query: 'mutation ($id: ID!) { updateAgent(id: $id, input: { name: "renamed-agent" }) { id name } }',
        variables: { id: gid('Agent', agent.id) },
      }),
    });
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    const next = await get(AGENTS, operator.headers);
    expect(next.cache).toBe('MISS');
    expect(JSON.stringify(next.body)).toContain('renamed-agent');
  });

  it('are dropped when the caller’s user changes (its permissions may have)', async () => {
    await get(AGENTS, operator.headers);
    expect((await get(AGENTS, operator.headers)).cache).toBe('HIT');
    await t.app.db.user.update({ where: { id: operator.userId }, data: { displayName: 'Changed' } });
    await eventually(async () => (await get(AGENTS, operator.headers)).cache === 'MISS' || undefined, 5_000, 'a miss');
  });

  it('are never cached for live or per-user fields, errors or mutations', async () => {
    for (const q of ['{ me { id } }', `{ agent(id: "${gid('Agent', agent.id)}") { state { status } } }`]) {
      await get(q, operator.headers);
      const r = await get(q, operator.headers);
      expect([r.cache, r.cacheControl]).toEqual(['BYPASS', 'private, no-store']);
    }
    const forbidden = await get('{ users(first: 1) { edges { node { id } } } }', operator.headers);
    expect(forbidden.body?.errors).toBeDefined();
    expect((await get('{ users(first: 1) { edges { node { id } } } }', operator.headers)).cache).not.toBe('HIT');
  });
});

describe('the store and the tags', () => {
  it('refuses a result computed before an invalidation (a read that raced a write)', async () => {
    const store = createResponseStore(t.app.redis);
    const generation = await store.generation();
    await store.invalidate(['Task:00000000-0000-4000-8000-000000000001']);
    const entry = { body: '{}', ttlSeconds: 60, tags: ['x'], publicScope: true };
    expect(await store.set('race', entry, generation)).toBe(false);
    expect(await store.set('race', entry, await store.generation())).toBe(true);
    expect(await store.invalidate(['x'])).toBe(1);
    expect(await store.get('race')).toBeNull();
  });

  it('maps a changed row to its entity, its lists, its parent and, for users and keys, their scope', () => {
    const id = '11111111-1111-4111-8111-111111111111';
    const parent = '22222222-2222-4222-8222-222222222222';
    expect(tagsOfChanges([{ table: 'interactions', op: 'INSERT', id, parent }]).sort()).toEqual(
      [`Interaction:${id}`, 'list:Interaction', `Content:${parent}`].sort(),
    );
    expect(tagsOfChanges([{ table: 'users', op: 'UPDATE', id, parent: null }]).sort()).toEqual(
      [`User:${id}`, 'list:User', `scope:user:${id}`].sort(),
    );
    expect(tagsOfChanges([{ table: 'outbox', op: 'INSERT', id, parent: null }])).toEqual([]);
  });
});
