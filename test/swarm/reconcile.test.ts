// Redis losing the queues' jobs (a flush, a failover without persistence) loses no work: PostgreSQL says what is
// outstanding, and the reconciler re-enqueues exactly the jobs that are missing, under their original ids.
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { outstandingJobs } from '../../src/domain/swarm/reconcile.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, makeTask, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let agentId: string;
let raw: Redis;
const swarms: Swarm[] = [];
beforeAll(async () => {
  t = await startTestApp();
  agentId = (await seedDemo(t.app.db)).agentId;
  raw = new Redis(t.app.config.redisUrl);
});
afterAll(async () => {
  await Promise.all(swarms.map((s) => s.close()));
  raw?.disconnect();
  await t?.close();
});

/** Deletes every queue key of this test's prefix: what a FLUSHALL does to the queues, without touching others. */
async function loseQueues(): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${t.app.config.redisKeyPrefix}bull:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await raw.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

const settle = () => new Promise((r) => setTimeout(r, 2_100));

describe('the reconciler', () => {
  it('restores lost planner, worker and judge jobs; every goal completes, every task runs once', async () => {
    const submit = async (text: string) => {
      const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
        'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
        { i: { agentId: gid('Agent', agentId), goalDescription: text } },
      );
      return uuidOf(submitGoal.id);
    };
    const goals = [await submit('Post about the trend of the week'), await submit('Write a short post on focus')];
    const tasksOf = () => t.app.db.task.findMany({ where: { goalId: { in: goals } } });

    // The relay hands the planner jobs to Redis (no stage runs yet); then Redis loses them.
    const relayOnly = startTestSwarm(t, { stages: [] });
    swarms.push(relayOnly);
    await relayOnly.flush();
    expect(await t.app.db.outboxMessage.count({ where: { dispatchedAt: null } })).toBe(0);
    expect(await loseQueues()).toBeGreaterThan(0);
    await settle();
    const wanted = await outstandingJobs(t.app.db, { settledForMs: 2_000, limit: 100 });
    expect(wanted.map((j) => j.dedupeKey).sort()).toEqual(goals.map((g) => `plan:${g}`).sort());

    // Each stage starts only after the jobs meant for it were lost: without the reconciler nothing would move.
    const planner = startTestSwarm(t, { stages: ['planner'] });
    swarms.push(planner);
    await planner.reconcile();
    await eventually(
      async () =>
        ((await tasksOf()).length > 0 &&
          (await t.app.db.goal.count({ where: { id: { in: goals }, status: 'planning' } })) === 0) ||
        undefined,
      15_000,
      'the goals to be planned',
    );
    await planner.flush();
    expect(await loseQueues()).toBeGreaterThan(0);
    await settle();

    const worker = startTestSwarm(t, { stages: ['worker'] });
    swarms.push(worker);
    await worker.reconcile();
    await eventually(
      async () => (await tasksOf()).some((x) => x.status === 'review') || undefined,
      15_000,
      'a task to be drafted',
    );
    await worker.flush();
    await loseQueues();
    await settle();

    const judge = startTestSwarm(t, { stages: ['judge'] });
    swarms.push(judge);
    const finished = async () => {
      const rows = await t.app.db.goal.findMany({ where: { id: { in: goals } } });
      return rows.every((g) => g.status === 'complete' || g.status === 'review') ? rows : undefined;
    };
    // From here jobs may be lost at any point; reconciling after each loss still finishes every goal.
    for (let round = 0; round < 20 && !(await finished()); round++) {
      await judge.reconcile();
      await new Promise((r) => setTimeout(r, 500));
      if (round % 2 === 1) {
        await loseQueues();
        await settle();
      }
    }
    expect(await eventually(finished, 30_000, 'every goal to finish')).toHaveLength(2);

    // Each attempt ran once: one draft per content task attempt, one verdict per attempt.
    const tasks = await t.app.db.task.findMany({ where: { goalId: { in: goals } }, include: { contents: true } });
    for (const task of tasks) {
      if (['generate_content', 'reply_comment'].includes(task.taskType)) {
        expect(task.contents).toHaveLength(task.attempts);
      }
      const verdicts = await t.app.db.auditLog.count({
        where: { action: { startsWith: 'judge.' }, details: { path: ['taskId'], equals: task.id } },
      });
      expect(verdicts).toBe(task.attempts);
    }
  });

  it('asks for nothing that is finished, waiting on a dependency, decided by a person, or too fresh', async () => {
    const agent = await makeAgent(t.app.db, 'reconciled');
    const old = { updatedAt: new Date(Date.now() - 60_000) };
    const first = await makeTask(t.app.db, agent.id, { status: 'complete', ...old });
    const blocker = await makeTask(t.app.db, agent.id, { status: 'in_progress', attempts: 2, ...old });
    const blocked = await makeTask(t.app.db, agent.id, { dependsOn: [blocker.id], ...old });
    const judged = await makeTask(t.app.db, agent.id, {
      status: 'review',
      attempts: 1,
      result: { verdict: { decision: 'escalate' } },
      ...old,
    });
    const unjudged = await makeTask(t.app.db, agent.id, { status: 'review', attempts: 1, ...old });
    const fresh = await makeTask(t.app.db, agent.id);
    // Fixture rows get updated_at from the trigger; age them explicitly.
    await t.app.db.$executeRaw`UPDATE tasks SET updated_at = now() - interval '1 minute'
      WHERE id IN (${first.id}::uuid, ${blocker.id}::uuid, ${blocked.id}::uuid, ${judged.id}::uuid, ${unjudged.id}::uuid)`;

    const keys = (await outstandingJobs(t.app.db, { settledForMs: 2_000, limit: 1000 })).map((j) => j.dedupeKey);
    expect(keys).toContain(`work:${blocker.id}:2`);
    expect(keys).toContain(`judge:${unjudged.id}:1`);
    for (const id of [first.id, blocked.id, judged.id, fresh.id]) expect(keys.join(' ')).not.toContain(id);
  });

  it('dead-letters a job BullMQ failed with attempts left (its workers kept dying under it): no task waits for ever', async () => {
    await Promise.all(swarms.splice(0).map((s) => s.close())); // No stage may take the job but the one below.
    const agent = await makeAgent(t.app.db, 'orphaned');
    const task = await makeTask(t.app.db, agent.id, { updatedAt: new Date(Date.now() - 60_000) });
    await t.app.db.$executeRaw`UPDATE tasks SET updated_at = now() - interval '1 minute' WHERE id = ${task.id}::uuid`;
    const swarm = startTestSwarm(t, { stages: [] });
    swarms.push(swarm);
    await swarm.reconcile(); // The pending task gets its job…
    // …which a worker takes and then loses, as BullMQ does once maxStalledCount is exceeded: failed, attempts left,
    // no 'failed' event in any stage process.
    const taker = new Worker('worker', null, {
      connection: new Redis(t.app.config.redisUrl, { maxRetriesPerRequest: null }),
      prefix: `${t.app.config.redisKeyPrefix}bull`,
      autorun: false,
    });
    try {
      await taker.waitUntilReady();
      // (Other fixtures' jobs may come first; taken and left, they only wait for a lock to expire.)
      let job: Awaited<ReturnType<typeof taker.getNextJob>>;
      do job = await taker.getNextJob('dying-worker', { block: false });
      while (job && job.id !== encodeURIComponent(`work:${task.id}:1`));
      expect(job?.id).toBe(encodeURIComponent(`work:${task.id}:1`));
      await job?.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), 'dying-worker');
      expect(job?.attemptsMade).toBeLessThan(job?.opts.attempts ?? 0);
    } finally {
      await taker.close();
    }

    await swarm.reconcile();
    const ended = await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(ended.status).toBe('failed');
    expect(ended.result).toMatchObject({
      error: { code: 'DEAD_LETTER', stage: 'worker', message: expect.stringContaining('its worker died') },
    });
    expect(await t.app.db.auditLog.count({ where: { action: 'task.dead_lettered', agentId: agent.id } })).toBe(1);
  });
});
