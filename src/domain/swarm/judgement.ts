// The Judge's rules: score a task's result and decide. Approve when confident (≥ 0.85) and safe; send to a human
// below 0.7, for the spec's escalation categories, and for transfers; otherwise reject and retry with feedback,
// a bounded number of times. Approving a task releases the tasks that waited for it and finishes the goal.
import type { Database } from '../../platform/db/prisma.js';
import type { LanguageModel } from '../../platform/llm/llm.js';
import { type Tx, writeAudit } from '../audit/audit.service.js';
import { asJson } from '../shared/json.js';
import { taskStatusOf } from '../tasks/task.model.js';
import { moveTask } from '../tasks/task-state.js';
import { escalationCategories } from './escalation.js';
import { announceTask, REVIEW_ITEMS_TOPIC, type SwarmDeps } from './events.js';
import { workJob } from './jobs.js';
import { enqueue } from './outbox.js';
import { personaOfAgent, trendContext } from './persona-of.js';

export const AUTO_APPROVE_AT = 0.85;
export const HUMAN_REVIEW_BELOW = 0.7;
export const MAX_ATTEMPTS = 3;

const JUDGE = { kind: 'system', id: 'judge' } as const;

export type Decision = 'approve' | 'retry' | 'escalate';

export interface Verdict {
  decision: Decision;
  confidence: number;
  personaConsistency: number;
  categories: string[];
  reasons: string[];
  feedback: string;
}

/** Tasks of the goal whose dependencies are all complete and that have not started: hand them to the Worker. */
export async function releaseDependents(tx: Tx, goalId: string) {
  const tasks = await tx.task.findMany({
    where: { goalId },
    select: { id: true, agentId: true, status: true, dependsOn: true, priority: true },
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

export async function judgeTask(deps: SwarmDeps & { db: Database; llm: LanguageModel }, taskId: string) {
  const { db, llm } = deps;
  const task = await db.task.findUniqueOrThrow({ where: { id: taskId }, include: { goal: true } });
  if (taskStatusOf(task.status) !== 'review' || (task.result as { verdict?: unknown } | null)?.verdict) {
    return { taskId, judged: false };
  }
  const content = await db.content.findFirst({ where: { taskId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  const persona = await personaOfAgent(db, task.agentId as string);
  const goalText = task.goal?.description ?? '';
  const text = content?.contentData ?? '';

  // Judge against what the Worker was asked: the step's description, with the same trend context.
  const step = (task.context as { goal_description?: string } | null)?.goal_description ?? goalText;
  const critique = content
    ? await llm.critique({ persona, content: text, goal: step, context: await trendContext(db) })
    : null;
  const avoided = persona.voiceTone.wordsToAvoid.filter((w) => text.toLowerCase().includes(w.toLowerCase()));
  const personaConsistency = avoided.length === 0 ? 1 : 0.5;
  const confidence = Math.round(Math.min(critique?.score ?? 0.9, personaConsistency) * 100) / 100;
  const categories = escalationCategories(goalText, text);
  const reasons: string[] = [];
  if (task.taskType === 'execute_transaction') reasons.push('transfers need CFO approval');
  if (categories.length) reasons.push(`sensitive topics: ${categories.join(', ')}`);
  if (confidence < HUMAN_REVIEW_BELOW) reasons.push(`confidence ${confidence} is below ${HUMAN_REVIEW_BELOW}`);
  if (avoided.length) reasons.push(`uses words the persona avoids: ${avoided.join(', ')}`);
  const decision: Decision =
    task.taskType === 'execute_transaction' || categories.length > 0 || confidence < HUMAN_REVIEW_BELOW
      ? 'escalate'
      : confidence >= AUTO_APPROVE_AT
        ? 'approve'
        : task.attempts < MAX_ATTEMPTS
          ? 'retry'
          : 'escalate';
  const feedback = [...(critique?.issues ?? []), ...reasons].join('; ') || 'Tighten it and stay in voice.';
  const verdict: Verdict = { decision, confidence, personaConsistency, categories, reasons, feedback };
  const result = asJson({ ...(task.result as object), verdict, critique: critique?.metadata ?? null });

  const applied = await db.$transaction(async (tx) => {
    // Guarded by the version read above: of two judges racing on one task, one decides.
    const claimed = await tx.task.updateMany({ where: { id: taskId, version: task.version }, data: { result } });
    if (claimed.count === 0) return false;
    if (content) {
      await tx.content.update({
        where: { id: content.id },
        data: {
          confidenceScore: confidence,
          ...(decision === 'approve' ? { status: 'approved' } : {}),
          ...(decision === 'escalate'
            ? { metadata: asJson({ ...(content.metadata as object), review: verdict }) }
            : {}),
        },
      });
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
    announceTask(deps, task);
    if (decision === 'approve') deps.activity?.count('tasks_completed', task.agentId);
    if (decision === 'escalate') deps.publish?.(REVIEW_ITEMS_TOPIC, { id: taskId });
  }
  return { taskId, judged: applied, verdict };
}
