// Goal: submitting work to an agent's swarm, and following it.
import { GOAL_STATUSES } from '../../domain/swarm/goals.service.js';
import { builder } from '../builder.js';
import { idOf } from '../ids.js';
import { enumFromValues, stringsOf } from './common.js';
import { TaskPriority } from './tasks.js';

export const GoalStatus = enumFromValues(
  'GoalStatus',
  GOAL_STATUSES,
  'planning → running → review | complete | failed.',
);

export const Goal = builder.prismaNode('Goal', {
  id: { field: 'id' },
  nullable: true,
  description: 'What an operator asked an agent to achieve. The Planner turns it into tasks.',
  fields: (t) => ({
    description: t.exposeString('description'),
    personaConstraints: t.stringList({ resolve: (g) => stringsOf(g.personaConstraints) }),
    requiredResources: t.stringList({ resolve: (g) => stringsOf(g.requiredResources) }),
    priority: t.field({ type: TaskPriority, resolve: (g) => g.priority as 'high' | 'medium' | 'low' }),
    status: t.field({ type: GoalStatus, resolve: (g) => g.status as (typeof GOAL_STATUSES)[number] }),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    agent: t.relation('agent'),
    tasks: t.relation('tasks', {
      description: 'The plan: tasks in the order they were planned.',
      query: () => ({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
    }),
  }),
});

const SubmitGoalInput = builder.inputType('SubmitGoalInput', {
  fields: (t) => ({
    agentId: t.globalID({ required: true, description: 'An Agent ID.' }),
    goalDescription: t.string({ required: true, description: 'What to achieve; up to 50,000 characters.' }),
    personaConstraints: t.stringList({ description: 'Extra constraints on voice or content, up to 50.' }),
    requiredResources: t.stringList({ description: 'Resource URIs such as mcp://news/latest, up to 50.' }),
    priority: t.field({ type: TaskPriority, description: 'Default MEDIUM.' }),
    idempotencyKey: t.string({ description: 'Submitting again with the same key returns the same goal.' }),
  }),
});

builder.queryFields((t) => ({
  goal: t.prismaField({
    type: 'Goal',
    nullable: true,
    args: { id: t.arg.globalID({ required: true }) },
    resolve: (query, _root, { id }, ctx) => ctx.services.goals.get(idOf(id, 'Goal'), query),
  }),
}));

builder.mutationFields((t) => ({
  submitGoal: t.prismaField({
    type: 'Goal',
    description:
      'Hands a goal to the agent’s swarm and returns at once (status PLANNING). RATE_LIMITED when the agent’s hourly task budget is used up.',
    args: { input: t.arg({ type: SubmitGoalInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      ctx.services.goals.submit({ ...input, agentId: idOf(input.agentId, 'Agent') }, ctx.actor, query),
  }),
}));
