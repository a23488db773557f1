// After publication (the spec's post_publication stage): when interactions arrive for a piece of content, the agent
// remembers what was said to it (episodes), answers the comments that deserve it (a reply goal through the Planner,
// replies.ts), and the content is looked at again — complaints in the comments, an anomalous jump or drop in
// engagement, a burst of reports. When the stage says a person must look, the content is FLAGGED (flags.ts). A kept
// flag is not raised again by the same evidence: only what came after counts.
import { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { writeAudit } from '../audit/audit.service.js';
import { interactionText } from '../interactions/interactions.service.js';
import type { MemoryService } from '../memory/memory.service.js';
import type { ModerationDecision } from '../moderation/model.js';
import type { Moderator } from '../moderation/pipeline.js';
import { asJson } from '../shared/json.js';
import { lockStatusRow } from '../shared/locking.js';
import type { SwarmLimits } from '../tasks/limits.js';
import { CONTENT_FLAGS_TOPIC, type ContentFlag, flagOf, objectOf } from './flags.js';
import { replyToComments } from './replies.js';

/** Engagement is counted per hour, over at most the last two days. */
export const ENGAGEMENT_BUCKET_MS = 3_600_000;
export const ENGAGEMENT_MAX_BUCKETS = 48;
/** automated_flagging counts reports in this window. */
export const FLAG_WINDOW_MS = 3_600_000;
/** The newest comments read as possible complaints. */
export const MAX_COMPLAINTS = 50;
/** How much an interaction the audience addressed to the agent weighs as a memory. */
export const INTERACTION_IMPORTANCE = 0.4;

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
  const replies = await replyToComments(deps, MONITOR, content, rows);
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
