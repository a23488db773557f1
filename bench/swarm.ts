// npm run bench:swarm [-- --goals N] [--warmup W] [--concurrency C]
//
// How fast the swarm finishes goals, end to end, in one process and one run: a fresh database and Redis prefix, the
// real API on an ephemeral port, the Planner → Worker → Judge stages (offline language model) beside it, N goals
// through the real submitGoal mutation over HTTP, timed until every goal is COMPLETE (seen on a graphql-ws
// subscription). Then a bare BullMQ three-step chain as the baseline, and the latency from each task change to its
// subscription event. Prints a Markdown table and writes bench/results/swarm.{md,json}. See docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { seedDemo } from '../prisma/seed.js';
import { type App, createApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import { createSwarmActivity } from '../src/domain/swarm/activity.js';
import { agentTasksTopic, type Publish } from '../src/domain/swarm/events.js';
import { createDatabase } from '../src/platform/db/prisma.js';
import { createOfflineLanguageModel } from '../src/platform/llm/offline-composer.js';
import { type Swarm, type SwarmStage, startSwarm } from '../src/swarm/engine.js';
import { gid, uuidOf } from '../test/helpers/fixtures.js';
import { connectWs } from '../test/helpers/ws-client.js';
import { startBareChains } from './lib/bare-chain.js';
import { cpuSnapshot, cpuUse } from './lib/cpu.js';
import { renderJson, renderMarkdown, type StageTimes, type SwarmBenchResult } from './lib/report.js';
import { benchRedis, Cleanup, createMigratedDatabase, deleteKeys } from './lib/resources.js';
import { runAsScript, writeResults } from './lib/script.js';
import { runLimited, type Summary, sleep, summarize, within } from './lib/stats.js';

/**
 * The bench's configuration, in one place: loadConfig gets this object and nothing else (benchConfig below adds only
 * where PostgreSQL and Redis are, this run's database, key prefix and throwaway encryption key, and --concurrency).
 * The API's rate limit and the swarm's resource limits are set far above what a run reaches, so the bench measures
 * throughput, not the limits.
 */
const BENCH_ENV = {
  CHIMERA_ENV: 'test',
  CHIMERA_LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  PORT: '0',
  EMBEDDED_WORKERS: 'false',
  LLM_PROVIDER: 'offline',
  DATABASE_POOL_SIZE: '10',
  // Worker concurrency per stage (the baseline uses the same); --concurrency overrides it.
  SWARM_CONCURRENCY: '8',
  // One user submits every goal: the per-user rate limit must not be what is measured.
  RATE_LIMIT_PER_MINUTE: '1000000',
  CONCURRENT_REQUESTS_PER_USER: '100000',
  RATE_LIMIT_GROUPS:
    '{"all":{"perMinute":100000000,"burst":10000000},"agents":{"perMinute":100000000,"burst":10000000},"content":{"perMinute":100000000,"burst":10000000}}',
  // The spec's resource limits (config.swarm.limits): far above what a run reaches (100,000 is the schema's maximum
  // for the concurrent-task limit). With the defaults (10 at once, 50 tasks per agent per hour) a run would be
  // throttled, and past 25 goals deferred for an hour.
  SWARM_MAX_CONCURRENT_TASKS_PER_AGENT: '100000',
  SWARM_TASKS_PER_AGENT_PER_HOUR: '1000000',
  SWARM_TASKS_PER_HOUR: '1000000',
  SWARM_CONTENT_PER_AGENT_PER_HOUR: '1000000',
  SWARM_CONTENT_PER_HOUR: '1000000',
} as const satisfies Record<string, string>;

/** Planned as fetch_trends → generate_content; no escalation keyword (src/domain/swarm/escalation.ts). */
const GOAL_DESCRIPTION = "Post about this week's top trend in our voice";
/** submitGoal calls (and baseline chain starts) in flight at once. */
const SUBMIT_PARALLELISM = 8;
/** startSwarm's default (workers/*.ts pass none), passed explicitly so the report states it. */
const RELAY_INTERVAL_MS = 100;
export const SWARM_DEFAULTS = { goals: 200, warmup: 20 };
/**
 * The stages run and measured: a goal is COMPLETE when its Judge approves. No publish stage (the bench has no
 * platform to publish to: its jobs would fail and retry during the run), no chain or maintenance stage.
 */
const STAGES = ['planner', 'worker', 'judge'] as const satisfies readonly SwarmStage[];
/** Baseline batches of N chains; the report uses the median batch. */
const BASELINE_BATCHES = 3;

const SUBMIT = 'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id status } }';
const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }';
const UPDATES = 'subscription ($a: ID) { taskUpdated(agentId: $a) { id status goal { id status } } }';

