// The swarm as production runs it: the API here, and the Planner, Worker and Judge as separate processes
// (workers/*.ts) talking to it only through PostgreSQL and Redis. Real clients watch; a worker is SIGKILLed in
// the middle of a task; the queues' keys vanish mid-run. Every goal still ends, and every attempt runs once.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { type StageProcess, spawnStage } from '../helpers/processes.js';
import { connectWs, eventually, subscribeSse, within } from '../helpers/ws-client.js';

let t: TestApp;
let base: string;
let agentId: string;
let reviewer: Identity;
let processes: StageProcess[] = [];
beforeAll(async () => {
  t = await startTestApp();
  agentId = (await seedDemo(t.app.db)).agentId;
  base = await t.app.listen();
  reviewer = await t.signIn(['content_reviewer']);
});
afterEach(async () => {
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
  processes = [];
});
afterAll(async () => {
  await t?.close();
});

async function start(stage: 'planner' | 'worker' | 'judge', env: Record<string, string> = {}) {
  const p = spawnStage(t, stage, env);
  processes.push(p);
  await p.ready;
  return p;
}

async function submit(goalDescription: string): Promise<string> {
  const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
    'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
    { i: { agentId: gid('Agent', agentId), goalDescription } },
  );
  return uuidOf(submitGoal.id);
}

const REVIEW_QUEUE = 'query ($g: ID) { reviewItems(first: 50, filter: { goalId: $g }) { edges { node { taskId } } } }';
const APPROVE = 'mutation ($id: ID!) { approveReview(taskId: $id, note: "fine by me") { id status } }';

/** Waits for the goals to finish, approving (as a content reviewer) whatever the Judge puts in front of a human. */
async function finishGoals(goalIds: string[], ms = 60_000) {
  return eventually(
    async () => {
      for (const goalId of goalIds) {
        const queue = await t.ok<{ reviewItems: { edges: { node: { taskId: string } }[] } }>(
          REVIEW_QUEUE,
          { g: gid('Goal', goalId) },
          reviewer.headers,
        );
        for (const { node } of queue.reviewItems.edges) {
          const res = await t.gql(APPROVE, { id: node.taskId }, reviewer.headers);
          // Another pass may have approved it first: CONFLICT is fine, anything else is not.
          if (res.errors) expect(codes(res)).toEqual(['CONFLICT']);
        }
      }
      const goals = await t.app.db.goal.findMany({ where: { id: { in: goalIds } } });
      return goals.every((g) => g.status === 'complete') ? goals : undefined;
    },
    ms,
    'the goals to complete',
  );
}

/** Each attempt of each task ran once: one draft per content attempt, one verdict per attempt, one completion. */
async function expectEachAttemptOnce(goalIds: string[]) {
  const tasks = await t.app.db.task.findMany({ where: { goalId: { in: goalIds } }, include: { contents: true } });
  expect(tasks.length).toBeGreaterThan(0);
  for (const task of tasks) {
    expect(task.status).toBe('complete');
    if (['generate_content', 'reply_comment'].includes(task.taskType))
      expect(task.contents).toHaveLength(task.attempts);
    const verdicts = await t.app.db.auditLog.count({
      where: { action: { startsWith: 'judge.' }, details: { path: ['taskId'], equals: task.id } },
    });
    expect(verdicts).toBe(task.attempts);
    const completions = await t.app.db.auditLog.count({
      where: {
        action: { in: ['judge.approve', 'review.approved'] },
        details: { path: ['taskId'], equals: task.id },
      },
    });
    expect(completions).toBe(1);
  }
  return tasks;
}

const ORDER = ['PENDING', 'IN_PROGRESS', 'REVIEW', 'COMPLETE'];

