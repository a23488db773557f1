// The Worker's rules: carry out one task attempt and hand the result to the Judge. A job that runs twice (a crash
// after commit, a stalled-job retry) finds the task already moved on, or reuses the draft it already wrote.
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import type { Embedder } from '../../platform/embeddings/embeddings.js';
import type { ContextItem, LanguageModel } from '../../platform/llm/llm.js';
import { DomainError } from '../shared/errors.js';
import { asJson } from '../shared/json.js';
import { lockQuota, QuotaDeferral, requireRunBudget, SPEC_LIMITS } from '../tasks/limits.js';
import { isFinal, scheduledForOf, taskStatusOf } from '../tasks/task.model.js';
import { moveTask } from '../tasks/task-state.js';
import { ingestionFrom, ingestTrends } from '../trends/ingestion.js';
import type { TaskTransfer, TransferService } from '../wallets/transfers.service.js';
import { announceTask, type SwarmDeps } from './events.js';
import { judgeJob } from './jobs.js';
import { enqueue } from './outbox.js';
import { activeTrends, personaOfAgent, trendContext } from './persona-of.js';
import { indexTrends, note, recalled } from './recollection.js';
import { resolveResources } from './resources.js';

interface TaskContext {
  goal_description?: string;
  goal?: string;
  feedback?: string;
  required_resources?: string[];
  /** Set by the Planner when the agent's posting quotas are full: the task starts then. */
  scheduled_for?: string;
  /** The Planner's parameters for the step (an execute_transaction's amount, currency, to and reason). */
  params?: Record<string, string | number | boolean>;
  /** The platform comment a reply answers (reply_comment tasks made from interactions). */
  reply_to?: { platform: string; commentId: string; postId?: string; author?: string; text?: string };
}

type WorkerDeps = SwarmDeps & {
  db: Database;
  llm: LanguageModel;
  embedder?: Embedder;
  /** Where execute_transaction tasks ask for their transfers (absent: no chain, so they are refused). */
  transfers?: Pick<TransferService, 'request'>;
};

export async function executeTask(deps: WorkerDeps, taskId: string) {
  const { db } = deps;
  const limits = deps.limits ?? SPEC_LIMITS;
  let task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
  const status = taskStatusOf(task.status);
  if (isFinal(status) || status === 'review') return { taskId, executed: false };
  const agentId = task.agentId as string;
  const starting = status === 'pending';
  // Scheduled by the Planner for a free posting slot: wait until then (deferred, not failed).
  const scheduledFor = scheduledForOf(task.context);
  if (starting && scheduledFor && scheduledFor.getTime() > Date.now()) {
    throw new QuotaDeferral(
      'platformPosts',
      scheduledFor.getTime() - Date.now(),
      `scheduled for ${scheduledFor.toISOString()}, when the agent's posting quota frees`,
    );
  }
  // Start (or resume) only within the agent's limits; over them, QuotaDeferral puts the job back for later.
  const version = await db.$transaction(async (tx) => {
    if (starting) await lockQuota(tx, agentId);
    await requireRunBudget(tx, { agentId, taskType: task.taskType, starting }, limits);
    if (!starting) return task.version;
    return moveTask(tx, {
      id: taskId,
      from: 'pending',
      to: 'in_progress',
      expectedVersion: task.version,
      newAttempt: true,
    });
  });
  if (version === null) return { taskId, executed: false };
  if (starting) {
    task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    announceTask(deps, task);
  }
  const running = { id: taskId, agentId };
  deps.activity?.started(running);
  try {
    const drafted = await draft(deps, task);
    deps.activity?.stopped(running, 'done');
    return drafted;
  } catch (err) {
    deps.activity?.stopped(running, 'failed');
    throw err;
  }
}

type TaskRow = Prisma.TaskGetPayload<Record<string, never>>;

