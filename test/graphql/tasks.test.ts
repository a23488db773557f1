// Tasks: created per the spec's Agent Task Schema, found by the filters operators use, paged with stable cursors,
// cancelled only while live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, issuePaths, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, makeTask, uuidOf } from '../helpers/fixtures.js';

let t: TestApp;
let agentId: string;
beforeAll(async () => {
  t = await startTestApp();
  agentId = gid('Agent', (await makeAgent(t.app.db, 'tasker')).id);
});
afterAll(() => t?.close());

const CREATE = /* GraphQL */ `
  mutation ($input: CreateTaskInput!) {
    createTask(input: $input) {
      id taskType priority status relevanceScore createdAt
      context { goalDescription personaConstraints requiredResources raw }
      agent { id name }
    }
  }`;

const validInput = () => ({
  agentId,
  taskType: 'GENERATE_CONTENT',
  priority: 'HIGH',
  relevanceScore: 0.8,
  context: {
    goalDescription: "Post about this week's top trend in our voice",
    personaConstraints: ['no financial advice'],
    requiredResources: ['mcp://news/latest'],
  },
});

describe('createTask', () => {
  it('creates a pending task whose context is stored in the spec schema, and audits it', async () => {
    const data = await t.ok<{ createTask: Record<string, unknown> & { id: string } }>(CREATE, { input: validInput() });
    expect(data.createTask).toMatchObject({
      taskType: 'GENERATE_CONTENT',
      priority: 'HIGH',
      status: 'PENDING',
      relevanceScore: 0.8,
      agent: { id: agentId, name: 'tasker' },
      context: {
        goalDescription: "Post about this week's top trend in our voice",
        personaConstraints: ['no financial advice'],
        requiredResources: ['mcp://news/latest'],
        raw: {
          goal_description: "Post about this week's top trend in our voice",
          persona_constraints: ['no financial advice'],
          required_resources: ['mcp://news/latest'],
        },
      },
    });
    const row = await t.app.db.task.findUniqueOrThrow({ where: { id: uuidOf(data.createTask.id) } });
    expect(row.status).toBe('pending');
    const audit = await t.app.db.auditLog.findFirst({ where: { action: 'task.created', agentId: uuidOf(agentId) } });
    expect(audit?.details).toMatchObject({ taskId: row.id, taskType: 'generate_content', priority: 'high' });
  });

  it('defaults priority to MEDIUM and lists to empty', async () => {
    const data = await t.ok<{ createTask: { priority: string; context: { requiredResources: string[] } } }>(CREATE, {
      input: { agentId, taskType: 'FETCH_TRENDS', context: { goalDescription: 'refresh trends' } },
    });
    expect(data.createTask.priority).toBe('MEDIUM');
    expect(data.createTask.context.requiredResources).toEqual([]);
  });

  it.each([
    ['a relevance score above 1', { relevanceScore: 1.01 }, ['input', 'relevanceScore']],
    ['a blank goal', { context: { goalDescription: '  ' } }, ['input', 'context', 'goalDescription']],
    [
      'a goal over 50,000 characters',
      { context: { goalDescription: 'g'.repeat(50_001) } },
      ['input', 'context', 'goalDescription'],
    ],
    [
      'a resource that is not a URI',
      { context: { goalDescription: 'g', requiredResources: ['news latest'] } },
      ['input', 'context', 'requiredResources', 0],
    ],
  ])('rejects %s with BAD_USER_INPUT, writing nothing', async (_label, patch, path) => {
    const before = await t.app.db.task.count();
    const res = await t.gql(CREATE, { input: { ...validInput(), ...patch } });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(issuePaths(res)).toContainEqual(path);
    expect(await t.app.db.task.count()).toBe(before);
  });

  it('rejects an unknown task type at the schema, an unknown agent as NOT_FOUND, a deactivated agent as CONFLICT', async () => {
    expect(codes(await t.gql(CREATE, { input: { ...validInput(), taskType: 'MINE_BITCOIN' } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const ghost = gid('Agent', '33333333-3333-4333-8333-333333333333');
    const nf = await t.gql(CREATE, { input: { ...validInput(), agentId: ghost } });
    expect(codes(nf)).toEqual(['NOT_FOUND']);
    expect(nf.errors?.[0]?.message).toBe(`Agent ${ghost} does not exist.`);
    const sleeper = await makeAgent(t.app.db, 'sleeper');
    await t.app.db.agent.update({ where: { id: sleeper.id }, data: { active: false } });
    const before = await t.app.db.task.count();
    const res = await t.gql(CREATE, { input: { ...validInput(), agentId: gid('Agent', sleeper.id) } });
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(res.errors?.[0]?.message).toMatch(/deactivated/);
    expect(await t.app.db.task.count()).toBe(before);
  });
});

describe('listing tasks', () => {
  it('pages through tasks created in one transaction (identical created_at) without gaps or repeats', async () => {
    const agent = await makeAgent(t.app.db, 'pager');
    await t.app.db.$transaction(async (tx) => {
      for (let i = 0; i < 25; i++) await makeTask(tx, agent.id, { context: { goal_description: `g${i}` } });
    });
    const q = `query ($f: TaskFilter, $after: String, $before: String, $first: Int, $last: Int) {
      tasks(filter: $f, first: $first, after: $after, last: $last, before: $before) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } edges { cursor node { id } } } }`;
    type Page = {
      tasks: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string; startCursor: string };
        edges: { node: { id: string } }[];
      };
    };
    const f = { agentId: gid('Agent', agent.id) };
    const seen: string[] = [];
    let after: string | undefined;
    const sizes: number[] = [];
    for (;;) {
      const page = await t.ok<Page>(q, { f, first: 10, after });
      expect(page.tasks.totalCount).toBe(25);
      sizes.push(page.tasks.edges.length);
      seen.push(...page.tasks.edges.map((e) => e.node.id));
      if (!page.tasks.pageInfo.hasNextPage) break;
      after = page.tasks.pageInfo.endCursor;
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(new Set(seen).size).toBe(25);
    // The order is total: by created_at, then id.
    const expected = (
      await t.app.db.task.findMany({ where: { agentId: agent.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })
    ).map((r) => gid('Task', r.id));
    expect(seen).toEqual(expected);
    // And backwards from the end gives the last page.
    const back = await t.ok<Page>(q, { f, last: 5 });
    expect(back.tasks.edges.map((e) => e.node.id)).toEqual(expected.slice(20));
    expect(back.tasks.pageInfo.hasPreviousPage).toBe(true);
  });

  it('filters by agent, status, priority, type and created range, and orders both ways', async () => {
    const agent = await makeAgent(t.app.db, 'filtered');
    const base = new Date('2026-01-01T00:00:00Z');
    const rows = [
      { status: 'pending', priority: 'high', taskType: 'generate_content', createdAt: new Date(base.getTime()) },
      { status: 'review', priority: 'low', taskType: 'reply_comment', createdAt: new Date(base.getTime() + 60_000) },
      {
        status: 'complete',
        priority: 'high',
        taskType: 'execute_transaction',
        createdAt: new Date(base.getTime() + 120_000),
      },
      { status: null, priority: 'medium', taskType: 'fetch_trends', createdAt: new Date(base.getTime() + 180_000) },
    ];
    const ids: string[] = [];
    for (const r of rows) ids.push(gid('Task', (await makeTask(t.app.db, agent.id, r)).id));
    const q = `query ($f: TaskFilter, $o: TaskOrder) { tasks(filter: $f, orderBy: $o) { totalCount edges { node { id status } } } }`;
    const run = async (extra: Record<string, unknown>, o?: string) =>
      (
        await t.ok<{ tasks: { edges: { node: { id: string; status: string } }[] } }>(q, {
          f: { agentId: gid('Agent', agent.id), ...extra },
          o,
        })
      ).tasks.edges.map((e) => e.node.id);

    expect(await run({})).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    expect(await run({}, 'CREATED_AT_ASC')).toEqual(ids);
    // A NULL status is the column default, pending.
    expect(await run({ status: ['PENDING'] })).toEqual([ids[3], ids[0]]);
    expect(await run({ status: ['REVIEW', 'COMPLETE'] })).toEqual([ids[2], ids[1]]);
    expect(await run({ priority: ['HIGH'] })).toEqual([ids[2], ids[0]]);
    expect(await run({ taskType: ['REPLY_COMMENT', 'FETCH_TRENDS'] })).toEqual([ids[3], ids[1]]);
    expect(
      await run({
        createdAfter: new Date(base.getTime() + 60_000).toISOString(),
        createdBefore: new Date(base.getTime() + 180_000).toISOString(),
      }),
    ).toEqual([ids[2], ids[1]]);
  });

  it('caps page size and rejects a malformed cursor with a coded error', async () => {
    const res = await t.gql(`{ tasks(first: 5000) { edges { node { id } } } }`);
    expect(res.errors).toBeUndefined();
    const bad = await t.gql(`{ tasks(first: 5, after: "garbage") { edges { node { id } } } }`);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('cancelTask', () => {
  it('fails a live task with a CANCELLED result, once; finished tasks cannot be cancelled', async () => {
    const agent = await makeAgent(t.app.db, 'canceller');
    const live = await makeTask(t.app.db, agent.id, { status: 'in_progress' });
    const m = `mutation ($id: ID!, $r: String) { cancelTask(id: $id, reason: $r) { status result error { code message } } }`;
    const data = await t.ok<{ cancelTask: { status: string; result: unknown } }>(m, {
      id: gid('Task', live.id),
      r: 'wrong goal',
    });
    expect(data.cancelTask).toEqual({
      status: 'FAILED',
      result: { error: { code: 'CANCELLED', message: 'wrong goal' }, cancelledFrom: 'in_progress' },
      error: { code: 'CANCELLED', message: 'wrong goal' },
    });
    const again = await t.gql(m, { id: gid('Task', live.id) });
    expect(codes(again)).toEqual(['CONFLICT']);
    expect(again.errors?.[0]?.message).toBe(
      `Task ${gid('Task', live.id)} is FAILED; only PENDING, IN_PROGRESS or REVIEW tasks can be cancelled.`,
    );

    const done = await makeTask(t.app.db, agent.id, { status: 'complete', result: { ok: true } });
    expect(codes(await t.gql(m, { id: gid('Task', done.id) }))).toEqual(['CONFLICT']);
    expect((await t.app.db.task.findUniqueOrThrow({ where: { id: done.id } })).result).toEqual({ ok: true });

    const audits = await t.app.db.auditLog.findMany({ where: { agentId: agent.id, action: 'task.cancelled' } });
    expect(audits).toHaveLength(1);
    expect(audits[0]?.details).toMatchObject({ taskId: live.id, from: 'in_progress', reason: 'wrong goal' });
  });

  it('answers NOT_FOUND for an unknown task', async () => {
    const res = await t.gql(`mutation ($id: ID!) { cancelTask(id: $id) { id } }`, {
      id: gid('Task', '44444444-4444-4444-8444-444444444444'),
    });
    expect(codes(res)).toEqual(['NOT_FOUND']);
  });
});
