// Human review (HITL): the tasks the Judge escalated wait here for a person. A reviewer approves them (the content is
// approved, the task completes, the tasks that waited for it start), rejects them with a reason (the task and its
// goal fail), or requests changes (the Worker writes the task again with the reviewer's notes, and the Judge judges
// the new draft). Each decision is one transaction, guarded by the task's version, and audited with the reviewer.
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Actor, type Tx, writeAudit } from '../audit/audit.service.js';
import { allowedContentTransitions, type ContentStatus, contentStatusOf } from '../content/content.model.js';
import { queuePublications } from '../publishing/publishing.service.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import { agentIdWithin, orUndefined } from '../shared/filters.js';
import { asJson } from '../shared/json.js';
import { nonBlank, parseInput } from '../shared/validation.js';
import { taskStatusOf } from '../tasks/task.model.js';
import { moveTask } from '../tasks/task-state.js';
import { announceTask, type SwarmDeps } from './events.js';
import { workJob } from './jobs.js';
import { failGoal, releaseDependents, resumeGoal } from './judgement.js';
import { enqueue } from './outbox.js';
import { personaOfAgent } from './persona-of.js';
import * as recollection from './recollection.js';

export const REVIEW_DECISIONS = ['approved', 'rejected', 'changes_requested'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** What a person decided, kept on the task's result (result.review) and in the audit log. */
export interface HumanReview {
  decision: ReviewDecision;
  reviewer: { kind: Actor['kind']; id: string | null };
  note: string | null;
  at: string;
}

/** The Judge's verdict as the queue shows it. */
export interface ReviewVerdict {
  confidence: number | null;
  categories: string[];
  reasons: string[];
  feedback: string | null;
}

const itemInclude = {
  goal: true,
  contents: { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] },
} satisfies Prisma.TaskInclude;
type TaskWithParts = Prisma.TaskGetPayload<{ include: typeof itemInclude }>;
type TaskRow = Prisma.TaskGetPayload<Record<string, never>>;

export interface ReviewItem {
  task: TaskRow;
  /** The draft the Judge judged (result.contentId, else the newest); null for tasks that write none (transfers). */
  content: Prisma.ContentGetPayload<Record<string, never>> | null;
  goal: Prisma.GoalGetPayload<Record<string, never>> | null;
  verdict: ReviewVerdict;
}

export interface ReviewFilter {
  /** Access scope: only tasks of these agents (set for callers limited to assigned agents). */
  withinAgentIds?: string[];
  agentId?: string | null;
  goalId?: string | null;
  /** An escalation category the Judge found, e.g. financial_advice. */
  category?: string | null;
}

export interface ReviewPage {
  take: number;
  /** A task id: the page starts after it (in the page's direction). */
  after?: string;
  /** Oldest first (for `last`/`before` pages). */
  reverse?: boolean;
}

type Query = Pick<Prisma.TaskFindUniqueArgs, 'include' | 'select'>;

const noteSchema = nonBlank(1000).nullish();
const reasonSchema = nonBlank(1000);
const notesSchema = nonBlank(5000);

/**
 * In the queue: in REVIEW, escalated by the Judge, and not decided by a person. (Every decision also moves the task
 * out of REVIEW in the same transaction; the result.review condition keeps the queue right whatever moved it.)
 */
