// Interactions: what the audience did with published content (likes, comments, …). Read side for now.
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { oneOf, orUndefined, timeRange } from '../shared/filters.js';

export const INTERACTION_TYPES = ['like', 'comment', 'share', 'view', 'click'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

export interface InteractionFilter {
  /** Access scope: only rows of these agents (set for callers limited to assigned agents). */
  withinAgentIds?: string[];
  contentId?: string | null;
  platforms?: string[] | null;
  interactionTypes?: InteractionType[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

type Page = Pick<Prisma.InteractionFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;

export function interactionWhere(f: InteractionFilter = {}): Prisma.InteractionWhereInput {
  return {
    contentId: orUndefined(f.contentId),
    ...(f.withinAgentIds ? { content: { agentId: { in: f.withinAgentIds } } } : {}),
    platform: oneOf(f.platforms),
    interactionType: oneOf(f.interactionTypes),
    createdAt: timeRange(f.createdAfter, f.createdBefore),
  };
}

export function createInteractionService({ db }: { db: Database }) {
  return {
    list: (filter: InteractionFilter | undefined, page: Page) =>
      db.interaction.findMany({
        ...page,
        where: interactionWhere(filter),
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
    count: (filter?: InteractionFilter) => db.interaction.count({ where: interactionWhere(filter) }),
  };
}

export type InteractionService = ReturnType<typeof createInteractionService>;