/** Writes this attempt's result (and content), moves the task to REVIEW and queues the Judge, in one transaction. */
async function draft(deps: WorkerDeps, task: TaskRow) {
  const { db, llm } = deps;
  const taskId = task.id;
  const attempt = task.attempts;
  const context = (task.context ?? {}) as TaskContext;
  const instructions = [context.goal_description, context.feedback ? `Reviewer feedback: ${context.feedback}` : '']
    .filter(Boolean)
    .join('\n');

  let output: { result: Prisma.InputJsonObject; content?: { text: string; metadata: Prisma.InputJsonObject } };
  if (task.taskType === 'generate_content' || task.taskType === 'reply_comment') {
    const persona = await personaOfAgent(db, task.agentId as string);
    const asked = instructions || (context.goal ?? 'Say something in character.');
    const resources = await resolveResources(deps, task.agentId, context.required_resources ?? []);
    const answering = context.reply_to?.text
      ? [{ kind: 'comment' as const, text: `${context.reply_to.author ?? 'Someone'}: ${context.reply_to.text}` }]
      : [];
    const background: ContextItem[] = [
      ...answering,
      ...resources.context,
      ...(await trendContext(db)),
      ...(await recalled(deps, task.agentId as string, asked)),
    ];
    await note(deps, task, 'asked', asked);
    // pre_generation: the request itself (goal and step), checked before a word is written.
    const pre = await deps.moderator?.preGeneration({
      text: [context.goal, asked].filter(Boolean).join('\n'),
      persona: { wordsToAvoid: persona.voiceTone.wordsToAvoid, directives: persona.directives },
    });
    const moderation = pre ? { pre_generation: pre } : {};
    if (pre?.category === 'prohibited') {
      // A prohibited request gets no draft; the Judge rejects it. (A request against the persona's own directives is
      // written and goes to a person: the pipeline's word on it is a reason, not a verdict.)
      output = { result: asJson({ attempt, moderation, resources: resources.report }) };
    } else {
      await deps.externalCalls?.spend(task.agentId, 'writing');
      const completion = await llm.complete({
        persona,
        instructions: asked,
        kind: task.taskType === 'reply_comment' ? 'reply' : 'post',
        context: background,
      });
      output = {
        result: asJson({ attempt, moderation, resources: resources.report }),
        content: { text: completion.text, metadata: asJson({ llm: completion.metadata, attempt }) },
      };
    }
  } else if (task.taskType === 'fetch_trends') {
    // Through the MCP sources when there are some (the task's own, else the configured ones): the Trend Data pipeline.
    const sources = context.required_resources?.length ? context.required_resources : (deps.trends?.sources ?? []);
    const pipeline = ingestionFrom(deps);
    const ingested = pipeline && sources.length ? await ingestTrends(pipeline, sources) : null;
    const trends = await activeTrends(db, 10);
    // What the agent looked at becomes searchable (relatedTrends, TrendAnalysis in the vector store).
    if (!ingested) await indexTrends(deps, trends);
    output = {
      result: asJson({
        attempt,
        trends: trends.map((t) => t.topic),
        ...(ingested
          ? {
              ingested: ingested.map((r) => ({ ...r, created: r.created.length, corroborated: r.corroborated.length })),
            }
          : {}),
      }),
    };
  } else {
    output = { result: asJson({ attempt, transfer: await requestTransfer(deps, task, context) }) };
  }

  await db
    .$transaction(async (tx) => {
      let contentId: string | undefined;
      if (output.content) {
        const existing = await tx.content.findFirst({
          where: { taskId, metadata: { path: ['attempt'], equals: attempt } },
          select: { id: true },
        });
        contentId =
          existing?.id ??
          (
            await tx.content.create({
              data: {
                taskId,
                agentId: task.agentId,
                contentType: 'text',
                contentData: output.content.text,
                metadata: output.content.metadata,
              },
              select: { id: true },
            })
          ).id;
      }
      const moved = await moveTask(tx, {
        id: taskId,
        from: 'in_progress',
        to: 'review',
        expectedVersion: task.version,
        result: { ...output.result, ...(contentId ? { contentId } : {}) },
      });
      // Another run got here first: undo this one's writes.
      if (moved === null) throw new SupersededError();
      await enqueue(tx, judgeJob(task, attempt));
    })
    .then(
      async () => {
        announceTask(deps, task);
        if (output.content) {
          deps.activity?.count('content_generated', task.agentId);
          await note(deps, task, 'draft', output.content.text);
        }
      },
      (err: unknown) => {
        if (!(err instanceof SupersededError)) throw err;
      },
    );
  return { taskId, executed: true, attempt };
}

class SupersededError extends Error {}

/**
 * An execute_transaction task asks for its transfer (one per task: a rerun finds the first). What the policy or the
 * input refused is the task's result, for the Judge to reject with; anything else (the database) is thrown and
 * retried. Either way no money moves here: the transfer waits for a CFO.
 */
async function requestTransfer(deps: WorkerDeps, task: TaskRow, context: TaskContext): Promise<TaskTransfer> {
  const params = context.params ?? {};
  const text = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : undefined);
  if (!deps.transfers) {
    return {
      refused: { code: 'CHAIN_UNAVAILABLE', message: 'This swarm has no chain configured, so it cannot send money.' },
    };
  }
  try {
    const transfer = await deps.transfers.request(
      {
        agentId: task.agentId,
        amount: text(params.amount) ?? '',
        currency: text(params.currency),
        recipient: text(params.to) ?? '',
        reason: text(params.reason) ?? context.goal_description ?? context.goal ?? 'execute_transaction task',
      },
      { actor: { kind: 'system', id: 'swarm-worker' }, userId: null },
      { taskId: task.id },
    );
    return { id: transfer.id, status: transfer.status };
  } catch (err) {
    if (!(err instanceof DomainError) || err.code === 'CHAIN_UNAVAILABLE') throw err;
    return { refused: { code: err.code, message: err.message, ...err.details } };
  }
}