export function reviewWhere(f: ReviewFilter = {}): Prisma.TaskWhereInput {
  return {
    status: 'review',
    // Transfers wait for a CFO (approveTransfer), not for a content reviewer.
    taskType: { not: 'execute_transaction' },
    agentId: agentIdWithin(f.agentId, f.withinAgentIds),
    goalId: orUndefined(f.goalId),
    AND: [
      { result: { path: ['verdict', 'decision'], equals: 'escalate' } },
      { result: { path: ['review'], equals: Prisma.AnyNull } },
      ...(f.category ? [{ result: { path: ['verdict', 'categories'], array_contains: [f.category] } }] : []),
    ],
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);
const strList = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const objectOf = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function verdictOf(result: unknown): ReviewVerdict & { decision: string | null } {
  const v = objectOf(objectOf(result).verdict);
  return {
    decision: str(v.decision),
    confidence: typeof v.confidence === 'number' ? v.confidence : null,
    categories: strList(v.categories),
    reasons: strList(v.reasons),
    feedback: str(v.feedback),
  };
}

function humanReviewOf(result: unknown): HumanReview | null {
  const r = objectOf(objectOf(result).review);
  return typeof r.decision === 'string' ? (r as unknown as HumanReview) : null;
}

function toItem(task: TaskWithParts): ReviewItem {
  const { goal, contents, ...row } = task;
  const contentId = str(objectOf(task.result).contentId);
  const content = contents.find((c) => c.id === contentId) ?? contents[0] ?? null;
  const { decision: _decision, ...verdict } = verdictOf(task.result);
  return { task: row, content, goal, verdict };
}

const DECIDED: Record<ReviewDecision, string> = {
  approved: 'approved',
  rejected: 'rejected',
  changes_requested: 'sent back for changes',
};

/** Why a task cannot be decided now, or null when it waits for a person. */
function notDecidable(task: TaskRow): string | null {
  const status = taskStatusOf(task.status);
  const review = humanReviewOf(task.result);
  if (review) {
    const by = review.reviewer.id ? ` by ${review.reviewer.kind} ${review.reviewer.id}` : '';
    const now = status === 'review' ? '' : ` (it is ${status.toUpperCase()} now)`;
    return `was already ${DECIDED[review.decision] ?? review.decision}${by} at ${review.at}${now}; it cannot be decided again.`;
  }
  if (task.taskType === 'execute_transaction') {
    return 'is a transfer: only a CFO decides it, with approveTransfer or rejectTransfer (its transfer, not the task).';
  }
  if (status !== 'review') {
    return `is ${status.toUpperCase()}, not waiting for a human review; only tasks the Judge escalated (REVIEW) can be decided.`;
  }
  if (verdictOf(task.result).decision !== 'escalate') {
    return 'is in REVIEW but the Judge has not escalated it to a person; only escalated tasks can be decided.';
  }
  return null;
}

export function createReviewService(deps: { db: Database } & SwarmDeps) {
  const { db, publish, activity } = deps;
  /**
   * One decision: re-reads the task, checks it still waits for a person, applies `apply` (which must move the task
   * with the version read here), writes the audit row, and returns the task. Announces the task after commit.
   */
  async function decide(
    taskId: string,
    reviewer: Actor,
    decision: ReviewDecision,
    note: string | null,
    /** Applies the decision; returns the ids of other tasks it ended (announced after commit). */
    apply: (tx: Tx, task: TaskWithParts, review: HumanReview, content: ReviewItem['content']) => Promise<string[]>,
    query: Query,
  ) {
    const done = await db.$transaction(async (tx) => {
      const current = await tx.task.findUnique({ where: { id: taskId }, include: itemInclude });
      if (!current) throw new NotFoundError('Task', taskId);
      const refusal = notDecidable(current);
      if (refusal) throw new ConflictError('Task', taskId, refusal);
      const review: HumanReview = {
        decision,
        reviewer: { kind: reviewer.kind, id: reviewer.id ?? null },
        note,
        at: new Date().toISOString(),
      };
      const { content } = toItem(current);
      const ended = await apply(tx, current, review, content);
      await writeAudit(tx, {
        agentId: current.agentId,
        action: `review.${decision}`,
        actor: reviewer,
        details: {
          taskId,
          goalId: current.goalId,
          contentId: content?.id ?? null,
          attempt: current.attempts,
          reviewer: review.reviewer.id,
          note,
          verdict: verdictOf(current.result),
        },
      });
      return {
        agentId: current.agentId,
        task: await tx.task.findUniqueOrThrow({ ...query, where: { id: taskId } }),
        ended,
        taskType: current.taskType,
        content,
      };
    });
    announceTask({ publish }, { id: taskId, agentId: done.agentId });
    for (const id of done.ended) announceTask({ publish }, { id, agentId: done.agentId });
    if (decision === 'approved') activity?.count('tasks_completed', done.agentId);
    await rememberDecision({ id: taskId, agentId: done.agentId }, done.taskType, decision, note, done.content);
    return done.task;
  }

  /** What the agent keeps of a person's decision: approved and rejected work as memories, change requests as notes. */
  async function rememberDecision(
    task: { id: string; agentId: string | null },
    taskType: string,
    decision: ReviewDecision,
    note: string | null,
    content: ReviewItem['content'],
  ) {
    if (decision === 'changes_requested') {
      await recollection.note(deps, task, 'review', note ?? '');
      return;
    }
    const approved = decision === 'approved';
    const persona = task.agentId ? (await personaOfAgent(db, task.agentId)).name : '';
    await recollection.remember(deps, task, {
      summary: `${taskType}: ${approved ? 'approved' : 'rejected'} by a reviewer${note ? ` — ${note}` : ''}`,
      // A person's verdict is worth more than the Judge's; a rejection is kept as a lesson.
      importance: approved ? 0.9 : 0.6,
      tags: [taskType, approved ? 'human_approved' : 'rejected'],
      approved:
        approved && content
          ? { contentId: content.id, text: content.contentData, contentType: content.contentType, persona }
          : undefined,
    });
  }

  /** Moves the task out of REVIEW at the version read in this transaction; another writer first is a CONFLICT. */
  async function move(
    tx: Tx,
    task: TaskRow,
    to: 'complete' | 'failed' | 'in_progress',
    result: Prisma.InputJsonObject,
    newAttempt = false,
  ) {
    const moved = await moveTask(tx, {
      id: task.id,
      from: 'review',
      to,
      expectedVersion: task.version,
      result,
      newAttempt,
    });
    if (moved === null) {
      throw new ConflictError(
        'Task',
        task.id,
        'changed while the decision was being made (someone else decided it, or it was cancelled); reload it and try again.',
      );
    }
  }

  /** Sets the content's status (when the move is allowed and needed), and records the person's decision on it. */
  async function markContent(tx: Tx, content: ReviewItem['content'], to: ContentStatus, review: HumanReview) {
    if (!content) return;
    const from = contentStatusOf(content.status);
    if (from !== to && !allowedContentTransitions(from).includes(to)) {
      throw new ConflictError(
        'Content',
        content.id,
        `is ${from.toUpperCase()}; it cannot become ${to.toUpperCase()}, so the review cannot be ${DECIDED[review.decision]}.`,
      );
    }
    await tx.content.update({
      where: { id: content.id },
      data: {
        ...(from !== to ? { status: to } : {}),
        metadata: asJson({ ...objectOf(content.metadata), humanReview: review }),
      },
      select: { id: true },
    });
  }

  const findItems = (filter: ReviewFilter | undefined, page: ReviewPage) => {
    const dir = page.reverse ? 'asc' : 'desc';
    return db.task.findMany({
      where: reviewWhere(filter),
      orderBy: [{ createdAt: dir }, { id: dir }],
      take: page.take,
      ...(page.after ? { cursor: { id: page.after }, skip: 1 } : {}),
      include: itemInclude,
    });
  };

  return {
    /** The queue, newest first (oldest first with `reverse`). */
    async list(filter: ReviewFilter | undefined, page: ReviewPage): Promise<ReviewItem[]> {
      if (page.after && !z.uuid().safeParse(page.after).success) {
        throw new ValidationError('Invalid cursor: it is not one this API returned.', [
          { path: ['after'], message: 'not a cursor of this list' },
        ]);
      }
      return (await findItems(filter, page)).map(toItem);
    },

    count: (filter?: ReviewFilter) => db.task.count({ where: reviewWhere(filter) }),

    /** The task's review item while it waits in the queue; null otherwise. */
    async get(taskId: string, filter: ReviewFilter = {}): Promise<ReviewItem | null> {
      const task = await db.task.findFirst({ where: { ...reviewWhere(filter), id: taskId }, include: itemInclude });
      return task ? toItem(task) : null;
    },

    /** Approves the escalated draft: content APPROVED, task COMPLETE, dependents released, the goal finished. */
    approve(taskId: string, reviewer: Actor, note?: string | null, query: Query = {}) {
      const why = parseInput(noteSchema, note, ['note']) ?? null;
      return decide(
        taskId,
        reviewer,
        'approved',
        why,
        async (tx, task, review, content) => {
          await move(tx, task, 'complete', asJson({ ...objectOf(task.result), review }));
          await markContent(tx, content, 'approved', review);
          if (content) await queuePublications(tx, content);
          if (task.goalId) {
            await releaseDependents(tx, task.goalId);
            await resumeGoal(tx, task.goalId);
          }
          return [];
        },
        query,
      );
    },

    /** Rejects the escalated draft: content REJECTED, task FAILED (REJECTED_BY_REVIEWER), goal FAILED. */
    reject(taskId: string, reviewer: Actor, reason: string, query: Query = {}) {
      const why = parseInput(reasonSchema, reason, ['reason']);
      return decide(
        taskId,
        reviewer,
        'rejected',
        why,
        async (tx, task, review, content) => {
          const error = { code: 'REJECTED_BY_REVIEWER', message: why };
          await move(tx, task, 'failed', asJson({ ...objectOf(task.result), review, error }));
          await markContent(tx, content, 'rejected', review);
          return task.goalId ? failGoal(tx, task.goalId, `Task ${task.id} was rejected by a reviewer: ${why}`) : [];
        },
        query,
      );
    },

    /**
     * Sends the task back to the Worker with the reviewer's notes (context.feedback): this attempt's content is
     * REJECTED, the task is IN_PROGRESS as a new attempt, and the Worker's job is queued in the same transaction.
     */
    requestChanges(taskId: string, reviewer: Actor, notes: string, query: Query = {}) {
      const feedback = parseInput(notesSchema, notes, ['notes']);
      return decide(
        taskId,
        reviewer,
        'changes_requested',
        feedback,
        async (tx, task, review, content) => {
          await move(tx, task, 'in_progress', asJson({ ...objectOf(task.result), review }), true);
          await tx.task.update({
            where: { id: task.id },
            data: { context: asJson({ ...objectOf(task.context), feedback }) },
            select: { id: true },
          });
          await markContent(tx, content, 'rejected', review);
          await enqueue(tx, workJob(task, task.attempts + 1));
          if (task.goalId) await resumeGoal(tx, task.goalId);
          return [];
        },
        query,
      );
    },
  };
}

export type ReviewService = ReturnType<typeof createReviewService>;
