// Fault injection: a private PostgreSQL 15 cluster (initdb into a temp dir as the postgres OS user, free port,
// socket in the temp dir, migrated with the project's migrator) under the API and the Planner, Worker and Judge
// processes is stopped (pg_ctl -m immediate: a crash, as production sees a failover) mid-run and started again.
// While it is down the API answers 503 + Retry-After coded SERVICE_UNAVAILABLE, within a deadline (no hang); after
// it returns the API answers again without a restart, and every goal still ends with one completion per task.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { migrate } from '../../src/platform/db/migrator.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { MIGRATIONS_DIR } from '../helpers/db-names.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { type StageProcess, spawnStage } from '../helpers/processes.js';
import { eventually } from '../helpers/ws-client.js';
import { FULL, freePort, LONG_SESSIONS, replay, SEED } from './seed.js';

const BIN = '/usr/lib/postgresql/15/bin';
const RESTARTS = FULL ? 3 : 1;

let dir = '';
let port = 0;
const pgctl = (...args: string[]) =>
  execFileSync('runuser', ['-u', 'postgres', '--', `${BIN}/pg_ctl`, '-D', join(dir, 'data'), ...args], {
    stdio: 'pipe',
    timeout: 60_000,
  });
const startPg = () =>
  pgctl('-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start');
const stopPg = () => pgctl('-w', '-m', 'immediate', 'stop');

let t: TestApp | undefined;
let url = '';
let agentId: string;
let reviewer: Identity;
const stages: StageProcess[] = [];

beforeAll(async () => {
  console.info(`[faults] pg-restart seed=${SEED} mode=${FULL ? 'full' : 'quick'} (${replay()})`);
  dir = mkdtempSync(join(tmpdir(), 'chimera-faults-pg-'));
  chmodSync(dir, 0o755);
  const idOf = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  chownSync(dir, idOf('-u'), idOf('-g'));
  execFileSync(
    'runuser',
    ['-u', 'postgres', '--', `${BIN}/initdb`, '-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres'],
    {
      stdio: 'pipe',
      timeout: 120_000,
    },
  );
  port = await freePort();
  startPg();
  url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  await migrate({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });
  t = await startTestApp({ ...LONG_SESSIONS, DATABASE_URL: url });
  agentId = (await seedDemo(t.app.db)).agentId;
  await t.app.listen();
  reviewer = await t.signIn(['content_reviewer']);
}, 240_000);
afterAll(async () => {
  await Promise.all(stages.map((p) => p.kill('SIGKILL')));
  await t?.close().catch(() => undefined);
  try {
    stopPg();
  } catch {
    // already stopped
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function submit(description: string): Promise<string> {
  const app = t as TestApp;
  const { submitGoal } = await app.ok<{ submitGoal: { id: string } }>(
    'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
    { i: { agentId: gid('Agent', agentId), goalDescription: description } },
  );
  return uuidOf(submitGoal.id);
}

describe('PostgreSQL restarted mid-run', { timeout: FULL ? 900_000 : 240_000 }, () => {
  it('answers 503 while it is down, recovers on its own, and every goal ends', async () => {
    const app = t as TestApp;
    for (const stage of ['planner', 'worker', 'judge'] as const)
      stages.push(spawnStage(app, stage, { DATABASE_URL: url }));
    await Promise.all(stages.map((p) => p.ready));
    const admin = await app.admin();
    const goals: string[] = [];
    const down: { status: number; body: string; retryAfter: string | null }[] = [];
    for (let r = 0; r < RESTARTS; r++) {
      goals.push(await submit(`Write a short post on focus (${r})`), await submit(`Post about the trend (${r})`));
      await new Promise((res) => setTimeout(res, 500));
      stopPg();
      const res = await within15(() =>
        app.gql('query { agents(first: 1) { edges { node { id } } } }', {}, admin.headers),
      );
      down.push(res);
      startPg();
    }
    console.info('[faults] responses while PostgreSQL was down:', JSON.stringify(down).slice(0, 2000));
    for (const p of down) {
      expect(p.status, `${p.body} ${replay()}`).toBe(503);
      expect(p.retryAfter).toMatch(/^\d+$/);
    }
    await eventually(
      async () => {
        const res = await app.gql('query { agents(first: 1) { edges { node { id } } } }', {}, admin.headers);
        return res.status === 200 && !res.errors ? res : undefined;
      },
      30_000,
      'the API to answer again after PostgreSQL returned',
    );
    await eventually(
      async () => {
        for (const goalId of goals) {
          const q = await app.ok<{ reviewItems: { edges: { node: { taskId: string } }[] } }>(
            'query ($g: ID) { reviewItems(first: 50, filter: { goalId: $g }) { edges { node { taskId } } } }',
            { g: gid('Goal', goalId) },
            reviewer.headers,
          );
          for (const { node } of q.reviewItems.edges) {
            const res = await app.gql(
              'mutation ($id: ID!) { approveReview(taskId: $id, note: "ok") { id } }',
              { id: node.taskId },
              reviewer.headers,
            );
            if (res.errors) expect(codes(res)).toEqual(['CONFLICT']);
          }
        }
        const rows = await app.app.db.goal.findMany({ where: { id: { in: goals } } });
        return rows.every((g) => g.status === 'complete' || g.status === 'failed') ? rows : undefined;
      },
      120_000,
      `every goal to reach a final state after the PostgreSQL restart (${replay()})`,
    );
    const tasks = await app.app.db.task.findMany({ where: { goalId: { in: goals } } });
    for (const goalId of goals) expect(tasks.some((x) => x.goalId === goalId)).toBe(true);
    for (const task of tasks) {
      const completions = await app.app.db.auditLog.count({
        where: { action: { in: ['judge.approve', 'review.approved'] }, details: { path: ['taskId'], equals: task.id } },
      });
      expect(completions, `completions of ${task.id}`).toBe(task.status === 'complete' ? 1 : 0);
    }
  });
});

/** A response, or status 0 when it did not arrive within 15 s (a hang). */
async function within15(
  run: () => Promise<{ status: number; headers: Headers; errors?: unknown }>,
): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const timeout = new Promise<null>((r) => setTimeout(() => r(null), 15_000));
  const res = await Promise.race([run(), timeout]);
  if (!res) return { status: 0, body: 'timeout', retryAfter: null };
  return { status: res.status, body: JSON.stringify(res.errors ?? null), retryAfter: res.headers.get('retry-after') };
}
