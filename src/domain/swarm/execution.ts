// The Worker's rules: carry out one task attempt and hand the result to the Judge. A job that runs twice (a crash
// after commit, a stalled-job retry) finds the task already moved on, or reuses the draft it already wrote.
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import type { ContextItem, LanguageModel } from '../../platform/llm/llm.js';
import { asJson } from '../shared/json.js';
import { isFinal, taskStatusOf } from '../tasks/task.model.js';
import { moveTask } from '../tasks/task-state.js';
import { announceTask, type SwarmDeps } from './events.js';
import { enqueue } from './outbox.js';
import { personaOfAgent, trendContext } from './persona-of.js';

export const JUDGE_TOPIC = 'judge';
export const judgeJobKey = (taskId: string, attempt: number) => `judge:${taskId}:${attempt}`;

interface TaskContext {
  goal_description?: string;
  goal?: string;
  feedback?: string;
}

export async function executeTask(deps: SwarmDeps & { db: Database; llm: LanguageModel }, taskId: string) {
  const { db, llm } = deps;
  let task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
  const status = taskStatusOf(task.status);
  if (isFinal(status) || status === 'review') return { taskId, executed: false };
  if (status === 'pending') {
    const version = await moveTask(db, {
      id: taskId,
      from: 'pending',
      to: 'in_progress',
      expectedVersion: task.version,
      newAttempt: true,
    });
    if (version === null) return { taskId, executed: false };
    task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    announceTask(deps, task);
  }
  const attempt = task.attempts;
  const context = (task.context ?? {}) as TaskContext;
  const instructions = [context.goal_description, context.feedback ? `Reviewer feedback: ${context.feedback}` : '']
    .filter(Boolean)
    .join('\n');

  let output: { result: Prisma.InputJsonObject; content?: { text: string; metadata: Prisma.InputJsonObject } };
  if (task.taskType === 'generate_content' || task.taskType === 'reply_comment') {
    const persona = await personaOfAgent(db, task.agentId as string);
    const trends: ContextItem[] = await trendContext(db);
    const completion = await llm.complete({
      persona,
      instructions: instructions || (context.goal ?? 'Say something in character.'),
      kind: task.taskType === 'reply_comment' ? 'reply' : 'post',
      context: trends,
    });
    output = {
      result: { attempt },
      content: { text: completion.text, metadata: asJson({ llm: completion.metadata, attempt }) },
    };
  } else if (task.taskType === 'fetch_trends') {
    output = { result: { attempt, trends: (await trendContext(db, 10)).map((t) => t.text) } };
  } else {
    // Transfers wait for the wallet service and a CFO's approval: the Judge sends them to a human.
    output = { result: { attempt, transfer: 'awaiting CFO approval', request: instructions } };
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
      await enqueue(tx, { topic: JUDGE_TOPIC, payload: { taskId, attempt }, dedupeKey: judgeJobKey(taskId, attempt) });
    })
    .then(
      () => announceTask(deps, task),
      (err: unknown) => {
        if (!(err instanceof SupersededError)) throw err;
      },
    );
  return { taskId, executed: true, attempt };
}

class SupersededError extends Error {}
