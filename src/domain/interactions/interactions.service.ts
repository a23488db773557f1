// Interactions: what the audience did with published content (likes, comments, shares, views, clicks), as its
// platform reports them (POST /webhooks/{platform}). Recording a batch writes the rows, refreshes the content's
// engagement_metrics and its agent's performance_score, and queues — in the same transaction — a maintenance job per
// piece of content: the agent remembers what was said to it, answers what deserves an answer, and post_publication
// moderation looks at the content again.
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import type { Tx } from '../audit/audit.service.js';
import { NotFoundError } from '../shared/errors.js';
import { oneOf, orUndefined, timeRange } from '../shared/filters.js';
import { jsonObject, nonBlank, parseInput, uuid } from '../shared/validation.js';
import { monitorContentJob } from '../swarm/jobs.js';
import { enqueue } from '../swarm/outbox.js';
import { refreshEngagement } from './engagement.js';

export const INTERACTION_TYPES = ['like', 'comment', 'share', 'view', 'click'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

/** Most interactions one call records. */
export const MAX_INTERACTION_BATCH = 500;
/** A reported time this far ahead of the clock is refused (clock skew allowed). */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface InteractionFilter {
  /** Access scope: only rows of these agents (set for callers limited to assigned agents). */
  withinAgentIds?: string[];
  contentId?: string | null;
  platforms?: string[] | null;
  interactionTypes?: InteractionType[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

/**
 * One interaction as a platform reports it. `data` is the platform's payload; Chimera reads `text` (what a comment
 * or share said), `author` and `reported` (the user also reported the post) from it.
 */
const interactionSchema = z.object({
  contentId: uuid,
  platform: nonBlank(100),
  interactionType: z.enum(INTERACTION_TYPES),
  data: jsonObject.default({}),
  occurredAt: z
    .date()
    .refine((d) => d.getTime() <= Date.now() + MAX_CLOCK_SKEW_MS, 'must not be in the future')
    .optional(),
});

export type InteractionInput = z.input<typeof interactionSchema>;

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

/** The text an interaction carries (a comment, a share's note), or null. */
export function interactionText(data: unknown): string | null {
  const text = data && typeof data === 'object' ? (data as { text?: unknown }).text : undefined;
  return typeof text === 'string' && text.trim() ? text.trim() : null;
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

    /**
     * Stores a batch of interactions (all or none) and queues the follow-up of each piece of content they concern.
     * Every content must exist (NOT_FOUND otherwise, nothing stored).
     */
    record(input: readonly InteractionInput[]) {
      return db.$transaction((tx) => recordInteractions(tx, input));
    },
  };
}

/**
 * recordInteractions in the caller's transaction (a webhook delivery commits its event id with them): validates,
 * stores, refreshes the content's engagement and its agent's performance, and queues the follow-up jobs.
 */
export async function recordInteractions(tx: Tx, input: readonly InteractionInput[]) {
  const items = parseInput(z.array(interactionSchema).min(1, 'must not be empty').max(MAX_INTERACTION_BATCH), input, [
    'interactions',
  ]);
  const contentIds = [...new Set(items.map((i) => i.contentId))];
  const found = new Set(
    (await tx.content.findMany({ where: { id: { in: contentIds } }, select: { id: true } })).map((c) => c.id),
  );
  const missing = contentIds.find((id) => !found.has(id));
  if (missing) throw new NotFoundError('Content', missing);
  const rows = await tx.interaction.createManyAndReturn({
    data: items.map((i) => ({
      contentId: i.contentId,
      platform: i.platform,
      interactionType: i.interactionType,
      data: i.data as Prisma.InputJsonObject,
      ...(i.occurredAt ? { createdAt: i.occurredAt } : {}),
    })),
  });
  await refreshEngagement(tx, contentIds);
  for (const contentId of contentIds) {
    const ids = rows.filter((r) => r.contentId === contentId).map((r) => r.id);
    await enqueue(tx, monitorContentJob(contentId, ids));
  }
  return rows;
}

export type InteractionService = ReturnType<typeof createInteractionService>;
