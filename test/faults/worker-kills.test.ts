// Fault injection: the Planner, Worker and Judge run as real processes (workers/*.ts) and are SIGKILLed again and
// again at seeded random moments while goals flow, each restarted right after. Afterwards every goal is final, no
// task is lost, every attempt ran once and every task has exactly one completion audit.
// Quick mode (default, in `npm test`): ~10 kills. Full mode (CHIMERA_FAULTS_MODE=full): ≥ 50 kills, more goals.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { type StageProcess, spawnStage } from '../helpers/processes.js';
import { eventually } from '../helpers/ws-client.js';
import { FULL, LONG_SESSIONS, replay, rng, SEED } from './seed.js';

type Stage = 'planner' | 'worker' | 'judge';
const STAGES: Stage[] = ['planner', 'worker', 'judge'];
const KILLS = FULL ? 60 : 10;
const GOALS = FULL ? 24 : 4;
// The agent's hourly budgets (by default 50 tasks, 25 contents, 100 external calls) and its platform's posting quota
// (10 posts an hour: the Planner schedules later content for the next free slot) are not under test: the full run
// needs more. Over them, work waits for the hour's window (deferred, not lost) — longer than the test.
const LIMITS = {
  PLATFORM_QUOTAS: JSON.stringify({ social: { posts: 100_000, windowMs: 3_600_000 } }),
  SWARM_TASKS_PER_AGENT_PER_HOUR: '100000',
  SWARM_TASKS_PER_HOUR: '100000',
  SWARM_CONTENT_PER_AGENT_PER_HOUR: '100000',
  SWARM_CONTENT_PER_HOUR: '100000',
  SWARM_EXTERNAL_CALLS_PER_AGENT_PER_HOUR: '1000000',
  SWARM_EXTERNAL_CALLS_PER_HOUR: '1000000',
};

let t: TestApp;
let agentId: string;
let reviewer: Identity;
const live = new Map<Stage, StageProcess>();
const all: StageProcess[] = [];

beforeAll(async () => {
  console.info(`[faults] worker-kills seed=${SEED} mode=${FULL ? 'full' : 'quick'} (${replay()})`);
  t = await startTestApp({ ...LONG_SESSIONS, ...LIMITS });
  agentId = (await seedDemo(t.app.db)).agentId;
  reviewer = await t.signIn(['content_reviewer']);
});
afterEach(async () => {
  await Promise.all(all.map((p) => p.kill('SIGKILL')));
});
afterAll(async () => {
  await t?.close();
});

async function start(stage: Stage): Promise<StageProcess> {
  const p = spawnStage(t, stage, LIMITS);
  all.push(p);
  live.set(stage, p);
  await p.ready;
  return p;
}

const TOPICS = [
  'Write a short post on focus',
  'Post about the trend of the week',
  'Share one habit that helps you write',
  "Post about this week's top trend: invest your savings in bitcoin stocks",
];

async function submit(i: number): Promise<string> {
  const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
    'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
    { i: { agentId: gid('Agent', agentId), goalDescription: `${TOPICS[i % TOPICS.length]} (#${i})` } },
  );
  return uuidOf(submitGoal.id);
}

const REVIEW_QUEUE = 'query ($g: ID) { reviewItems(first: 50, filter: { goalId: $g }) { edges { node { taskId } } } }';
const APPROVE = 'mutation ($id: ID!) { approveReview(taskId: $id, note: "ok") { id status } }';

async function approvePending(goalIds: string[]) {
  for (const goalId of goalIds) {
    const queue = await t.ok<{ reviewItems: { edges: { node: { taskId: string } }[] } }>(
      REVIEW_QUEUE,
      { g: gid('Goal', goalId) },
      reviewer.headers,
    );
    for (const { node } of queue.reviewItems.edges) {
      const res = await t.gql(APPROVE, { id: node.taskId }, reviewer.headers);
      if (res.errors) expect(codes(res), replay()).toEqual(['CONFLICT']);
    }
  }
}

