// A nested read costs a fixed number of SQL statements, however many rows it returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid } from '../helpers/fixtures.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  // 20 agents, each with a persona of its own and 8 tasks at distinct times.
  for (let a = 0; a < 20; a++) {
    const persona = await t.app.db.persona.create({ data: { name: `persona-${a}` } });
    const agent = await t.app.db.agent.create({
      data: {
        name: `agent-${String(a).padStart(2, '0')}`,
        personaId: persona.id,
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, a)),
      },
    });
    await t.app.db.task.createMany({
      data: Array.from({ length: 8 }, (_, i) => ({
        agentId: agent.id,
        taskType: 'generate_content',
        priority: 'low',
        context: { goal_description: `goal ${i}` },
        createdAt: new Date(Date.UTC(2026, 1, 1, a, i)),
      })),
    });
  }
});
afterAll(() => t?.close());

const NESTED = /* GraphQL */ `
  query ($n: Int!) {
    agents(first: $n) {
      edges { node { id name persona { name } tasks(first: 5) { edges { node { id status createdAt } } } } }
    }
  }`;

type Result = {
  agents: {
    edges: {
      node: {
        id: string;
        name: string;
        persona: { name: string };
        tasks: { edges: { node: { id: string; createdAt: string } }[] };
      };
    }[];
  };
};

async function statementsFor(n: number) {
  t.statements.length = 0;
  const data = await t.ok<Result>(NESTED, { n });
  const count = t.statements.length;
  return { data, count, sql: [...t.statements] };
}

describe('agents → persona → latest tasks', () => {
  it('returns the right rows: 20 agents, each with its persona and its 5 latest tasks', async () => {
    const { data } = await statementsFor(20);
    expect(data.agents.edges).toHaveLength(20);
    for (const { node } of data.agents.edges) {
      const agentIndex = Number(node.name.slice(-2));
      expect(node.persona.name).toBe(`persona-${agentIndex}`);
      const times = node.tasks.edges.map((e) => e.node.createdAt);
      expect(times).toEqual([7, 6, 5, 4, 3].map((i) => new Date(Date.UTC(2026, 1, 1, agentIndex, i)).toISOString()));
      const expected = await t.app.db.task.findMany({
        where: { agentId: Buffer.from(node.id, 'base64').toString().split(':')[1] },
        orderBy: { createdAt: 'desc' },
        take: 5,
      });
      expect(node.tasks.edges.map((e) => e.node.id)).toEqual(expected.map((r) => gid('Task', r.id)));
    }
  });

  it('runs in a small fixed number of SQL statements, independent of the number of agents', async () => {
    const twenty = await statementsFor(20);
    const five = await statementsFor(5);
    const one = await statementsFor(1);
    console.info(`nested query (20 agents → persona → 5 tasks): ${twenty.count} SQL statement(s)`);
    expect(twenty.count).toBeLessThanOrEqual(3);
    expect(five.count).toBe(twenty.count);
    expect(one.count).toBe(twenty.count);
  });
});
