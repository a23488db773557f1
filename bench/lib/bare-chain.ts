// The baseline: a bare BullMQ three-step chain. Three queues; each step's processor adds the job to the next queue,
// and the third one resolves. No database, no outbox, no GraphQL: what BullMQ alone costs for three hops.
import { type JobsOptions, Queue, Worker } from 'bullmq';
import { createQueueConnection, type RetryPolicy } from '../../src/platform/queue/queues.js';
import type { Cleanup } from './resources.js';
import { runLimited, within } from './stats.js';

/** The swarm's job options (src/platform/queue/queues.ts), so both pay the same BullMQ bookkeeping. */
const jobOptions = (retry: RetryPolicy): JobsOptions => ({
  attempts: retry.attempts,
  backoff: { type: 'exponential', delay: retry.backoffMs },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: false,
});

const STEPS = ['bare-1', 'bare-2', 'bare-3'] as const;

interface ChainData {
  batch: string;
  i: number;
}

export interface BareChains {
  /** Runs `count` chains (adding at most `parallel` at a time) and resolves with the wall time in ms. */
  run(batch: string, count: number, parallel: number, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

export async function startBareChains(opts: {
  redisUrl: string;
  /** BullMQ prefix of the baseline's keys. */
  prefix: string;
  concurrency: number;
  retry: RetryPolicy;
  cleanup: Cleanup;
}): Promise<BareChains> {
  const options = jobOptions(opts.retry);
  const connection = createQueueConnection(opts.redisUrl);
  const queues = STEPS.map((name) => new Queue<ChainData>(name, { connection, prefix: opts.prefix }));
  const finished = new Map<string, { left: number; done: () => void }>();
  const add = (step: number, data: ChainData) =>
    (queues[step] as Queue<ChainData>).add(STEPS[step] as string, data, {
      ...options,
      jobId: `${data.batch}-${data.i}-${step + 1}`,
    });

  const connections: ReturnType<typeof createQueueConnection>[] = [];
  const workers = STEPS.map((name, step) => {
    const workerConnection = createQueueConnection(opts.redisUrl);
    connections.push(workerConnection);
    return new Worker<ChainData>(
      name,
      async (job) => {
        if (step < STEPS.length - 1) {
          await add(step + 1, job.data);
          return;
        }
        const batch = finished.get(job.data.batch);
        if (batch) {
          batch.left -= 1;
          if (batch.left === 0) batch.done();
        }
      },
      { connection: workerConnection, prefix: opts.prefix, concurrency: opts.concurrency },
    );
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.map((q) => q.close()));
    await Promise.all([connection, ...connections].map((c) => c.quit().catch(() => c.disconnect())));
  };
  opts.cleanup.add('close the baseline queues', close);
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  return {
    async run(batch, count, parallel, timeoutMs) {
      const done = new Promise<void>((resolve) => finished.set(batch, { left: count, done: resolve }));
      const started = performance.now();
      await runLimited(count, parallel, async (i) => {
        await add(0, { batch, i });
      });
      await within(
        done,
        timeoutMs,
        () => `baseline batch ${batch}: ${finished.get(batch)?.left ?? count} of ${count} chains unfinished`,
      ).finally(() => finished.delete(batch));
      return performance.now() - started;
    },
    close,
  };
}
