// Publishing: approved content goes to its agent's platforms (agent.metadata.platforms: [{ platform, account }]),
// each an MCP server with the platform tools (post_content, reply_to_comment). The publish ledger (publications) is
// written in the transaction that approves the content, before anything is sent: one row per content and platform,
// whose id is the idempotency key the platform is given. A retried job, a crash after the platform answered, or two
// workers racing on one job therefore post once. Each platform account has a sliding-window posting quota (the
// platform's own rule, tracked from the ledger): over it, the job waits for the window to free instead of failing.
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Tx, writeAudit } from '../audit/audit.service.js';
import { asJson } from '../shared/json.js';
import { enqueue } from '../swarm/outbox.js';
import { QuotaDeferral } from '../tasks/limits.js';

export const PUBLISH_TOPIC = 'publish';
/** Announced (with the content's id) when content is published. */
export const CONTENT_PUBLISHED_TOPIC = 'content:published';

/** A platform's posting quota for one account: at most `posts` in any window of `windowMs`. */
export interface PostingQuota {
  posts: number;
  windowMs: number;
}

/** The platform tools the publisher calls through the MCP hub. */
export interface PlatformTools {
  callTool(server: string, tool: string, args: Record<string, unknown>): Promise<{ value: unknown }>;
}

export interface PublishingDeps {
  db: Database;
  mcp?: PlatformTools;
  /** The agents' external-call budget: a platform call takes one. */
  externalCalls?: { spend(agentId: string | null, what: string): Promise<void> };
  quotas: Readonly<Record<string, PostingQuota>>;
  publish?: (topic: string, payload: { id: string }) => void;
  now?: () => Date;
}

const targetSchema = z.object({
  platform: z.string().regex(/^[a-z][a-z0-9_-]*$/i),
  account: z.string().min(1).max(255),
});

export interface PlatformTarget {
  platform: string;
  account: string;
}

