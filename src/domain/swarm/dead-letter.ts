// Dead letters: a stage job that exhausted its retries ends its task (or its goal, for the Planner) as failed, with
// the reason where the API shows it (Task.error, code DEAD_LETTER), instead of leaving it stuck.
import type { Database } from '../../platform/db/prisma.js';
import { writeAudit } from '../audit/audit.service.js';
import { asJson } from '../shared/json.js';
import { canTransition, taskStatusOf } from '../tasks/task.model.js';
import { moveTask } from '../tasks/task-state.js';
import { announceTask, type SwarmDeps } from './events.js';
import { failGoal } from './judgement.js';

export interface DeadLetter {
  stage: 'planner' | 'worker' | 'judge';
  goalId?: string;
  taskId?: string;
  reason: string;
  attempts: number;
}

const SWARM = { kind: 'system', id: 'swarm' } as const;

export async function deadLetter(deps: SwarmDeps & { db: Database }, letter: DeadLetter): Promise<void> {
  const { db } = deps;
  const error = { code: 'DEAD_LETTER', message: letter.reason, stage: letter.stage, attempts: letter.attempts };
  if (letter.taskId) {
    // The task may be moving under us (another process): retry a few times against a fresh version.
    for (let i = 0; i < 3; i++) {
      const task = await db.task.findUnique({ where: { id: letter.taskId } });
      if (!task) return;
      const from = taskStatusOf(task.status);
      if (!canTransition(from, 'failed')) return;
      const result = asJson({ ...(task.result as object), error });
      // The task's failure, its goal's and the audit row commit together: nobody sees one without the others.
      const ended = await db.$transaction(async (tx) => {
        if ((await moveTask(tx, { id: task.id, from, to: 'failed', expectedVersion: task.version, result })) === null) {
          return null;
        }
        await writeAudit(tx, {
          agentId: task.agentId,
          action: 'task.dead_lettered',
          actor: SWARM,
          details: { taskId: task.id, ...error },
        });
        return task.goalId ? failGoal(tx, task.goalId, `Task ${task.id} failed: ${letter.reason}`) : [];
      });
      if (ended) {
        deps.recordTaskOutcome?.({ taskType: task.taskType, outcome: 'failed' });
        announceTask(deps, task);
        for (const id of ended) announceTask(deps, { id, agentId: task.agentId });
        return;
      }
    }
  } else if (letter.goalId) {
    const goal = await db.goal.findUnique({ where: { id: letter.goalId } });
    if (goal?.status !== 'planning') return;
    await db.$transaction(async (tx) => {
      await tx.goal.update({ where: { id: goal.id }, data: { status: 'failed' } });
      await writeAudit(tx, {
        agentId: goal.agentId,
        action: 'goal.dead_lettered',
        actor: SWARM,
        details: { goalId: goal.id, ...error },
      });
    });
  }
}
