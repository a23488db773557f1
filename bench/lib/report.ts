// The swarm benchmark's results: one object, rendered as Markdown (stdout and bench/results/swarm.md) and JSON.
import type { CpuUse } from './cpu.js';
import { fmt, round, type Summary } from './stats.js';

export interface StageTimes {
  jobs: number;
  /** Outbox row written → handed to BullMQ by the relay (ms). */
  outboxToQueueMs: Summary;
  /** Added to BullMQ → a worker started it (ms). */
  queueWaitMs: Summary;
  /** Started → finished (ms). */
  runMs: Summary;
}

export interface SwarmBenchResult {
  date: string;
  node: string;
  platform: string;
  cores: number;
  /** The machine's 1-minute load average when the run started (other work skews the figures). */
  loadAverage1m: number;
  goals: number;
  warmup: number;
  concurrency: number;
  submitParallelism: number;
  relayIntervalMs: number;
  databasePoolSize: number;
  goalDescription: string;
  swarm: {
    elapsedMs: number;
    /** Until the last goal was submitted (the API's share of the run). */
    submitMs: number;
    goalsPerSecond: number;
    tasks: number;
    tasksPerSecond: number;
    taskTypes: Record<string, number>;
    judgeDecisions: Record<string, number>;
    /** Task attempts beyond the first (the Judge sent work back). */
    extraAttempts: number;
    /** Stage jobs that threw and were retried by BullMQ. */
    failedJobAttempts: number;
    /** Stage jobs put back because a resource limit was reached (0 when the limits are out of the way). */
    deferredJobs: number;
    /** How the end was seen: the subscription (normal), or the database poll when the subscription missed it. */
    completionSeenBy: 'subscription' | 'database';
    /** submitGoal called → the goal's COMPLETE seen on the subscription (ms). */
    goalLatencyMs: Summary;
    stages: Record<string, StageTimes>;
    cpu: CpuUse;
  };
  baseline: {
    chains: number;
    /** Batches of `chains` chains run one after the other; elapsedMs is the median batch's. */
    batches: number;
    batchesMs: number[];
    elapsedMs: number;
    chainsPerSecond: number;
    cpu: CpuUse;
  };
  /** Swarm goals/s ÷ bare chains/s. */
  ratio: number;
  events: {
    tasks: number;
    publishes: number;
    received: number;
    matched: number;
    unmatchedPublishes: number;
    unmatchedEvents: number;
    /** publish() called for a task (right after its change commits) → the graphql-ws client received the event. */
    latencyMs: Summary;
  };
}

const ms = (s: Summary) => `${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)}`;
const cores = (v: number | null) => (v === null ? 'n/a' : fmt(v, 2));
const counts = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

/** A warning when other processes were busy during the measured runs: the figures are then a lower bound. */
function noise(r: SwarmBenchResult): string[] {
  const other = Math.max(r.swarm.cpu.other ?? 0, r.baseline.cpu.other ?? 0);
  if (other < 0.25) return [];
  return [
    `> Other processes kept ${fmt(other, 2)} of ${r.cores} cores busy during a measured run (1-minute load ` +
      `${fmt(r.loadAverage1m, 2)} at the start): these figures are lower than on a quiet machine.`,
    '',
  ];
}

export function renderMarkdown(r: SwarmBenchResult): string {
  const s = r.swarm;
  const e = r.events;
  const lines = [
    `## Swarm benchmark (${r.date})`,
    '',
    '| Figure | Value |',
    '| --- | ---: |',
    `| Swarm throughput (submitGoal → every goal COMPLETE) | **${fmt(s.goalsPerSecond, 2)} goals/s** |`,
    `| Swarm task throughput | ${fmt(s.tasksPerSecond, 2)} tasks/s (${s.tasks} tasks, ${fmt(s.tasks / r.goals, 1)} per goal) |`,
    `| Baseline: bare BullMQ 3-step chain (median of ${r.baseline.batches} batches of N) | ${fmt(r.baseline.chainsPerSecond, 1)} chains/s |`,
    `| Ratio swarm goals/s ÷ bare chains/s | **${fmt(r.ratio, 4)}** (1 : ${fmt(1 / r.ratio, 0)}) |`,
    `| Task change → \`taskUpdated\` event over graphql-ws, p50 / p99 / max | ${ms(e.latencyMs)} ms |`,
    `| Events matched to their publish | ${e.matched} of ${e.publishes} publishes (${e.tasks} tasks; ${e.unmatchedEvents} unmatched events) |`,
    `| submitGoal → goal COMPLETE seen, p50 / p99 / max | ${ms(s.goalLatencyMs)} ms |`,
    `| Wall time: swarm / baseline batches | ${fmt(s.elapsedMs / 1000, 2)} s (submitting: ${fmt(s.submitMs / 1000, 2)} s) / ${r.baseline.batchesMs.map((b) => fmt(b / 1000, 2)).join(', ')} s |`,
    `| N (goals; chains) | ${r.goals} (+${r.warmup} warm-up, not counted) |`,
    `| Worker concurrency (per stage; swarm and baseline) | ${r.concurrency} |`,
    `| Cores (\`os.availableParallelism()\`) | ${r.cores} |`,
    '',
    `Goal: "${r.goalDescription}" (offline language model). Judge decisions: ${counts(s.judgeDecisions)}; ` +
      `task types: ${counts(s.taskTypes)}; extra attempts: ${s.extraAttempts}; failed stage jobs: ` +
      `${s.failedJobAttempts}; jobs deferred by a limit: ${s.deferredJobs}; end seen by the ${s.completionSeenBy}. Submitting ${r.submitParallelism} goals at a ` +
      `time over HTTP; outbox relay every ${r.relayIntervalMs} ms; database pools of ${r.databasePoolSize} ` +
      `(API and swarm each). ${r.node} on ${r.platform}.`,
    '',
    ...noise(r),
    '### Where the time goes (measured swarm run, ms, p50 / p99 / max)',
    '',
    '| Stage | Jobs | Outbox → queue | Queue wait | Run |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(s.stages).map(
      ([stage, t]) => `| ${stage} | ${t.jobs} | ${ms(t.outboxToQueueMs)} | ${ms(t.queueWaitMs)} | ${ms(t.runMs)} |`,
    ),
    '',
    '| CPU, average cores busy | Wall (s) | Bench process (API + swarm + clients) | PostgreSQL | Redis | Other |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...(
      [
        ['Swarm run', s.cpu],
        ['Baseline batches', r.baseline.cpu],
      ] as const
    ).map(
      ([what, c]) =>
        `| ${what} | ${fmt(c.wallSeconds, 2)} | ${cores(c.bench)} | ${cores(c.postgres)} | ${cores(c.redis)} | ${cores(c.other)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/**
 * JSON with rounded numbers (NaN → null), laid out as the project's formatter lays it out (short lists of numbers on
 * one line), so `biome check .` accepts the file.
 */
export function renderJson(r: object): string {
  const text = JSON.stringify(
    r,
    (_key, value: unknown) => {
      if (typeof value !== 'number') return value;
      if (!Number.isFinite(value)) return null;
      return Number.isInteger(value) ? value : round(value, 3);
    },
    2,
  );
  const oneLine = text.replace(/\[\n\s+([-\d.,\s]*?)\n\s*\]/g, (list, items: string) => {
    const flat = `[${items.split(/,\s+/).join(', ')}]`;
    return flat.length <= 80 ? flat : list;
  });
  return `${oneLine}\n`;
}