/** Where an agent publishes: agent.metadata.platforms (malformed entries are ignored). */
export function targetsOf(agentMetadata: unknown): PlatformTarget[] {
  const list = (agentMetadata as { platforms?: unknown } | null)?.platforms;
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    const parsed = targetSchema.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

/** The job that publishes one ledger row. */
export const publishJob = (publicationId: string, agentId?: string | null) => ({
  topic: PUBLISH_TOPIC,
  dedupeKey: `publish:${publicationId}`,
  payload: { publicationId, ...(agentId ? { agentId } : {}) } as Prisma.InputJsonObject,
});

const replySchema = z.object({ platform: z.string(), commentId: z.string(), postId: z.string().nullish() });

/** The platform comment a reply_comment task answers (task.context.reply_to), when it names one. */
export function replyTargetOf(taskContext: unknown) {
  const parsed = replySchema.safeParse((taskContext as { reply_to?: unknown } | null)?.reply_to);
  return parsed.success ? parsed.data : null;
}

/**
 * Approved content goes out: a ledger row and a publish job per platform of its agent, in the caller's transaction
 * (the one that approves it). A reply goes only to the platform of the comment it answers. Returns the rows' ids.
 */
export async function queuePublications(
  tx: Tx,
  content: { id: string; agentId: string | null; taskId: string | null },
): Promise<string[]> {
  if (!content.agentId) return [];
  const agent = await tx.agent.findUnique({ where: { id: content.agentId }, select: { metadata: true } });
  const task = content.taskId
    ? await tx.task.findUnique({ where: { id: content.taskId }, select: { taskType: true, context: true } })
    : null;
  const reply = task?.taskType === 'reply_comment' ? replyTargetOf(task.context) : null;
  const targets = targetsOf(agent?.metadata).filter((t) => !reply || t.platform === reply.platform);
  if (targets.length === 0) return [];
  await tx.publication.createMany({
    data: targets.map((t) => ({
      contentId: content.id,
      agentId: content.agentId,
      platform: t.platform,
      account: t.account,
      kind: reply ? 'reply' : 'post',
      replyTo: reply ? asJson(reply) : undefined,
    })),
    skipDuplicates: true,
  });
  const rows = await tx.publication.findMany({
    where: { contentId: content.id, status: 'pending' },
    select: { id: true },
  });
  for (const row of rows) await enqueue(tx, publishJob(row.id, content.agentId));
  return rows.map((r) => r.id);
}

export interface QuotaState {
  platform: string;
  account: string;
  limit: number;
  windowMs: number;
  used: number;
  /** Approved content waiting to be posted on this account. */
  queued: number;
  remaining: number;
  /** When the oldest post in the window leaves it (null: nothing in the window). */
  resetAt: Date | null;
}

/** The account's quota as the ledger sees it: posts in the last window, and what waits to be posted. */
export async function quotaOf(
  db: Pick<Database, '$queryRaw'>,
  quotas: Readonly<Record<string, PostingQuota>>,
  target: PlatformTarget,
  now = new Date(),
): Promise<QuotaState | null> {
  const quota = quotas[target.platform];
  if (!quota) return null;
  const since = new Date(now.getTime() - quota.windowMs);
  const [row] = await db.$queryRaw<{ used: number; queued: number; oldest: Date | null }[]>`
    SELECT count(*) FILTER (WHERE posted_at > ${since})::int AS used,
           count(*) FILTER (WHERE status = 'pending')::int AS queued,
           min(posted_at) FILTER (WHERE posted_at > ${since}) AS oldest
      FROM publications WHERE platform = ${target.platform} AND account = ${target.account}`;
  const used = row?.used ?? 0;
  return {
    ...target,
    limit: quota.posts,
    windowMs: quota.windowMs,
    used,
    queued: row?.queued ?? 0,
    remaining: Math.max(0, quota.posts - used),
    resetAt: row?.oldest ? new Date(row.oldest.getTime() + quota.windowMs) : null,
  };
}

/**
 * When the agent can next post everywhere it publishes, counting what is already queued: now (null) while every
 * account has room, else the latest time an account frees a slot. The Planner starts content tasks then.
 */
export async function nextPostingSlot(
  db: Database,
  quotas: Readonly<Record<string, PostingQuota>>,
  agentId: string,
  now = new Date(),
): Promise<Date | null> {
  const agent = await db.agent.findUnique({ where: { id: agentId }, select: { metadata: true } });
  let latest: Date | null = null;
  for (const target of targetsOf(agent?.metadata)) {
    const q = await quotaOf(db, quotas, target, now);
    if (!q || q.used + q.queued < q.limit) continue;
    const frees = q.resetAt ?? new Date(now.getTime() + q.windowMs);
    if (!latest || frees > latest) latest = frees;
  }
  return latest;
}

const PUBLISHER = { kind: 'system', id: 'publisher' } as const;

interface Posted {
  postId: string;
  url: string | null;
  postedAt: string | null;
}

function postedOf(value: unknown): Posted | null {
  const v = value as Partial<Record<'postId' | 'url' | 'postedAt', unknown>> | null;
  if (!v || typeof v.postId !== 'string' || !v.postId) return null;
  return {
    postId: v.postId,
    url: typeof v.url === 'string' ? v.url : null,
    postedAt: typeof v.postedAt === 'string' ? v.postedAt : null,
  };
}

export class PublishError extends Error {
  override name = 'PublishError';
}

/**
 * Publishes one ledger row. Idempotent: a row already posted (or no longer wanted) is left alone; the platform is
 * given the row's id as idempotency key, so calling it twice posts once.
 */
export async function publishContent(deps: PublishingDeps, publicationId: string) {
  const { db } = deps;
  const now = deps.now?.() ?? new Date();
  const row = await db.publication.findUnique({ where: { id: publicationId }, include: { content: true } });
  if (row?.status !== 'pending') return { publicationId, published: false, reason: row?.status ?? 'missing' };
  if (row.content.status !== 'approved' && row.content.status !== 'published') {
    await db.publication.updateMany({
      where: { id: row.id, status: 'pending' },
      data: { status: 'failed', lastError: `the content is ${row.content.status ?? 'draft'}, no longer approved` },
    });
    return { publicationId, published: false, reason: 'not approved' };
  }
  if (!deps.mcp) throw new PublishError(`No MCP hub: cannot reach platform "${row.platform}".`);
  const quota = await quotaOf(db, deps.quotas, row, now);
  if (quota && quota.used >= quota.limit) {
    const delayMs = Math.max(1_000, (quota.resetAt?.getTime() ?? now.getTime() + quota.windowMs) - now.getTime());
    throw new QuotaDeferral(
      'platformPosts',
      delayMs,
      `${row.platform}/${row.account} has posted ${quota.used} of ${quota.limit} in its window`,
    );
  }
  await deps.externalCalls?.spend(row.agentId, `posting to ${row.platform}`);
  await db.publication.update({ where: { id: row.id }, data: { attempts: { increment: 1 } } });
  const args =
    row.kind === 'reply'
      ? {
          account: row.account,
          commentId: (row.replyTo as { commentId?: string } | null)?.commentId,
          text: row.content.contentData,
          idempotencyKey: row.id,
        }
      : { account: row.account, text: row.content.contentData, idempotencyKey: row.id };
  let answer: { value: unknown };
  try {
    answer = await deps.mcp.callTool(row.platform, row.kind === 'reply' ? 'reply_to_comment' : 'post_content', args);
  } catch (err) {
    const details = (err as { code?: unknown; details?: Record<string, unknown> }).details;
    if (details?.code === 'QUOTA_EXCEEDED') {
      const retry = Number(details.retryAfterMs);
      throw new QuotaDeferral('platformPosts', Number.isFinite(retry) && retry > 0 ? retry : 60_000, String(err));
    }
    await db.publication.update({
      where: { id: row.id },
      data: { lastError: err instanceof Error ? err.message : String(err) },
    });
    throw err;
  }
  const posted = postedOf(answer.value);
  if (!posted) throw new PublishError(`${row.platform} answered ${row.kind} without a post id`);
  const postedAt = posted.postedAt && Number.isFinite(Date.parse(posted.postedAt)) ? new Date(posted.postedAt) : now;
  const applied = await db.$transaction(async (tx) => {
    const claimed = await tx.publication.updateMany({
      where: { id: row.id, status: 'pending' },
      data: { status: 'posted', platformPostId: posted.postId, url: posted.url, postedAt, lastError: null },
    });
    if (claimed.count === 0) return false;
    const content = await tx.content.findUniqueOrThrow({ where: { id: row.contentId } });
    const meta = (content.metadata ?? {}) as Record<string, unknown>;
    const publications = { ...((meta.publications as object) ?? {}), [row.platform]: posted };
    await tx.content.update({
      where: { id: row.contentId },
      data: {
        ...(content.status === 'approved' ? { status: 'published', publishedAt: postedAt } : {}),
        metadata: asJson({ ...meta, publications }),
      },
    });
    await writeAudit(tx, {
      agentId: row.agentId,
      action: 'content.published',
      actor: PUBLISHER,
      details: { contentId: row.contentId, platform: row.platform, account: row.account, ...posted },
    });
    return true;
  });
  if (applied) deps.publish?.(CONTENT_PUBLISHED_TOPIC, { id: row.contentId });
  return { publicationId, published: applied, postId: posted.postId };
}

/** A publish job out of retries: the row is failed with the reason (the content stays approved). */
export async function failPublication(db: Database, publicationId: string, reason: string) {
  await db.publication.updateMany({
    where: { id: publicationId, status: 'pending' },
    data: { status: 'failed', lastError: reason },
  });
}

/**
 * Removes taken-down content from every platform it was posted to (delete_post); a post the platform no longer has
 * counts as removed. Idempotent: rows already deleted are left alone. Returns how many posts were removed.
 */
export async function unpublishContent(deps: Pick<PublishingDeps, 'db' | 'mcp'>, contentId: string): Promise<number> {
  const rows = await deps.db.publication.findMany({ where: { contentId, status: 'posted' } });
  let removed = 0;
  for (const row of rows) {
    if (!deps.mcp) throw new PublishError(`No MCP hub: cannot reach platform "${row.platform}".`);
    try {
      await deps.mcp.callTool(row.platform, 'delete_post', { account: row.account, postId: row.platformPostId });
    } catch (err) {
      if ((err as { details?: { code?: unknown } }).details?.code !== 'NOT_FOUND') throw err;
    }
    await deps.db.$transaction(async (tx) => {
      const done = await tx.publication.updateMany({
        where: { id: row.id, status: 'posted' },
        data: { status: 'deleted' },
      });
      if (done.count === 0) return;
      removed += 1;
      await writeAudit(tx, {
        agentId: row.agentId,
        action: 'content.unpublished',
        actor: PUBLISHER,
        details: { contentId, platform: row.platform, account: row.account, postId: row.platformPostId },
      });
    });
  }
  return removed;
}
