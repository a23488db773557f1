// The Trend Data pipeline on the real Redis, PostgreSQL, offline embeddings and LanceDB, fed by a source that
// answers like the news MCP server: normalized, cached, deduplicated (exact and near-duplicate), scored, stored,
// indexed, announced, and expired.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expireTrends,
  type IngestionDeps,
  ingestTrends,
  relevanceOf,
  type TrendMetadata,
} from '../../src/domain/trends/ingestion.js';
import { extractEntities, extractKeywords, sentimentOf } from '../../src/domain/trends/text-signals.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid } from '../helpers/fixtures.js';

let t: TestApp;
const resources = new Map<string, string>();
const announced: string[] = [];
let deps: IngestionDeps;
const NOW = new Date();
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

beforeAll(async () => {
  t = await startTestApp();
  deps = {
    db: t.app.db,
    redis: t.app.redis,
    memory: t.app.services.memory,
    embedder: t.app.services.embedder,
    ttlHours: 24,
    now: () => NOW,
    publish: (_topic, { id }) => announced.push(id),
    mcp: {
      async readResource(uri) {
        const text = resources.get(uri);
        if (text === undefined) throw new Error(`no resource ${uri}`);
        return { server: 'news', text };
      },
    },
  };
}, 120_000);
afterAll(() => t?.close());

const item = (title: string, over: Record<string, unknown> = {}) => ({
  id: title,
  title,
  summary: `${title}. More details inside.`,
  url: `https://news.example/${encodeURIComponent(title)}`,
  publishedAt: hoursAgo(1),
  source: { feedId: 'creator-daily', title: 'Creator Daily', url: null },
  categories: ['tech'],
  ...over,
});
const serve = (uri: string, items: unknown[]) => resources.set(uri, JSON.stringify({ items }));

const ATLAS = 'Atlas-7B open-weight language model released under the Apache license';
const ATLAS_AGAIN = 'Open-weight language model Atlas-7B is released under an Apache license';
const BATTERIES = 'City council approves rebates for home battery storage';

