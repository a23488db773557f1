// Every status change of a goal's tasks reaches a graphql-ws subscriber and an SSE subscriber, from the swarm's
// stages through Redis pub/sub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { connectWs, eventually, subscribeSse, within } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm;
let base: string;
let agentGid: string;
beforeAll(async () => {
  t = await startTestApp();
  agentGid = gid('Agent', (await seedDemo(t.app.db)).agentId);
  base = await t.app.listen();
  swarm = startTestSwarm(t);
});
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

const UPDATES = 'subscription ($a: ID) { taskUpdated(agentId: $a) { id taskType status } }';
type Update = { taskUpdated: { id: string; taskType: string; status: string } };

describe('live task status', () => {
  it('streams every status change of the plan over graphql-ws and SSE', async () => {
    const admin = await t.admin();
    const ws = connectWs(`${base.replace(/^http/, 'ws')}/graphql`, { authorization: admin.headers.authorization });
    await within(ws.connected, 10_000, 'connection_ack');
    const overWs = ws.subscribe<Update>(UPDATES, { a: agentGid });
    const overSse = await subscribeSse<Update>(
      `${base}/graphql`,
      `subscription { taskUpdated(agentId: "${agentGid}") { id taskType status } }`,
      admin.headers,
    );
    // Subscriptions register asynchronously in Redis: give them a moment before the first event.
    await new Promise((r) => setTimeout(r, 300));
    await t.ok('mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }', {
      i: { agentId: agentGid, goalDescription: "Post about this week's top trend in our voice" },
    });
    const finished = (received: { data?: Update | null }[]) => {
      const post = received
        .filter((r) => r.data?.taskUpdated.taskType === 'GENERATE_CONTENT')
        .map((r) => r.data?.taskUpdated.status);
      return post.includes('COMPLETE') ? post : undefined;
    };
    for (const stream of [overWs, overSse]) {
      const statuses = await eventually(() => finished(stream.received), 20_000, 'the post task to complete');
      // Consecutive duplicates are allowed (two announcements of one state); the order is the state machine's.
      const distinct = statuses.filter((s, i) => s !== statuses[i - 1]);
      expect(distinct.slice(-3)).toEqual(['IN_PROGRESS', 'REVIEW', 'COMPLETE']);
      expect(stream.received.every((r) => codes(r as never).length === 0)).toBe(true);
    }
    ws.dispose();
    overSse.close();
  });

  it('refuses a subscriber who may not see the agent’s tasks', async () => {
    const analyst = await t.signIn(['analyst']);
    const refused = await subscribeSse(
      `${base}/graphql`,
      `subscription { taskUpdated(agentId: "${agentGid}") { id } }`,
      analyst.headers,
    );
    expect(codes((await refused.next(10_000)) as never)).toEqual(['FORBIDDEN']);
    refused.close();
  });
});
