// Agent memory through the swarm and the API, on the real offline embeddings and the embedded LanceDB store: notes
// while a task runs, consolidated into long-term memory and episodes when it ends, recalled by the next goal, and
// never readable by another agent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, uuidOf } from '../helpers/fixtures.js';
import { recordingLanguageModel, startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm;
let agentId: string;
let operator: Identity;
const recorded = recordingLanguageModel();
const asked = recorded.requests;
beforeAll(async () => {
  t = await startTestApp();
  agentId = (await seedDemo(t.app.db)).agentId;
  swarm = startTestSwarm(t, { llm: recorded.llm });
  operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agentId] } });
});
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

async function runGoal(goalDescription: string, agent = agentId) {
  const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
    'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
    { i: { agentId: gid('Agent', agent), goalDescription } },
  );
  const goalId = uuidOf(submitGoal.id);
  await eventually(
    async () => {
      const goal = await t.app.db.goal.findUniqueOrThrow({ where: { id: goalId } });
      return goal.status === 'complete' ? goal : undefined;
    },
    30_000,
    'the goal to complete',
  );
  return goalId;
}

const MEMORIES = `query ($id: ID!, $q: String!, $f: MemoryFilter) { agent(id: $id) {
  memories(query: $q, limit: 10, filter: $f) { score memory { id memoryType content context importance tags } } } }`;
type Hit = {
  score: number;
  memory: { id: string; memoryType: string; content: string; context: string; importance: number; tags: string[] };
};

describe('agent memory', () => {
  it('consolidates a finished task into long-term memory and an episode, and recalls it for the next goal', async () => {
    const goalId = await runGoal('Post about slow mornings and good coffee');
    const post = await t.app.db.task.findFirstOrThrow({ where: { goalId, taskType: 'generate_content' } });
    // The working memory is gone once consolidated (right after the task's decision commits).
    await eventually(
      async () => (await t.app.redis.exists(`memory:short:${agentId}:${post.id}`)) === 0 || undefined,
      10_000,
      'the short-term notes to be consolidated',
    );

    const hits = await eventually(
      async () => {
        const { agent } = await t.ok<{ agent: { memories: Hit[] } }>(MEMORIES, {
          id: gid('Agent', agentId),
          q: 'coffee in the morning',
        });
        const types = new Set(agent.memories.map((h) => h.memory.memoryType));
        return types.has('LONG_TERM') && types.has('EPISODIC') ? agent.memories : undefined;
      },
      15_000,
      'a long-term memory and an episode',
    );
    const longTerm = hits.find((h) => h.memory.memoryType === 'LONG_TERM' && h.memory.id === post.id);
    expect(longTerm?.memory.content).toContain('approved');
    expect(longTerm?.memory.context).toContain('asked:');
    expect(longTerm?.memory.context).toContain('draft:');
    expect(longTerm?.memory.importance).toBeGreaterThanOrEqual(0.85);
    expect(hits.every((h, i) => i === 0 || h.score <= (hits[i - 1]?.score ?? 1))).toBe(true);

    // Filters: only episodes; none above an impossible importance.
    const episodes = await t.ok<{ agent: { memories: Hit[] } }>(MEMORIES, {
      id: gid('Agent', agentId),
      q: 'coffee',
      f: { memoryTypes: ['EPISODIC'] },
    });
    expect(episodes.agent.memories.length).toBeGreaterThan(0);
    expect(episodes.agent.memories.every((h) => h.memory.memoryType === 'EPISODIC')).toBe(true);

    // The next goal on the same theme is written with that memory in its context.
    asked.length = 0;
    await runGoal('Another post about coffee and mornings, tied to this week’s top trend');
    const context = asked.flatMap((r) => r.context ?? []);
    expect(context.some((c) => c.kind === 'memory')).toBe(true);
  });

  it('never shows one agent’s memories to another agent, or to an operator of another agent', async () => {
    const other = await makeAgent(t.app.db, 'stranger');
    const { agent } = await t.ok<{ agent: { memories: Hit[] } }>(MEMORIES, {
      id: gid('Agent', other.id),
      q: 'coffee in the morning',
    });
    expect(agent.memories).toEqual([]);
    const denied = await t.gql(MEMORIES, { id: gid('Agent', other.id), q: 'coffee' }, operator.headers);
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    const own = await t.gql<{ agent: { memories: Hit[] } }>(
      MEMORIES,
      { id: gid('Agent', agentId), q: 'coffee' },
      operator.headers,
    );
    expect(own.data?.agent.memories.length).toBeGreaterThan(0);
  });

  it('finds similar approved content and related trends', async () => {
    const posts = await t.app.db.content.findMany({ where: { agentId, status: 'approved' } });
    expect(posts.length).toBeGreaterThanOrEqual(2);
    const first = posts[0] as (typeof posts)[number];
    type Similar = { content: { similar: { score: number; content: { id: string } | null }[] } };
    // Indexing follows the approval's commit: wait until the other approved post is found.
    const similar = await eventually(
      async () => {
        const res = await t.ok<Similar>(
          'query ($id: ID!) { content(id: $id) { similar(limit: 3) { score content { id } } } }',
          {
            id: gid('Content', first.id),
          },
        );
        return res.content.similar.length > 0 ? res : undefined;
      },
      10_000,
      'similar content',
    );
    const ids = similar.content.similar.map((s) => s.content?.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).not.toContain(gid('Content', first.id));

    const related = await t.ok<{ relatedTrends: { topic: string; score: number; trend: { id: string } | null }[] }>(
      'query { relatedTrends(text: "artificial intelligence and new tools", limit: 3) { topic score trend { id } } }',
    );
    expect(related.relatedTrends.length).toBeGreaterThan(0);
    expect(related.relatedTrends.every((r) => r.trend !== null)).toBe(true);
  });

  it('rejects bad search input with coded errors', async () => {
    const bad = [{ q: '   ' }, { q: 'x'.repeat(1001) }, { q: 'ok', f: { minImportance: 2 } }];
    for (const v of bad) {
      const res = await t.gql(MEMORIES, { id: gid('Agent', agentId), ...v });
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    }
    const tooMany = await t.gql('query ($id: ID!) { agent(id: $id) { memories(query: "a", limit: 51) { score } } }', {
      id: gid('Agent', agentId),
    });
    expect(codes(tooMany)).toEqual(['BAD_USER_INPUT']);
  });
});
