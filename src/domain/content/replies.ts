// Answering the audience: the comments on an agent's published post that deserve an answer become reply goals, which
// the Planner turns into reply_comment tasks; the approved reply is posted under the comment (reply_to_comment).
import type { Database } from '../../platform/db/prisma.js';
import type { Actor } from '../audit/audit.service.js';
import { interactionText } from '../interactions/interactions.service.js';
import type { Moderator } from '../moderation/pipeline.js';
import { createGoalService } from '../swarm/goals.service.js';
import type { SwarmLimits } from '../tasks/limits.js';
import { objectOf } from './flags.js';

/** At most this many reply goals per post (an agent does not argue in its comments all day). */
export const MAX_REPLIES_PER_POST = 3;

export interface ReplyDeps {
  db: Database;
  moderator: Moderator;
  limits?: SwarmLimits;
  onSideEffectError?: (err: unknown, what: string) => void;
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
export async function replyToComments(
  deps: ReplyDeps,
  actor: Actor,
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
        actor,
      );
      replies += 1;
    } catch (err) {
      deps.onSideEffectError?.(err, 'plan a reply'); // e.g. the agent's hourly task budget is used up
    }
  }
  return replies;
}
