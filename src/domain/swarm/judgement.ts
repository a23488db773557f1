// The Judge's rules: score a task's result and decide. Approve when confident (≥ 0.85) and safe; send to a human
// below 0.7, for the spec's escalation categories, and for transfers; otherwise reject and retry with feedback,
// a bounded number of times. Approving a task releases the tasks that waited for it and finishes the goal.
import type { Database } from '../../platform/db/prisma.js';
import type { Embedder } from '../../platform/embeddings/embeddings.js';
import type { LanguageModel } from '../../platform/llm/llm.js';
import { type Tx, writeAudit } from '../audit/audit.service.js';
import type { ModerationDecision } from '../moderation/model.js';
import type { Moderator } from '../moderation/pipeline.js';
import { queuePublications } from '../publishing/publishing.service.js';
import { asJson } from '../shared/json.js';
import { taskStatusOf } from '../tasks/task.model.js';
import { moveTask } from '../tasks/task-state.js';
import {
  type ConfidenceBreakdown,
  combineConfidence,
  type PersonaConsistency,
  personaConsistency,
  safetyOf,
} from './confidence.js';
import { announceTask, REVIEW_ITEMS_TOPIC, type SwarmDeps } from './events.js';
import { workJob } from './jobs.js';
import { enqueue } from './outbox.js';
import { personaOfAgent, trendContext } from './persona-of.js';
import { note, remember } from './recollection.js';

export const AUTO_APPROVE_AT = 0.85;
export const HUMAN_REVIEW_BELOW = 0.7;
export const MAX_ATTEMPTS = 3;

const JUDGE = { kind: 'system', id: 'judge' } as const;

export type Decision = 'approve' | 'retry' | 'escalate' | 'reject';

export interface Verdict {
  decision: Decision;
  confidence: number;
  personaConsistency: number;
  /** The sensitive or prohibited subcategories moderation found (e.g. financial_advice). */
  categories: string[];
  /** The worst content category of the request and the draft. */
  category: ModerationDecision['category'];
  reasons: string[];
  feedback: string;
  /** How the confidence was made (src/domain/swarm/confidence.ts). */
  signals: ConfidenceBreakdown & { persona: PersonaConsistency | null; selfAssessedBy: string | null };
}

/** Tasks of the goal whose dependencies are all complete and that have not started: hand them to the Worker. */
export async function releaseDependents(tx: Tx, goalId: string) {
  const tasks = await tx.task.findMany({
    where: { goalId },
    select: { id: true, agentId: true, goalId: true, status: true, dependsOn: true, priority: true },
  });
  const complete = new Set(tasks.filter((t) => t.status === 'complete').map((t) => t.id));
  for (const t of tasks) {
    if (taskStatusOf(t.status) === 'pending' && t.dependsOn.length > 0 && t.dependsOn.every((d) => complete.has(d))) {
      await enqueue(tx, workJob(t, 1));
    }
  }
  if (tasks.every((t) => complete.has(t.id)))
    await tx.goal.update({ where: { id: goalId }, data: { status: 'complete' } });
}

/** The refusal an execute_transaction task's result records (result.transfer.refused), if any. */
function transferRefusalOf(result: unknown): { code: string; message: string } | null {
  const refused = (result as { transfer?: { refused?: { code?: unknown; message?: unknown } } } | null)?.transfer
    ?.refused;
  if (!refused) return null;
  return { code: String(refused.code ?? 'TRANSFER_REFUSED'), message: String(refused.message ?? 'refused') };
}

/** After a task left REVIEW without failing: the goal is back to RUNNING unless another task still waits. */
export async function resumeGoal(tx: Tx, goalId: string) {
  const goal = await tx.goal.findUnique({ where: { id: goalId }, select: { status: true } });
  if (goal?.status !== 'review') return;
  const waiting = await tx.task.count({ where: { goalId, status: 'review' } });
  if (waiting === 0) await tx.goal.update({ where: { id: goalId }, data: { status: 'running' } });
}

/**
 * Ends a goal as FAILED, and with it every task of the goal that had not started (they can never run now): FAILED
 * with GOAL_FAILED and the reason. Returns the ids of the tasks it ended.
 */
