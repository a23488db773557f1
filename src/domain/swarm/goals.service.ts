// Goals: what an operator asks an agent to achieve. Submitting one writes the goal and the Planner's job in one
// transaction (the outbox), and returns at once; the swarm does the rest. A client-chosen idempotency key makes a
// retried submission return the goal it already created.
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { requireAgent } from '../agents/agents.service.js';
import { type Actor, writeAudit } from '../audit/audit.service.js';
import { ConflictError } from '../shared/errors.js';
import { goalContextFields, jsonObject, parseInput, uuid, withDefault } from '../shared/validation.js';
import { requireTaskBudgetOrReject, SPEC_LIMITS, type SwarmLimits } from '../tasks/limits.js';
import { TASK_PRIORITIES } from '../tasks/task.model.js';
import { planJob } from './jobs.js';
import { enqueue } from './outbox.js';

export const GOAL_STATUSES = ['planning', 'running', 'review', 'complete', 'failed'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

const submitSchema = z.object({
  agentId: uuid,
  ...goalContextFields,
  priority: withDefault(z.enum(TASK_PRIORITIES), 'medium'),
  idempotencyKey: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only')
    .nullish(),
  /** Passed to every task of the plan (not offered by the API: the swarm sets it, e.g. the comment to answer). */
  context: withDefault(jsonObject, {}),
});

export type SubmitGoalInput = z.input<typeof submitSchema>;

type Query = Pick<Prisma.GoalFindUniqueArgs, 'include' | 'select'>;

export function createGoalService({ db, limits = SPEC_LIMITS }: { db: Database; limits?: SwarmLimits }) {
  return {
    get: (id: string, query: Query = {}) => db.goal.findUnique({ ...query, where: { id } }),

    /** Creates the goal and its planning job, or returns the goal an earlier call with the same key created. */
    async submit(input: SubmitGoalInput, actor: Actor, query: Query = {}) {
      const data = parseInput(submitSchema, input);
      if (data.idempotencyKey) {
        const existing = await db.goal.findUnique({
          ...query,
          where: { agentId_idempotencyKey: { agentId: data.agentId, idempotencyKey: data.idempotencyKey } },
        });
        if (existing) return existing;
      }
      const create = () =>
        db.$transaction(async (tx) => {
          const agent = await requireAgent(tx, data.agentId);
          if (agent.active === false) {
            throw new ConflictError('Agent', data.agentId, 'is deactivated; activate it before giving it goals.');
          }
          // Refuse a goal the agent has no task budget for now (the Planner enforces the budget per plan).
          await requireTaskBudgetOrReject(tx, data.agentId, limits);
          const goal = await tx.goal.create({
            ...query,
            data: {
              agentId: data.agentId,
              description: data.goalDescription,
              personaConstraints: data.personaConstraints,
              requiredResources: data.requiredResources,
              priority: data.priority,
              idempotencyKey: data.idempotencyKey ?? null,
              context: data.context as Prisma.InputJsonObject,
              createdBy: actor.kind === 'user' ? (actor.id ?? null) : null,
            },
          });
          await enqueue(tx, planJob({ id: goal.id, agentId: data.agentId, priority: data.priority }));
          await writeAudit(tx, {
            agentId: data.agentId,
            action: 'goal.submitted',
            actor,
            details: { goalId: goal.id, priority: data.priority, idempotencyKey: data.idempotencyKey ?? null },
          });
          return goal;
        });
      try {
        return await create();
      } catch (err) {
        // Two submissions with the same key at once: the loser of the unique index returns the winner's goal.
        const key = data.idempotencyKey;
        if (!key || (err as { code?: string }).code !== 'P2002') throw err;
        return db.goal.findUniqueOrThrow({
          ...query,
          where: { agentId_idempotencyKey: { agentId: data.agentId, idempotencyKey: key } },
        });
      }
    },
  };
}

export type GoalService = ReturnType<typeof createGoalService>;
