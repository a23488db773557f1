// The spec's Redis state: agent:{id}:state (status, current task, heartbeat, capabilities) kept by the workers'
// heartbeats and followed over graphql-ws, and the hourly counters of tasks completed, content generated and errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { createSwarmActivity, hourBucket } from '../../src/domain/swarm/activity.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, uuidOf } from '../helpers/fixtures.js';
import { gatedLanguageModel, startTestSwarm } from '../helpers/swarm.js';
import { connectWs, eventually, within } from '../helpers/ws-client.js';

const HEARTBEAT_MS = 200;
let t: TestApp;
let swarm: Swarm;
let base: string;
let agentId: string;
const gated = gatedLanguageModel();

beforeAll(async () => {
  t = await startTestApp({ SWARM_HEARTBEAT_MS: String(HEARTBEAT_MS) });
  agentId = (await seedDemo(t.app.db)).agentId;
  base = await t.app.listen();
  swarm = startTestSwarm(t, { llm: gated.llm });
});
afterAll(async () => {
  gated.open();
  await swarm?.close();
  await t?.close();
});

const STATE = `query ($id: ID!) { agent(id: $id) { state { status activeTasks lastHeartbeat capabilities
  currentTask { id taskType status } } } }`;
type StateView = {
  agent: {
    state: {
      status: string;
      activeTasks: number;
      lastHeartbeat: string | null;
      capabilities: string[];
      currentTask: { id: string; taskType: string; status: string } | null;
    } | null;
  };
};
type StateEvent = { agentStateChanged: { status: string; activeTasks: number; lastHeartbeat: string } | null };

describe('agent state', () => {
  it('is BUSY with its current task while a worker runs it, beats, and goes IDLE after', async () => {
    gated.close();
    const admin = await t.admin();
    const ws = connectWs(`${base.replace(/^http/, 'ws')}/graphql`, { authorization: admin.headers.authorization });
    await within(ws.connected, 10_000, 'connection_ack');
    const events = ws.subscribe<StateEvent>(
      'subscription ($a: ID!) { agentStateChanged(agentId: $a) { status activeTasks lastHeartbeat } }',
      { a: gid('Agent', agentId) },
    );
    await new Promise((r) => setTimeout(r, 300));
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
      'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
      { i: { agentId: gid('Agent', agentId), goalDescription: 'Post about the trend of the week' } },
    );
    const goalId = uuidOf(submitGoal.id);

    const busy = await eventually(
      async () => {
        const { agent } = await t.ok<StateView>(STATE, { id: gid('Agent', agentId) });
        return agent.state?.status === 'BUSY' && agent.state.currentTask ? agent.state : undefined;
      },
      15_000,
      'the agent to be busy',
    );
    expect(busy.activeTasks).toBeGreaterThanOrEqual(1);
    expect(busy.currentTask?.status).toBe('IN_PROGRESS');
    expect(busy.capabilities).toEqual(
      expect.arrayContaining(['generate_content', 'reply_comment', 'execute_transaction', 'fetch_trends']),
    );

    // While the task runs, heartbeats keep coming, each later than the last.
    const beats = await eventually(
      () => {
        const seen = events.received
          .map((r) => r.data?.agentStateChanged)
          .filter((s) => s?.status === 'BUSY')
          .map((s) => Date.parse(s?.lastHeartbeat ?? ''));
        return new Set(seen).size >= 3 ? seen : undefined;
      },
      10_000,
      'three heartbeats',
    );
    expect([...beats].sort((a, b) => a - b)).toEqual(beats);

    gated.open();
    // Once the whole goal is done, the agent is idle again (it may go idle between the plan's tasks, too).
    const idle = await eventually(
      async () => {
        const goal = await t.app.db.goal.findFirstOrThrow({ where: { id: goalId } });
        const { agent } = await t.ok<StateView>(STATE, { id: gid('Agent', agentId) });
        return goal.status === 'complete' && agent.state?.status === 'IDLE' ? agent.state : undefined;
      },
      15_000,
      'the goal to complete and the agent to be idle',
    );
    expect(idle).toMatchObject({ activeTasks: 0, currentTask: null });
    expect(events.received.some((r) => r.data?.agentStateChanged?.status === 'IDLE')).toBe(true);
    expect(events.received.every((r) => codes(r as never).length === 0)).toBe(true);
    ws.dispose();

    // The hourly counters saw the work.
    const { swarmMetrics } = await t.ok<{
      swarmMetrics: { hour: string; tasksCompleted: number; contentGenerated: number }[];
    }>('query { swarmMetrics(hours: 2) { hour tasksCompleted contentGenerated errors } }');
    expect(swarmMetrics).toHaveLength(2);
    const now = swarmMetrics[1];
    expect(hourBucket(new Date(now?.hour ?? 0))).toBe(hourBucket(new Date()));
    expect(now?.contentGenerated).toBeGreaterThanOrEqual(1);
    await eventually(
      async () => {
        const m = await t.ok<{ swarmMetrics: { tasksCompleted: number }[] }>(
          'query { swarmMetrics(hours: 1) { tasksCompleted } }',
        );
        return (m.swarmMetrics[0]?.tasksCompleted ?? 0) >= 1 || undefined;
      },
      15_000,
      'a completed task to be counted',
    );
  });

  it('forgets a task whose process stopped beating (a crashed worker leaves no agent BUSY forever)', async () => {
    const agent = await makeAgent(t.app.db, 'orphaned');
    // Another "process" that starts a task and then dies: it never beats again.
    const dead = createSwarmActivity({ db: t.app.db, redis: t.app.redis, heartbeatMs: HEARTBEAT_MS });
    dead.started({ id: '00000000-0000-4000-8000-000000000001', agentId: agent.id });
    const busy = await eventually(
      async () => {
        const s = await t.app.services.activity.state(agent.id);
        return s?.status === 'busy' ? s : undefined;
      },
      5_000,
      'the agent to be busy',
    );
    expect(busy.activeTasks).toBe(1);
    const idle = await eventually(
      async () => {
        const s = await t.app.services.activity.state(agent.id);
        return s?.status === 'idle' ? s : undefined;
      },
      5_000,
      'the stale task to drop out',
    );
    expect(idle).toMatchObject({ activeTasks: 0, currentTaskId: null });
  });

  it('counts failed stage jobs as errors of their agent, and validates the window', async () => {
    const agent = await makeAgent(t.app.db, 'erring');
    t.app.services.activity.count('errors', agent.id);
    t.app.services.activity.count('errors', agent.id);
    const q = 'query ($a: ID, $h: Int) { swarmMetrics(hours: $h, agentId: $a) { errors } }';
    const mine = await eventually(
      async () => {
        const m = await t.ok<{ swarmMetrics: { errors: number }[] }>(q, { a: gid('Agent', agent.id), h: 1 });
        return m.swarmMetrics[0]?.errors === 2 ? m : undefined;
      },
      5_000,
      'two errors counted',
    );
    expect(mine.swarmMetrics).toHaveLength(1);
    for (const h of [0, 193]) expect(codes(await t.gql(q, { h }))).toEqual(['BAD_USER_INPUT']);
  });
});
