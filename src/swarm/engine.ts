// FACE 2 — the swarm: BullMQ processors for the Planner, Worker and Judge stages (and the maintenance queue beside
// them, src/swarm/maintenance.ts), the outbox relay that feeds them,
// the reconciler that re-enqueues work Redis lost, and the heartbeats of running tasks. Each processor is one call
// into the domain; all rules live in src/domain/swarm/.
import { performance } from 'node:perf_hooks';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { MemoryService } from '../domain/memory/memory.service.js';
import type { Moderator } from '../domain/moderation/pipeline.js';
import type { RetentionPeriods } from '../domain/operations/retention.service.js';
import { failPublication, type PostingQuota, publishContent } from '../domain/publishing/publishing.service.js';
import type { SwarmActivityRecorder } from '../domain/swarm/activity.js';
import { deadLetter } from '../domain/swarm/dead-letter.js';
import type { Publish } from '../domain/swarm/events.js';
import { executeTask } from '../domain/swarm/execution.js';
import type { ExternalCallBudget } from '../domain/swarm/external-calls.js';
import { judgeTask } from '../domain/swarm/judgement.js';
import { createOutboxRelay, type OutboxMessage } from '../domain/swarm/outbox.js';
import { planGoal } from '../domain/swarm/planning.js';
import { outstandingJobs } from '../domain/swarm/reconcile.js';
import { QuotaDeferral, type SwarmLimits } from '../domain/tasks/limits.js';
import { type SettlementDeps, settleTransfer } from '../domain/wallets/settlement.js';
import type { TransferService } from '../domain/wallets/transfers.service.js';
import type { Database } from '../platform/db/prisma.js';
import type { Embedder } from '../platform/embeddings/embeddings.js';
import type { LanguageModel } from '../platform/llm/llm.js';
import { type Logger, withLogContext } from '../platform/log/logger.js';
import type { McpHub } from '../platform/mcp/hub.js';
import type { Metrics } from '../platform/metrics/registry.js';
import {
  createQueueConnection,
  createQueues,
  DEFAULT_RETRY,
  type QueueName,
  type RetryPolicy,
} from '../platform/queue/queues.js';
import type { Tracing } from '../platform/tracing/tracing.js';
import type { VectorStore } from '../platform/vector/vector-store.js';
import {
  type MaintenanceJobData,
  type MaintenanceSchedule,
  maintenanceProcessor,
  scheduleMaintenance,
} from './maintenance.js';

/** BullMQ's reason for a job failed because its workers kept dying under it. */
const STALLED_OUT = 'job stalled more than allowable limit';

export const SWARM_STAGES = ['planner', 'worker', 'judge', 'publish', 'chain', 'maintenance'] as const;
export type SwarmStage = (typeof SWARM_STAGES)[number];

export interface SwarmOptions {
  db: Database;
  llm: LanguageModel;
  /** Announces task changes to subscribers (through Redis when the stages run apart from the API). */
  publish?: Publish;
  /** Agent state and hourly counters in Redis (see src/domain/swarm/activity.ts). */
  activity?: SwarmActivityRecorder;
  /** The spec's resource limits (its defaults when absent). */
  limits?: SwarmLimits;
  /** Agent memory: recalled as context, notes while drafting, consolidated after (absent: no memory). */
  memory?: MemoryService;
  /** The moderation pipeline (pre_generation in the Worker, ai_review in the Judge). */
  moderator: Moderator;
  /** Embeddings for the Judge's persona-consistency signal. */
  embedder: Embedder;
  /** The vector store, for its scheduled upkeep (the maintenance stage). */
  vectors?: VectorStore;
  /** The maintenance stage's recurring jobs. */
  maintenance?: MaintenanceSchedule;
  /** The retention periods the maintenance stage applies (absent: it does not). */
  retention?: RetentionPeriods;
  /** The MCP hub: resources tasks require, trend sources, platform tools (absent: none are reached). */
  mcp?: McpHub;
  /** Redis (the trend cache). */
  redis?: Redis;
  /** Trend ingestion's default sources and a trend's lifetime. */
  trends?: { sources: readonly string[]; ttlHours: number };
  /** Posting quotas per platform account. */
  platformQuotas?: Readonly<Record<string, PostingQuota>>;
  /** The agents' external-call budget (absent: calls are not counted). */
  externalCalls?: ExternalCallBudget;
  /** Transfers: execute_transaction tasks ask for theirs; maintenance expires unanswered ones (absent: no chain). */
  transfers?: TransferService;
  /** What the chain stage settles approved transfers with (absent: the stage has nothing to do and does not run). */
  settlement?: SettlementDeps;
  redisUrl: string;
  keyPrefix: string;
  logger: Logger;
  /** Which stages this process runs (a worker process may run one); the relay and reconciler run with any. */
  stages?: readonly SwarmStage[];
  concurrency?: number;
  relayIntervalMs?: number;
  /** Retries per stage job before it is dead-lettered (default 5, backoff from 1 s). */
  retry?: RetryPolicy;
  /** BullMQ's job lock: a job whose process died runs again after about this long (default 30 s). */
  lockMs?: number;
  /** How often to look for work Redis lost (default 15 s); 0 turns the reconciler off. */
  reconcileIntervalMs?: number;
  /** How often running tasks' heartbeats are refreshed (default 5 s). */
  heartbeatMs?: number;
  /** How long close() lets running jobs finish (default 25 s). */
  shutdownGraceMs?: number;
  /** Job and task-outcome metrics (absent: not counted). */
  metrics?: Metrics | null;
  /** Traces: each job continues the trace of whoever enqueued it (absent: none). */
  tracing?: Tracing | null;
}

