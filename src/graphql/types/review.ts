// Human review (HITL): the queue of tasks the Judge escalated, and a reviewer's decisions on them.
import { encodeGlobalID, resolveCursorConnection } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import type { ReviewItem as ReviewItemShape } from '../../domain/swarm/review.service.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { optionalIdOf } from '../ids.js';
import { connectionOf } from './common.js';
import { Content } from './content.js';
import { Goal } from './goals.js';
import { Task } from './tasks.js';

/**
 * Not a Node: an item exists only while its task waits in the queue. Its own fields are the Judge's verdict; the
 * task, content and goal are Node types that their own rules guard wherever they are reached.
 */
export const ReviewItem = builder.objectRef<ReviewItemShape>('ReviewItem').implement({
  description: 'A task the Judge escalated to a person, with the verdict that sent it here.',
  fields: (t) => ({
    taskId: t.id({
      description:
        'The Task ID to decide with approveReview, rejectReview or requestChanges (readable without task:read).',
      resolve: (item) => encodeGlobalID('Task', item.task.id),
    }),
    task: t.field({ type: Task, resolve: (item) => item.task }),
    content: t.field({
      type: Content,
      nullable: true,
      description: 'The draft the Judge judged; null for tasks that write none (transfers).',
      resolve: (item) => item.content,
    }),
    goal: t.field({ type: Goal, nullable: true, resolve: (item) => item.goal }),
    confidence: t.float({
      nullable: true,
      description: 'The Judge’s confidence, 0..1.',
      resolve: (i) => i.verdict.confidence,
    }),
    categories: t.stringList({
      description:
        'Sensitive categories found, e.g. financial_advice, medical_information, political_content, legal_advice.',
      resolve: (item) => item.verdict.categories,
    }),
    reasons: t.stringList({ description: 'Why the Judge escalated it.', resolve: (item) => item.verdict.reasons }),
    feedback: t.string({ nullable: true, resolve: (item) => item.verdict.feedback }),
  }),
});

const ReviewFilter = builder.inputType('ReviewFilter', {
  fields: (t) => ({
    agentId: t.globalID({ description: 'An Agent ID.' }),
    goalId: t.globalID({ description: 'A Goal ID.' }),
    category: t.string({ description: 'Items the Judge found in this category, e.g. financial_advice.' }),
  }),
});

export const ReviewItemConnection = connectionOf(ReviewItem, 'ReviewItem');

const CURSOR_PREFIX = 'review:';
const cursorOf = (taskId: string) => Buffer.from(`${CURSOR_PREFIX}${taskId}`).toString('base64');
function taskIdOfCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64').toString();
  if (!text.startsWith(CURSOR_PREFIX)) {
    throw new GraphQLError(`"${cursor}" is not a cursor of reviewItems.`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return text.slice(CURSOR_PREFIX.length);
}

function reviewFilter(f: typeof ReviewFilter.$inferInput | null | undefined, ctx: Context) {
  return {
    agentId: optionalIdOf(f?.agentId, 'Agent'),
    goalId: optionalIdOf(f?.goalId, 'Goal'),
    category: f?.category,
    withinAgentIds: ctx.access.agentIds,
  };
}

builder.queryFields((t) => ({
  reviewItems: t.connection(
    {
      type: ReviewItem,
      description: 'The human review queue: escalated tasks no one has decided yet, newest first.',
      args: { filter: t.arg({ type: ReviewFilter }) },
      resolve: async (_root, args, ctx) => {
        const filter = reviewFilter(args.filter, ctx);
        const connection = await resolveCursorConnection<Promise<ReviewItemShape[]>>(
          { args, toCursor: (item) => cursorOf(item.task.id), defaultSize: 20, maxSize: 1000 },
          ({ before, after, limit, inverted }) =>
            ctx.services.review.list(filter, {
              take: limit,
              after: taskIdOfCursor(inverted ? before : after),
              reverse: inverted,
            }),
        );
        return { ...connection, totalCount: () => ctx.services.review.count(filter) };
      },
    },
    ReviewItemConnection,
  ),
}));

builder.mutationFields((t) => ({
  approveReview: t.prismaField({
    type: 'Task',
    description:
      'Approves an escalated task: its content APPROVED, the task COMPLETE, waiting tasks released, the goal completed when it was the last.',
    args: {
      taskId: t.arg.globalID({ required: true, for: Task }),
      note: t.arg.string({ description: 'Kept on the task and in the audit log. Up to 1,000 characters.' }),
    },
    resolve: (query, _root, { taskId, note }, ctx) => ctx.services.review.approve(taskId.id, ctx.actor, note, query),
  }),
  rejectReview: t.prismaField({
    type: 'Task',
    description:
      'Rejects an escalated task: its content REJECTED, the task FAILED with error code REJECTED_BY_REVIEWER, its goal FAILED ' +
      'with the tasks that waited for it (GOAL_FAILED).',
    args: {
      taskId: t.arg.globalID({ required: true, for: Task }),
      reason: t.arg.string({
        required: true,
        description: 'Why; becomes the task’s error message. Up to 1,000 characters.',
      }),
    },
    resolve: (query, _root, { taskId, reason }, ctx) => ctx.services.review.reject(taskId.id, ctx.actor, reason, query),
  }),
  requestChanges: t.prismaField({
    type: 'Task',
    description:
      'Sends an escalated task back to the Worker with the notes (context.feedback): the content REJECTED, a new attempt written and judged again.',
    args: {
      taskId: t.arg.globalID({ required: true, for: Task }),
      notes: t.arg.string({ required: true, description: 'What to change. Up to 5,000 characters.' }),
    },
    resolve: (query, _root, { taskId, notes }, ctx) =>
      ctx.services.review.requestChanges(taskId.id, ctx.actor, notes, query),
  }),
}));
