// Trend: type, queries, and the subscription to newly detected trends.
import type { TrendMetadata } from '../../domain/trends/ingestion.js';
import { TREND_DETECTED_TOPIC } from '../../domain/trends/ingestion.js';
import { builder } from '../builder.js';
import { readOncePerEvent } from '../event-reads.js';
import { connectionOf, scoreOf } from './common.js';

const metaOf = (v: unknown): Partial<TrendMetadata> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Partial<TrendMetadata>) : {};
const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);

const TrendSighting = builder.objectRef<TrendMetadata['sources'][number]>('TrendSighting').implement({
  description: 'One source that reported the trend.',
  fields: (t) => ({
    source: t.exposeString('source', { description: 'The feed or platform (e.g. a news feed id).' }),
    title: t.exposeString('title'),
    url: t.string({ nullable: true, resolve: (s) => s.url }),
    publishedAt: t.field({ type: 'DateTime', resolve: (s) => new Date(s.publishedAt) }),
  }),
});

const TrendObservation = builder.objectRef<TrendMetadata['observations'][number]>('TrendObservation').implement({
  description: 'The trend seen again by an ingestion run, and the relevance it had then.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (o) => new Date(o.at) }),
    relevance: t.exposeFloat('relevance'),
    source: t.exposeString('source'),
  }),
});

export const Trend = builder.prismaNode('Trend', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'A topic detected in the agents’ sources, with how relevant it is and until when.',
  fields: (t) => ({
    topic: t.exposeString('topic'),
    relevanceScore: t.float({ nullable: true, resolve: (tr) => scoreOf(tr.relevanceScore) }),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    detectedAt: t.expose('detectedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    active: t.boolean({
      description: 'Marked active and not past expiresAt.',
      resolve: (tr) => tr.active !== false && (tr.expiresAt == null || tr.expiresAt > new Date()),
    }),
    keywords: t.stringList({ resolve: (tr) => list(metaOf(tr.metadata).keywords) }),
    sentiment: t.string({ nullable: true, resolve: (tr) => metaOf(tr.metadata).sentiment ?? null }),
    summary: t.string({ nullable: true, resolve: (tr) => metaOf(tr.metadata).summary || null }),
    sources: t.field({
      type: [TrendSighting],
      description: 'Every source that reported it (near-duplicates of one story are one trend).',
      resolve: (tr) => list(metaOf(tr.metadata).sources),
    }),
    history: t.field({
      type: [TrendObservation],
      description: 'Each time ingestion saw it, oldest first, with its relevance then (the last 50).',
      resolve: (tr) => list(metaOf(tr.metadata).observations),
    }),
  }),
});

builder.subscriptionField('trendDetected', (t) =>
  t.prismaField({
    type: 'Trend',
    description: 'Every new trend, as ingestion detects it (not a trend seen again).',
    subscribe: (_root, _args, ctx) => ctx.pubsub.subscribe(TREND_DETECTED_TOPIC),
    resolve: (query, payload: { id: string }, _args, ctx) =>
      readOncePerEvent(payload, query, () => ctx.db.trend.findUniqueOrThrow({ ...query, where: { id: payload.id } })),
  }),
);

const TrendConnection = connectionOf(Trend, 'Trend');

const TrendFilter = builder.inputType('TrendFilter', {
  fields: (t) => ({
    active: t.boolean({ description: 'true (default): active and unexpired; false: the others; null: all.' }),
    minRelevance: t.float({ description: 'Only trends with relevanceScore ≥ this (0..1).' }),
    topicContains: t.string({ description: 'Case-insensitive substring of the topic.' }),
    detectedAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    detectedBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

const TrendOrder = builder.enumType('TrendOrder', { values: ['RELEVANCE_DESC', 'DETECTED_AT_DESC'] as const });

builder.queryFields((t) => ({
  trends: t.prismaConnection(
    {
      type: 'Trend',
      cursor: 'id',
      description: 'Trends; by default only active ones, most relevant first.',
      args: {
        filter: t.arg({ type: TrendFilter }),
        orderBy: t.arg({ type: TrendOrder, defaultValue: 'RELEVANCE_DESC' }),
      },
      totalCount: (_root, { filter }, ctx) => ctx.services.trends.count(trendFilter(filter)),
      resolve: (query, _root, { filter, orderBy }, ctx) =>
        ctx.services.trends.list(trendFilter(filter), orderBy ?? undefined, query),
    },
    TrendConnection,
  ),
}));

function trendFilter(f: typeof TrendFilter.$inferInput | null | undefined) {
  return { ...f, active: f?.active === undefined ? true : f.active };
}
