// FACE 2 — the swarm: BullMQ processors for the Planner, Worker and Judge stages, and the outbox relay that feeds
// them. Each processor is one call into the domain; all rules live in src/domain/swarm/.
import { type Job, Worker } from 'bullmq';
import { deadLetter } from '../domain/swarm/dead-letter.js';
import type { Publish } from '../domain/swarm/events.js';
import { executeTask } from '../domain/swarm/execution.js';
import { judgeTask } from '../domain/swarm/judgement.js';
import { createOutboxRelay, type OutboxMessage } from '../domain/swarm/outbox.js';
import { planGoal } from '../domain/swarm/planning.js';
import type { Database } from '../platform/db/prisma.js';
import type { LanguageModel } from '../platform/llm/llm.js';
import type { Logger } from '../platform/log/logger.js';
import { createQueueConnection, createQueues, type QueueName, type RetryPolicy } from '../platform/queue/queues.js';

export const SWARM_STAGES = ['planner', 'worker', 'judge'] as const;
export type SwarmStage = (typeof SWARM_STAGES)[number];

export interface SwarmOptions {
  db: Database;
  llm: LanguageModel;
  /** Announces task changes to subscribers (through Redis when the stages run apart from the API). */
  publish?: Publish;
  redisUrl: string;
  keyPrefix: string;
  logger: Logger;
  /** Which stages this process runs (a worker process may run one); the relay runs with any of them. */
  stages?: readonly SwarmStage[];
  concurrency?: number;
  relayIntervalMs?: number;
  /** Retries per stage job before it is dead-lettered (default 5, backoff from 1 s). */
  retry?: RetryPolicy;
}

type Processor = (job: Job) => Promise<unknown>;

export function startSwarm(opts: SwarmOptions) {
  const { db, llm, logger } = opts;
  const deps = { db, llm, publish: opts.publish };
  const queues = createQueues(opts.redisUrl, opts.keyPrefix, opts.retry);
  const send = (m: OutboxMessage) => {
    const payload = m.payload as Record<string, unknown>;
    const priority = payload.priority;
    return queues.add(m.topic as QueueName, {
      id: m.dedupeKey,
      data: payload,
      priority: priority === 'high' || priority === 'medium' || priority === 'low' ? priority : undefined,
    });
  };
  const relay = createOutboxRelay({
    db,
    send,
    onError: (err, m) => logger.warn({ err, outboxId: String(m.id), topic: m.topic }, 'outbox relay could not enqueue'),
  });

  const processors: Record<SwarmStage, Processor> = {
    planner: (job) => planGoal(deps, String(job.data.goalId)),
    worker: (job) => executeTask(deps, String(job.data.taskId)),
    judge: (job) => judgeTask(deps, String(job.data.taskId)),
  };
  const connections: ReturnType<typeof createQueueConnection>[] = [];
  const workers = (opts.stages ?? SWARM_STAGES).map((stage) => {
    const connection = createQueueConnection(opts.redisUrl);
    connections.push(connection);
    const worker = new Worker(stage, processors[stage], {
      connection,
      prefix: queues.prefix,
      concurrency: opts.concurrency ?? 8,
    });
    worker.on('failed', (job, err) => {
      logger.warn({ err, stage, jobId: job?.id }, 'swarm job failed');
      // Out of retries: the job is a dead letter (kept in BullMQ's failed set); end its task with the reason.
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        const data = job.data as { taskId?: string; goalId?: string };
        void deadLetter(deps, {
          stage,
          taskId: data.taskId,
          goalId: data.goalId,
          reason: err.message,
          attempts: job.attemptsMade,
        }).catch((e: unknown) => logger.error({ err: e, stage, jobId: job.id }, 'could not record a dead letter'));
      }
    });
    return worker;
  });

  // The relay: hands committed outbox rows to the queues, without overlapping runs.
  let relaying = false;
  let stopped = false;
  const tick = async () => {
    if (relaying || stopped) return;
    relaying = true;
    try {
      while (!stopped && (await relay.runOnce()) > 0) {
        // Drain while there is work.
      }
    } catch (err) {
      logger.warn({ err }, 'outbox relay run failed');
    } finally {
      relaying = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.relayIntervalMs ?? 100);

  return {
    queues,
    relay,
    /** Runs the relay now (tests, and callers that just enqueued work). */
    flush: tick,
    async close(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      await queues.close();
    },
  };
}

export type Swarm = ReturnType<typeof startSwarm>;
