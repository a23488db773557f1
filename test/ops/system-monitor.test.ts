// The system escalation triggers on the real API: injected error rates, slow responses, database failures and memory
// ratios (the samplers and the clock are injected: nothing waits real minutes) each raise exactly one alert at its
// level, stored and sent to an on-call webhook receiver; the level's response applies (level 2 sheds optional load,
// level 3 takes /ready out of rotation) and is lifted when the alert resolves. Then a real database outage (a TCP
// proxy in front of PostgreSQL, closed and reopened): the webhook hears at once, the row is written once it is back.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { monitorSettingsOf } from '../../src/domain/operations/system-monitor.js';
import { createSystemMonitor } from '../../src/domain/operations/system-monitor.service.js';
import { createAlertService } from '../../src/domain/security/alerts.service.js';
import { createDatabase } from '../../src/platform/db/prisma.js';
import { createLogger } from '../../src/platform/log/logger.js';
import { createWorkerObservability } from '../../src/swarm/observability.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent } from '../helpers/fixtures.js';
import { parseExposition, seriesValue } from '../helpers/prometheus.js';
import { takeSseEvents } from '../helpers/sse.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

interface Delivery {
  source: string;
  event: 'raised' | 'resolved';
  alert: {
    id: string | null;
    kind: string;
    level: number | null;
    severity: string;
    message: string;
    resolvedAt: string | null;
    details: Record<string, unknown>;
    stored?: boolean;
  };
}

/** The on-call webhook: records every POST. */
async function startReceiver() {
  const received: Delivery[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body) as Delivery);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((r) => server.close(r)) };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let t: TestApp;
let clock = Date.now();
let memory = { usedBytes: 100, limitBytes: 1_000 };
let databaseDown = false;

