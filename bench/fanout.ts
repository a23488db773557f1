// npm run bench:fanout [-- --subscribers 1000 --events 20]
// Subscription fan-out: S graphql-ws clients (one connection each, all the same signed-in super_admin) subscribed to
// the same agent's `taskUpdated(agentId:)` on the real API (bench/servers/chimera.ts on a real port, pinned to core
// 0), then N task changes announced through the path the swarm's workers use (createRedisPublisher on the agent's
// tasks topic, src/domain/swarm/events.ts), one at a time: each event goes out when the previous one reached every
// subscriber. Latency = publish → the client got the event (one clock: publisher and clients are this process, on
// core 1), p50/p99/max over every delivery; every delivery must arrive. Baseline: the same clients and publishes
// against a bare graphql-ws server with a trivial in-memory pub/sub fed from the same Redis channel
// (bench/servers/bare-ws.ts). Writes bench/results/fanout.{md,json}.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { agentTasksTopic } from '../src/domain/swarm/events.js';
import { createDatabase } from '../src/platform/db/prisma.js';
import { createRedisPublisher } from '../src/platform/pubsub/redis-publisher.js';
import { connectWs, type WsConnection } from '../test/helpers/ws-client.js';
import { adminToken, type BenchWorld, chimeraEnv, createWorld } from './lib/chimera.js';
import { machine, pinLoadGenerator, serve } from './lib/pinning.js';
import { renderJson } from './lib/report.js';
import { Cleanup } from './lib/resources.js';
import { runAsScript, writeResults } from './lib/script.js';
import { runLimited, type Summary, sleep, summarize, within } from './lib/stats.js';

export interface FanoutOptions {
  subscribers: number;
  events: number;
  /** How long one event may take to reach every subscriber (ms). */
  eventTimeoutMs: number;
}

export const FANOUT_DEFAULTS: FanoutOptions = { subscribers: 1_000, events: 20, eventTimeoutMs: 30_000 };

const SUBSCRIPTION = 'subscription ($a: ID) { taskUpdated(agentId: $a) { id status } }';
const BARE_SUBSCRIPTION = 'subscription ($a: ID!) { taskUpdated(agentId: $a) { id status } }';
/** Clients connecting at once. */
const CONNECT_PARALLELISM = 50;

export interface FanoutSide {
  name: string;
  subscribers: number;
  events: number;
  expected: number;
  delivered: number;
  /** Results that were errors, or ended subscriptions. */
  errors: number;
  latencyMs: Summary;
  /** Publish → the last subscriber got it, per event (ms). */
  lastDeliveryMs: Summary;
  connectMs: number;
}

export interface FanoutResult {
  date: string;
  machine: ReturnType<typeof machine>;
  options: FanoutOptions;
  chimera: FanoutSide;
  baseline: FanoutSide;
  /** Chimera p50 latency ÷ baseline p50 latency. */
  ratio: number;
}

interface Subscriber {
  conn: WsConnection;
  /** Task uuid → when it arrived. */
  got: Map<string, number>;
  errors: number;
}

async function fanOut(
  name: string,
  url: string,
  opts: FanoutOptions,
  sub: { query: string; params: Record<string, unknown> | undefined; agentGid: string },
  publishTask: (taskId: string) => void,
  taskIds: readonly string[],
  cleanup: Cleanup,
): Promise<FanoutSide> {
  const wsUrl = url.replace(/^http/, 'ws');
  const subs: Subscriber[] = [];
  let onDelivery: () => void = () => undefined;
  const connectStarted = performance.now();
  await runLimited(opts.subscribers, CONNECT_PARALLELISM, async () => {
    const s: Subscriber = { conn: connectWs(wsUrl, sub.params), got: new Map(), errors: 0 };
    subs.push(s);
    await within(s.conn.connected, 30_000, () => `${name}: no connection_ack`);
    s.conn.client.subscribe<{ taskUpdated: { id: string } }, Record<string, unknown>>(
      { query: sub.query, variables: { a: sub.agentGid } },
      {
        next: (r) => {
          const at = performance.now();
          const id = r.data?.taskUpdated?.id;
          if (!id || r.errors?.length) {
            s.errors += 1;
            return;
          }
          const taskId = decodeGlobalID(id).id;
          if (!s.got.has(taskId)) s.got.set(taskId, at);
          onDelivery();
        },
        error: () => {
          s.errors += 1;
        },
        complete: () => undefined,
      },
    );
  });
  cleanup.add(`${name}: close ${subs.length} graphql-ws clients`, async () => {
    await Promise.all(subs.map((s) => s.conn.dispose()));
  });
  const connectMs = performance.now() - connectStarted;

  const waitAll = async (taskId: string, timeoutMs: number): Promise<boolean> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (subs.every((s) => s.got.has(taskId))) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await Promise.race([new Promise<void>((resolve) => (onDelivery = resolve)), sleep(Math.min(left, 100))]);
    }
  };

  // Every subscription is live once a probe event reaches every client (subscribing is asynchronous on the server).
  const [probe, ...measured] = taskIds;
  const probeDeadline = performance.now() + 60_000;
  for (;;) {
    publishTask(probe as string);
    if (await waitAll(probe as string, 1_000)) break;
    if (performance.now() > probeDeadline) {
      const live = subs.filter((s) => s.got.has(probe as string)).length;
      throw new Error(`${name}: only ${live} of ${subs.length} subscriptions live after 60 s`);
    }
  }
  await sleep(200);

  const publishedAt = new Map<string, number>();
  for (const taskId of measured.slice(0, opts.events)) {
    publishedAt.set(taskId, performance.now());
    publishTask(taskId);
    await waitAll(taskId, opts.eventTimeoutMs);
    await sleep(20);
  }
  await sleep(200);

  const latencies: number[] = [];
  const last: number[] = [];
  for (const [taskId, at] of publishedAt) {
    let max = Number.NaN;
    for (const s of subs) {
      const got = s.got.get(taskId);
      if (got === undefined) continue;
      latencies.push(got - at);
      max = Number.isNaN(max) ? got - at : Math.max(max, got - at);
    }
    last.push(max);
  }
  const side: FanoutSide = {
    name,
    subscribers: subs.length,
    events: publishedAt.size,
    expected: subs.length * publishedAt.size,
    delivered: latencies.length,
    errors: subs.reduce((n, s) => n + s.errors, 0),
    latencyMs: summarize(latencies),
    lastDeliveryMs: summarize(last),
    connectMs,
  };
  await Promise.all(subs.map((s) => s.conn.dispose()));
  process.stderr.write(
    `${name}: ${side.delivered}/${side.expected} delivered, p50 ${side.latencyMs.p50.toFixed(1)} ms, p99 ${side.latencyMs.p99.toFixed(1)} ms, max ${side.latencyMs.max.toFixed(1)} ms\n`,
  );
  return side;
}

