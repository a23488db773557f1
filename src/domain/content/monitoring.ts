// After publication (the spec's post_publication stage): when interactions arrive for a piece of content, the agent
// remembers what was said to it (episodes), answers the comments that deserve it (a reply goal through the Planner,
// see replyWorthy), and the content is looked at again — complaints in the comments, an
// anomalous jump or drop in engagement, a burst of reports. When the stage says a person must look, the content is
// FLAGGED: it stays published, appears in `contents(filter: { flagStatus: [OPEN] })`, and a reviewer keeps it or takes
// it down (resolveFlag). A kept flag is not raised again by the same evidence: only what came after counts.
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Actor, writeAudit } from '../audit/audit.service.js';
import { interactionText } from '../interactions/interactions.service.js';
import { derivedMemoryId, type MemoryService } from '../memory/memory.service.js';
import type { ModerationDecision } from '../moderation/model.js';
import type { Moderator } from '../moderation/pipeline.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { asJson } from '../shared/json.js';
import { lockStatusRow } from '../shared/locking.js';
import { nonBlank, parseInput } from '../shared/validation.js';
import { createGoalService } from '../swarm/goals.service.js';
import type { SwarmLimits } from '../tasks/limits.js';

/** Engagement is counted per hour, over at most the last two days. */
export const ENGAGEMENT_BUCKET_MS = 3_600_000;
export const ENGAGEMENT_MAX_BUCKETS = 48;
/** automated_flagging counts reports in this window. */
export const FLAG_WINDOW_MS = 3_600_000;
/** The newest comments read as possible complaints. */
export const MAX_COMPLAINTS = 50;
/** How much an interaction the audience addressed to the agent weighs as a memory. */
export const INTERACTION_IMPORTANCE = 0.4;
/** How much a takedown weighs: the agent should not do it again. */
export const TAKEDOWN_IMPORTANCE = 0.9;
/** At most this many reply goals per post (an agent does not argue in its comments all day). */
export const MAX_REPLIES_PER_POST = 3;

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

const objectOf = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function flagOf(metadata: unknown): ContentFlag | null {
  const parsed = flagSchema.safeParse(objectOf(metadata).flag);
  return parsed.success ? parsed.data : null;
}

/** Content whose flag is in one of these states (a Prisma condition on metadata.flag.status). */
export function flagStatusWhere(statuses: readonly FlagStatus[]): Prisma.ContentWhereInput {
  return { OR: statuses.map((s) => ({ metadata: { path: ['flag', 'status'], equals: s } })) };
}

export interface MonitoringDeps {
  db: Database;
  moderator: Moderator;
  memory?: MemoryService;
  /** The task budgets reply goals are held to. */
  limits?: SwarmLimits;
  publish?: (topic: string, payload: { id: string }) => void;
  onSideEffectError?: (err: unknown, what: string) => void;
  now?: () => Date;
}

const MONITOR = { kind: 'system', id: 'post_publication' } as const;
const snippet = (text: string, n = 80) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** Interactions per hour from `from` to `to`, oldest first, hours without any counted as 0. */
async function engagementSeries(db: Database, contentId: string, from: Date, to: Date): Promise<number[]> {
  const first = Math.floor(from.getTime() / ENGAGEMENT_BUCKET_MS);
  const last = Math.floor(to.getTime() / ENGAGEMENT_BUCKET_MS);
  const rows = await db.$queryRaw<{ bucket: bigint; n: number }[]>(Prisma.sql`
    SELECT floor(extract(epoch FROM created_at) * 1000 / ${ENGAGEMENT_BUCKET_MS})::bigint AS bucket, count(*)::int AS n
      FROM interactions
     WHERE content_id = ${contentId}::uuid AND created_at >= ${from} AND created_at <= ${to}
     GROUP BY bucket`);
  const counts = new Map(rows.map((r) => [Number(r.bucket), r.n]));
  return Array.from({ length: last - first + 1 }, (_, i) => counts.get(first + i) ?? 0);
}

/** The interactions of a batch that said something become episodes of the agent (idempotent: keyed by id). */
async function rememberInteractions(
  deps: MonitoringDeps,
  content: { agentId: string | null; contentData: string },
  rows: { id: string; platform: string; interactionType: string; data: unknown }[],
): Promise<number> {
  const { memory } = deps;
  const agentId = content.agentId;
  if (!memory || !agentId) return 0;
  let remembered = 0;
  for (const row of rows) {
    const text = interactionText(row.data);
    if (!text) continue;
    const author = objectOf(row.data).author;
    try {
      await memory.episode(agentId, {
        id: row.id,
        content: text,
        context: `A ${row.interactionType}${typeof author === 'string' ? ` from ${author}` : ''} on ${row.platform} about the post "${snippet(content.contentData)}"`,
        importance: INTERACTION_IMPORTANCE,
        tags: ['interaction', row.interactionType, row.platform],
      });
      remembered += 1;
    } catch (err) {
      deps.onSideEffectError?.(err, 'remember an interaction');
    }
  }
  return remembered;
}

/** A comment on the agent's post deserves an answer when it asks something or names the agent, and is not abuse. */
export function replyWorthy(text: string, handle: string | null): boolean {
  const asks = /\?\s*$|\?\s/.test(text);
  const named = handle ? text.toLowerCase().includes(`@${handle.replace(/^@/, '').toLowerCase()}`) : false;
  return asks || named;
}

/**
 * The comments of a batch that deserve an answer become reply goals (one per comment: the interaction's id is the
 * goal's idempotency key), at most MAX_REPLIES_PER_POST per post, never for what moderation would reject. The goal's
 * context carries the comment, so the reply_comment task knows what it answers and where.
 */
