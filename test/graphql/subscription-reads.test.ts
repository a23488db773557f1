// A subscription event that reaches many subscribers of one API process is read from the database once per
// selection (src/graphql/event-reads.ts), and each subscriber still gets only what its own rules let it see.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { agentTasksTopic } from '../../src/domain/swarm/events.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid } from '../helpers/fixtures.js';
import { connectWs, eventually, type WsConnection, within } from '../helpers/ws-client.js';

let t: TestApp;
let wsUrl: string;
let agentId: string;
const open: WsConnection[] = [];
beforeAll(async () => {
  t = await startTestApp();
  agentId = (await seedDemo(t.app.db)).agentId;
  wsUrl = `${(await t.app.listen()).replace(/^http/, 'ws')}/graphql`;
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.dispose()));
  await t?.close();
});

async function connect(identity: { headers: Record<string, string> }) {
  const ws = connectWs(wsUrl, { authorization: identity.headers.authorization });
  open.push(ws);
  await within(ws.connected, 10_000, 'connection_ack');
  return ws;
}

const BY_STATUS = 'subscription ($a: ID) { taskUpdated(agentId: $a) { id status } }';
const WITH_AGENT = 'subscription ($a: ID) { taskUpdated(agentId: $a) { id status agent { name } } }';
type Update = { taskUpdated: { id: string; status: string; agent?: { name: string } | null } };

describe('subscription events', () => {
  it('are read once per selection for all the subscribers of a process, each under its own rules', async () => {
    const admin = await t.admin();
    const operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agentId] } });
    const vars = { a: gid('Agent', agentId) };
    const streams = [
      ...(await Promise.all([1, 2, 3].map(() => connect(admin)))).map((ws) => ws.subscribe<Update>(BY_STATUS, vars)),
      (await connect(admin)).subscribe<Update>(WITH_AGENT, vars),
      (await connect(operator)).subscribe<Update>(WITH_AGENT, vars),
    ];
    // Subscriptions register asynchronously in Redis: give them a moment before the event.
    await new Promise((r) => setTimeout(r, 300));
    const task = await t.app.db.task.create({
      data: { agentId, taskType: 'generate_content', priority: 'low', context: { goal_description: 'read once' } },
    });
    t.statements.length = 0;
    const reads = vi.spyOn(t.app.db.task, 'findUniqueOrThrow');
    await t.app.pubsub.publish(agentTasksTopic(agentId), { id: task.id });
    const received = await Promise.all(
      streams.map((s, i) => eventually(() => s.received[0], 10_000, `subscriber ${i}'s event`)),
    );
    for (const r of received) {
      expect(codes(r as never)).toEqual([]);
      expect(r.data?.taskUpdated).toMatchObject({ id: gid('Task', task.id), status: 'PENDING' });
    }
    expect(received.slice(3).map((r) => r.data?.taskUpdated.agent?.name)).toEqual([
      expect.any(String),
      expect.any(String),
    ]);
    // Five subscribers, two selections: two reads of the task. Prisma would batch five same-tick findUniques into one
    // statement per selection anyway; the calls are the cost (each one is Prisma's whole query path), so count them.
    const taskReads = t.statements.filter((sql) => /\bFROM\s+"public"\."tasks"/i.test(sql));
    expect(taskReads, t.statements.join('\n')).toHaveLength(2);
    expect(reads).toHaveBeenCalledTimes(2);
    reads.mockRestore();
  });

  it('still refuse what a subscriber may not see in the shared row', async () => {
    const other = await t.app.db.agent.create({ data: { name: 'not assigned' } });
    const operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agentId] } });
    const admin = await t.admin();
    const task = await t.app.db.task.create({
      data: { agentId: other.id, taskType: 'generate_content', priority: 'low', context: { goal_description: 'x' } },
    });
    // The operator's subscription is to its own agent; an event naming another agent's task (as a buggy or hostile
    // publisher might send) is resolved for both from one read, and only the admin may see the row.
    const q = 'subscription ($a: ID) { taskUpdated(agentId: $a) { id status } }';
    const vars = { a: gid('Agent', agentId) };
    const mine = (await connect(operator)).subscribe<Update>(q, vars);
    const theirs = (await connect(admin)).subscribe<Update>(q, vars);
    await new Promise((r) => setTimeout(r, 300));
    await t.app.pubsub.publish(agentTasksTopic(agentId), { id: task.id });
    const [forOperator, forAdmin] = await Promise.all(
      [mine, theirs].map((s) => eventually(() => s.received[0], 10_000, 'the event')),
    );
    expect(codes(forAdmin as never)).toEqual([]);
    expect(forAdmin?.data?.taskUpdated.id).toBe(gid('Task', task.id));
    expect(codes(forOperator as never)).toContain('FORBIDDEN');
    expect(forOperator?.data?.taskUpdated ?? null).toBeNull();
  });
});