export async function failGoal(tx: Tx, goalId: string, reason: string): Promise<string[]> {
  await tx.goal.update({ where: { id: goalId }, data: { status: 'failed' } });
  const waiting = await tx.task.findMany({ where: { goalId, status: 'pending' }, select: { id: true, version: true } });
  const ended: string[] = [];
  for (const t of waiting) {
    const error = { code: 'GOAL_FAILED', message: reason };
    const moved = await moveTask(tx, {
      id: t.id,
      from: 'pending',
      to: 'failed',
      expectedVersion: t.version,
      result: { error },
    });
    if (moved !== null) ended.push(t.id);
  }
  return ended;
}

export type JudgeDeps = SwarmDeps & { db: Database; llm: LanguageModel; moderator: Moderator; embedder: Embedder };

/** The moderation decisions a task's attempt carries: the Worker's pre_generation, the Judge's ai_review. */
export interface TaskModeration {
  pre_generation?: ModerationDecision;
  ai_review?: ModerationDecision;
}

const CATEGORY_RANK = { safe: 0, sensitive: 1, prohibited: 2 } as const;

export async function judgeTask(deps: JudgeDeps, taskId: string) {
  const { db, llm } = deps;
  const task = await db.task.findUniqueOrThrow({ where: { id: taskId }, include: { goal: true } });
  if (taskStatusOf(task.status) !== 'review' || (task.result as { verdict?: unknown } | null)?.verdict) {
    return { taskId, judged: false };
  }
  const content = await db.content.findFirst({ where: { taskId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  const persona = await personaOfAgent(db, task.agentId as string);
  const goalText = task.goal?.description ?? '';
  const text = content?.contentData ?? '';
  const pre = (task.result as { moderation?: TaskModeration } | null)?.moderation?.pre_generation;

  // Judge against what the Worker was asked: the step's description, with the same trend context.
  const step = (task.context as { goal_description?: string } | null)?.goal_description ?? goalText;
  if (content) await deps.externalCalls?.spend(task.agentId, 'judging');
  const critique = content
    ? await llm.critique({ persona, content: text, goal: step, context: await trendContext(db) })
    : null;
  const review = content
    ? await deps.moderator.review({
        text,
        contentType: content.contentType,
        agentId: task.agentId ?? undefined,
        contentId: content.id,
      })
    : null;
  const consistency = content
    ? await personaConsistency(deps, { agentId: task.agentId as string, persona, text, excludeContentId: content.id })
    : null;
  const signals = combineConfidence({
    personaConsistency: consistency?.score ?? 1,
    safety: review ? safetyOf(review) : 1,
    selfAssessment: critique?.score ?? 1,
  });
  const confidence = signals.confidence;
  const decisions = [pre, review].filter((d): d is ModerationDecision => d !== undefined && d !== null);
  const categories = [...new Set(decisions.flatMap((d) => d.subcategories))];
  const category = decisions.reduce<ModerationDecision['category']>(
    (worst, d) => (CATEGORY_RANK[d.category] > CATEGORY_RANK[worst] ? d.category : worst),
    'safe',
  );
  const reasons: string[] = decisions.flatMap((d) => d.reasons);
  // A transfer the spend policy (or its input) refused has nothing for a person to approve: it is rejected.
  const refusedTransfer = task.taskType === 'execute_transaction' ? transferRefusalOf(task.result) : null;
  if (refusedTransfer) reasons.push(`the transfer was refused (${refusedTransfer.code}): ${refusedTransfer.message}`);
  else if (task.taskType === 'execute_transaction') reasons.push('transfers need CFO approval');
  if (confidence < HUMAN_REVIEW_BELOW) reasons.push(`confidence ${confidence} is below ${HUMAN_REVIEW_BELOW}`);
  if (consistency?.avoidedWords.length)
    reasons.push(`uses words the persona avoids: ${consistency.avoidedWords.join(', ')}`);
  const canRetry = task.attempts < MAX_ATTEMPTS;
  const decision: Decision =
    pre?.category === 'prohibited' || refusedTransfer
      ? 'reject' // asked for something prohibited, or for a transfer the policy refused: no rewrite can fix it
      : review?.action === 'reject'
        ? canRetry
          ? 'retry'
          : 'reject'
        : task.taskType === 'execute_transaction' ||
            category === 'sensitive' ||
            review?.action === 'review' || // a human_review trigger, or a near-copy of known content
            pre?.action === 'reject' ||
            confidence < HUMAN_REVIEW_BELOW
          ? 'escalate'
          : confidence >= AUTO_APPROVE_AT
            ? 'approve'
            : canRetry
              ? 'retry'
              : 'escalate';
  const feedback = [...(critique?.issues ?? []), ...reasons].join('; ') || 'Tighten it and stay in voice.';
  const verdict: Verdict = {
    decision,
    confidence,
    personaConsistency: signals.personaConsistency,
    categories,
    reasons,
    feedback,
    category,
    signals: { ...signals, persona: consistency, selfAssessedBy: critique?.metadata.provider ?? null },
  };
  const moderation: TaskModeration = {
    ...(pre ? { pre_generation: pre } : {}),
    ...(review ? { ai_review: review } : {}),
  };
  const result = asJson({ ...(task.result as object), verdict, moderation, critique: critique?.metadata ?? null });

  const ended: string[] = [];
  const applied = await db.$transaction(async (tx) => {
    // Guarded by the version read above: of two judges racing on one task, one decides.
    const claimed = await tx.task.updateMany({ where: { id: taskId, version: task.version }, data: { result } });
    if (claimed.count === 0) return false;
    if (content) {
      // The draft keeps its moderation (stage by stage) and its sensitivity, which the content_sensitivity rule reads.
      const metadata = {
        ...(content.metadata as object),
        moderation,
        sensitivity: category,
        confidence: verdict.signals,
        ...(decision === 'escalate' ? { review: verdict } : {}),
      };
      const rejected = decision === 'reject' || (decision === 'retry' && review?.action === 'reject');
      await tx.content.update({
        where: { id: content.id },
        data: {
          confidenceScore: confidence,
          metadata: asJson(metadata),
          ...(decision === 'approve' ? { status: 'approved' } : rejected ? { status: 'rejected' } : {}),
        },
      });
      if (decision === 'approve') await queuePublications(tx, content);
    }
    if (decision === 'approve') {
      await moveTask(tx, { id: taskId, from: 'review', to: 'complete', expectedVersion: task.version, result });
      if (task.goalId) await releaseDependents(tx, task.goalId);
    } else if (decision === 'retry') {
      const context = asJson({ ...(task.context as object), feedback });
      await tx.task.update({ where: { id: taskId }, data: { context } });
      await moveTask(tx, {
        id: taskId,
        from: 'review',
        to: 'in_progress',
        expectedVersion: task.version,
        result,
        newAttempt: true,
      });
      await enqueue(tx, workJob(task, task.attempts + 1));
    } else if (decision === 'reject') {
      const error = refusedTransfer
        ? { code: refusedTransfer.code, message: refusedTransfer.message }
        : {
            code: 'PROHIBITED_CONTENT',
            message: `Prohibited (${categories.join(', ') || category}): ${reasons.join('; ')}`,
          };
      await moveTask(tx, {
        id: taskId,
        from: 'review',
        to: 'failed',
        expectedVersion: task.version,
        result: asJson({ ...(result as object), error }),
      });
      if (task.goalId)
        ended.push(...(await failGoal(tx, task.goalId, `Task ${taskId} was rejected: ${error.message}`)));
    } else {
      // Stays in review, now for a person: the verdict on the task marks it judged.
      await tx.task.update({ where: { id: taskId }, data: { version: { increment: 1 } } });
      if (task.goalId) await tx.goal.update({ where: { id: task.goalId }, data: { status: 'review' } });
    }
    await writeAudit(tx, {
      agentId: task.agentId,
      action: `judge.${decision}`,
      actor: JUDGE,
      details: { taskId, ...verdict },
    });
    return true;
  });
  if (applied) {
    const outcomes = { approve: 'completed', retry: 'retried', escalate: 'escalated', reject: 'rejected' } as const;
    deps.recordTaskOutcome?.({ taskType: task.taskType, outcome: outcomes[decision] });
    announceTask(deps, task);
    for (const id of ended) announceTask(deps, { id, agentId: task.agentId });
    if (decision === 'approve') {
      deps.activity?.count('tasks_completed', task.agentId);
      await remember(deps, task, {
        summary: `${task.taskType} for "${step}": approved by the Judge (confidence ${confidence})`,
        importance: confidence,
        tags: [task.taskType],
        approved: content
          ? { contentId: content.id, text, contentType: content.contentType, persona: persona.name }
          : undefined,
      });
    } else {
      await note(deps, task, decision === 'retry' ? 'feedback' : 'escalated', feedback);
    }
    // A transfer waits for a CFO (the transfers list), not in the content reviewers' queue.
    if (decision === 'escalate' && task.taskType !== 'execute_transaction')
      deps.publish?.(REVIEW_ITEMS_TOPIC, { id: taskId });
  }
  return { taskId, judged: applied, verdict };
}
