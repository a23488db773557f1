// The public read API: anyone may call it, and it shows only what is public — published, safe, unflagged posts of
// active agents, and active trends — with bad input refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent } from '../helpers/fixtures.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const POSTS =
  'query ($a: String, $n: Int) { publicPosts(agentName: $a, limit: $n) { id text agentName personaName likes links } }';

describe('publicPosts', () => {
  it('shows published, safe, unflagged posts of active agents to anyone, newest first', async () => {
    const live = await makeAgent(t.app.db, 'public-live');
    const gone = await makeAgent(t.app.db, 'public-gone');
    await t.app.db.agent.update({ where: { id: gone.id }, data: { active: false } });
    const at = (m: number) => new Date(Date.now() - m * 60_000);
    const post = (agentId: string, text: string, over: Record<string, unknown> = {}) =>
      t.app.db.content.create({
        data: { agentId, contentType: 'text', contentData: text, status: 'published', publishedAt: at(5), ...over },
      });
    const older = await post(live.id, 'older', { publishedAt: at(10), engagementMetrics: { likes: 3 } });
    const newer = await post(live.id, 'newer', { publishedAt: at(1) });
    await post(live.id, 'a draft', { status: 'draft', publishedAt: null });
    await post(live.id, 'sensitive', { metadata: { sensitivity: 'sensitive' } });
    await post(live.id, 'flagged', {
      metadata: { flag: { status: 'open', raisedAt: at(1).toISOString(), reasons: [] } },
    });
    await post(live.id, 'kept', { metadata: { flag: { status: 'kept', raisedAt: at(1).toISOString(), reasons: [] } } });
    await post(gone.id, 'of a deactivated agent');
    await t.app.db.publication.create({
      data: {
        contentId: older.id,
        platform: 'social',
        account: 'x',
        status: 'posted',
        url: 'https://s/1',
        platformPostId: 'p1',
      },
    });
    const res = await t.gql<{ publicPosts: { id: string; text: string; likes: number; links: string[] }[] }>(
      POSTS,
      {},
      {},
    );
    expect(codes(res)).toEqual([]);
    const posts = res.data?.publicPosts ?? [];
    expect(posts.map((p) => p.text)).toEqual(['newer', 'kept', 'older']);
    expect(posts[0]?.id).toBe(gid('Content', newer.id));
    expect(posts.find((p) => p.text === 'older')).toMatchObject({ likes: 3, links: ['https://s/1'] });
    const only = await t.gql<{ publicPosts: unknown[] }>(POSTS, { a: 'public-gone' }, {});
    expect(only.data?.publicPosts).toEqual([]);
  });

  it('refuses a bad limit', async () => {
    for (const n of [0, 51]) expect(codes(await t.gql(POSTS, { n }, {}))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('publicTrends', () => {
  it('shows active trends to anyone, most relevant first', async () => {
    await t.app.db.trend.createMany({
      data: [
        { topic: 'low', relevanceScore: 0.2, active: true },
        { topic: 'high', relevanceScore: 0.9, active: true, metadata: { keywords: ['k'] } },
        { topic: 'expired', relevanceScore: 1, active: true, expiresAt: new Date(Date.now() - 1000) },
      ],
    });
    const res = await t.gql<{ publicTrends: { topic: string; keywords: string[] }[] }>(
      '{ publicTrends(limit: 5) { topic keywords } }',
      {},
      {},
    );
    expect(res.data?.publicTrends.map((x) => x.topic)).toEqual(['high', 'low']);
    expect(res.data?.publicTrends[0]?.keywords).toEqual(['k']);
  });
});
