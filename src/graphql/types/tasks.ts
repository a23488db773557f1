// Task: type, queries, mutations.

import { encodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { filter, pipe } from 'graphql-yoga';
import { agentTasksTopic, REVIEW_ITEMS_TOPIC, taskTopic } from '../../domain/swarm/events.js';
import {
  scheduledForOf,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
  type TaskPriority as TaskPriorityValue,
  type TaskType as TaskTypeValue,
  taskStatusOf,
} from '../../domain/tasks/task.model.js';
import type { TaskContextDocument } from '../../domain/tasks/tasks.service.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { readOncePerEvent } from '../event-reads.js';
import { idOf, optionalIdOf } from '../ids.js';
import { connectionOf, enumFromValues, scoreOf, stringsOf } from './common.js';

export const TaskType = enumFromValues('TaskType', TASK_TYPES, 'What a task does.');
export const TaskPriority = enumFromValues('TaskPriority', TASK_PRIORITIES, 'Queue priority.');
export const TaskStatus = enumFromValues(
  'TaskStatus',
  TASK_STATUSES,
  'pending → in_progress → review → complete | failed.',
  {
    review: 'Waiting for the Judge or a human reviewer.',
    failed: 'Failed, cancelled, or dead-lettered; see `result.error`.',
  },
);

const TaskOrder = builder.enumType('TaskOrder', { values: ['CREATED_AT_DESC', 'CREATED_AT_ASC'] as const });

const TaskContext = builder.objectRef<Partial<TaskContextDocument>>('TaskContext').implement({
  description: 'The goal and its constraints (spec: "Agent Task Schema").',
  fields: (t) => ({
    goalDescription: t.string({ nullable: true, resolve: (c) => str(c.goal_description) }),
    personaConstraints: t.stringList({ resolve: (c) => stringsOf(c.persona_constraints) }),
    requiredResources: t.stringList({
      description: 'Resource URIs the task needs, such as mcp://news/latest.',
      resolve: (c) => stringsOf(c.required_resources),
    }),
    raw: t.field({ type: 'JSONObject', description: 'The whole stored context document.', resolve: (c) => c }),
  }),
});

const TaskError = builder.objectRef<{ code: string; message: string }>('TaskError').implement({
  description: 'Why a task failed. code is e.g. CANCELLED.',
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

/** result.error of a failed task, when it has the documented { code, message } shape. */
function taskErrorOf(result: unknown): { code: string; message: string } | null {
  if (!result || typeof result !== 'object' || !('error' in result)) return null;
  const error = (result as { error: unknown }).error;
  if (!error || typeof error !== 'object') return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' ? { code, message: typeof message === 'string' ? message : code } : null;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

export const Task = builder.prismaNode('Task', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'A unit of work for an agent.',
  fields: (t) => ({
    // CHECK constraints guarantee the stored strings are enum values.
    taskType: t.field({ type: TaskType, resolve: (task) => task.taskType as TaskTypeValue }),
    priority: t.field({ type: TaskPriority, resolve: (task) => task.priority as TaskPriorityValue }),
    status: t.field({ type: TaskStatus, resolve: (task) => taskStatusOf(task.status) }),
    context: t.field({
      type: TaskContext,
      resolve: (task) =>
        task.context && typeof task.context === 'object' && !Array.isArray(task.context)
          ? (task.context as Partial<TaskContextDocument>)
          : {},
    }),
    relevanceScore: t.float({ nullable: true, resolve: (task) => scoreOf(task.relevanceScore) }),
    result: t.expose('result', { type: 'JSON', nullable: true }),
    error: t.field({
      type: TaskError,
      nullable: true,
      description: 'Set when the task failed or was cancelled.',
      resolve: (task) => taskErrorOf(task.result),
    }),
    scheduledFor: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        "When the Planner scheduled the task to start: the next free slot of the agent's posting quota (a PENDING task " +
        'waits until then). Null: it starts as soon as the tasks it depends on are done.',
      resolve: (task) => scheduledForOf(task.context),
    }),
    executionTimeMs: t.exposeInt('executionTimeMs', { nullable: true }),
    attempts: t.exposeInt('attempts', { description: 'How many times the Worker has started it (retries included).' }),
    dependsOn: t.idList({
      description: 'Tasks of the same plan this one waits for.',
      resolve: (task) => task.dependsOn.map((id) => encodeGlobalID('Task', id)),
    }),
    goal: t.relation('goal', { nullable: true, description: 'The goal this task serves, when the Planner made it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    agent: t.relation('agent', { nullable: true }),
    contents: t.relation('contents', {
      description: 'Content this task produced, newest first.',
      query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    }),
  }),
});

const TaskFilter = builder.inputType('TaskFilter', {
  fields: (t) => ({
    agentId: t.globalID({ description: 'An Agent ID.' }),
    status: t.field({ type: [TaskStatus], description: 'Any of these statuses.' }),
    priority: t.field({ type: [TaskPriority] }),
    taskType: t.field({ type: [TaskType] }),
    createdAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

const TaskContextInput = builder.inputType('TaskContextInput', {
  fields: (t) => ({
    goalDescription: t.string({ required: true, description: 'What to achieve; up to 50,000 characters.' }),
    personaConstraints: t.stringList({ description: 'Extra constraints on voice or content, up to 50.' }),
    requiredResources: t.stringList({ description: 'Resource URIs such as mcp://news/latest, up to 50.' }),
  }),
});

const CreateTaskInput = builder.inputType('CreateTaskInput', {
  fields: (t) => ({
    agentId: t.globalID({ required: true, description: 'An Agent ID.' }),
    taskType: t.field({ type: TaskType, required: true }),
    priority: t.field({ type: TaskPriority, description: 'Default MEDIUM.' }),
    relevanceScore: t.float({ description: '0..1, stored with two decimals.' }),
    context: t.field({ type: TaskContextInput, required: true }),
  }),
});

export const TaskConnection = connectionOf(Task, 'Task');

builder.queryFields((t) => ({
  task: t.prismaField({
    type: 'Task',
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: Task }) },
    resolve: (query, _root, { id }, ctx) => ctx.services.tasks.get(id.id, query),
  }),
  tasks: t.prismaConnection(
    {
      type: 'Task',
      cursor: 'id',
      description: 'Tasks, newest first unless orderBy says otherwise.',
      args: {
        filter: t.arg({ type: TaskFilter }),
        orderBy: t.arg({ type: TaskOrder, defaultValue: 'CREATED_AT_DESC' }),
      },
      totalCount: (_root, { filter }, ctx) => ctx.services.tasks.count(taskFilter(filter, ctx)),
      resolve: (query, _root, { filter, orderBy }, ctx) =>
        ctx.services.tasks.list(taskFilter(filter, ctx), orderBy ?? undefined, query),
    },
    TaskConnection,
  ),
}));

type TaskFilterArg = typeof TaskFilter.$inferInput | null | undefined;

function taskFilter(f: TaskFilterArg, ctx: Context) {
  return {
    agentId: optionalIdOf(f?.agentId, 'Agent'),
    statuses: f?.status,
    priorities: f?.priority,
    taskTypes: f?.taskType,
    createdAfter: f?.createdAfter,
    createdBefore: f?.createdBefore,
    withinAgentIds: ctx.access.agentIds,
  };
}

builder.subscriptionFields((t) => ({
  taskUpdated: t.prismaField({
    type: 'Task',
    description: 'Every change of a task (taskId) or of any task of an agent (agentId): give exactly one.',
    args: { taskId: t.arg.globalID(), agentId: t.arg.globalID() },
    subscribe: (_root, { taskId, agentId }, ctx) => {
      if ((taskId == null) === (agentId == null)) {
        throw new GraphQLError('Give exactly one of taskId and agentId.', { extensions: { code: 'BAD_USER_INPUT' } });
      }
      return ctx.pubsub.subscribe(
        taskId
          ? taskTopic(idOf(taskId, 'Task'))
          : agentTasksTopic(idOf(agentId as { typename: string; id: string }, 'Agent')),
      );
    },
    resolve: (query, payload: { id: string }, _args, ctx) =>
      readOncePerEvent(payload, query, () => ctx.db.task.findUniqueOrThrow({ ...query, where: { id: payload.id } })),
  }),
  reviewItemAdded: t.prismaField({
    type: 'Content',
    nullable: true,
    description:
      'The draft of a task the Judge sent to a human (of the caller’s agents, for callers limited to assigned agents); metadata.review says why (null for work without a draft, ' +
      'such as a transfer). Reviewers read content, not tasks.',
    // A reviewer limited to assigned agents hears only of their items (others are skipped, not refused).
    subscribe: (_root, _args, ctx) =>
      pipe(
        ctx.pubsub.subscribe(REVIEW_ITEMS_TOPIC),
        filter(async ({ id }: { id: string }) => {
          const within = ctx.access.agentIds;
          if (!within) return true;
          const agentId = await ctx.access.agentOfTask(id);
          return agentId != null && within.includes(agentId);
        }),
      ),
    resolve: (query, payload: { id: string }, _args, ctx) =>
      readOncePerEvent(payload, query, () =>
        ctx.db.content.findFirst({
          ...query,
          where: { taskId: payload.id },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
      ),
  }),
}));

builder.mutationFields((t) => ({
  createTask: t.prismaField({
    type: 'Task',
    description:
      'Creates a pending task for an active agent; the swarm’s Worker picks it up. RATE_LIMITED when the agent’s hourly task budget is used up.',
    args: { input: t.arg({ type: CreateTaskInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      ctx.services.tasks.create({ ...input, agentId: idOf(input.agentId, 'Agent') }, ctx.actor, query),
  }),
  cancelTask: t.prismaField({
    type: 'Task',
    description: 'Ends a pending, in-progress or in-review task as FAILED with error code CANCELLED.',
    args: { id: t.arg.globalID({ required: true, for: Task }), reason: t.arg.string() },
    resolve: (query, _root, { id, reason }, ctx) => ctx.services.tasks.cancel(id.id, reason, ctx.actor, query),
  }),
}));