beforeAll(async () => {
  receiver = await startReceiver();
  t = await startTestApp(
    {
      ALERT_WEBHOOK_URL: receiver.url,
      RESPONSE_CACHE: 'true',
      MONITOR_ERROR_RATE_WINDOW_SECONDS: '10',
      MONITOR_RESPONSE_TIME_MS: '5000',
      MONITOR_RESPONSE_TIME_WINDOW_SECONDS: '10',
      MONITOR_MEMORY_WINDOW_SECONDS: '10',
    },
    {
      observability: {
        now: () => clock,
        minRequests: 10,
        samplers: {
          memory: () => memory,
          database: async () => {
            if (databaseDown) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
          },
        },
      },
    },
  );
  await t.app.changeFeed?.listening;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const monitor = () => t.app.observability.monitor;
const record = (n: number, sample: { durationMs: number; error: boolean }) => {
  for (let i = 0; i < n; i++) t.app.observability.server.onRequestSample(sample);
};
/** Moves the injected clock past every window: the requests so far leave them. */
const afterTheWindows = () => {
  clock += 11_000;
};
const alertsOf = (kind: string) => t.app.db.securityAlert.findMany({ where: { kind }, orderBy: { createdAt: 'asc' } });
const deliveriesOf = (kind: string) => receiver.received.filter((d) => d.alert.kind === kind);
const ready = async () => {
  const res = await t.app.yoga.fetch('http://chimera.test/ready');
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('error rate > 5% (level 1)', () => {
  it('counts server faults only, raises one alert, sends it, and resolves it', async () => {
    const agent = await makeAgent(t.app.db, 'monitored');
    for (let i = 0; i < 10; i++) await t.ok('query Fine { me { id } }');
    // Client errors are not the server's fault.
    for (let i = 0; i < 5; i++) {
      const bad = await t.gql('query Bad($id: ID!) { agent(id: $id) { id } }', { id: 'garbage' });
      expect(codes(bad)[0]).not.toBe('INTERNAL_SERVER_ERROR');
    }
    expect((await monitor().tick()).raised.error_rate).toBe(false);

    vi.spyOn(t.app.services.agents, 'get').mockRejectedValue(new Error('injected fault'));
    for (let i = 0; i < 2; i++) {
      const broken = await t.gql('query Broken($id: ID!) { agent(id: $id) { id } }', { id: gid('Agent', agent.id) });
      expect(codes(broken)).toEqual(['INTERNAL_SERVER_ERROR']);
    }
    // 2 of 17: 11.8% > 5%.
    const state = await monitor().tick();
    expect(state.raised.error_rate).toBe(true);
    expect(state.level).toBe(1);
    await monitor().tick();
    await monitor().tick();

    const [alert, ...more] = await alertsOf('system_error_rate');
    expect(more).toHaveLength(0);
    expect(alert).toMatchObject({ level: 1, severity: 'medium', resolvedAt: null });
    expect(alert?.details).toMatchObject({ trigger: 'error_rate', level: 1, requests: 17, errors: 2 });
    expect(alert?.message).toContain('Automated response + Alert on-call');
    expect(deliveriesOf('system_error_rate').map((d) => [d.event, d.alert.id, d.alert.level])).toEqual([
      ['raised', alert?.id, 1],
    ]);
    // Level 1 restricts nothing.
    expect((await ready()).status).toBe(200);
    expect((await t.gql('query Anon { publicPosts(limit: 1) { id } }', {}, {})).status).toBe(200);

    vi.restoreAllMocks();
    afterTheWindows();
    for (let i = 0; i < 10; i++) await t.ok('query Fine { me { id } }');
    expect((await monitor().tick()).raised.error_rate).toBe(false);
    const [resolved] = await alertsOf('system_error_rate');
    expect(resolved?.resolvedAt).toBeInstanceOf(Date);
    expect((resolved?.details as { resolution?: unknown } | undefined)?.resolution).toMatchObject({
      requests: 10,
      errors: 0,
    });
    expect(deliveriesOf('system_error_rate').map((d) => d.event)).toEqual(['raised', 'resolved']);
    expect(deliveriesOf('system_error_rate')[1]?.alert.resolvedAt).not.toBeNull();
    await monitor().tick();
    expect(await alertsOf('system_error_rate')).toHaveLength(1);
  });
});

describe('response time > 5 s (level 2)', () => {
  it('raises once on a p95 above the threshold and sheds optional load until it resolves', async () => {
    afterTheWindows();
    record(19, { durationMs: 40, error: false });
    record(1, { durationMs: 9_000, error: false });
    // 1 of 20 slow: the nearest-rank p95 (the 19th of 20) is still fast.
    expect((await monitor().tick()).raised.response_time).toBe(false);
    record(1, { durationMs: 6_000, error: false });
    // 2 of 21 slow: the p95 (the 20th of 21) is above 5 s.
    const state = await monitor().tick();
    expect(state).toMatchObject({ level: 2, raised: { response_time: true } });
    await monitor().tick();
    const [alert, ...more] = await alertsOf('system_response_time');
    expect(more).toHaveLength(0);
    expect(alert).toMatchObject({ level: 2, severity: 'high', resolvedAt: null });
    expect(alert?.details).toMatchObject({ requests: 21, slowRequests: 2, p95AboveThreshold: true });
    expect(deliveriesOf('system_response_time').map((d) => [d.event, d.alert.level])).toEqual([['raised', 2]]);

    // Shedding: an anonymous query the cache cannot answer is refused, the signed-in caller is served.
    const before = parseExposition(await (await t.app.yoga.fetch('http://chimera.test/metrics')).text());
    const anonymous = await t.gql('query Shed { publicTrends(limit: 3) { topic } }', {}, {});
    expect(anonymous.status).toBe(503);
    expect(codes(anonymous)).toEqual(['SERVICE_OVERLOADED']);
    expect(anonymous.headers.get('retry-after')).toBe('30');
    expect((await t.gql('query Served { me { id } }')).status).toBe(200);
    // A new subscription is refused (here over SSE).
    const sse = await t.app.yoga.fetch('http://chimera.test/graphql', {
      method: 'POST',
      headers: { ...(await t.admin()).headers, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { securityAlerts { id } }' }),
    });
    const { events } = takeSseEvents(await sse.text());
    expect(events.some((e) => e.data.includes('SERVICE_OVERLOADED'))).toBe(true);
    const after = parseExposition(await (await t.app.yoga.fetch('http://chimera.test/metrics')).text());
    const shed = (s: typeof after, kind: string) => seriesValue(s, 'chimera_load_shed_total', { kind });
    expect(shed(after, 'anonymous_query') - shed(before, 'anonymous_query')).toBe(1);
    expect(shed(after, 'subscription') - shed(before, 'subscription')).toBe(1);
    expect(seriesValue(after, 'chimera_escalation_level')).toBe(2);
    expect(seriesValue(after, 'chimera_system_alert_active', { trigger: 'response_time' })).toBe(1);
    // Level 2 keeps the instance in rotation; the refusals are no server errors.
    expect((await ready()).status).toBe(200);
    expect((await monitor().tick()).raised.error_rate).toBe(false);

    afterTheWindows();
    record(20, { durationMs: 30, error: false });
    expect(await monitor().tick()).toMatchObject({ level: 0, raised: { response_time: false } });
    expect((await alertsOf('system_response_time'))[0]?.resolvedAt).toBeInstanceOf(Date);
    expect(deliveriesOf('system_response_time').map((d) => d.event)).toEqual(['raised', 'resolved']);
    expect((await t.gql('query Shed { publicTrends(limit: 3) { topic } }', {}, {})).status).toBe(200);
  });
});

describe('database connection failures (level 3)', () => {
  it('raises on failed pings in a row, takes /ready out of rotation, and resolves when the database answers', async () => {
    databaseDown = true;
    expect((await monitor().tick()).raised.database).toBe(false); // one failed ping is no outage yet
    const state = await monitor().tick();
    expect(state).toMatchObject({ level: 3, raised: { database: true } });
    await monitor().tick();
    const [alert, ...more] = await alertsOf('system_database');
    expect(more).toHaveLength(0);
    expect(alert).toMatchObject({ level: 3, severity: 'critical', resolvedAt: null });
    expect(alert?.details).toMatchObject({ failedPings: 2, error: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(deliveriesOf('system_database').map((d) => [d.event, d.alert.level])).toEqual([['raised', 3]]);
    expect(await ready()).toEqual({ status: 503, body: { ready: false, escalationLevel: 3 } });
    // Level 3 includes level 2's restrictions.
    expect((await t.gql('query Shed { publicTrends(limit: 4) { topic } }', {}, {})).status).toBe(503);

    databaseDown = false;
    expect((await monitor().tick()).level).toBe(0);
    expect((await alertsOf('system_database'))[0]?.resolvedAt).toBeInstanceOf(Date);
    expect(deliveriesOf('system_database').map((d) => d.event)).toEqual(['raised', 'resolved']);
    expect((await ready()).status).toBe(200);
  });
});

describe('memory > 90% (level 2)', () => {
  it('raises once memory stayed above the ratio for the whole window, and resolves when it drops', async () => {
    memory = { usedBytes: 950, limitBytes: 1_000 };
    expect((await monitor().tick()).raised.memory).toBe(false); // above, but not for 10 s yet
    clock += 5_000;
    expect((await monitor().tick()).raised.memory).toBe(false);
    clock += 5_000;
    expect(await monitor().tick()).toMatchObject({ level: 2, raised: { memory: true } });
    clock += 5_000;
    await monitor().tick();
    const [alert, ...more] = await alertsOf('system_memory');
    expect(more).toHaveLength(0);
    expect(alert).toMatchObject({ level: 2, severity: 'high', resolvedAt: null });
    expect(alert?.details).toMatchObject({ usedBytes: 950, limitBytes: 1_000, observed: 0.95 });
    // Just below the ratio is within the hysteresis band: still raised.
    memory = { usedBytes: 880, limitBytes: 1_000 };
    expect((await monitor().tick()).raised.memory).toBe(true);
    memory = { usedBytes: 500, limitBytes: 1_000 };
    expect((await monitor().tick()).raised.memory).toBe(false);
    expect((await alertsOf('system_memory'))[0]?.resolvedAt).toBeInstanceOf(Date);
    expect(deliveriesOf('system_memory').map((d) => [d.event, d.alert.level])).toEqual([
      ['raised', 2],
      ['resolved', 2],
    ]);
  });

  it('shows the alerts with their level and resolution over GraphQL', async () => {
    const { securityAlerts } = await t.ok<{
      securityAlerts: { edges: { node: { kind: string; level: number | null; resolvedAt: string | null } }[] };
    }>('{ securityAlerts(first: 20) { edges { node { kind level resolvedAt } } } }');
    const system = securityAlerts.edges.map((e) => e.node).filter((n) => n.kind.startsWith('system_'));
    expect(system.map((n) => [n.kind, n.level]).sort()).toEqual([
      ['system_database', 3],
      ['system_error_rate', 1],
      ['system_memory', 2],
      ['system_response_time', 2],
    ]);
    expect(system.every((n) => n.resolvedAt !== null)).toBe(true);
  });
});

/** A TCP proxy in front of PostgreSQL that can be taken down (every connection cut, none accepted) and back up. */
async function startProxy(target = { host: '127.0.0.1', port: 5432 }) {
  const sockets = new Set<Socket>();
  let server: TcpServer | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      const listening = createTcpServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server = listening;
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
    });
  await up();
  return { port: () => port, up, down };
}

describe('a real database outage', () => {
  it('tells the webhook at once and writes the alert, resolved, when the database is back', async () => {
    const proxy = await startProxy();
    const url = new URL(t.database.url);
    url.host = `127.0.0.1:${proxy.port()}`;
    const db = createDatabase({ url: url.toString(), poolSize: 2 });
    const errors: string[] = [];
    const watcher = createSystemMonitor({
      settings: monitorSettingsOf(t.app.config.monitor),
      samplers: { database: () => db.$queryRaw`SELECT 1` },
      alerts: createAlertService({ db, publish: () => undefined, webhookUrl: receiver.url }),
      instance: 'outage-test',
      timeoutMs: 3_000,
      onError: (_err, what) => errors.push(what),
    });
    try {
      expect((await watcher.tick()).level).toBe(0);
      await proxy.down();
      await watcher.tick();
      expect((await watcher.tick()).level).toBe(3);
      expect(watcher.pendingWrites()).toBe(1);
      expect(errors.some((e) => e.startsWith('store the database alert'))).toBe(true);
      const told = receiver.received.filter((d) => d.alert.details.instance === 'outage-test');
      expect(told.map((d) => [d.event, d.alert.id, d.alert.stored, d.alert.level])).toEqual([
        ['raised', null, false, 3],
      ]);
      await watcher.tick(); // still down: nothing new is sent
      expect(receiver.received.filter((d) => d.alert.details.instance === 'outage-test')).toHaveLength(1);

      await proxy.up();
      expect((await watcher.tick()).level).toBe(0);
      expect(watcher.pendingWrites()).toBe(0);
      const rows = await t.app.db.securityAlert.findMany({
        where: { kind: 'system_database', details: { path: ['instance'], equals: 'outage-test' } },
      });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ level: 3, severity: 'critical' });
      expect(rows[0]?.resolvedAt).toBeInstanceOf(Date);
      expect((rows[0]?.details as { resolution?: unknown } | undefined)?.resolution).toMatchObject({ failedPings: 0 });
      const after = receiver.received.filter((d) => d.alert.details.instance === 'outage-test');
      expect(after.map((d) => d.event)).toEqual(['raised', 'resolved']);
    } finally {
      await db.$disconnect();
      await proxy.down();
    }
  });
});

describe('a worker process', () => {
  it('throttles its stages by level — one job at a time at 2, none at 3 — and lifts it when the alerts resolve', async () => {
    const swarm = startTestSwarm(t, { stages: ['planner'] });
    let now = Date.now();
    let usage = { usedBytes: 100, limitBytes: 1_000 };
    let down = false;
    const config = { ...t.app.config, monitor: { ...t.app.config.monitor, everyMs: 3_600_000 } };
    const watch = createWorkerObservability(config, {
      db: t.app.db,
      logger: createLogger('silent'),
      publish: () => undefined,
      role: 'worker:planner',
      overrides: {
        now: () => now,
        samplers: {
          memory: () => usage,
          database: async () => {
            if (down) throw new Error('connect ECONNREFUSED');
          },
        },
      },
    });
    const modes: string[] = [];
    await watch.start({
      throttle: async (mode) => {
        await swarm.throttle(mode);
        modes.push(mode);
      },
    });
    const tick = async () => (await watch.monitor?.tick())?.level;
    const applied = (n: number) => eventually(() => (modes.length >= n ? true : undefined), 5_000, `${n} modes`);
    try {
      usage = { usedBytes: 950, limitBytes: 1_000 };
      expect(await tick()).toBe(0);
      now += 11_000;
      expect(await tick()).toBe(2);
      await applied(1);
      down = true;
      await tick();
      expect(await tick()).toBe(3);
      await applied(2);
      expect(modes).toEqual(['shed', 'paused']);

      // Paused: a goal's planner job waits in the queue.
      const agent = await makeAgent(t.app.db, 'throttled');
      const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
        'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
        { i: { agentId: gid('Agent', agent.id), goalDescription: 'Say hello' } },
      );
      const goalId = Buffer.from(submitGoal.id, 'base64').toString().split(':')[1] as string;
      await swarm.flush();
      const job = await eventually(() => swarm.queues.get('planner', `plan:${goalId}`), 5_000, 'the planner job');
      await new Promise((r) => setTimeout(r, 500));
      expect(await job.getState()).toMatch(/^(waiting|prioritized|delayed)$/);
      expect((await t.app.db.goal.findUniqueOrThrow({ where: { id: goalId } })).status).toBe('planning');

      down = false;
      expect(await tick()).toBe(2);
      await applied(3);
      usage = { usedBytes: 100, limitBytes: 1_000 };
      expect(await tick()).toBe(0);
      await applied(4);
      expect(modes).toEqual(['shed', 'paused', 'shed', 'normal']);
      // Resumed: the job runs.
      await eventually(
        async () =>
          (await t.app.db.goal.findUnique({ where: { id: goalId } }))?.status !== 'planning' ? true : undefined,
        15_000,
        'the goal to be planned',
      );
      const rows = await t.app.db.securityAlert.findMany({
        where: { details: { path: ['instance'], string_starts_with: 'worker:planner@' } },
      });
      expect(rows.map((r) => [r.kind, r.level, r.resolvedAt !== null]).sort()).toEqual([
        ['system_database', 3, true],
        ['system_memory', 2, true],
      ]);
    } finally {
      await watch.close();
      await swarm.close();
    }
  });
});
