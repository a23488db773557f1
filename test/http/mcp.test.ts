// Chimera as an MCP server: the official SDK client over Streamable HTTP on a real port lists and calls Chimera's
// tools and reads its resources with the caller's own rights; a client without a valid credential gets nothing.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, makeTask, uuidOf } from '../helpers/fixtures.js';

let t: TestApp;
let url: string;
let mine: { id: string };
let theirs: { id: string };
let operator: Identity;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestApp();
  url = `${await t.app.listen()}/mcp`;
  mine = await makeAgent(t.app.db, 'mcp-mine');
  theirs = await makeAgent(t.app.db, 'mcp-theirs');
  operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [mine.id] } });
}, 120_000);
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await t?.close();
});

async function connect(headers: Record<string, string>) {
  const client = new Client({ name: 'test-host', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  clients.push(client);
  return client;
}

type ToolAnswer = { isError?: boolean; structuredContent: Record<string, unknown>; content: unknown };
const call = async (c: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> => {
  const r = (await c.callTool({ name, arguments: args })) as Partial<ToolAnswer>;
  return { isError: r.isError, structuredContent: r.structuredContent ?? {}, content: r.content };
};
const errorCodes = (r: ToolAnswer) =>
  (JSON.parse((r.content as { text: string }[])[0]?.text ?? '{}') as { errors?: { code: string }[] }).errors?.map(
    (e) => e.code,
  );

describe('POST /mcp', () => {
  it('refuses a client without a credential, or with a bad one, before any MCP message', async () => {
    await expect(connect({})).rejects.toThrow(/401|Authorization/);
    await expect(connect({ authorization: 'Bearer not-a-token' })).rejects.toThrow(/401|Authorization/);
    const raw = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('lists its tools and resources to a signed-in client', async () => {
    const client = await connect(operator.headers);
    const tools = (await client.listTools()).tools.map((x) => x.name).sort();
    expect(tools).toEqual([
      'approve_review',
      'get_goal',
      'get_task',
      'get_transfer',
      'list_agents',
      'list_review_items',
      'list_trends',
      'reject_review',
      'request_changes',
      'request_transfer',
      'submit_goal',
    ]);
    expect((await client.listResources()).resources.map((r) => r.uri)).toContain('chimera://agents');
    expect((await client.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate).sort()).toEqual([
      'chimera://agents/{id}',
      'chimera://personas/{id}',
      'chimera://tasks/{id}',
    ]);
  });

  it('runs the swarm for the caller, within the caller’s rights', async () => {
    const client = await connect(operator.headers);
    const agents = await call(client, 'list_agents');
    const names = (agents.structuredContent.agents as { edges: { node: { name: string } }[] }).edges.map(
      (e) => e.node.name,
    );
    expect(names).toEqual(['mcp-mine']);

    const submitted = await call(client, 'submit_goal', {
      agentId: gid('Agent', mine.id),
      goalDescription: 'Post about the spring release',
      idempotencyKey: 'mcp-goal-1',
    });
    expect(submitted.isError).toBeFalsy();
    const goal = (submitted.structuredContent.submitGoal as { id: string; status: string }) ?? { id: '', status: '' };
    expect(goal.status).toBe('PLANNING');
    const again = await call(client, 'submit_goal', {
      agentId: gid('Agent', mine.id),
      goalDescription: 'Post about the spring release',
      idempotencyKey: 'mcp-goal-1',
    });
    expect((again.structuredContent.submitGoal as { id: string }).id).toBe(goal.id);
    const read = await call(client, 'get_goal', { id: goal.id });
    expect(read.structuredContent.goal).toMatchObject({ id: goal.id, description: 'Post about the spring release' });
    expect(await t.app.db.goal.count({ where: { id: uuidOf(goal.id) } })).toBe(1);

    const forbidden = await call(client, 'submit_goal', {
      agentId: gid('Agent', theirs.id),
      goalDescription: 'Not my agent',
    });
    expect(forbidden.isError).toBe(true);
    expect(errorCodes(forbidden)).toEqual(['FORBIDDEN']);
    expect(await t.app.db.goal.count({ where: { agentId: theirs.id } })).toBe(0);

    const bad = await call(client, 'submit_goal', { agentId: gid('Agent', mine.id), goalDescription: '   ' });
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);

    const resource = await client.readResource({ uri: `chimera://agents/${gid('Agent', mine.id)}` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ agent: { name: 'mcp-mine' } });
    await expect(client.readResource({ uri: `chimera://agents/${gid('Agent', theirs.id)}` })).rejects.toThrow(
      /FORBIDDEN/,
    );
  });

  it('works the review queue for a reviewer; a role without the right is refused', async () => {
    const verdict = { decision: 'escalate', confidence: 0.6, categories: ['financial_advice'], reasons: ['mcp'] };
    const task = await makeTask(t.app.db, mine.id, { status: 'review', result: { verdict } });
    await t.app.db.content.create({
      data: { agentId: mine.id, taskId: task.id, contentType: 'text', contentData: 'a draft', status: 'draft' },
    });
    const reviewer = await connect((await t.signIn(['content_reviewer'])).headers);
    const queue = await call(reviewer, 'list_review_items');
    const items = (queue.structuredContent.reviewItems as { edges: { node: { taskId: string } }[] }).edges;
    expect(items.map((e) => e.node.taskId)).toContain(gid('Task', task.id));
    const approved = await call(reviewer, 'approve_review', { taskId: gid('Task', task.id), note: 'fine' });
    expect(approved.isError).toBeFalsy();
    expect((await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } })).status).toBe('complete');

    const analyst = await connect((await t.signIn(['analyst'])).headers);
    expect(errorCodes(await call(analyst, 'list_agents'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await call(analyst, 'approve_review', { taskId: gid('Task', task.id) }))).toEqual(['FORBIDDEN']);
    expect((await call(analyst, 'list_trends')).isError).toBeFalsy();
  });
});
