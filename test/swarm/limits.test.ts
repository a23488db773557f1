// The spec's resource limits: tasks created per agent and per system each hour, content generated per hour, and
// tasks running at once per agent. An API caller over a limit gets RATE_LIMITED (and nothing is written); the swarm
// defers its job until the limit frees — the work waits, it is never dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeTask } from '../../src/domain/swarm/execution.js';
import { workJob } from '../../src/domain/swarm/jobs.js';
import { enqueue } from '../../src/domain/swarm/outbox.js';
import {
  QuotaDeferral,
  requireRunBudget,
  requireTaskBudget,
  SPEC_LIMITS,
  type SwarmLimits,
} from '../../src/domain/tasks/limits.js';
import { jobIdOf } from '../../src/platform/queue/queues.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, makeTask } from '../helpers/fixtures.js';
import { gatedLanguageModel, startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm;
beforeAll(async () => {
  t = await startTestApp({
    SWARM_TASKS_PER_AGENT_PER_HOUR: '3',
    SWARM_CONTENT_PER_AGENT_PER_HOUR: '2',
    SWARM_MAX_CONCURRENT_TASKS_PER_AGENT: '2',
  });
  swarm = startTestSwarm(t);
});
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

const CREATE = 'mutation ($i: CreateTaskInput!) { createTask(input: $i) { id status } }';
const SUBMIT = 'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id status } }';
const createInput = (agentId: string) => ({
  i: { agentId: gid('Agent', agentId), taskType: 'FETCH_TRENDS', context: { goalDescription: 'look around' } },
});
/** Moves an agent's rows out of the last hour, as if an hour had passed. */
const anHourLater = async (agentId: string) => {
  await t.app.db
    .$executeRaw`UPDATE tasks SET created_at = now() - interval '2 hours' WHERE agent_id = ${agentId}::uuid`;
  await t.app.db
    .$executeRaw`UPDATE content SET created_at = now() - interval '2 hours' WHERE agent_id = ${agentId}::uuid`;
};

describe('task creation per agent per hour', () => {
  it('answers RATE_LIMITED with the limit and a retry time, and writes nothing', async () => {
    const agent = await makeAgent(t.app.db, 'busy-creator');
    for (let i = 0; i < 3; i++) await t.ok(CREATE, createInput(agent.id));

    const refused = await t.gql(CREATE, createInput(agent.id));
    expect(codes(refused)).toEqual(['RATE_LIMITED']);
    const ext = refused.errors?.[0]?.extensions as { limit: string; retryAfterSeconds: number };
    expect(ext.limit).toBe('tasksPerAgentPerHour');
    expect(ext.retryAfterSeconds).toBeGreaterThan(3000);
    expect(ext.retryAfterSeconds).toBeLessThanOrEqual(3600);
    expect(await t.app.db.task.count({ where: { agentId: agent.id } })).toBe(3);
    expect(await t.app.db.auditLog.count({ where: { agentId: agent.id, action: 'task.created' } })).toBe(3);

    // A goal needs at least one task: refused the same way, no goal row.
    const goal = await t.gql(SUBMIT, { i: { agentId: gid('Agent', agent.id), goalDescription: 'one more' } });
    expect(codes(goal)).toEqual(['RATE_LIMITED']);
    expect(await t.app.db.goal.count({ where: { agentId: agent.id } })).toBe(0);

    // The budget is per agent: another agent is not affected; and it frees as the hour passes.
    const other = await makeAgent(t.app.db, 'quiet-creator');
    await t.ok(CREATE, createInput(other.id));
    await anHourLater(agent.id);
    await t.ok(CREATE, createInput(agent.id));
  });

  it('the system-wide budget counts every agent’s tasks', async () => {
    const a = await makeAgent(t.app.db, 'sys-a');
    const b = await makeAgent(t.app.db, 'sys-b');
    await makeTask(t.app.db, a.id);
    const inHour = await t.app.db.task.count({ where: { createdAt: { gt: new Date(Date.now() - 3_600_000) } } });
    const limits: SwarmLimits = { ...SPEC_LIMITS, tasksPerHour: inHour + 1 };
    await expect(requireTaskBudget(t.app.db, b.id, limits, 1)).resolves.toBeUndefined();
    const over = await requireTaskBudget(t.app.db, b.id, limits, 2).catch((e: unknown) => e);
    expect(over).toBeInstanceOf(QuotaDeferral);
    expect((over as QuotaDeferral).limit).toBe('tasksPerHour');
    // A plan larger than any hour allows can never run: an error, not an endless wait.
    await expect(requireTaskBudget(t.app.db, b.id, { ...SPEC_LIMITS, tasksPerAgentPerHour: 2 }, 3)).rejects.toThrow(
      RangeError,
    );
  });

  it('defers the Planner while the plan does not fit the hour, then plans it once the budget frees', async () => {
    const agent = await makeAgent(t.app.db, 'planner-deferred');
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(SUBMIT, {
      i: { agentId: gid('Agent', agent.id), goalDescription: 'Post about the trend of the week' },
    });
    const goalId = Buffer.from(submitGoal.id, 'base64').toString().split(':')[1] as string;
    // Use up the agent's budget behind the goal's back, before the Planner runs.
    for (let i = 0; i < 3; i++) await makeTask(t.app.db, agent.id);
    await swarm.flush();
    const job = await eventually(
      async () => {
        const j = await swarm.queues.queues.planner.getJob(jobIdOf(`plan:${goalId}`));
        return j && (await j.isDelayed()) ? j : undefined;
      },
      10_000,
      'the planner job to be deferred',
    );
    expect((await t.app.db.goal.findUniqueOrThrow({ where: { id: goalId } })).status).toBe('planning');
    expect(await t.app.db.task.count({ where: { goalId } })).toBe(0);
    expect(job.attemptsMade).toBe(0);

    await anHourLater(agent.id);
    await job.promote();
    await eventually(
      async () => (await t.app.db.task.count({ where: { goalId } })) > 0 || undefined,
      10_000,
      'the goal to be planned after the budget freed',
    );
  });
});

describe('tasks running at once, and content per hour', () => {
  it('lets exactly the limit of concurrent starts through, however many race', async () => {
    const agent = await makeAgent(t.app.db, 'racer');
    const tasks = await Promise.all(Array.from({ length: 6 }, () => makeTask(t.app.db, agent.id)));
    const gated = gatedLanguageModel();
    gated.close();
    const deps = { db: t.app.db, llm: gated.llm, limits: t.app.config.swarm.limits };
    const runs = tasks.map((task) =>
      executeTask(deps, task.id).then(
        () => 'ran',
        (e: unknown) => e,
      ),
    );
    const inProgress = () => t.app.db.task.count({ where: { agentId: agent.id, status: 'in_progress' } });
    await eventually(async () => ((await inProgress()) === 2 ? true : undefined), 10_000, 'two tasks to start');
    gated.open();
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(2);
    const deferred = outcomes.filter((o): o is QuotaDeferral => o instanceof QuotaDeferral);
    expect(deferred).toHaveLength(4);
    expect(deferred.every((d) => d.limit === 'concurrentTasksPerAgent')).toBe(true);
    expect(await t.app.db.task.count({ where: { agentId: agent.id, status: 'pending' } })).toBe(4);
  });

  it('defers content work over the hourly content budget, counting drafts being written', async () => {
    const agent = await makeAgent(t.app.db, 'writer');
    const limits = t.app.config.swarm.limits;
    const task = await makeTask(t.app.db, agent.id);
    await t.app.db.content.create({ data: { agentId: agent.id, contentType: 'text', contentData: 'one' } });
    // One written this hour, one being written now: the budget of 2 is used up.
    await makeTask(t.app.db, agent.id, { status: 'in_progress' });
    const over = await t.app.db
      .$transaction((tx) =>
        requireRunBudget(tx, { agentId: agent.id, taskType: 'generate_content', starting: true }, limits),
      )
      .catch((e: unknown) => e);
    expect(over).toBeInstanceOf(QuotaDeferral);
    expect((over as QuotaDeferral).limit).toBe('contentPerAgentPerHour');
    // Work that writes no content is not held back by the content budget.
    await expect(
      t.app.db.$transaction((tx) =>
        requireRunBudget(tx, { agentId: agent.id, taskType: 'fetch_trends', starting: true }, limits),
      ),
    ).resolves.toBeUndefined();

    // Through the swarm: the task's job waits in BullMQ's delayed set, the task stays PENDING…
    await t.app.db.$transaction((tx) => enqueue(tx, workJob({ id: task.id, agentId: agent.id }, 1)));
    await swarm.flush();
    const job = await eventually(
      async () => {
        const j = await swarm.queues.queues.worker.getJob(jobIdOf(`work:${task.id}:1`));
        return j && (await j.isDelayed()) ? j : undefined;
      },
      10_000,
      'the worker job to be deferred',
    );
    expect((await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } })).status).toBe('pending');
    // …and runs once the hour has passed.
    await anHourLater(agent.id);
    await t.app.db.task.updateMany({
      where: { agentId: agent.id, status: 'in_progress' },
      data: { status: 'complete' },
    });
    await job.promote();
    await eventually(
      async () => {
        const row = await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } });
        return row.status !== 'pending' ? row : undefined;
      },
      10_000,
      'the deferred task to run',
    );
  });
});
