// OpenTelemetry traces API → queue → worker, exported as OTLP/HTTP (JSON) to a local receiver: the GraphQL operation's
// span, the trace context put in the outbox row (and so the BullMQ job), and the Planner's, Worker's and Judge's spans
// continuing it — one trace id from the request to the verdict. Without an endpoint nothing of the SDK is loaded.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
}
interface Exported {
  service: string | undefined;
  span: OtlpSpan;
}

async function startOtlpReceiver() {
  const spans: Exported[] = [];
  const requests: { path: string; contentType: string | undefined }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] });
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const parsed = JSON.parse(body.toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: OtlpSpan[] }[];
        }[];
      };
      for (const rs of parsed.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ service, span });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, requests, close: () => new Promise((r) => server.close(r)) };
}

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let t: TestApp;
let swarm: Swarm;
let agentId: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  t = await startTestApp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'chimera-trace-test' });
  agentId = (await seedDemo(t.app.db)).agentId;
  swarm = startTestSwarm(t, { tracing: t.app.observability.tracing });
}, 120_000);
afterAll(async () => {
  await swarm?.close();
  await t?.close();
  await receiver?.close();
});

const SECRET = 'a-variable-value-no-span-may-carry';
const attr = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value;

describe('a trace across API → queue → worker', () => {
  it('shares one trace id from the GraphQL operation through the Planner, the Worker and the Judge', async () => {
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
      'mutation SubmitTraced($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
      { i: { agentId: gid('Agent', agentId), goalDescription: `Post about this week's top trend ${SECRET}` } },
    );
    const goalId = uuidOf(submitGoal.id);
    const tasks = await eventually(
      async () => {
        const { goal } = await t.ok<{ goal: { status: string; tasks: { id: string }[] } }>(
          'query ($id: ID!) { goal(id: $id) { status tasks { id } } }',
          { id: submitGoal.id },
        );
        return goal.status === 'COMPLETE' ? goal.tasks : undefined;
      },
      30_000,
      'the goal to complete',
    );
    const tracing = t.app.observability.tracing;
    if (!tracing) throw new Error('tracing is configured, so it must be on');
    // Spans are batched: flush until every stage's span has arrived.
    const exported = await eventually(
      async () => {
        await tracing.flush();
        const judged = receiver.spans.filter((e) => e.span.name === 'swarm.judge');
        return judged.length >= tasks.length ? receiver.spans : undefined;
      },
      15_000,
      'the spans of every stage',
    );
    expect(receiver.requests.every((r) => r.path === '/v1/traces')).toBe(true);
    expect(receiver.requests[0]?.contentType).toContain('application/json');

    const api = exported.find((e) => e.span.name === 'mutation SubmitTraced');
    expect(api?.service).toBe('chimera-trace-test');
    expect(api?.span.kind).toBe(2); // SERVER
    expect(attr(api?.span as OtlpSpan, 'graphql.operation.name')).toEqual({ stringValue: 'SubmitTraced' });
    expect(attr(api?.span as OtlpSpan, 'graphql.operation.type')).toEqual({ stringValue: 'mutation' });
    const traceId = api?.span.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // The context travelled in the outbox row, and so in the BullMQ job.
    const outbox = await t.app.db.outboxMessage.findFirstOrThrow({ where: { dedupeKey: `plan:${goalId}` } });
    const carried = (outbox.payload as { _trace?: { traceparent?: string } })._trace?.traceparent ?? '';
    expect(carried.split('-')[1]).toBe(traceId);

    const inTrace = exported.filter((e) => e.span.traceId === traceId).map((e) => e.span);
    const planner = inTrace.filter((s) => s.name === 'swarm.planner');
    expect(planner).toHaveLength(1);
    expect(planner[0]?.parentSpanId).toBe(api?.span.spanId);
    expect(planner[0]?.kind).toBe(5); // CONSUMER
    expect(attr(planner[0] as OtlpSpan, 'chimera.goal_id')).toEqual({ stringValue: goalId });
    const workers = inTrace.filter((s) => s.name === 'swarm.worker');
    const judges = inTrace.filter((s) => s.name === 'swarm.judge');
    expect(workers).toHaveLength(tasks.length);
    expect(judges).toHaveLength(tasks.length);
    const ids = new Set(inTrace.map((s) => s.spanId));
    // Each stage continues the span of the one that enqueued it.
    for (const w of workers) expect([planner[0]?.spanId, ...judges.map((j) => j.spanId)]).toContain(w.parentSpanId);
    for (const j of judges) expect(workers.map((w) => w.spanId)).toContain(j.parentSpanId);
    expect(ids.size).toBe(inTrace.length);
    // Variables never reach a span.
    expect(JSON.stringify(exported)).not.toContain(SECRET);
  });

  it('continues a caller’s traceparent', async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await t.app.yoga.fetch('http://chimera.test/graphql', {
      method: 'POST',
      headers: {
        ...(await t.admin()).headers,
        'content-type': 'application/json',
        traceparent: `00-${callerTrace}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify({ query: 'query Traced { me { id } }' }),
    });
    expect(res.status).toBe(200);
    const span = await eventually(
      async () => {
        await t.app.observability.tracing?.flush();
        return receiver.spans.find((e) => e.span.name === 'query Traced')?.span;
      },
      10_000,
      'the span of the traced query',
    );
    expect(span.traceId).toBe(callerTrace);
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
  });
});

describe('without an endpoint', () => {
  it('loads none of the OpenTelemetry SDK and starts nothing', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const { startTracing } = await import('./src/platform/tracing/tracing.ts');
      const tracing = startTracing({ endpoint: undefined, serviceName: 'x' });
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('@opentelemetry'));
      console.log(JSON.stringify({ tracing, loaded }));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: new URL('../..', import.meta.url).pathname },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toEqual({ tracing: null, loaded: [] });
  });
});