async function replyToComments(
  deps: MonitoringDeps,
  content: { id: string; agentId: string | null; status: string | null },
  rows: { id: string; platform: string; interactionType: string; data: unknown }[],
): Promise<number> {
  const agentId = content.agentId;
  if (!agentId || content.status !== 'published') return 0;
  const publication = await deps.db.publication.findFirst({
    where: { contentId: content.id, status: 'posted' },
    select: { account: true, platform: true },
  });
  // Only a post Chimera published has somewhere to answer.
  if (!publication) return 0;
  const already = await deps.db.goal.count({
    where: { agentId, context: { path: ['reply_to', 'contentId'], equals: content.id } },
  });
  const goals = createGoalService({ db: deps.db, limits: deps.limits });
  let replies = 0;
  for (const row of rows) {
    if (already + replies >= MAX_REPLIES_PER_POST) break;
    const data = objectOf(row.data);
    const text = interactionText(row.data);
    const commentId = typeof data.commentId === 'string' ? data.commentId : null;
    const author = typeof data.author === 'string' ? data.author : 'someone';
    if (row.interactionType !== 'comment' || !text || !commentId) continue;
    if (author.replace(/^@/, '') === publication.account) continue;
    if (!replyWorthy(text, publication.account)) continue;
    if ((await deps.moderator.review({ text })).action === 'reject') continue;
    try {
      await goals.submit(
        {
          agentId,
          goalDescription: `Reply to the comment from ${author} on your post.`,
          idempotencyKey: `reply-${row.id}`,
          priority: 'medium',
          context: {
            reply_to: {
              platform: publication.platform,
              commentId,
              postId: typeof data.postId === 'string' ? data.postId : null,
              contentId: content.id,
              author,
              text,
            },
          },
        },
        MONITOR,
      );
      replies += 1;
    } catch (err) {
      deps.onSideEffectError?.(err, 'plan a reply'); // e.g. the agent's hourly task budget is used up
    }
  }
  return replies;
}

export interface MonitorOutcome {
  /** Interactions that became episodes. */
  remembered: number;
  /** Comments that became reply goals. */
  replies: number;
  /** The post_publication decision (null when the content is not published). */
  decision: ModerationDecision | null;
  /** Whether this run opened a flag. */
  flagged: boolean;
}

/**
 * Follows up a batch of interactions on one piece of content: episodes for what was said, then (for published
 * content) the post_publication checks over what happened since publication or since a person last kept it.
 */
export async function monitorContent(
  deps: MonitoringDeps,
  contentId: string,
  interactionIds: readonly string[] = [],
): Promise<MonitorOutcome> {
  const { db } = deps;
  const now = deps.now?.() ?? new Date();
  const content = await db.content.findUnique({
    where: { id: contentId },
    select: { id: true, agentId: true, status: true, metadata: true, publishedAt: true, contentData: true },
  });
  if (!content) return { remembered: 0, replies: 0, decision: null, flagged: false };
  const rows = interactionIds.length
    ? await db.interaction.findMany({
        where: { id: { in: [...interactionIds] } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        select: { id: true, platform: true, interactionType: true, data: true },
      })
    : [];
  const remembered = await rememberInteractions(deps, content, rows);
  const replies = await replyToComments(deps, content, rows);
  if (content.status !== 'published') return { remembered, replies, decision: null, flagged: false };

  const flag = flagOf(content.metadata);
  const starts = [
    content.publishedAt?.getTime() ?? 0,
    flag?.resolvedAt ? Date.parse(flag.resolvedAt) : 0,
    now.getTime() - (ENGAGEMENT_MAX_BUCKETS - 1) * ENGAGEMENT_BUCKET_MS,
  ];
  const since = new Date(Math.max(...starts));
  const [comments, engagement, recentFlags] = await Promise.all([
    db.interaction.findMany({
      where: { contentId, interactionType: 'comment', createdAt: { gte: since } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: MAX_COMPLAINTS,
      select: { data: true },
    }),
    engagementSeries(db, contentId, since, now),
    db.interaction.count({
      where: {
        contentId,
        createdAt: { gte: new Date(Math.max(since.getTime(), now.getTime() - FLAG_WINDOW_MS)) },
        data: { path: ['reported'], equals: true },
      },
    }),
  ]);
  const complaints = comments.map((c) => interactionText(c.data)).filter((t): t is string => t !== null);
  const decision = await deps.moderator.postPublication({ complaints, engagement, recentFlags });

  const opened = await db.$transaction(async (tx) => {
    const locked = await lockStatusRow(tx, 'content', contentId);
    if (locked?.status !== 'published') return false;
    const row = await tx.content.findUniqueOrThrow({ where: { id: contentId }, select: { metadata: true } });
    const meta = objectOf(row.metadata);
    const current = flagOf(meta);
    const open = decision.action === 'review' && current?.status !== 'open';
    const nextFlag: ContentFlag | null = open
      ? { status: 'open', raisedAt: now.toISOString(), reasons: decision.reasons }
      : current;
    await tx.content.update({
      where: { id: contentId },
      data: {
        metadata: asJson({
          ...meta,
          moderation: { ...objectOf(meta.moderation), post_publication: decision },
          ...(nextFlag ? { flag: nextFlag } : {}),
        }),
      },
    });
    if (open) {
      await writeAudit(tx, {
        agentId: locked.agent_id,
        action: 'content.flagged',
        actor: MONITOR,
        details: { contentId, reasons: decision.reasons, subcategories: decision.subcategories },
      });
    }
    return open;
  });
  if (opened) deps.publish?.(CONTENT_FLAGS_TOPIC, { id: contentId });
  return { remembered, replies, decision, flagged: opened };
}

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
  deps: Pick<MonitoringDeps, 'db' | 'memory' | 'publish' | 'onSideEffectError' | 'now'>,
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
