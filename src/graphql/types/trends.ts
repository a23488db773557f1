// Trend: type and queries.
import { builder } from '../builder.js';
import { connectionOf, scoreOf } from './common.js';

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
  }),
});

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
