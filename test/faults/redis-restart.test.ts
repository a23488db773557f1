// Fault injection: a private redis-server (its own free port) under the API and the Planner, Worker and Judge
// processes is stopped mid-run and started again on the same port. It runs with persistence off (`--save ""
// --appendonly no`): what production sees when a cache-only Redis (or its failover) comes back empty — every queue,
// lock and counter is gone, and the reconciler must rebuild the work from PostgreSQL. While Redis is down the API
// must answer in bounded time (request timeouts detect hangs), and recover without a restart.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { type StageProcess, spawnStage } from '../helpers/processes.js';
import { eventually, within } from '../helpers/ws-client.js';
import { FULL, freePort, LONG_SESSIONS, replay, SEED } from './seed.js';

const RESTARTS = FULL ? 3 : 1;

let port = 0;
let redis: ChildProcess | undefined;
async function startRedis(): Promise<void> {
  const child = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  redis = child;
  let out = '';
  await within(
    new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
    }),
    20_000,
    'redis-server to start',
  );
}
async function stopRedis(): Promise<void> {
  const child = redis;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

let t: TestApp;
let base: string;
let agentId: string;
let reviewer: Identity;
const stages: StageProcess[] = [];

beforeAll(async () => {
  console.info(`[faults] redis-restart seed=${SEED} mode=${FULL ? 'full' : 'quick'} (${replay()})`);
  port = await freePort();
  await startRedis();
  t = await startTestApp({ ...LONG_SESSIONS, REDIS_URL: `redis://127.0.0.1:${port}` });
  agentId = (await seedDemo(t.app.db)).agentId;
  base = await t.app.listen();
  reviewer = await t.signIn(['content_reviewer']);
}, 120_000);
afterAll(async () => {
  await Promise.all(stages.map((p) => p.kill('SIGKILL')));
  await t?.close().catch(() => undefined);
  await stopRedis();
});

/** One GraphQL request over real HTTP with a deadline: a hang is reported as status 0. */
async function probe(
  headers: Record<string, string>,
): Promise<{ status: number; ms: number; body: string; retryAfter: string | null }> {
  const started = Date.now();
  try {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ agents(first: 1) { edges { node { id } } } }' }),
      signal: AbortSignal.timeout(15_000),
    });
    return {
      status: res.status,
      ms: Date.now() - started,
      body: await res.text(),
      retryAfter: res.headers.get('retry-after'),
    };
  } catch {
    return { status: 0, ms: Date.now() - started, body: 'timeout', retryAfter: null };
  }
}

async function submit(description: string): Promise<string> {
  const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
    'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
    { i: { agentId: gid('Agent', agentId), goalDescription: description } },
  );
  return uuidOf(submitGoal.id);
}

describe('Redis restarted mid-run', { timeout: FULL ? 900_000 : 240_000 }, () => {
  it('loses no goal, and the API answers in bounded time while Redis is down and recovers on its own', async () => {
    for (const stage of ['planner', 'worker', 'judge'] as const) stages.push(spawnStage(t, stage));
    await Promise.all(stages.map((p) => p.ready));
    const admin = await t.admin();
    const goals: string[] = [];
    const downProbes: Awaited<ReturnType<typeof probe>>[] = [];
    for (let r = 0; r < RESTARTS; r++) {
      goals.push(await submit(`Write a short post on focus (${r}a)`), await submit(`Post about the trend (${r}b)`));
      await new Promise((res) => setTimeout(res, 500));
      await stopRedis();
      downProbes.push(await probe(admin.headers));
      await new Promise((res) => setTimeout(res, 1000));
      await startRedis();
    }
    console.info('[faults] responses while Redis was down:', JSON.stringify(downProbes).slice(0, 2000));
    // No hang: every request while Redis was down got an answer before the deadline.
    // No hang, and not a 500 or a masked INTERNAL_SERVER_ERROR: 503 + Retry-After, coded SERVICE_UNAVAILABLE.
    for (const p of downProbes) {
      expect(p.status, `${p.body} ${replay()}`).toBe(503);
      expect(p.retryAfter).toMatch(/^\d+$/);
      expect(JSON.parse(p.body).errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual([
        'SERVICE_UNAVAILABLE',
      ]);
    }
    // Recovered without a restart of the API.
    const after = await eventually(
      async () => {
        const p = await probe(admin.headers);
        return p.status === 200 && !p.body.includes('"errors"') ? p : undefined;
      },
      30_000,
      'the API to answer again after Redis returned',
    );
    expect(after.status).toBe(200);

    await eventually(
      async () => {
        for (const goalId of goals) {
          const q = await t.ok<{ reviewItems: { edges: { node: { taskId: string } }[] } }>(
            'query ($g: ID) { reviewItems(first: 50, filter: { goalId: $g }) { edges { node { taskId } } } }',
            { g: gid('Goal', goalId) },
            reviewer.headers,
          );
          for (const { node } of q.reviewItems.edges) {
            const res = await t.gql(
              'mutation ($id: ID!) { approveReview(taskId: $id, note: "ok") { id } }',
              { id: node.taskId },
              reviewer.headers,
            );
            if (res.errors) expect(codes(res)).toEqual(['CONFLICT']);
          }
        }
        const rows = await t.app.db.goal.findMany({ where: { id: { in: goals } } });
        return rows.every((g) => g.status === 'complete' || g.status === 'failed') ? rows : undefined;
      },
      120_000,
      `every goal to reach a final state after the Redis restart (${replay()})`,
    );
    const tasks = await t.app.db.task.findMany({ where: { goalId: { in: goals } } });
    for (const goalId of goals) expect(tasks.some((x) => x.goalId === goalId)).toBe(true);
    for (const task of tasks) {
      const completions = await t.app.db.auditLog.count({
        where: { action: { in: ['judge.approve', 'review.approved'] }, details: { path: ['taskId'], equals: task.id } },
      });
      expect(completions, `completions of ${task.id}`).toBe(task.status === 'complete' ? 1 : 0);
    }
  });
});
