// submitGoal: the swarm's front door. The goal and the Planner's job commit together; a retried submission with
// the same idempotency key returns the same goal and enqueues nothing new.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, issuePaths, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, uuidOf } from '../helpers/fixtures.js';

let t: TestApp;
let agent: { id: string };
beforeAll(async () => {
  t = await startTestApp();
  agent = await makeAgent(t.app.db, 'goal-taker');
});
afterAll(() => t?.close());

const SUBMIT = `mutation ($i: SubmitGoalInput!) {
  submitGoal(input: $i) { id status priority description requiredResources idempotencyKey agent { name } tasks { id } } }`;

type Goal = { id: string; status: string; priority: string; idempotencyKey: string | null; tasks: unknown[] };

describe('submitGoal', () => {
  it('creates a PLANNING goal and its planning job in one transaction, and audits it', async () => {
    const res = await t.ok<{ submitGoal: Goal }>(SUBMIT, {
      i: {
        agentId: gid('Agent', agent.id),
        goalDescription: "Post about this week's top trend in our voice",
        requiredResources: ['mcp://news/latest'],
        priority: 'HIGH',
      },
    });
    expect(res.submitGoal).toMatchObject({ status: 'PLANNING', priority: 'HIGH', tasks: [] });
    const goalId = uuidOf(res.submitGoal.id);
    const outbox = await t.app.db.outboxMessage.findMany({ where: { dedupeKey: `plan:${goalId}` } });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ topic: 'planner', payload: { goalId, priority: 'high' }, dispatchedAt: null });
    expect(await t.app.db.auditLog.count({ where: { action: 'goal.submitted', agentId: agent.id } })).toBe(1);
  });

  it('returns the same goal for a repeated idempotency key, even when the repeats race', async () => {
    const input = { agentId: gid('Agent', agent.id), goalDescription: 'reply to fans', idempotencyKey: 'req-42' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.ok<{ submitGoal: Goal }>(SUBMIT, { i: input })),
    );
    expect(new Set(results.map((r) => r.submitGoal.id)).size).toBe(1);
    const goalId = uuidOf(results[0]?.submitGoal.id ?? '');
    expect(await t.app.db.goal.count({ where: { idempotencyKey: 'req-42' } })).toBe(1);
    expect(await t.app.db.outboxMessage.count({ where: { dedupeKey: `plan:${goalId}` } })).toBe(1);
  });

  it('rejects bad input with the field named, and a deactivated agent with CONFLICT, writing nothing', async () => {
    const before = await t.app.db.goal.count();
    const blank = await t.gql(SUBMIT, { i: { agentId: gid('Agent', agent.id), goalDescription: ' ' } });
    expect(codes(blank)).toEqual(['BAD_USER_INPUT']);
    expect(issuePaths(blank)).toContainEqual(['input', 'goalDescription']);
    const key = await t.gql(SUBMIT, {
      i: { agentId: gid('Agent', agent.id), goalDescription: 'g', idempotencyKey: 'no spaces' },
    });
    expect(issuePaths(key)).toContainEqual(['input', 'idempotencyKey']);
    const sleeper = await makeAgent(t.app.db, 'sleeper');
    await t.app.db.agent.update({ where: { id: sleeper.id }, data: { active: false } });
    expect(codes(await t.gql(SUBMIT, { i: { agentId: gid('Agent', sleeper.id), goalDescription: 'g' } }))).toEqual([
      'CONFLICT',
    ]);
    expect(await t.app.db.goal.count()).toBe(before);
  });

  it('follows the same access rules as tasks: assigned agents only, HIGH priority needs clearance', async () => {
    const op = await t.signIn(['agent_operator'], { attributes: { agentIds: [agent.id] } });
    const other = await makeAgent(t.app.db, 'not-mine');
    const submit = (agentId: string, priority?: string) =>
      t.gql(SUBMIT, { i: { agentId: gid('Agent', agentId), goalDescription: 'g', priority } }, op.headers);
    expect(codes(await submit(agent.id))).toEqual([]);
    expect(codes(await submit(other.id))).toEqual(['FORBIDDEN']);
    expect(codes(await submit(agent.id, 'HIGH'))).toEqual(['FORBIDDEN']);
    const analyst = await t.signIn(['analyst']);
    expect(
      codes(await t.gql(SUBMIT, { i: { agentId: gid('Agent', agent.id), goalDescription: 'g' } }, analyst.headers)),
    ).toEqual(['FORBIDDEN']);
  });
});

describe('a goal that cannot go on', () => {
  it('fails, with the tasks that waited, when one of its tasks is cancelled', async () => {
    const goal = await t.app.db.goal.create({
      data: { agentId: agent.id, description: 'two steps', status: 'running' },
    });
    const first = await t.app.db.task.create({
      data: {
        agentId: agent.id,
        goalId: goal.id,
        taskType: 'fetch_trends',
        priority: 'medium',
        status: 'in_progress',
        context: {},
      },
    });
    const second = await t.app.db.task.create({
      data: {
        agentId: agent.id,
        goalId: goal.id,
        taskType: 'generate_content',
        priority: 'medium',
        dependsOn: [first.id],
        context: {},
      },
    });
    const cancelled = await t.ok<{
      cancelTask: { status: string; executionTimeMs: number | null; error: { code: string } };
    }>('mutation ($id: ID!) { cancelTask(id: $id, reason: "wrong goal") { status executionTimeMs error { code } } }', {
      id: gid('Task', first.id),
    });
    expect(cancelled.cancelTask).toMatchObject({ status: 'FAILED', error: { code: 'CANCELLED' } });
    expect(cancelled.cancelTask.executionTimeMs).not.toBeNull();
    const view = await t.ok<{
      goal: {
        status: string;
        tasks: { id: string; status: string; error: { code: string; message: string } | null }[];
      };
    }>('query ($id: ID!) { goal(id: $id) { status tasks { id status error { code message } } } }', {
      id: gid('Goal', goal.id),
    });
    expect(view.goal.status).toBe('FAILED');
    const waiting = view.goal.tasks.find((x) => x.id === gid('Task', second.id));
    expect(waiting).toMatchObject({ status: 'FAILED', error: { code: 'GOAL_FAILED' } });
    expect(waiting?.error?.message).toContain('wrong goal');
    // Cancelling again is refused: the task is finished.
    const again = await t.gql('mutation ($id: ID!) { cancelTask(id: $id) { status } }', { id: gid('Task', first.id) });
    expect(codes(again)).toEqual(['CONFLICT']);
  });
});
