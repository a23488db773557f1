// The spec's data validation queries over GraphQL, as an analyst sees them: integrity counts that move with the data,
// tasks per hour with their average relevance, and a coded error for a bad window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrityChecks } from '../../src/domain/operations/data-validation.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ RESPONSE_CACHE: 'false' });
}, 120_000);
afterAll(async () => t?.close());

type Check = { table: string; check: string; totalRows: number; failing: number };
const INTEGRITY = '{ dataIntegrity { table check totalRows failing } }';

describe('data validation', () => {
  it('reports the spec’s integrity checks first, and they count what is in the tables', async () => {
    const analyst = await t.signIn(['analyst']);
    const before = (await t.ok<{ dataIntegrity: Check[] }>(INTEGRITY, {}, analyst.headers)).dataIntegrity;
    expect(before.slice(0, 2).map((c) => [c.table, c.check])).toEqual([
      ['agents', 'missing_personas'],
      ['tasks', 'missing_agents'],
    ]);
    const persona = await t.app.db.persona.create({
      data: { name: 'Validator', voiceTone: {}, beliefs: [], directives: [] },
    });
    await t.app.db.agent.create({ data: { name: 'with-persona', personaId: persona.id } });
    await t.app.db.agent.create({ data: { name: 'without-persona' } });
    await t.app.db.task.create({ data: { taskType: 'fetch_trends', priority: 'low', context: {} } });
    const after = (await t.ok<{ dataIntegrity: Check[] }>(INTEGRITY, {}, analyst.headers)).dataIntegrity;
    const of = (list: Check[], table: string, check: string) =>
      list.find((c) => c.table === table && c.check === check);
    expect(of(after, 'agents', 'missing_personas')?.totalRows).toBe(
      (of(before, 'agents', 'missing_personas')?.totalRows ?? 0) + 2,
    );
    expect(of(after, 'agents', 'missing_personas')?.failing).toBe(
      (of(before, 'agents', 'missing_personas')?.failing ?? 0) + 1,
    );
    expect(of(after, 'tasks', 'missing_agents')?.failing).toBe(
      (of(before, 'tasks', 'missing_agents')?.failing ?? 0) + 1,
    );
    // The same figures as the domain query the CLI prints.
    expect(after).toEqual(await integrityChecks(t.app.db));
  });

  it('counts tasks per hour, newest first, with their average relevance', async () => {
    const agent = await t.app.db.agent.create({ data: { name: 'throughput' } });
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const [createdAt, relevanceScore] of [
      [new Date(), 0.5],
      [new Date(), 0.9],
      [hourAgo, null],
    ] as const) {
      await t.app.db.task.create({
        data: {
          agentId: agent.id,
          taskType: 'generate_content',
          priority: 'low',
          context: {},
          createdAt,
          relevanceScore,
        },
      });
    }
    const analyst = await t.signIn(['analyst']);
    const { taskThroughput } = await t.ok<{
      taskThroughput: { hour: string; tasksCreated: number; averageRelevance: number | null }[];
    }>('{ taskThroughput(hours: 3) { hour tasksCreated averageRelevance } }', {}, analyst.headers);
    const thisHour = new Date();
    thisHour.setUTCMinutes(0, 0, 0);
    const latest = taskThroughput[0];
    expect(new Date(latest?.hour ?? 0).getTime()).toBe(thisHour.getTime());
    expect(latest?.tasksCreated).toBeGreaterThanOrEqual(2);
    expect(taskThroughput.map((h) => h.hour)).toEqual([...taskThroughput.map((h) => h.hour)].sort().reverse());
    expect(taskThroughput.reduce((n, h) => n + h.tasksCreated, 0)).toBeGreaterThanOrEqual(3);
  });

  it('refuses a window outside 1..744 hours with BAD_USER_INPUT, and other roles with FORBIDDEN', async () => {
    const analyst = await t.signIn(['analyst']);
    for (const hours of [0, -1, 745]) {
      expect(codes(await t.gql(`{ taskThroughput(hours: ${hours}) { hour } }`, {}, analyst.headers))).toEqual([
        'BAD_USER_INPUT',
      ]);
    }
    const operator = await t.signIn(['agent_operator']);
    expect(codes(await t.gql(INTEGRITY, {}, operator.headers))).toEqual(['FORBIDDEN']);
  });
});
