// Content: what agents produce. Listed by status/type/agent; its status moves only along allowed transitions.
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Actor, writeAudit } from '../audit/audit.service.js';
import type { MemoryService } from '../memory/memory.service.js';
import { queuePublications } from '../publishing/publishing.service.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { agentIdWithin, oneOf, orUndefined, statusIn, timeRange } from '../shared/filters.js';
import { lockStatusRow } from '../shared/locking.js';
import { nonBlank, parseInput } from '../shared/validation.js';
import {
  allowedContentTransitions,
  CONTENT_STATUSES,
  type ContentStatus,
  type ContentType,
  contentStatusOf,
} from './content.model.js';
import { type FlagResolution, type FlagStatus, flagStatusWhere, resolveFlag } from './flags.js';

export interface ContentFilter {
  /** Access scope: only rows of these agents (set for callers limited to assigned agents). */
  withinAgentIds?: string[];
  /** false: leave out sensitive and prohibited content (callers who do not moderate). */
  includeSensitive?: boolean;
  agentId?: string | null;
  taskId?: string | null;
  statuses?: ContentStatus[] | null;
  contentTypes?: ContentType[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  /** Content with a post-publication flag in one of these states (OPEN: waiting for a person). */
  flagStatuses?: FlagStatus[] | null;
}

const setStatusSchema = z.object({
  status: z.enum(CONTENT_STATUSES),
  reason: nonBlank(1000).nullish(),
});

type Query = Pick<Prisma.ContentFindUniqueArgs, 'include' | 'select'>;
type Page = Pick<Prisma.ContentFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;

/**
 * content_sensitivity: leaves out rows whose metadata.sensitivity is sensitive or prohibited. Absent metadata or key
 * reads as safe (like sensitivityOf); JSON path comparisons are NULL for a missing key, hence the explicit cases.
 */
const safeContentOnly: Prisma.ContentWhereInput = {
  OR: [
    { metadata: { equals: Prisma.DbNull } },
    { metadata: { path: ['sensitivity'], equals: Prisma.AnyNull } },
    {
      NOT: [
        { metadata: { path: ['sensitivity'], equals: 'sensitive' } },
        { metadata: { path: ['sensitivity'], equals: 'prohibited' } },
      ],
    },
  ],
};

export function contentWhere(f: ContentFilter = {}): Prisma.ContentWhereInput {
  const conditions = [
    ...(f.includeSensitive === false ? [safeContentOnly] : []),
    ...(f.flagStatuses ? [flagStatusWhere(f.flagStatuses)] : []),
  ];
  return {
    agentId: agentIdWithin(f.agentId, f.withinAgentIds),
    taskId: orUndefined(f.taskId),
    ...(conditions.length ? { AND: conditions } : {}),
    ...statusIn(f.statuses, 'draft'),
    contentType: oneOf(f.contentTypes),
    createdAt: timeRange(f.createdAfter, f.createdBefore),
  };
}

export const contentOrderBy: Prisma.ContentOrderByWithRelationInput[] = [{ createdAt: 'desc' }, { id: 'desc' }];

export interface ContentServiceDeps {
  db: Database;
  /** A takedown becomes a lesson of the agent and leaves similarity search. */
  memory?: MemoryService;
  publish?: (topic: string, payload: { id: string }) => void;
}

export function createContentService({ db, memory, publish }: ContentServiceDeps) {
  return {
    /** A person's decision on an open post-publication flag: keep the content, or take it down. */
    resolveFlag: (
      id: string,
      input: { decision: FlagResolution; note?: string | null },
      actor: Actor,
      query: Query = {},
    ) => resolveFlag({ db, memory, publish }, id, input, actor, query),
    get: (id: string, query: Query = {}) => db.content.findUnique({ ...query, where: { id } }),
    list: (filter: ContentFilter | undefined, page: Page) =>
      db.content.findMany({ ...page, where: contentWhere(filter), orderBy: contentOrderBy }),
    count: (filter?: ContentFilter) => db.content.count({ where: contentWhere(filter) }),

    async setStatus(
      id: string,
      input: { status: ContentStatus; reason?: string | null },
      actor: Actor,
      query: Query = {},
    ) {
      const data = parseInput(setStatusSchema, input);
      return db.$transaction(async (tx) => {
        const row = await lockStatusRow(tx, 'content', id);
        if (!row) throw new NotFoundError('Content', id);
        const from = contentStatusOf(row.status);
        const allowed = allowedContentTransitions(from);
        if (!allowed.includes(data.status)) {
          const up = (s: string) => s.toUpperCase();
          const options = allowed.length
            ? `it can move to ${allowed.map(up).join(' or ')}`
            : 'it cannot change any more';
          throw new ConflictError('Content', id, `is ${up(from)}; ${options}, not ${up(data.status)}.`);
        }
        const content = await tx.content.update({
          ...query,
          where: { id },
          data: { status: data.status, ...(data.status === 'published' ? { publishedAt: new Date() } : {}) },
        });
        if (data.status === 'approved') {
          const { taskId } = await tx.content.findUniqueOrThrow({ where: { id }, select: { taskId: true } });
          await queuePublications(tx, { id, agentId: row.agent_id, taskId });
        }
        await writeAudit(tx, {
          agentId: row.agent_id,
          action: `content.${data.status}`,
          actor,
          details: { contentId: id, from, to: data.status, reason: data.reason ?? null },
        });
        return content;
      });
    },
  };
}

export type ContentService = ReturnType<typeof createContentService>;
