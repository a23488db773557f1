// Attribute rules on the spec's resource attributes: agent/persona assignment, task_priority,
// content_sensitivity and data_classification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent } from '../helpers/fixtures.js';

let t: TestApp;
let mine: { id: string; personaId: string | null };
let theirs: { id: string; personaId: string | null };
beforeAll(async () => {
  t = await startTestApp();
  mine = await makeAgent(t.app.db, 'mine');
  theirs = await makeAgent(t.app.db, 'theirs');
});
afterAll(() => t?.close());

const CREATE_TASK = `mutation ($a: ID!, $p: TaskPriority) {
  createTask(input: { agentId: $a, taskType: GENERATE_CONTENT, priority: $p, context: { goalDescription: "g" } }) { id } }`;

describe('agent and persona assignment', () => {
  it('an operator sees and acts on its assigned agents and their personas only', async () => {
    const op = await t.signIn(['agent_operator'], { attributes: { agentIds: [mine.id] } });
    const agents = await t.ok<{ agents: { edges: { node: { name: string } }[] } }>(
      '{ agents { edges { node { name } } } }',
      {},
      op.headers,
    );
    expect(agents.agents.edges.map((e) => e.node.name)).toEqual(['mine']);
    const personas = await t.ok<{ personas: { edges: { node: { id: string } }[] } }>(
      '{ personas { edges { node { id } } } }',
      {},
      op.headers,
    );
    expect(personas.personas.edges.map((e) => e.node.id)).toEqual([gid('Persona', mine.personaId as string)]);
    expect(codes(await t.gql(CREATE_TASK, { a: gid('Agent', mine.id) }, op.headers))).toEqual([]);
    expect(codes(await t.gql(CREATE_TASK, { a: gid('Agent', theirs.id) }, op.headers))).toEqual(['FORBIDDEN']);
    expect(
      codes(await t.gql('query ($id: ID!) { agent(id: $id) { name } }', { id: gid('Agent', theirs.id) }, op.headers)),
    ).toEqual(['FORBIDDEN']);
    // An operator with no assignment reaches nothing.
    const idle = await t.signIn(['agent_operator']);
    expect(
      (await t.ok<{ agents: { totalCount: number } }>('{ agents { totalCount } }', {}, idle.headers)).agents.totalCount,
    ).toBe(0);
  });
});

describe('task_priority', () => {
  it('HIGH priority work needs an operator cleared for it', async () => {
    const op = await t.signIn(['agent_operator'], { attributes: { agentIds: [mine.id] } });
    const high = await t.gql(CREATE_TASK, { a: gid('Agent', mine.id), p: 'HIGH' }, op.headers);
    expect(codes(high)).toEqual(['FORBIDDEN']);
    expect(high.errors?.[0]?.message).toMatch(/high-priority/);
    expect(codes(await t.gql(CREATE_TASK, { a: gid('Agent', mine.id), p: 'MEDIUM' }, op.headers))).toEqual([]);
    const senior = await t.signIn(['agent_operator'], { attributes: { agentIds: [mine.id], maxTaskPriority: 'high' } });
    expect(codes(await t.gql(CREATE_TASK, { a: gid('Agent', mine.id), p: 'HIGH' }, senior.headers))).toEqual([]);
  });
});

describe('content_sensitivity', () => {
  it('sensitive content is visible to moderators, not to API users', async () => {
    const sensitive = await t.app.db.content.create({
      data: {
        agentId: mine.id,
        contentType: 'text',
        contentData: 'about an election',
        metadata: { sensitivity: 'sensitive' },
      },
    });
    const safe = await t.app.db.content.create({
      data: { agentId: mine.id, contentType: 'text', contentData: 'about cats' },
    });
    const api = await t.signIn(['api_user'], { attributes: { agentIds: [mine.id] } });
    const listed = await t.ok<{ contents: { edges: { node: { id: string } }[] } }>(
      '{ contents { edges { node { id } } } }',
      {},
      api.headers,
    );
    expect(listed.contents.edges.map((e) => e.node.id)).toEqual([gid('Content', safe.id)]);
    const direct = await t.gql(
      'query ($id: ID!) { content(id: $id) { contentData } }',
      { id: gid('Content', sensitive.id) },
      api.headers,
    );
    expect(codes(direct)).toEqual(['FORBIDDEN']);
    const reviewer = await t.signIn(['content_reviewer']);
    const seen = await t.ok<{ contents: { totalCount: number } }>('{ contents { totalCount } }', {}, reviewer.headers);
    expect(seen.contents.totalCount).toBe(2);
  });
});

describe('data_classification', () => {
  it('a clearance attribute below a type’s classification hides that type', async () => {
    await t.app.db.auditLog.create({ data: { agentId: mine.id, action: 'x' } });
    const reviewer = await t.signIn(['content_reviewer']);
    expect(codes(await t.gql('{ auditLogs { edges { node { action } } } }', {}, reviewer.headers))).toEqual([]);
    const lowered = await t.signIn(['content_reviewer'], { attributes: { clearance: 'internal' } });
    const res = await t.gql('{ auditLogs { edges { node { action } } } }', {}, lowered.headers);
    expect(codes(res)).toContain('FORBIDDEN');
    expect(res.errors?.[0]?.message).toMatch(/AuditLog data is confidential/);
    // Restricted data raises an alert when someone without clearance reaches for it.
    const analyst = await t.signIn(['analyst']);
    const alerts = await t.app.db.securityAlert.count();
    const secret = await t.gql(
      'query ($id: ID!) { node(id: $id) { id } }',
      { id: gid('User', analyst.userId) },
      analyst.headers,
    );
    expect(codes(secret)).toContain('FORBIDDEN');
    expect(await t.app.db.securityAlert.count()).toBeGreaterThan(alerts);
  });
});
