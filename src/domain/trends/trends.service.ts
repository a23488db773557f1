// Trends: what the agents may talk about. Read side for now (ingestion arrives with the MCP pipeline).
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { containsInsensitive, timeRange } from '../shared/filters.js';
import { parseInput, score } from '../shared/validation.js';

export interface TrendFilter {
  /** true: active and not past expires_at; false: the rest. Absent: all. */
  active?: boolean | null;
  minRelevance?: number | null;
  topicContains?: string | null;
  detectedAfter?: Date | null;
  detectedBefore?: Date | null;
}

export type TrendOrder = 'RELEVANCE_DESC' | 'DETECTED_AT_DESC';

type Page = Pick<Prisma.TrendFindManyArgs, 'take' | 'skip' | 'cursor' | 'select'>;

export function trendWhere(f: TrendFilter = {}, now = new Date()): Prisma.TrendWhereInput {
  const live: Prisma.TrendWhereInput = {
    OR: [{ active: true }, { active: null }],
    AND: [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }],
  };
  const minRelevance =
    f.minRelevance == null ? undefined : parseInput(score, f.minRelevance, ['filter', 'minRelevance']);
  return {
    ...(f.active == null ? {} : f.active ? live : { NOT: live }),
    relevanceScore: minRelevance == null ? undefined : { gte: minRelevance },
    topic: containsInsensitive(f.topicContains),
    detectedAt: timeRange(f.detectedAfter, f.detectedBefore),
  };
}

export function trendOrderBy(order: TrendOrder = 'RELEVANCE_DESC'): Prisma.TrendOrderByWithRelationInput[] {
  return order === 'RELEVANCE_DESC'
    ? [{ relevanceScore: { sort: 'desc', nulls: 'last' } }, { id: 'desc' }]
    : [{ detectedAt: 'desc' }, { id: 'desc' }];
}

export function createTrendService({ db }: { db: Database }) {
  return {
    list: (filter: TrendFilter | undefined, order: TrendOrder | undefined, page: Page) =>
      db.trend.findMany({ ...page, where: trendWhere(filter), orderBy: trendOrderBy(order) }),
    count: (filter?: TrendFilter) => db.trend.count({ where: trendWhere(filter) }),
  };
}

export type TrendService = ReturnType<typeof createTrendService>;
