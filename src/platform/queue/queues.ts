// BullMQ queues for the swarm: planner, worker, judge, publish, chain, maintenance. Job ids are the outbox dedupe keys, so adding the
// same job twice is a no-op. Queue keys live under the configured Redis prefix, like every other key.
import { type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';

export const QUEUE_NAMES = ['planner', 'worker', 'judge', 'publish', 'chain', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** BullMQ priorities: a lower number runs first. */
export const PRIORITY_RANK = { high: 1, medium: 5, low: 10 } as const;

const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  // Failed jobs are kept: their failedReason is the dead-letter record the API shows.
  removeOnFail: false,
};

/** A connection for BullMQ: no ioredis keyPrefix (BullMQ prefixes itself) and no per-command retry limit. */
export function createQueueConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** Retries per job and the first backoff delay (doubled each retry). */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 1_000 };

export function createQueues(url: string, keyPrefix: string, retry: RetryPolicy = DEFAULT_RETRY) {
  const connection = createQueueConnection(url);
  const prefix = `${keyPrefix}bull`;
  const queues = Object.fromEntries(
    QUEUE_NAMES.map((name) => [
      name,
      new Queue(name, {
        connection,
        prefix,
        defaultJobOptions: {
          ...DEFAULT_JOB_OPTIONS,
          attempts: retry.attempts,
          backoff: { type: 'exponential', delay: retry.backoffMs },
        },
      }),
    ]),
  ) as Record<QueueName, Queue>;

  return {
    prefix,
    queues,
    async add(
      name: QueueName,
      job: { id: string; data: Record<string, unknown>; priority?: keyof typeof PRIORITY_RANK },
    ): Promise<void> {
      await queues[name].add(name, job.data, {
        // BullMQ reserves ':' in job ids (its key separator); any dedupe key is made safe, reversibly.
        jobId: jobIdOf(job.id),
        ...(job.priority ? { priority: PRIORITY_RANK[job.priority] } : {}),
      });
    },
    /** The job with this dedupe key, if the queue still holds it (in any state). */
    get: (name: QueueName, dedupeKey: string) => queues[name].getJob(jobIdOf(dedupeKey)),
    async close(): Promise<void> {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

export type Queues = ReturnType<typeof createQueues>;

/** The BullMQ job id for a dedupe key (see `add`). */
export const jobIdOf = (dedupeKey: string) => encodeURIComponent(dedupeKey);
