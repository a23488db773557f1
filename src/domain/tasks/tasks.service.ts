// Tasks: units of work for an agent, shaped like the spec's "Agent Task Schema". Created here (the swarm picks
// them up from the pending state), listed, and cancelled.
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { requireAgent } from '../agents/agents.service.js';
import { type Actor, writeAudit } from '../audit/audit.service.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { agentIdWithin, oneOf, statusIn, timeRange } from '../shared/filters.js';
import { lockStatusRow } from '../shared/locking.js';
import { goalContextFields, nonBlank, parseInput, score, uuid, withDefault } from '../shared/validation.js';
import { announceTask, type Publish } from '../swarm/events.js';
import { workJob } from '../swarm/jobs.js';
import { failGoal } from '../swarm/judgement.js';
import { enqueue } from '../swarm/outbox.js';
import { withdrawTransferOfTask } from '../wallets/transfers.service.js';
import { lockQuota, requireTaskBudgetOrReject, SPEC_LIMITS, type SwarmLimits } from './limits.js';
import {
  canTransition,
  TASK_PRIORITIES,
  TASK_TYPES,
  type TaskPriority,
  type TaskStatus,
  type TaskType,
  taskStatusOf,
} from './task.model.js';
import { moveTask } from './task-state.js';

const createSchema = z.object({
  agentId: uuid,
  taskType: z.enum(TASK_TYPES),
  priority: withDefault(z.enum(TASK_PRIORITIES), 'medium'),
  relevanceScore: score.nullish(),
  context: z.object(goalContextFields),
});

export type CreateTaskInput = z.input<typeof createSchema>;

/** The stored context document, in the spec's snake_case. */
export interface TaskContextDocument {
  goal_description: string;
  persona_constraints: string[];
  required_resources: string[];
  [key: string]: unknown;
}

export interface TaskFilter {
  /** Access scope: only rows of these agents (set for callers limited to assigned agents). */
  withinAgentIds?: string[];
  agentId?: string | null;
  statuses?: TaskStatus[] | null;
  priorities?: TaskPriority[] | null;
  taskTypes?: TaskType[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export type TaskOrder = 'CREATED_AT_DESC' | 'CREATED_AT_ASC';

type Query = Pick<Prisma.TaskFindUniqueArgs, 'include' | 'select'>;
type Page = Pick<Prisma.TaskFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;

export function taskWhere(f: TaskFilter = {}): Prisma.TaskWhereInput {
  return {
    agentId: agentIdWithin(f.agentId, f.withinAgentIds),
    ...statusIn(f.statuses, 'pending'),
    priority: oneOf(f.priorities),
    taskType: oneOf(f.taskTypes),
    createdAt: timeRange(f.createdAfter, f.createdBefore),
  };
}

export function taskOrderBy(order: TaskOrder = 'CREATED_AT_DESC'): Prisma.TaskOrderByWithRelationInput[] {
  const dir = order === 'CREATED_AT_ASC' ? 'asc' : 'desc';
  return [{ createdAt: dir }, { id: dir }];
}

export function createTaskService({
  db,
  publish,
  limits = SPEC_LIMITS,
}: {
  db: Database;
  publish?: Publish;
  limits?: SwarmLimits;
}) {
  return {
    get: (id: string, query: Query = {}) => db.task.findUnique({ ...query, where: { id } }),
    list: (filter: TaskFilter | undefined, order: TaskOrder | undefined, page: Page) =>
      db.task.findMany({ ...page, where: taskWhere(filter), orderBy: taskOrderBy(order) }),
    count: (filter?: TaskFilter) => db.task.count({ where: taskWhere(filter) }),

    async create(input: CreateTaskInput, actor: Actor, query: Query = {}) {
      const data = parseInput(createSchema, input);
      const context: TaskContextDocument = {
        goal_description: data.context.goalDescription,
        persona_constraints: data.context.personaConstraints,
        required_resources: data.context.requiredResources,
      };
      return db.$transaction(async (tx) => {
        const agent = await requireAgent(tx, data.agentId);
        if (agent.active === false) {
          throw new ConflictError('Agent', data.agentId, 'is deactivated; activate it before giving it tasks.');
        }
        await lockQuota(tx, data.agentId);
        await requireTaskBudgetOrReject(tx, data.agentId, limits);
        const task = await tx.task.create({
          ...query,
          data: {
            agentId: data.agentId,
            taskType: data.taskType,
            priority: data.priority,
            relevanceScore: data.relevanceScore ?? null,
            context: context as Prisma.InputJsonObject,
          },
        });
        await writeAudit(tx, {
          agentId: data.agentId,
          action: 'task.created',
          actor,
          details: { taskId: task.id, taskType: data.taskType, priority: data.priority },
        });
        // The swarm's Worker picks it up (through the outbox, with this transaction).
        await enqueue(tx, workJob({ id: task.id, agentId: data.agentId, priority: data.priority }, 1));
        return task;
      });
    },

    /**
     * Cancelling ends a live task as `failed` with a CANCELLED result (through the state machine, so a worker holding
     * the task cannot finish it afterwards), and with it the task's goal and the goal's tasks that had not started.
     * Finished tasks cannot be cancelled.
     */
    async cancel(id: string, reason: string | null | undefined, actor: Actor, query: Query = {}) {
      const why = parseInput(nonBlank(1000).nullish(), reason, ['reason']) ?? null;
      const done = await db.$transaction(async (tx) => {
        // Lock the row so a worker cannot finish it between our check and our write.
        const row = await lockStatusRow(tx, 'tasks', id);
        if (!row) throw new NotFoundError('Task', id);
        const status = taskStatusOf(row.status);
        if (!canTransition(status, 'failed')) {
          throw new ConflictError(
            'Task',
            id,
            `is ${status.toUpperCase()}; only PENDING, IN_PROGRESS or REVIEW tasks can be cancelled.`,
          );
        }
        const current = await tx.task.findUniqueOrThrow({ where: { id }, select: { version: true, goalId: true } });
        const message = why ?? 'Cancelled by an operator.';
        await withdrawTransferOfTask(tx, id, actor, message);
        await moveTask(tx, {
          id,
          from: status,
          to: 'failed',
          expectedVersion: current.version,
          result: { error: { code: 'CANCELLED', message }, cancelledFrom: status },
        });
        const ended = current.goalId ? await failGoal(tx, current.goalId, `Task ${id} was cancelled: ${message}`) : [];
        const task = await tx.task.findUniqueOrThrow({ ...query, where: { id } });
        await writeAudit(tx, {
          agentId: row.agent_id,
          action: 'task.cancelled',
          actor,
          details: { taskId: id, from: status, reason: why },
        });
        return { task, agentId: row.agent_id, ended };
      });
      for (const taskId of [id, ...done.ended]) announceTask({ publish }, { id: taskId, agentId: done.agentId });
      return done.task;
    },
  };
}

export type TaskService = ReturnType<typeof createTaskService>;
