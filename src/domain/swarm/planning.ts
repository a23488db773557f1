// The Planner's rules: a goal becomes a small plan of tasks (with dependencies), once. Running it again for the
// same goal (a retried or duplicated job) changes nothing.
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import type { LanguageModel } from '../../platform/llm/llm.js';
import { writeAudit } from '../audit/audit.service.js';
import { nextPostingSlot } from '../publishing/publishing.service.js';
import { CONTENT_TASK_TYPES, lockQuota, requireTaskBudget, SPEC_LIMITS } from '../tasks/limits.js';
import { announceTask, type SwarmDeps } from './events.js';
import { workJob } from './jobs.js';
import { enqueue } from './outbox.js';
import { personaOfAgent, trendContext } from './persona-of.js';
import { recalled } from './recollection.js';

const SYSTEM_ACTOR = { kind: 'system', id: 'planner' } as const;

/** What a goal passes to every task of its plan (goals.context: e.g. the comment a reply answers). */
function goalContextOf(value: unknown): Record<string, Prisma.InputJsonValue> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, Prisma.InputJsonValue>)
    : {};
}

export async function planGoal(deps: SwarmDeps & { db: Database; llm: LanguageModel }, goalId: string) {
  const { db, llm } = deps;
  const goal = await db.goal.findUniqueOrThrow({ where: { id: goalId }, include: { tasks: { select: { id: true } } } });
  if (goal.tasks.length > 0 || goal.status !== 'planning') return { goalId, planned: false, taskIds: [] as string[] };

  const limits = deps.limits ?? SPEC_LIMITS;
  // A cheap look before asking the model: a goal whose agent is out of task budget waits (QuotaDeferral).
  await requireTaskBudget(db, goal.agentId, limits, 1);
  const persona = await personaOfAgent(db, goal.agentId);
  const constraints = (goal.personaConstraints as string[]).map((text) => ({ kind: 'fact' as const, text }));
  await deps.externalCalls?.spend(goal.agentId, 'planning');
  const plan = await llm.plan({
    persona,
    goal: goal.description,
    context: [...constraints, ...(await trendContext(db)), ...(await recalled(deps, goal.agentId, goal.description))],
  });

  // Around the agent's posting quotas: when its platforms are full, content is scheduled for the next free slot
  // (the Worker starts it then) instead of being written now and failing to post.
  const slot = deps.quotas ? await nextPostingSlot(db, deps.quotas, goal.agentId) : null;

  const planned = await db.$transaction(async (tx) => {
    // Re-check under the lock: two planners racing on the same goal plan it once.
    const locked = await tx.$queryRaw<
      { status: string }[]
    >`SELECT status FROM goals WHERE id = ${goalId}::uuid FOR UPDATE`;
    if (locked[0]?.status !== 'planning') return { goalId, planned: false, taskIds: [] as string[] };
    // The real check, under the quota locks: the whole plan fits the hour's task budget, or it waits.
    await lockQuota(tx, goal.agentId);
    await requireTaskBudget(tx, goal.agentId, limits, plan.steps.length);
    const ids: string[] = [];
    for (const step of plan.steps) {
      const task = await tx.task.create({
        data: {
          agentId: goal.agentId,
          goalId,
          taskType: step.type,
          priority: goal.priority === 'high' ? 'high' : step.priority,
          context: {
            goal_description: step.description,
            persona_constraints: goal.personaConstraints,
            required_resources: goal.requiredResources,
            goal: goal.description,
            params: step.params,
            ...goalContextOf(goal.context),
            ...(slot && CONTENT_TASK_TYPES.includes(step.type) ? { scheduled_for: slot.toISOString() } : {}),
          } as Prisma.InputJsonObject,
          dependsOn: step.dependsOn.map((i) => ids[i] as string),
        },
      });
      ids.push(task.id);
      if (step.dependsOn.length === 0) {
        await enqueue(tx, workJob(task, 1));
      }
    }
    await tx.goal.update({ where: { id: goalId }, data: { status: 'running' } });
    await writeAudit(tx, {
      agentId: goal.agentId,
      action: 'goal.planned',
      actor: SYSTEM_ACTOR,
      details: { goalId, taskIds: ids, llm: plan.metadata, rationale: plan.rationale },
    });
    return { goalId, planned: true, taskIds: ids };
  });
  for (const id of planned.taskIds ?? []) announceTask(deps, { id, agentId: goal.agentId });
  return planned;
}
