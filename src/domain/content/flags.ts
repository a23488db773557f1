// Post-publication flags (content.metadata.flag): published content that post_publication moderation sent back to a
// person. It stays PUBLISHED and waits in `contents(filter: { flagStatus: [OPEN] })` until a reviewer keeps it or
// takes it down (resolveFlag). A takedown is removed from the platforms, becomes a lesson of the agent and leaves
// similarity search.
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Actor, writeAudit } from '../audit/audit.service.js';
import { derivedMemoryId, type MemoryService } from '../memory/memory.service.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { asJson } from '../shared/json.js';
import { lockStatusRow } from '../shared/locking.js';
import { nonBlank, parseInput } from '../shared/validation.js';
import { unpublishContentJob } from '../swarm/jobs.js';
import { enqueue } from '../swarm/outbox.js';

/** How much a takedown weighs: the agent should not do it again. */
export const TAKEDOWN_IMPORTANCE = 0.9;

/** Announced (with the content's id) when a flag opens or is resolved. */
export const CONTENT_FLAGS_TOPIC = 'content:flags';

export const FLAG_STATUSES = ['open', 'kept', 'taken_down'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];
export const FLAG_RESOLUTIONS = ['keep', 'take_down'] as const;
export type FlagResolution = (typeof FLAG_RESOLUTIONS)[number];

/** A post-publication flag, kept in content.metadata.flag. */
export interface ContentFlag {
  status: FlagStatus;
  raisedAt: string;
  reasons: string[];
  resolvedAt?: string;
  resolvedBy?: { kind: Actor['kind']; id: string | null };
  note?: string | null;
}

const flagSchema = z.object({
  status: z.enum(FLAG_STATUSES),
  raisedAt: z.string(),
  reasons: z.array(z.string()),
  resolvedAt: z.string().optional(),
  resolvedBy: z
    .object({ kind: z.enum(['anonymous', 'user', 'service', 'system']), id: z.string().nullable() })
    .optional(),
  note: z.string().nullable().optional(),
});

export const objectOf = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function flagOf(metadata: unknown): ContentFlag | null {
  const parsed = flagSchema.safeParse(objectOf(metadata).flag);
  return parsed.success ? parsed.data : null;
}

/**
 * Content without an open flag. (JSON path comparisons are NULL where the key is missing, and NOT NULL is NULL: the
 * missing cases are spelled out.)
 */
export const withoutOpenFlag: Prisma.ContentWhereInput = {
  OR: [
    { metadata: { equals: Prisma.DbNull } },
    { metadata: { path: ['flag', 'status'], equals: Prisma.AnyNull } },
    { NOT: { metadata: { path: ['flag', 'status'], equals: 'open' } } },
  ],
};

/** Content whose flag is in one of these states (a Prisma condition on metadata.flag.status). */
export function flagStatusWhere(statuses: readonly FlagStatus[]): Prisma.ContentWhereInput {
  return { OR: statuses.map((s) => ({ metadata: { path: ['flag', 'status'], equals: s } })) };
}

const snippet = (text: string, n = 80) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

const resolveSchema = z.object({
  decision: z.enum(FLAG_RESOLUTIONS),
  note: nonBlank(1000).nullish(),
});

/**
 * A person's decision on an open flag: keep the content published, or take it down (PUBLISHED → REJECTED, the only
 * way published content leaves that state). A takedown also becomes a lesson the agent remembers, and the post stops
 * standing for the agent's voice in similarity search. One transaction, audited with the reviewer.
 */
export async function resolveFlag(
  deps: {
    db: Database;
    memory?: MemoryService;
    publish?: (topic: string, payload: { id: string }) => void;
    onSideEffectError?: (err: unknown, what: string) => void;
    now?: () => Date;
  },
  contentId: string,
  input: { decision: FlagResolution; note?: string | null },
  actor: Actor,
  query: Pick<Prisma.ContentFindUniqueArgs, 'include' | 'select'> = {},
) {
  const { decision, note } = parseInput(resolveSchema, input);
  const now = deps.now?.() ?? new Date();
  const { content, flag, agentId } = await deps.db.$transaction(async (tx) => {
    const locked = await lockStatusRow(tx, 'content', contentId);
    if (!locked) throw new NotFoundError('Content', contentId);
    const row = await tx.content.findUniqueOrThrow({ where: { id: contentId }, select: { metadata: true } });
    const meta = objectOf(row.metadata);
    const current = flagOf(meta);
    if (current?.status !== 'open') {
      const state = current ? `its flag was already resolved (${current.status})` : 'it has no flag';
      throw new ConflictError('Content', contentId, `has no open flag to resolve: ${state}.`);
    }
    const resolved: ContentFlag = {
      ...current,
      status: decision === 'keep' ? 'kept' : 'taken_down',
      resolvedAt: now.toISOString(),
      resolvedBy: { kind: actor.kind, id: actor.id ?? null },
      note: note ?? null,
    };
    const content = await tx.content.update({
      ...query,
      where: { id: contentId },
      data: {
        metadata: asJson({ ...meta, flag: resolved }),
        ...(decision === 'take_down' ? { status: 'rejected' } : {}),
      },
    });
    // Taken down here, and then on every platform it was posted to (a maintenance job calls delete_post).
    if (decision === 'take_down') await enqueue(tx, unpublishContentJob(contentId));
    await writeAudit(tx, {
      agentId: locked.agent_id,
      action: decision === 'keep' ? 'content.flag_kept' : 'content.taken_down',
      actor,
      details: { contentId, reasons: current.reasons, note: note ?? null },
    });
    return { content, flag: resolved, agentId: locked.agent_id };
  });
  deps.publish?.(CONTENT_FLAGS_TOPIC, { id: contentId });
  if (decision === 'take_down' && agentId && deps.memory) {
    const memory = deps.memory;
    const text = (await deps.db.content.findUnique({ where: { id: contentId }, select: { contentData: true } }))
      ?.contentData;
    await Promise.all([
      memory
        .lesson(agentId, {
          id: derivedMemoryId(`takedown:${contentId}`),
          content: `A post was taken down after publication: "${snippet(text ?? '', 200)}"`,
          context: `Reasons: ${flag.reasons.join('; ') || 'none given'}${note ? `. Reviewer: ${note}` : ''}`,
          importance: TAKEDOWN_IMPORTANCE,
          tags: ['taken_down'],
        })
        .catch((err: unknown) => deps.onSideEffectError?.(err, 'remember a takedown')),
      memory.forgetContent(contentId).catch((err: unknown) => deps.onSideEffectError?.(err, 'unindex content')),
    ]);
  }
  return content;
}