describe('trend ingestion', () => {
  it('stores new trends with keywords, sentiment, sources and a lifetime, indexes and announces them', async () => {
    serve('mcp://news/latest', [item(ATLAS), item(BATTERIES, { publishedAt: hoursAgo(20) })]);
    const [report] = await ingestTrends(deps, ['mcp://news/latest']);
    expect(report).toMatchObject({ items: 2, cached: 0, stale: 0, invalid: 0, corroborated: [] });
    expect(report?.created).toHaveLength(2);
    expect(announced).toEqual(report?.created);

    const atlas = await t.app.db.trend.findFirstOrThrow({ where: { topic: ATLAS } });
    const meta = atlas.metadata as unknown as TrendMetadata;
    expect(meta.keywords).toEqual(expect.arrayContaining(['tech', 'atlas-7b', 'open-weight']));
    expect(meta.sources).toEqual([
      expect.objectContaining({ source: 'creator-daily', title: ATLAS, publishedAt: hoursAgo(1) }),
    ]);
    expect(meta.observations).toHaveLength(1);
    expect(atlas.active).toBe(true);
    expect(atlas.expiresAt?.getTime()).toBe(NOW.getTime() + 24 * 3_600_000);
    // The fresher story is the more relevant one (recency), both within 0..1.
    const batteries = await t.app.db.trend.findFirstOrThrow({ where: { topic: BATTERIES } });
    expect(atlas.relevanceScore?.toNumber()).toBeGreaterThan(batteries.relevanceScore?.toNumber() ?? 1);
    const related = await t.app.services.memory.relatedTrends('a new open model you can download', {}, 1);
    expect(related[0]?.record.trendId).toBe(atlas.id);
  });

  it('skips what it stored within the hour (the Redis cache) without any work', async () => {
    const before = await t.app.db.trend.count();
    const [report] = await ingestTrends(deps, ['mcp://news/latest']);
    expect(report).toMatchObject({ items: 2, cached: 2, created: [], corroborated: [] });
    expect(await t.app.db.trend.count()).toBe(before);
    expect(await t.app.redis.ttl(`cache:trends:${(await trendMeta(ATLAS)).topicHash}`)).toBeGreaterThan(3_500);
  });

  it('corroborates a trend told again by another source instead of doubling it', async () => {
    serve('mcp://news/other', [
      item(ATLAS_AGAIN, { source: { feedId: 'open-source-weekly', title: 'OSW' }, publishedAt: hoursAgo(0.5) }),
    ]);
    const before = (await t.app.db.trend.findFirstOrThrow({ where: { topic: ATLAS } })).relevanceScore?.toNumber();
    const [report] = await ingestTrends(deps, ['mcp://news/other']);
    expect(report?.created).toEqual([]);
    expect(report?.corroborated).toHaveLength(1);
    const meta = await trendMeta(ATLAS);
    expect(meta.sources.map((s) => s.source)).toEqual(['creator-daily', 'open-source-weekly']);
    expect(meta.observations).toHaveLength(2);
    const after = (await t.app.db.trend.findFirstOrThrow({ where: { topic: ATLAS } })).relevanceScore?.toNumber();
    expect(after).toBeGreaterThan(before ?? 1);
    expect(await t.app.db.trend.count({ where: { topic: ATLAS_AGAIN } })).toBe(0);

    // Through GraphQL: the sources and the history.
    const data = await t.ok<{ node: { sources: { source: string }[]; history: { relevance: number }[] } }>(
      'query ($id: ID!) { node(id: $id) { ... on Trend { sources { source } history { relevance } keywords } } }',
      { id: gid('Trend', report?.corroborated[0] as string) },
    );
    expect(data.node.sources).toHaveLength(2);
    expect(data.node.history.map((h) => h.relevance)).toHaveLength(2);
  });

  it('keeps two stories on one subject apart when they name nothing in common', async () => {
    serve('mcp://news/energy', [
      item('Town approves subsidies for rooftop solar panels', { source: { feedId: 'energy-desk', title: 'E' } }),
    ]);
    const [report] = await ingestTrends(deps, ['mcp://news/energy']);
    expect(report?.created).toHaveLength(1);
    expect((await trendMeta(BATTERIES)).sources).toHaveLength(1);
  });

  it('normalizes dates and drops what cannot be a trend', async () => {
    serve('mcp://news/odd', [
      item('A story from the future', { publishedAt: new Date(NOW.getTime() + 86_400_000).toISOString() }),
      item('A story without a date', { publishedAt: null }),
      item('A story from last week', { publishedAt: hoursAgo(24 * 7) }),
      { summary: 'no title' },
      item('   '),
      'not an object',
    ]);
    const [report] = await ingestTrends(deps, ['mcp://news/odd']);
    expect(report).toMatchObject({ items: 6, stale: 1, invalid: 3 });
    expect(report?.created).toHaveLength(2);
    for (const topic of ['A story from the future', 'A story without a date']) {
      expect((await trendMeta(topic)).latestAt).toBe(NOW.toISOString());
    }
  });

  it('fails a source that answers something else than a list of items, with its URI in the message', async () => {
    resources.set('mcp://news/html', '<html>');
    await expect(ingestTrends(deps, ['mcp://news/html'])).rejects.toThrow('mcp://news/html did not return JSON');
    resources.set('mcp://news/empty', '{"feeds": []}');
    await expect(ingestTrends(deps, ['mcp://news/empty'])).rejects.toThrow(/without an "items" list/);
    await expect(ingestTrends(deps, ['mcp://nowhere/latest'])).rejects.toThrow('no resource mcp://nowhere/latest');
  });

  it('expires trends past their lifetime', async () => {
    const old = await t.app.db.trend.create({
      data: { topic: 'Yesterday’s news', active: true, expiresAt: new Date(Date.now() - 1_000) },
    });
    expect(await expireTrends(t.app.db)).toBeGreaterThanOrEqual(1);
    expect((await t.app.db.trend.findUniqueOrThrow({ where: { id: old.id } })).active).toBe(false);
    expect(await t.app.db.trend.count({ where: { topic: ATLAS, active: true } })).toBe(1);
  });
});

describe('trend scoring', () => {
  it('weights recency (half-life 12 h), corroboration (full at 3 sources) and persona affinity', () => {
    expect(relevanceOf({ ageHours: 0, sources: 1, affinity: 0 })).toBe(0.5);
    expect(relevanceOf({ ageHours: 12, sources: 1, affinity: 0 })).toBe(0.25);
    expect(relevanceOf({ ageHours: 0, sources: 3, affinity: 1 })).toBe(1);
    expect(relevanceOf({ ageHours: 0, sources: 2, affinity: 0.5 })).toBe(0.75);
    expect(relevanceOf({ ageHours: -5, sources: 9, affinity: 7 })).toBe(1);
  });

  it('extracts keywords and a coarse sentiment', () => {
    expect(
      extractKeywords({
        title: 'Solar panels: solar prices fall',
        summary: 'Panels are cheaper',
        categories: ['Energy'],
      }),
    ).toEqual(['energy', 'solar', 'panels', 'fall', 'prices', 'cheaper']);
    expect(extractEntities('Northwind Labs ships Lumen 2, a 14B model. Lumen beats GPT-5 on SunCast tests')).toEqual([
      'labs',
      'lumen',
      '14b',
      'gpt-5',
      'suncast',
    ]);
    expect(extractEntities('City council approves rebates for home battery storage')).toEqual([]);
    expect(sentimentOf('Startup raises funding and celebrates a record launch')).toBe('positive');
    expect(sentimentOf('Outage and data breach hit the service')).toBe('negative');
    expect(sentimentOf('The committee meets on Tuesday')).toBe('neutral');
  });
});

async function trendMeta(topic: string): Promise<TrendMetadata> {
  return (await t.app.db.trend.findFirstOrThrow({ where: { topic } })).metadata as unknown as TrendMetadata;
}