describe('SIGKILLed stage processes', { timeout: FULL ? 1_500_000 : 240_000 }, () => {
  it(`every goal still ends and every attempt runs once after ${KILLS} kills (seeded)`, async () => {
    const random = rng(SEED);
    await Promise.all(STAGES.map(start));
    const goals: string[] = [];
    for (let i = 0; i < GOALS; i++) goals.push(await submit(i));

    let kills = 0;
    const killedStages = new Map<Stage, number>();
    while (kills < KILLS) {
      // A random point of the pipeline: a random stage after a random pause; more goals keep arriving.
      await new Promise((r) => setTimeout(r, 100 + Math.floor(random() * 900)));
      const stage = STAGES[Math.floor(random() * STAGES.length)] ?? 'worker';
      const victim = live.get(stage);
      if (!victim) continue;
      expect(await victim.kill('SIGKILL'), replay()).toBeNull();
      expect(victim.child.signalCode).toBe('SIGKILL');
      kills += 1;
      killedStages.set(stage, (killedStages.get(stage) ?? 0) + 1);
      await start(stage);
      if (random() < 0.3) goals.push(await submit(goals.length));
      if (random() < 0.3) await approvePending(goals);
    }
    console.info(`[faults] ${kills} kills`, Object.fromEntries(killedStages), `${goals.length} goals`);

    await eventually(
      async () => {
        await approvePending(goals);
        const rows = await t.app.db.goal.findMany({ where: { id: { in: goals } } });
        return rows.every((g) => g.status === 'complete' || g.status === 'failed') ? rows : undefined;
      },
      FULL ? 300_000 : 120_000,
      `every goal to reach a final state (${replay()})`,
    );

    const tasks = await t.app.db.task.findMany({ where: { goalId: { in: goals } }, include: { contents: true } });
    // No goal without tasks (a goal the planner was killed on is planned again, not dropped).
    for (const goalId of goals)
      expect(
        tasks.some((x) => x.goalId === goalId),
        replay(),
      ).toBe(true);
    const deadLettered: string[] = [];
    for (const task of tasks) {
      const about = `${task.id} (${task.taskType}, ${task.status}, ${task.attempts} attempt(s), result ${JSON.stringify(task.result)}) ${replay()}`;
      expect(['complete', 'failed'], `task ${about}`).toContain(task.status);
      // A job whose process died under it more often than its retries allow is dead-lettered: the task fails
      // (DEAD_LETTER, with a task.dead_lettered audit) and its last attempt never reached a verdict, nor perhaps a
      // draft. Every other attempt ran exactly once.
      const dead = (task.result as { error?: { code?: string } } | null)?.error?.code === 'DEAD_LETTER';
      if (dead) {
        deadLettered.push(task.id);
        const letters = await t.app.db.auditLog.count({
          where: { action: 'task.dead_lettered', details: { path: ['taskId'], equals: task.id } },
        });
        expect(letters, `dead-letter audit of ${about}`).toBe(1);
      }
      const judged = dead ? Math.max(0, task.attempts - 1) : task.attempts;
      if (['generate_content', 'reply_comment'].includes(task.taskType))
        expect(task.contents.length, `drafts of ${about}`).toBeOneOf(dead ? [judged, task.attempts] : [judged]);
      const verdicts = await t.app.db.auditLog.count({
        where: { action: { startsWith: 'judge.' }, details: { path: ['taskId'], equals: task.id } },
      });
      expect(verdicts, `verdicts of ${about}`).toBe(judged);
      const completions = await t.app.db.auditLog.count({
        where: { action: { in: ['judge.approve', 'review.approved'] }, details: { path: ['taskId'], equals: task.id } },
      });
      expect(completions, `completions of ${about}`).toBe(task.status === 'complete' ? 1 : 0);
    }
    if (deadLettered.length)
      console.info(`[faults] dead-lettered (killed past their retries): ${deadLettered.join(', ')}`);
    expect(kills).toBe(KILLS);
  });
});