async function seedTasks(world: BenchWorld, count: number): Promise<{ agentId: string; taskIds: string[] }> {
  const db = createDatabase({ url: world.databaseUrl, poolSize: 2 });
  try {
    const agent = await db.agent.create({ data: { name: 'bench-fanout-agent' }, select: { id: true } });
    const taskIds = Array.from({ length: count }, () => randomUUID());
    await db.task.createMany({
      data: taskIds.map((id, i) => ({
        id,
        agentId: agent.id,
        taskType: 'generate_content',
        priority: 'medium',
        status: 'in_progress',
        context: { goalDescription: `Fan-out event ${i}` },
      })),
    });
    return { agentId: agent.id, taskIds };
  } finally {
    await db.$disconnect();
  }
}

export async function runFanout(options: Partial<FanoutOptions> = {}): Promise<FanoutResult> {
  const opts: FanoutOptions = { ...FANOUT_DEFAULTS, ...options };
  const cleanup = new Cleanup();
  const started = machine();
  const unpin = pinLoadGenerator();
  try {
    const world = await createWorld(cleanup, 'fanout');
    const { agentId, taskIds } = await seedTasks(world, opts.events + 1);
    const token = await adminToken(world);
    const publish = createRedisPublisher(world.redis, world.prefix, (err) =>
      process.stderr.write(`fanout: publish failed: ${String(err)}\n`),
    );
    const publishTask = (taskId: string) => publish(agentTasksTopic(agentId), { id: taskId });
    const agentGid = encodeGlobalID('Agent', agentId);

    const api = await serve('bench/servers/chimera.ts', chimeraEnv(world, { cache: false }));
    cleanup.add('stop the API', () => api.stop());
    const chimera = await fanOut(
      'Chimera API (graphql-ws, every protection on)',
      api.url,
      opts,
      { query: SUBSCRIPTION, params: { authorization: `Bearer ${token}` }, agentGid },
      publishTask,
      taskIds,
      cleanup,
    );
    await api.stop();

    const bare = await serve('bench/servers/bare-ws.ts', { REDIS_URL: world.redisUrl, CHANNEL_PREFIX: world.prefix });
    cleanup.add('stop the bare graphql-ws server', () => bare.stop());
    const baseline = await fanOut(
      'bare graphql-ws + trivial pub/sub',
      bare.url,
      opts,
      { query: BARE_SUBSCRIPTION, params: undefined, agentGid: agentId },
      publishTask,
      taskIds,
      cleanup,
    );
    await bare.stop();
    return {
      date: new Date().toISOString(),
      machine: started,
      options: opts,
      chimera,
      baseline,
      ratio: chimera.latencyMs.p50 / baseline.latencyMs.p50,
    };
  } finally {
    await cleanup.run();
    unpin();
  }
}

export function renderFanoutMarkdown(r: FanoutResult): string {
  const row = (s: FanoutSide) =>
    `| ${s.name} | ${s.subscribers} | ${s.events} | ${s.delivered} / ${s.expected} | ${s.latencyMs.p50.toFixed(1)} | ${s.latencyMs.p99.toFixed(1)} | ${s.latencyMs.max.toFixed(1)} | ${s.lastDeliveryMs.p50.toFixed(1)} | ${s.errors} |`;
  return [
    '## Subscription fan-out',
    '',
    `${r.machine.cores} cores · Node ${r.machine.node} · load ${r.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')} · pinned: ${r.machine.pinned ? 'server core 0, clients + publisher core 1' : 'no'}`,
    '',
    '| server | subscribers | events | delivered | p50 ms | p99 ms | max ms | last delivery p50 ms | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    row(r.chimera),
    row(r.baseline),
    '',
    `Ratio (Chimera p50 ÷ baseline p50): ${r.ratio.toFixed(2)}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: String(FANOUT_DEFAULTS.subscribers) },
      events: { type: 'string', default: String(FANOUT_DEFAULTS.events) },
    },
  });
  const result = await runFanout({ subscribers: Number(values.subscribers), events: Number(values.events) });
  const markdown = renderFanoutMarkdown(result);
  process.stdout.write(`${markdown}\n`);
  await writeResults('fanout', markdown, renderJson(result));
}

runAsScript(import.meta.url, main);
