// Content: what agents produce. Listed by status/type/agent; its status moves only along allowed transitions.
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Actor, writeAudit } from '../audit/audit.service.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { oneOf, orUndefined, statusIn, timeRange } from '../shared/filters.js';
import { lockStatusRow } from '../shared/locking.js';
import { nonBlank, parseInput } from '../shared/validation.js';
import {
  allowedContentTransitions,
  CONTENT_STATUSES,
  type ContentStatus,
  type ContentType,
  contentStatusOf,
} from './content.model.js';

export interface ContentFilter {
  agentId?: string | null;
  taskId?: string | null;
  statuses?: ContentStatus[] | null;
  contentTypes?: ContentType[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

const setStatusSchema = z.object({
  status: z.enum(CONTENT_STATUSES),
  reason: nonBlank(1000).nullish(),
});

type Query = Pick<Prisma.ContentFindUniqueArgs, 'include' | 'select'>;
type Page = Pick<Prisma.ContentFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;

export function contentWhere(f: ContentFilter = {}): Prisma.ContentWhereInput {
  return {
    agentId: orUndefined(f.agentId),
    taskId: orUndefined(f.taskId),
    ...statusIn(f.statuses, 'draft'),
    contentType: oneOf(f.contentTypes),
    createdAt: timeRange(f.createdAfter, f.createdBefore),
  };
}

export const contentOrderBy: Prisma.ContentOrderByWithRelationInput[] = [{ createdAt: 'desc' }, { id: 'desc' }];

export function createContentService({ db }: { db: Database }) {
  return {
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