export interface SwarmOptions {
  goals: number;
  warmup: number;
  /** Overrides BENCH_ENV.SWARM_CONCURRENCY. */
  concurrency: number | undefined;
}

function parseOptions(argv: string[]): SwarmOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      goals: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: npm run bench:swarm [-- --goals N] [--warmup W] [--concurrency C]\n');
    process.exit(0);
  }
  const int = (name: keyof SwarmOptions, min: number): number | undefined => {
    const raw = values[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min} (got ${raw})`);
    return n;
  };
  return {
    goals: int('goals', 1) ?? SWARM_DEFAULTS.goals,
    warmup: int('warmup', 0) ?? SWARM_DEFAULTS.warmup,
    concurrency: int('concurrency', 1),
  };
}

/** Where PostgreSQL and Redis are: the environment's DATABASE_URL / REDIS_URL, else the project's defaults. */
function servers() {
  const defaults = loadConfig({});
  return {
    databaseUrl: process.env.DATABASE_URL || defaults.databaseUrl,
    redisUrl: process.env.REDIS_URL || defaults.redisUrl,
  };
}

function benchConfig(run: {
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  concurrency: number | undefined;
  vectorDir: string;
}): Config {
  return loadConfig({
    ...BENCH_ENV,
    ...(run.concurrency === undefined ? {} : { SWARM_CONCURRENCY: String(run.concurrency) }),
    // A throwaway key for a throwaway database (and no warning about the built-in development key).
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: run.databaseUrl,
    REDIS_URL: run.redisUrl,
    REDIS_KEY_PREFIX: run.redisKeyPrefix,
    VECTOR_STORE_DIR: run.vectorDir,
  });
}

/** GraphQL over HTTP, as a client would call it. */
function graphqlClient(base: string) {
  let token: string | undefined;
  return {
    signIn(accessToken: string) {
      token = accessToken;
    },
    async request<T>(query: string, variables: Record<string, unknown>): Promise<T> {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: T | null; errors?: unknown[] };
      if (!res.ok || body.errors?.length || !body.data) {
        throw new Error(`GraphQL request failed (HTTP ${res.status}): ${JSON.stringify(body.errors ?? body)}`);
      }
      return body.data;
    },
  };
}

/** Every publish the swarm makes, by (topic, id), in order: when each change was announced. */
class PublishLog {
  private readonly times = new Map<string, number[]>();
  record(topic: string, id: string, at: number): void {
    const key = `${topic}\u0000${id}`;
    const list = this.times.get(key);
    if (list) list.push(at);
    else this.times.set(key, [at]);
  }
  of(topic: string, id: string): readonly number[] {
    return this.times.get(`${topic}\u0000${id}`) ?? [];
  }
}

/** What the graphql-ws subscriber saw: each task's events in order, and when each goal was first seen finished. */
class Observed {
  readonly events = new Map<string, number[]>();
  readonly goalCompleteAt = new Map<string, number>();
  /** Goals seen in REVIEW or FAILED: they will not complete without a person. */
  readonly goalStuck = new Map<string, string>();
  readonly errors: string[] = [];
  private waiters: (() => void)[] = [];

  onResult(at: number, result: { data?: UpdateData | null; errors?: readonly unknown[] }): void {
    const task = result.data?.taskUpdated;
    if (result.errors?.length || !task) {
      this.errors.push(JSON.stringify(result.errors ?? result));
      return;
    }
    const taskId = uuidOf(task.id);
    const list = this.events.get(taskId);
    if (list) list.push(at);
    else this.events.set(taskId, [at]);
    if (task.goal) {
      const goalId = uuidOf(task.goal.id);
      if (task.goal.status === 'COMPLETE' && !this.goalCompleteAt.has(goalId)) this.goalCompleteAt.set(goalId, at);
      if (task.goal.status === 'REVIEW' || task.goal.status === 'FAILED') this.goalStuck.set(goalId, task.goal.status);
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface UpdateData {
  taskUpdated: { id: string; status: string; goal: { id: string; status: string } | null };
}

async function goalStatuses(probe: pg.Client, ids: readonly string[]): Promise<Record<string, number>> {
  const { rows } = await probe.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM goals WHERE id = ANY($1::uuid[]) GROUP BY status',
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/**
 * Waits until every goal is COMPLETE: seen on the subscription, or (should the subscription miss an event) on a
 * once-a-second database poll. Fails fast when a goal went to REVIEW or FAILED instead.
 */
async function awaitGoals(
  ids: readonly string[],
  seen: Observed,
  probe: pg.Client,
  timeoutMs: number,
): Promise<{ endedAt: number; seenBy: 'subscription' | 'database' }> {
  const deadline = performance.now() + timeoutMs;
  let nextPoll = performance.now() + 1_000;
  for (;;) {
    if (ids.every((id) => seen.goalCompleteAt.has(id))) {
      const endedAt = ids.reduce((max, id) => Math.max(max, seen.goalCompleteAt.get(id) ?? 0), 0);
      return { endedAt, seenBy: 'subscription' };
    }
    const stuck = ids.filter((id) => seen.goalStuck.has(id));
    if (stuck.length > 0) {
      throw new Error(
        `${stuck.length} goal(s) went to ${[...new Set(stuck.map((id) => seen.goalStuck.get(id)))].join('/')} ` +
          `instead of COMPLETE (e.g. ${stuck[0]}): the Judge escalated or a job was dead-lettered. ` +
          `Goal statuses: ${JSON.stringify(await goalStatuses(probe, ids))}`,
      );
    }
    if (performance.now() >= nextPoll) {
      const statuses = await goalStatuses(probe, ids);
      if (statuses.complete === ids.length) return { endedAt: performance.now(), seenBy: 'database' };
      if ((statuses.review ?? 0) + (statuses.failed ?? 0) > 0) {
        throw new Error(`goals ended REVIEW/FAILED instead of COMPLETE: ${JSON.stringify(statuses)}`);
      }
      nextPoll = performance.now() + 1_000;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `goals unfinished after ${timeoutMs} ms: ${JSON.stringify(await goalStatuses(probe, ids))} ` +
          `(subscription saw ${ids.filter((id) => seen.goalCompleteAt.has(id)).length} of ${ids.length} complete)`,
      );
    }
    await Promise.race([seen.changed(), sleep(250)]);
  }
}

/** Per stage: outbox → queue (from the database), queue wait and run time (from BullMQ's completed jobs). */
async function stageTimes(swarm: Swarm, probe: pg.Client, sinceWallMs: number): Promise<Record<string, StageTimes>> {
  const { rows } = await probe.query<{ topic: string; lag_ms: number }>(
    `SELECT topic, extract(epoch FROM dispatched_at - created_at)::float8 * 1000 AS lag_ms
       FROM outbox WHERE created_at >= $1 AND dispatched_at IS NOT NULL`,
    [new Date(sinceWallMs)],
  );
  const out: Record<string, StageTimes> = {};
  for (const stage of STAGES) {
    const jobs = (await swarm.queues.queues[stage].getJobs(['completed'], 0, -1)).filter(
      (j) => j.timestamp >= sinceWallMs && j.processedOn !== undefined && j.finishedOn !== undefined,
    );
    out[stage] = {
      jobs: jobs.length,
      outboxToQueueMs: summarize(rows.filter((r) => r.topic === stage).map((r) => r.lag_ms)),
      queueWaitMs: summarize(jobs.map((j) => (j.processedOn as number) - j.timestamp)),
      runMs: summarize(jobs.map((j) => (j.finishedOn as number) - (j.processedOn as number))),
    };
  }
  return out;
}

async function waitForSubscriber(redis: ReturnType<typeof benchRedis>, channel: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
    if (Number(reply[1]) > 0) return;
    if (Date.now() > deadline) throw new Error(`the API never subscribed to ${channel}`);
    await sleep(20);
  }
}

async function run(opts: SwarmOptions, cleanup: Cleanup): Promise<SwarmBenchResult> {
  const loadAverage1m = os.loadavg()[0] ?? Number.NaN;
  const runId = `${Date.now()}_${randomBytes(4).toString('hex')}`;
  const where = servers();
  const runPrefix = `chimera:bench:${runId}:`;
  const redis = benchRedis(cleanup, where.redisUrl);
  cleanup.add(`delete Redis keys ${runPrefix}*`, async () => {
    const n = await deleteKeys(redis, runPrefix);
    process.stderr.write(`cleanup: deleted ${n} Redis keys under ${runPrefix}\n`);
  });
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

  log(`creating and migrating database chimera_bench_${runId}`);
  const databaseUrl = await createMigratedDatabase(cleanup, where.databaseUrl, `chimera_bench_${runId}`);
  const vectorDir = mkdtempSync(join(tmpdir(), 'chimera-bench-vectors-'));
  cleanup.add('remove the vector store', async () => rmSync(vectorDir, { recursive: true, force: true }));
  const config = benchConfig({
    databaseUrl,
    redisUrl: where.redisUrl,
    redisKeyPrefix: `${runPrefix}app:`,
    concurrency: opts.concurrency,
    vectorDir,
  });
  const { concurrency } = config.swarm;

  // Logs at the configured level go to stderr (stdout is the report). On the way, failed stage jobs (warn) and jobs
  // a resource limit deferred (info: the swarm's logger takes info, printed only at the configured level) are counted.
  const logged = { failedJobs: 0, deferredJobs: 0 };
  const printFrom = pino.levels.values[config.logLevel] ?? 40;
  const destination = {
    write(line: string) {
      if (line.includes('"msg":"swarm job failed"')) logged.failedJobs += 1;
      if (line.includes('"msg":"deferred: ')) logged.deferredJobs += 1;
      if (Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 60) >= printFrom) process.stderr.write(line);
    },
  };
  const logger = pino({ level: config.logLevel, base: { service: 'chimera-bench' } }, destination);
  const swarmLogger = pino({ level: 'info', base: { service: 'chimera-bench', part: 'swarm' } }, destination);

  const app: App = createApp(config, { logger });
  cleanup.add('close the API', () => app.close());
  const base = await app.listen();
  const { agentId } = await seedDemo(app.db);
  const agentGid = gid('Agent', agentId);

  // An operator assigned to the agent, signed in through the real login mutation.
  const email = `bench-operator-${runId.replace('_', '-')}@bench.chimera`;
  const password = randomBytes(18).toString('base64url');
  await app.services.users.create(
    { email, password, roles: ['agent_operator'], attributes: { agentIds: [agentId] } },
    null,
    {},
  );
  const api = graphqlClient(base);
  const { accessToken } = (await api.request<{ login: { accessToken: string } }>(LOGIN, { i: { email, password } }))
    .login;
  api.signIn(accessToken);

  // The swarm wired as src/swarm/process.ts wires workers/*.ts (its own pool, agent state, limits, retries, lock,
  // reconciler, heartbeats, all from the config), except that announcements go to the app's pub/sub, each one
  // timestamped before it goes out.
  const published = new PublishLog();
  const publish: Publish = (topic, payload) => {
    published.record(topic, payload.id, performance.now());
    void app.pubsub.publish(topic, payload);
  };
  const swarmDb = createDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize });
  cleanup.add('disconnect the swarm pool', () => swarmDb.$disconnect());
  const swarm = startSwarm({
    db: swarmDb,
    llm: createOfflineLanguageModel(),
    publish,
    activity: createSwarmActivity({
      db: swarmDb,
      redis: app.redis,
      publish,
      heartbeatMs: config.swarm.heartbeatMs,
      onError: (err) => swarmLogger.warn({ err }, 'agent state update failed'),
    }),
    limits: config.swarm.limits,
    memory: app.services.memory,
    moderator: app.services.moderator,
    embedder: app.services.embedder,
    redisUrl: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    logger: swarmLogger,
    concurrency,
    retry: config.swarm.retry,
    lockMs: config.swarm.jobLockMs,
    reconcileIntervalMs: config.swarm.reconcileIntervalMs,
    heartbeatMs: config.swarm.heartbeatMs,
    relayIntervalMs: RELAY_INTERVAL_MS,
    stages: STAGES,
  });
  let swarmClosed: Promise<void> | undefined;
  const closeSwarm = () => {
    swarmClosed ??= swarm.close();
    return swarmClosed;
  };
  cleanup.add('close the swarm', closeSwarm);

  const probe = new pg.Client({ connectionString: config.databaseUrl, application_name: 'chimera-bench-probe' });
  probe.on('error', () => undefined);
  await probe.connect();
  cleanup.add('close the probe connection', () => probe.end());

  // The subscriber: a real graphql-ws client on the agent's task updates.
  const seen = new Observed();
  const ws = connectWs(`${base.replace(/^http/, 'ws')}/graphql`, { authorization: `Bearer ${accessToken}` });
  cleanup.add('close the graphql-ws client', () => ws.dispose());
  await within(ws.connected, 10_000, () => 'no connection_ack from the graphql-ws server');
  ws.client.subscribe<UpdateData, Record<string, unknown>>(
    { query: UPDATES, variables: { a: agentGid } },
    {
      next: (r) => seen.onResult(performance.now(), r),
      error: (err) => seen.errors.push(`subscription ended: ${JSON.stringify(err)}`),
      complete: () => seen.errors.push('subscription completed'),
    },
  );
  await waitForSubscriber(redis, `${config.redisKeyPrefix}${agentTasksTopic(agentId)}`);

  const submittedAt = new Map<string, number>();
  const submitGoals = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    await runLimited(count, SUBMIT_PARALLELISM, async () => {
      const at = performance.now();
      const data = await api.request<{ submitGoal: { id: string } }>(SUBMIT, {
        i: { agentId: agentGid, goalDescription: GOAL_DESCRIPTION },
      });
      const id = uuidOf(data.submitGoal.id);
      submittedAt.set(id, at);
      ids.push(id);
    });
    return ids;
  };
  const timeoutFor = (n: number) => 60_000 + n * 1_000;

  if (opts.warmup > 0) {
    log(`swarm warm-up: ${opts.warmup} goals`);
    await awaitGoals(await submitGoals(opts.warmup), seen, probe, timeoutFor(opts.warmup));
    await sleep(300);
  }

  log(`swarm: ${opts.goals} goals, concurrency ${concurrency} per stage`);
  const loggedBefore = { ...logged };
  const startWall = Date.now();
  const cpuBefore = await cpuSnapshot();
  const started = performance.now();
  const goalIds = await submitGoals(opts.goals);
  const submitMs = performance.now() - started;
  const done = await awaitGoals(goalIds, seen, probe, timeoutFor(opts.goals));
  const cpuAfter = await cpuSnapshot();
  const elapsedMs = done.endedAt - started;
  // Let the last events land before counting them.
  await sleep(500);

  // Verify in the database: every goal COMPLETE, every task COMPLETE, every verdict an approval.
  const goalStatus = await goalStatuses(probe, goalIds);
  const { rows: tasks } = await probe.query<{ id: string; task_type: string; status: string; attempts: number }>(
    'SELECT id, task_type, status, attempts FROM tasks WHERE goal_id = ANY($1::uuid[])',
    [goalIds],
  );
  const { rows: verdicts } = await probe.query<{ decision: string | null; n: number }>(
    `SELECT result->'verdict'->>'decision' AS decision, count(*)::int AS n
       FROM tasks WHERE goal_id = ANY($1::uuid[]) GROUP BY 1`,
    [goalIds],
  );
  const notComplete = tasks.filter((t) => t.status !== 'complete');
  if (goalStatus.complete !== goalIds.length || notComplete.length > 0) {
    throw new Error(
      `not everything ended COMPLETE: goals ${JSON.stringify(goalStatus)}, ` +
        `${notComplete.length} of ${tasks.length} tasks not complete`,
    );
  }
  const stages = await stageTimes(swarm, probe, startWall);
  await closeSwarm();

  // Latency: the k-th event a task's subscriber got ↔ the k-th announcement of that task on the agent's topic.
  const topic = agentTasksTopic(agentId);
  const latencies: number[] = [];
  let publishes = 0;
  let received = 0;
  for (const t of tasks) {
    const pubs = published.of(topic, t.id);
    const evs = seen.events.get(t.id) ?? [];
    publishes += pubs.length;
    received += evs.length;
    for (let k = 0; k < Math.min(pubs.length, evs.length); k++)
      latencies.push((evs[k] as number) - (pubs[k] as number));
  }
  const goalLatency = goalIds
    .filter((id) => seen.goalCompleteAt.has(id))
    .map((id) => (seen.goalCompleteAt.get(id) as number) - (submittedAt.get(id) as number));
  if (seen.errors.length > 0) log(`subscription errors: ${seen.errors.slice(0, 3).join(' | ')}`);

  // The baseline: same Redis, its own prefix, same concurrency, same number of chains.
  log(`baseline: ${opts.goals} bare BullMQ 3-step chains`);
  const bare = await startBareChains({
    redisUrl: config.redisUrl,
    prefix: `${runPrefix}bare`,
    concurrency,
    retry: config.swarm.retry,
    cleanup,
  });
  if (opts.warmup > 0) await bare.run('warmup', opts.warmup, SUBMIT_PARALLELISM, timeoutFor(opts.warmup));
  const bareCpuBefore = await cpuSnapshot();
  // A batch of N chains takes a fraction of a second: the median of a few batches steadies the figure.
  const bareBatchesMs: number[] = [];
  for (let b = 1; b <= BASELINE_BATCHES; b++) {
    bareBatchesMs.push(await bare.run(`measured-${b}`, opts.goals, SUBMIT_PARALLELISM, timeoutFor(opts.goals)));
  }
  const bareMs = summarize(bareBatchesMs).p50;
  const bareCpuAfter = await cpuSnapshot();
  await bare.close();

  const goalsPerSecond = opts.goals / (elapsedMs / 1000);
  const chainsPerSecond = opts.goals / (bareMs / 1000);
  const tally = (values: readonly string[]) =>
    values.reduce<Record<string, number>>((acc, v) => {
      acc[v] = (acc[v] ?? 0) + 1;
      return acc;
    }, {});
  const latency: Summary = summarize(latencies);
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cores: os.availableParallelism(),
    loadAverage1m,
    goals: opts.goals,
    warmup: opts.warmup,
    concurrency,
    submitParallelism: SUBMIT_PARALLELISM,
    relayIntervalMs: RELAY_INTERVAL_MS,
    databasePoolSize: config.databasePoolSize,
    goalDescription: GOAL_DESCRIPTION,
    swarm: {
      elapsedMs,
      submitMs,
      goalsPerSecond,
      tasks: tasks.length,
      tasksPerSecond: tasks.length / (elapsedMs / 1000),
      taskTypes: tally(tasks.map((t) => t.task_type)),
      judgeDecisions: Object.fromEntries(verdicts.map((v) => [v.decision ?? 'none', v.n])),
      extraAttempts: tasks.reduce((sum, t) => sum + Math.max(0, t.attempts - 1), 0),
      failedJobAttempts: logged.failedJobs - loggedBefore.failedJobs,
      deferredJobs: logged.deferredJobs - loggedBefore.deferredJobs,
      completionSeenBy: done.seenBy,
      goalLatencyMs: summarize(goalLatency),
      stages,
      cpu: cpuUse(cpuBefore, cpuAfter),
    },
    baseline: {
      chains: opts.goals,
      batches: BASELINE_BATCHES,
      batchesMs: bareBatchesMs,
      elapsedMs: bareMs,
      chainsPerSecond,
      cpu: cpuUse(bareCpuBefore, bareCpuAfter),
    },
    ratio: goalsPerSecond / chainsPerSecond,
    events: {
      tasks: tasks.length,
      publishes,
      received,
      matched: latency.count,
      unmatchedPublishes: publishes - latency.count,
      unmatchedEvents: received - latency.count,
      latencyMs: latency,
    },
  };
}

/** One swarm benchmark run with its own world, everything it made removed before it resolves. */
export async function runSwarmBench(options: Partial<SwarmOptions> = {}): Promise<SwarmBenchResult> {
  const opts: SwarmOptions = { ...SWARM_DEFAULTS, concurrency: undefined, ...options };
  const cleanup = new Cleanup();
  try {
    return await run(opts, cleanup);
  } finally {
    await cleanup.run();
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const cleanup = new Cleanup();
  const interrupted = (signal: NodeJS.Signals) => {
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let result: SwarmBenchResult;
  try {
    result = await run(opts, cleanup);
  } finally {
    await cleanup.run();
  }
  const markdown = renderMarkdown(result);
  process.stdout.write(`\n${markdown}\n`);
  await writeResults('swarm', markdown, renderJson(result));
  process.stderr.write('bench: wrote bench/results/swarm.md and bench/results/swarm.json\n');
}

runAsScript(import.meta.url, main);