// Processes start (tsx compiles each) and run on a loaded 2-core machine in CI: generous time per test.
describe('the swarm in separate processes', { timeout: 180_000 }, () => {
  it('streams every status change to graphql-ws and SSE clients, through human review to completion', async () => {
    await Promise.all([start('planner'), start('worker'), start('judge')]);
    const admin = await t.admin();
    const ws = connectWs(`${base.replace(/^http/, 'ws')}/graphql`, { authorization: admin.headers.authorization });
    await within(ws.connected, 10_000, 'connection_ack');
    type Update = { taskUpdated: { id: string; status: string } };
    const query = 'subscription ($a: ID) { taskUpdated(agentId: $a) { id status } }';
    const overWs = ws.subscribe<Update>(query, { a: gid('Agent', agentId) });
    const overSse = await subscribeSse<Update>(
      `${base}/graphql`,
      `subscription { taskUpdated(agentId: "${gid('Agent', agentId)}") { id status } }`,
      admin.headers,
    );
    await new Promise((r) => setTimeout(r, 300));

    // Financial advice: the Judge must put the post in front of a person.
    const goalId = await submit("Post about this week's top trend: invest your savings in bitcoin stocks");
    await finishGoals([goalId]);
    const tasks = await expectEachAttemptOnce([goalId]);
    const reviewed = await t.app.db.auditLog.count({ where: { action: 'review.approved', agentId } });
    expect(reviewed).toBeGreaterThan(0);

    for (const stream of [overWs, overSse]) {
      const byTask = await eventually(
        () => {
          const seen = new Map<string, string[]>();
          for (const r of stream.received) {
            const u = r.data?.taskUpdated;
            if (u) seen.set(u.id, [...(seen.get(u.id) ?? []), u.status]);
          }
          const all = tasks.every((task) => seen.get(gid('Task', task.id))?.includes('COMPLETE'));
          return all ? seen : undefined;
        },
        10_000,
        'every task’s completion to be streamed',
      );
      for (const task of tasks) {
        const statuses = byTask.get(gid('Task', task.id)) ?? [];
        // In the state machine's order (a subscriber loads the task when the event arrives, so a fast move can be
        // seen at its later state), ending COMPLETE.
        const ranks = statuses.map((s) => ORDER.indexOf(s));
        expect(ranks.every((r, i) => r >= 0 && (i === 0 || r >= (ranks[i - 1] ?? 0)))).toBe(true);
        expect(statuses.at(-1)).toBe('COMPLETE');
      }
      // What went to a person was seen waiting in REVIEW.
      const humanTasks = await t.app.db.auditLog.findMany({ where: { action: 'review.approved', agentId } });
      for (const a of humanTasks) {
        const id = (a.details as { taskId: string }).taskId;
        expect(byTask.get(gid('Task', id))).toContain('REVIEW');
      }
      expect(stream.received.every((r) => codes(r as never).length === 0)).toBe(true);
    }
    ws.dispose();
    overSse.close();
  });

  describe('with a worker killed mid-task', () => {
    let llm: FakeOpenAiServer;
    beforeAll(async () => {
      llm = await startFakeOpenAiServer();
    });
    afterAll(async () => {
      await llm?.close();
    });

    it('completes the task exactly once on another worker', async () => {
      let writes = 0;
      llm.route((body) => {
        const user = body?.messages.at(-1)?.content ?? '';
        if (user.startsWith('Goal:') || user.includes('Draft:\n')) return { status: 500 };
        writes += 1;
        // The first worker to write never gets an answer: it is killed while it waits.
        return writes === 1 ? { hang: true } : { content: 'Focus is a practice, not a mood. One thing at a time.' };
      });
      const workerEnv = {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'test',
        LLM_MAX_RETRIES: '0',
      };
      await Promise.all([start('planner'), start('judge')]);
      const doomed = await start('worker', workerEnv);

      const goalId = await submit('Write a short post on focus');
      await eventually(() => writes >= 1 || undefined, 20_000, 'the worker to start writing');
      const running = await t.app.db.task.findFirstOrThrow({ where: { goalId, status: 'in_progress' } });
      expect(await doomed.kill('SIGKILL')).toBeNull();
      expect(doomed.child.signalCode).toBe('SIGKILL');

      await start('worker', workerEnv);
      await finishGoals([goalId]);
      const tasks = await expectEachAttemptOnce([goalId]);
      const resumed = tasks.find((x) => x.id === running.id);
      expect(resumed?.contents.length).toBeGreaterThanOrEqual(1);
      expect(writes).toBeGreaterThanOrEqual(2);
    });
  });

  it('loses no task when the queues’ Redis keys vanish mid-run', async () => {
    await Promise.all([start('planner'), start('worker'), start('judge')]);
    const raw = new Redis(t.app.config.redisUrl);
    try {
      const goals = await Promise.all([
        submit('Post about the trend of the week'),
        submit('Write a short post on focus'),
        submit('Share one habit that helps you write'),
      ]);
      // While work is in flight, drop every queue key of this deployment a few times (what FLUSHALL does to the
      // queues; the other test files sharing this Redis keep theirs).
      let droppedMidRun = 0;
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 400));
        const unfinished = await t.app.db.goal.count({ where: { id: { in: goals }, status: { not: 'complete' } } });
        const keys = await raw.keys(`${t.app.config.redisKeyPrefix}bull:*`);
        if (unfinished > 0 && keys.length > 0) droppedMidRun += await raw.del(...keys);
      }
      expect(droppedMidRun).toBeGreaterThan(0);
      await finishGoals(goals, 90_000);
      await expectEachAttemptOnce(goals);
    } finally {
      raw.disconnect();
    }
  });
});
