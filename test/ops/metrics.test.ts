// GET /metrics on the real API while work happens: GraphQL operations (by name, type and error code), HTTP requests,
// response-cache hits and misses, rate-limit refusals, a goal through the real swarm (task outcomes, stage jobs) and
// the queue depths read from BullMQ at scrape time — each series asserted to move by what was done.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid } from '../helpers/fixtures.js';
import { parseExposition, type Sample, seriesValue, sumOf } from '../helpers/prometheus.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm;
let agentId: string;

beforeAll(async () => {
  t = await startTestApp({ RESPONSE_CACHE: 'true', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '2' });
  await t.app.changeFeed?.listening;
  agentId = (await seedDemo(t.app.db)).agentId;
  swarm = startTestSwarm(t, { metrics: t.app.observability.metrics });
}, 120_000);
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

async function scrape(): Promise<Sample[]> {
  const res = await t.app.yoga.fetch('http://chimera.test/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await res.text());
}

describe('/metrics', () => {
  it('counts GraphQL operations by name and type, their error codes, and the HTTP requests', async () => {
    const before = await scrape();
    await t.ok('query MetricsProbe { me { id } }');
    await t.ok('query MetricsProbe { me { id } }');
    const bad = await t.gql('query MetricsBad($id: ID!) { agent(id: $id) { id } }', { id: 'not a global id' });
    const badCode = String(codes(bad)[0]);
    expect(badCode).not.toBe('undefined');
    const after = await scrape();

    const ops = (s: Sample[], operation: string) =>
      seriesValue(s, 'chimera_graphql_operation_duration_seconds_count', { operation, type: 'query' });
    expect(ops(after, 'MetricsProbe') - ops(before, 'MetricsProbe')).toBe(2);
    expect(ops(after, 'MetricsBad') - ops(before, 'MetricsBad')).toBe(1);
    const errors = (s: Sample[]) =>
      seriesValue(s, 'chimera_graphql_errors_total', { operation: 'MetricsBad', type: 'query', code: badCode });
    expect(errors(after) - errors(before)).toBe(1);
    expect(sumOf(after, 'chimera_graphql_errors_total', { operation: 'MetricsProbe' })).toBe(0);

    const posts = (s: Sample[]) => sumOf(s, 'chimera_http_requests_total', { method: 'POST', route: 'graphql' });
    expect(posts(after) - posts(before)).toBe(3);
    const timed = (s: Sample[]) =>
      sumOf(s, 'chimera_http_request_duration_seconds_count', { method: 'POST', route: 'graphql' });
    expect(timed(after) - timed(before)).toBe(3);
    // The first scrape is itself a request of the metrics route.
    expect(sumOf(after, 'chimera_http_requests_total', { route: 'metrics', status: '200' })).toBeGreaterThanOrEqual(1);
    // The default process metrics.
    expect(seriesValue(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(after.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('counts response-cache hits and misses as the responses report them', async () => {
    const before = await scrape();
    const seen: string[] = [];
    await eventually(
      async () => {
        const res = await t.gql('query CachedPosts { publicPosts(limit: 5) { id text } }');
        seen.push(String(res.headers.get('x-chimera-cache')));
        return seen.includes('HIT') ? true : undefined;
      },
      10_000,
      'a response-cache hit',
    );
    const after = await scrape();
    expect(seen[0]).toBe('MISS');
    const delta = (name: string) => seriesValue(after, name) - seriesValue(before, name);
    expect(delta('chimera_response_cache_hits_total')).toBe(seen.filter((s) => s === 'HIT').length);
    expect(delta('chimera_response_cache_misses_total')).toBe(seen.filter((s) => s === 'MISS').length);
  });

  it('counts rate-limit refusals by the limit that refused them', async () => {
    const before = await scrape();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.gql('query Anonymous { __typename }', {}, {})).status);
    expect(statuses).toEqual([200, 200, 429]);
    const after = await scrape();
    const limit = { limit: 'anonymous_requests_per_minute' };
    expect(
      seriesValue(after, 'chimera_rate_limit_rejections_total', limit) -
        seriesValue(before, 'chimera_rate_limit_rejections_total', limit),
    ).toBe(1);
    const refused = (s: Sample[]) =>
      seriesValue(s, 'chimera_graphql_errors_total', { operation: 'Anonymous', type: 'query', code: 'RATE_LIMITED' });
    expect(refused(after) - refused(before)).toBe(1);
  });

  it('counts a goal through the swarm: stage jobs and task outcomes by task type', async () => {
    const before = await scrape();
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
      'mutation Submit($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
      { i: { agentId: gid('Agent', agentId), goalDescription: "Post about this week's top trend in our voice" } },
    );
    const tasks = await eventually(
      async () => {
        const { goal } = await t.ok<{ goal: { status: string; tasks: { taskType: string; status: string }[] } }>(
          'query ($id: ID!) { goal(id: $id) { status tasks { taskType status } } }',
          { id: submitGoal.id },
        );
        return goal.status === 'COMPLETE' ? goal.tasks : undefined;
      },
      30_000,
      'the goal to complete',
    );
    const jobs = (s: Sample[], stage: string) =>
      seriesValue(s, 'chimera_swarm_jobs_total', { stage, result: 'completed' });
    // The Judge's job ends a moment after its decision committed (it remembers the outcome first).
    const after = await eventually(
      async () => {
        const s = await scrape();
        return jobs(s, 'judge') - jobs(before, 'judge') >= tasks.length ? s : undefined;
      },
      10_000,
      'the judge jobs to finish',
    );
    const outcome = (s: Sample[], taskType: string) =>
      seriesValue(s, 'chimera_task_outcomes_total', { task_type: taskType, outcome: 'completed' });
    for (const type of new Set(tasks.map((x) => x.taskType.toLowerCase()))) {
      const completed = tasks.filter((x) => x.taskType.toLowerCase() === type).length;
      expect(outcome(after, type) - outcome(before, type), type).toBe(completed);
    }
    expect(jobs(after, 'planner') - jobs(before, 'planner')).toBe(1);
    expect(jobs(after, 'worker') - jobs(before, 'worker')).toBe(tasks.length);
    expect(jobs(after, 'judge') - jobs(before, 'judge')).toBe(tasks.length);
    expect(seriesValue(after, 'chimera_swarm_job_duration_seconds_count', { stage: 'planner' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('reads the queue depths from BullMQ when scraped', async () => {
    // No process here settles transfers (no chain): a job put on that queue stays waiting.
    const depth = (s: Sample[]) => seriesValue(s, 'chimera_queue_jobs', { queue: 'chain', state: 'waiting' });
    const before = await scrape();
    for (const queue of ['planner', 'worker', 'judge', 'publish', 'chain', 'maintenance']) {
      for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed'])
        expect(
          before.some((s) => s.name === 'chimera_queue_jobs' && s.labels.queue === queue && s.labels.state === state),
        ).toBe(true);
    }
    await swarm.queues.add('chain', { id: 'metrics-probe-1', data: {} });
    await swarm.queues.add('chain', { id: 'metrics-probe-2', data: {} });
    expect(depth(await scrape()) - depth(before)).toBe(2);
    await swarm.queues.queues.chain.obliterate({ force: true });
    expect(depth(await scrape())).toBe(0);
  });
});
