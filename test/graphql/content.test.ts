// Content moves only along allowed status transitions, each one audited; listing filters by status, type, agent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, makeTask } from '../helpers/fixtures.js';

let t: TestApp;
let agent: { id: string };
let task: { id: string };
beforeAll(async () => {
  t = await startTestApp();
  agent = await makeAgent(t.app.db, 'writer');
  task = await makeTask(t.app.db, agent.id);
});
afterAll(() => t?.close());

const SET = `mutation ($id: ID!, $s: ContentStatus!, $r: String) {
  setContentStatus(id: $id, status: $s, reason: $r) { status publishedAt } }`;

async function draft(over: Record<string, unknown> = {}) {
  return t.app.db.content.create({
    data: { agentId: agent.id, taskId: task.id, contentType: 'text', contentData: 'hello world', ...over },
  });
}

describe('setContentStatus', () => {
  it('follows draft → approved → published, stamping publishedAt, and audits every step', async () => {
    const c = await draft();
    const approved = await t.ok<{ setContentStatus: { status: string } }>(SET, {
      id: gid('Content', c.id),
      s: 'APPROVED',
      r: 'on voice',
    });
    expect(approved.setContentStatus.status).toBe('APPROVED');
    const published = await t.ok<{ setContentStatus: { status: string; publishedAt: string } }>(SET, {
      id: gid('Content', c.id),
      s: 'PUBLISHED',
    });
    expect(published.setContentStatus.status).toBe('PUBLISHED');
    expect(Date.now() - Date.parse(published.setContentStatus.publishedAt)).toBeLessThan(60_000);
    const audits = await t.app.db.auditLog.findMany({
      where: { agentId: agent.id, action: { startsWith: 'content.' } },
      orderBy: { createdAt: 'asc' },
    });
    expect(audits.map((a) => [a.action, (a.details as { from: string }).from])).toEqual([
      ['content.approved', 'draft'],
      ['content.published', 'approved'],
    ]);
    expect(audits[0]?.details).toMatchObject({ contentId: c.id, reason: 'on voice' });
  });

  it.each([
    ['draft', 'PUBLISHED'],
    ['published', 'DRAFT'],
    ['published', 'REJECTED'],
    ['rejected', 'APPROVED'],
    ['draft', 'DRAFT'],
  ])('refuses %s → %s with CONFLICT and changes nothing', async (from, to) => {
    const c = await draft({ status: from });
    const audits = await t.app.db.auditLog.count();
    const res = await t.gql(SET, { id: gid('Content', c.id), s: to });
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(res.errors?.[0]?.message).toContain(`Content ${gid('Content', c.id)} is ${from.toUpperCase()};`);
    expect((await t.app.db.content.findUniqueOrThrow({ where: { id: c.id } })).status).toBe(from);
    expect(await t.app.db.auditLog.count()).toBe(audits);
  });

  it('allows withdrawing approval and reopening rejected content', async () => {
    const c = await draft({ status: 'approved' });
    await t.ok(SET, { id: gid('Content', c.id), s: 'REJECTED' });
    const reopened = await t.ok<{ setContentStatus: { status: string } }>(SET, {
      id: gid('Content', c.id),
      s: 'DRAFT',
    });
    expect(reopened.setContentStatus.status).toBe('DRAFT');
  });

  it('treats a NULL status as the column default (draft)', async () => {
    const c = await draft({ status: null });
    const res = await t.ok<{ setContentStatus: { status: string } }>(SET, { id: gid('Content', c.id), s: 'REJECTED' });
    expect(res.setContentStatus.status).toBe('REJECTED');
  });

  it('rejects an overlong reason and an unknown content id', async () => {
    const c = await draft();
    expect(codes(await t.gql(SET, { id: gid('Content', c.id), s: 'APPROVED', r: 'r'.repeat(1001) }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect((await t.app.db.content.findUniqueOrThrow({ where: { id: c.id } })).status).toBe('draft');
    const ghost = gid('Content', '55555555-5555-4555-8555-555555555555');
    expect(codes(await t.gql(SET, { id: ghost, s: 'APPROVED' }))).toEqual(['NOT_FOUND']);
  });

  it('serialises concurrent reviewers: of two approvals of one draft, exactly one wins', async () => {
    const c = await draft();
    const [a, b] = await Promise.all([
      t.gql(SET, { id: gid('Content', c.id), s: 'APPROVED' }),
      t.gql(SET, { id: gid('Content', c.id), s: 'APPROVED' }),
    ]);
    const outcomes = [a, b].map((r) => (r.errors ? r.errors[0]?.extensions?.code : 'ok')).sort();
    expect(outcomes).toEqual(['CONFLICT', 'ok']);
    expect(
      await t.app.db.auditLog.count({
        where: { action: 'content.approved', details: { path: ['contentId'], equals: c.id } },
      }),
    ).toBe(1);
  });
});

describe('contents query', () => {
  it('filters by status, type, agent and task', async () => {
    const other = await makeAgent(t.app.db, 'painter');
    const img = await t.app.db.content.create({
      data: { agentId: other.id, contentType: 'image', contentData: 'https://img/1.png', status: 'approved' },
    });
    const q = `query ($f: ContentFilter) { contents(filter: $f) { totalCount edges { node { id contentType agent { name } } } } }`;
    const byAgent = await t.ok<{ contents: { totalCount: number; edges: { node: { id: string } }[] } }>(q, {
      f: { agentId: gid('Agent', other.id) },
    });
    expect(byAgent.contents.edges.map((e) => e.node.id)).toEqual([gid('Content', img.id)]);
    const byType = await t.ok<{ contents: { totalCount: number } }>(q, {
      f: { contentType: ['IMAGE'], status: ['APPROVED'] },
    });
    expect(byType.contents.totalCount).toBe(1);
    const byTask = await t.ok<{ contents: { totalCount: number } }>(q, { f: { taskId: gid('Task', task.id) } });
    expect(byTask.contents.totalCount).toBeGreaterThan(0);
    const none = await t.ok<{ contents: { totalCount: number } }>(q, {
      f: { agentId: gid('Agent', other.id), status: ['DRAFT'] },
    });
    expect(none.contents.totalCount).toBe(0);
  });
});