type JobData = {
  taskId?: string;
  goalId?: string;
  agentId?: string;
  publicationId?: string;
  transferId?: string;
  /** The enqueuer's trace context (src/domain/swarm/outbox.ts). */
  _trace?: unknown;
} & MaintenanceJobData;
type Processor = (job: Job<JobData>, token?: string) => Promise<unknown>;

/** What a job's log lines carry (those of its stage's code too: see withLogContext). */
function jobFields(stage: SwarmStage, job: Job<JobData> | undefined) {
  return {
    stage,
    jobId: job?.id,
    taskId: job?.data.taskId,
    goalId: job?.data.goalId,
    ...(job?.data.kind ? { kind: job.data.kind } : {}),
  };
}

export function startSwarm(opts: SwarmOptions) {
  const { db, llm, logger } = opts;
  const deps = {
    db,
    llm,
    publish: opts.publish,
    activity: opts.activity,
    limits: opts.limits,
    memory: opts.memory,
    moderator: opts.moderator,
    embedder: opts.embedder,
    mcp: opts.mcp,
    redis: opts.redis,
    trends: opts.trends,
    quotas: opts.platformQuotas ?? {},
    externalCalls: opts.externalCalls,
    transfers: opts.transfers,
    onSideEffectError: (err: unknown, what: string) => logger.warn({ err }, `swarm could not ${what}`),
    recordTaskOutcome: opts.metrics?.taskOutcome,
  };
  // The moderation examples are embedded once per process: start now, not inside the first Judge's job.
  opts.moderator.warm().catch((err: unknown) => logger.warn({ err }, 'moderation warm-up failed (retried on use)'));
  const queues = createQueues(opts.redisUrl, opts.keyPrefix, opts.retry);
  const send = (m: { topic: string; dedupeKey: string; payload: unknown }) => {
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
    send: (m: OutboxMessage) => send(m),
    onError: (err, m) => logger.warn({ err, outboxId: String(m.id), topic: m.topic }, 'outbox relay could not enqueue'),
  });

  /** Over a resource limit, the job goes back to the delayed set until the limit frees: deferred, never dropped. */
  const deferrable =
    (run: (job: Job<JobData>) => Promise<unknown>): Processor =>
    async (job, token) => {
      try {
        return await run(job);
      } catch (err) {
        if (!(err instanceof QuotaDeferral) || !token) throw err;
        // A little jitter so deferred jobs of one agent do not all come back in the same instant.
        const delay = err.delayMs + Math.floor(Math.random() * 250);
        logger.info({ jobId: job.id, limit: err.limit, delayMs: delay }, `deferred: ${err.message}`);
        await job.moveToDelayed(Date.now() + delay, token);
        throw new DelayedError();
      }
    };
  const processors: Record<SwarmStage, Processor> = {
    planner: deferrable((job) => planGoal(deps, String(job.data.goalId))),
    worker: deferrable((job) => executeTask(deps, String(job.data.taskId))),
    judge: deferrable((job) => judgeTask(deps, String(job.data.taskId))),
    publish: deferrable((job) => publishContent(deps, String(job.data.publicationId))),
    chain: deferrable(async (job) => {
      if (!opts.settlement)
        throw new Error('No chain is configured (BLOCKCHAIN_RPC_URL): transfers cannot be settled.');
      return settleTransfer(opts.settlement, String(job.data.transferId));
    }),
    maintenance: maintenanceProcessor({ ...deps, vectors: opts.vectors, retention: opts.retention }),
  };

  /** The system monitor's throttle (see throttle()). */
  let throttled: 'normal' | 'shed' | 'paused' = 'normal';
  /** Each job in its stage's log context and (with traces) in a span continuing its enqueuer's trace; timed. */
  const observed =
    (stage: SwarmStage, run: Processor): Processor =>
    async (job, token) => {
      if (throttled === 'paused' && token) {
        // A fetch already waiting when the worker paused still hands over one job: it goes back, untouched.
        await job.moveToDelayed(Date.now() + 2_000, token);
        throw new DelayedError();
      }
      const fields = jobFields(stage, job);
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      const go = (traceId?: string) => withLogContext(traceId ? { ...fields, traceId } : fields, () => run(job, token));
      try {
        const result = opts.tracing
          ? await opts.tracing.inSpan(
              `swarm.${stage}`,
              {
                kind: 'consumer',
                parent: job.data._trace,
                attributes: {
                  'messaging.system': 'bullmq',
                  'messaging.destination.name': stage,
                  'messaging.message.id': job.id,
                  'chimera.task_id': job.data.taskId,
                  'chimera.goal_id': job.data.goalId,
                },
              },
              (span) => go(span.traceId),
            )
          : await go();
        opts.metrics?.job({ stage, result: 'completed', seconds: seconds() });
        return result;
      } catch (err) {
        opts.metrics?.job({ stage, result: err instanceof DelayedError ? 'deferred' : 'failed', seconds: seconds() });
        throw err;
      }
    };

  const recordDeadLetter = (stage: SwarmStage, job: Job<JobData>, reason: string) => {
    const recorded =
      stage === 'maintenance'
        ? Promise.resolve() // no task to fail: the failed set is the record
        : stage === 'chain'
          ? // An approved transfer whose job gave up stays APPROVED or SUBMITTED: the reconciler hands it to the
            // stage again (its state machine resumes safely); a person sees the reason in the failed set.
            Promise.resolve()
          : stage === 'publish'
            ? failPublication(db, String(job.data.publicationId), reason)
            : deadLetter(deps, {
                stage,
                taskId: job.data.taskId,
                goalId: job.data.goalId,
                reason,
                attempts: job.attemptsMade,
              });
    return recorded.catch((e: unknown) =>
      logger.error({ err: e, stage, jobId: job.id }, 'could not record a dead letter'),
    );
  };

  /** Why a job in the failed set died, for its dead letter. */
  const deadReason = (job: Job<JobData>) =>
    job.failedReason === STALLED_OUT
      ? `its worker died while running it ${job.stalledCounter} times (${STALLED_OUT})`
      : (job.failedReason ?? 'failed');

  const lockMs = opts.lockMs ?? 30_000;
  const connections: ReturnType<typeof createQueueConnection>[] = [];
  // The chain stage runs where a chain is configured; elsewhere its jobs wait for a process that has one.
  const stages = (opts.stages ?? SWARM_STAGES).filter((stage) => stage !== 'chain' || opts.settlement);
  const workers = stages.map((stage) => {
    const connection = createQueueConnection(opts.redisUrl);
    connections.push(connection);
    const worker = new Worker<JobData>(stage, observed(stage, processors[stage]), {
      connection,
      prefix: queues.prefix,
      concurrency: opts.concurrency ?? 8,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // A job whose worker died under it (SIGKILL, OOM, a lost node) is put back; it may be orphaned as many times as
      // it may fail. BullMQ's default (1) failed a job the second time its worker died — with attempts left, and
      // without a 'failed' event here, so its task stayed pending for ever (found by test/faults/worker-kills).
      maxStalledCount: opts.retry?.attempts ?? DEFAULT_RETRY.attempts,
    });
    worker.on('failed', (job, err) => {
      logger.warn({ err, ...jobFields(stage, job) }, 'swarm job failed');
      if (!job) return;
      opts.activity?.count('errors', job.data.agentId ?? null);
      // Out of retries: the job is a dead letter (kept in BullMQ's failed set); end its task (or publication) with
      // the reason.
      if (job.attemptsMade >= (job.opts.attempts ?? 1)) void recordDeadLetter(stage, job, err.message);
    });
    worker.on('error', (err) => logger.warn({ err, stage }, 'swarm worker error'));
    return worker;
  });

  /** Runs `fn` now and every `ms`, never overlapping itself; returns a stopper. */
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  const loop = (name: string, ms: number, fn: () => Promise<unknown>) => {
    let running: Promise<void> | null = null;
    const tick = () => {
      if (stopped) return Promise.resolve();
      running ??= fn()
        .then(() => undefined)
        .catch((err: unknown) => logger.warn({ err }, `${name} run failed`))
        .finally(() => {
          running = null;
        });
      return running;
    };
    if (ms > 0) timers.push(setInterval(() => void tick(), ms));
    return tick;
  };

  // The relay: hands committed outbox rows to the queues, draining while there is work.
  const flush = loop('outbox relay', opts.relayIntervalMs ?? 100, async () => {
    while (!stopped && (await relay.runOnce()) > 0) {
      // Drain.
    }
  });

  // The reconciler: every outstanding piece of work has a job, or gets one again.
  const reconcile = loop('reconciler', opts.reconcileIntervalMs ?? 15_000, async () => {
    const wanted = await outstandingJobs(db, {
      settledForMs: Math.max(2_000, (opts.relayIntervalMs ?? 100) * 10),
      limit: 500,
    });
    let restored = 0;
    for (const message of wanted) {
      const name = message.topic as QueueName;
      const job = await queues.get(name, message.dedupeKey);
      if (!job) {
        await send(message);
        restored += 1;
      } else if (name === 'chain' && (await job.isFailed())) {
        // Money approved to move is never dropped: a settlement that gave up (the chain was down) starts again.
        await job.retry('failed');
        restored += 1;
      } else if (await job.isFailed()) {
        // Dead while its work is outstanding: out of attempts when the database was down to record it, or orphaned by
        // dying workers more often than maxStalledCount (BullMQ fails those without a 'failed' event). Record it now.
        await recordDeadLetter(name as SwarmStage, job as Job<JobData>, deadReason(job));
      }
    }
    if (restored > 0) logger.warn({ restored }, 'reconciler re-enqueued work that the queues had lost');
    return restored;
  });

  if ((opts.stages ?? SWARM_STAGES).includes('maintenance')) {
    const maintenanceDeps = { ...deps, vectors: opts.vectors, retention: opts.retention };
    scheduleMaintenance(queues.queues.maintenance, maintenanceDeps, opts.maintenance ?? {}).catch((err: unknown) =>
      logger.warn({ err }, 'could not schedule the maintenance jobs'),
    );
  }

  if (opts.activity) {
    const activity = opts.activity;
    loop('heartbeat', opts.heartbeatMs ?? 5_000, () => activity.heartbeat());
  }

  return {
    queues,
    relay,
    /** Runs the relay now (tests, and callers that just enqueued work). */
    flush,
    /** Runs the reconciler now; resolves when it is done. */
    reconcile,
    /**
     * The system monitor's response here (reversible): 'shed' takes one job at a time per stage, 'paused' takes none
     * (running jobs finish), 'normal' restores the configured concurrency.
     */
    async throttle(mode: 'normal' | 'shed' | 'paused'): Promise<void> {
      throttled = mode;
      for (const w of workers) {
        w.concurrency = mode === 'normal' ? (opts.concurrency ?? 8) : 1;
        if (mode === 'paused' && !w.isPaused()) await w.pause(true);
        else if (mode !== 'paused' && w.isPaused()) await w.resume();
      }
    },
    /**
     * Graceful: no new jobs are taken, running ones finish (up to `graceMs`, default shutdownGraceMs or 25 s). Jobs
     * still running then are let go: their locks lapse and another process runs them again (every stage resumes
     * from the database, so nothing is lost or done twice).
     */
    async close(graceMs = opts.shutdownGraceMs ?? 25_000): Promise<void> {
      stopped = true;
      for (const t of timers) clearInterval(t);
      let grace: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        Promise.all(workers.map((w) => w.close())).then(() => true),
        new Promise<false>((resolve) => (grace = setTimeout(() => resolve(false), graceMs))),
      ]);
      clearTimeout(grace);
      if (!drained) {
        logger.warn({ graceMs }, 'shutdown grace over: letting running jobs go to another worker');
        await Promise.all(workers.map((w) => w.close(true)));
      }
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      await queues.close();
    },
  };
}

export type Swarm = ReturnType<typeof startSwarm>;
