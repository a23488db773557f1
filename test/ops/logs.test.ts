// Structured JSON logs with ids: every line written while the API serves a request carries its requestId (yoga's own
// lines, the error mask's, whatever logger wrote them), and every line a swarm job writes — deep in the domain,
// through onSideEffectError — carries its stage, jobId, taskId and goalId.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import type { MemoryService } from '../../src/domain/memory/memory.service.js';
import { createLogger } from '../../src/platform/log/logger.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

type Line = Record<string, unknown> & { msg: string; level: number };
const lines: Line[] = [];
const logger = createLogger(
  'debug',
  { version: 'test' },
  { write: (s: string) => void lines.push(JSON.parse(s) as Line) },
);

let t: TestApp;
let swarm: Swarm;
let agentId: string;
beforeAll(async () => {
  t = await startTestApp({ CHIMERA_LOG_LEVEL: 'debug' }, { logger });
  agentId = (await seedDemo(t.app.db)).agentId;
  // A memory store that is down: the stages go on, and say so in their log (the lines under test).
  const down = async () => {
    throw new Error('memory store unavailable');
  };
  const memory: MemoryService = { ...t.app.services.memory, recall: down, note: down };
  swarm = startTestSwarm(t, { logger, memory });
}, 120_000);
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

describe('an API request', () => {
  it('writes every line with its request id', async () => {
    const admin = await t.admin();
    const agent = await makeAgent(t.app.db, 'logged');
    vi.spyOn(t.app.services.agents, 'get').mockRejectedValue(new Error('injected fault'));
    const from = lines.length;
    const res = await t.gql(
      'query LogProbe($id: ID!) { agent(id: $id) { id } }',
      { id: gid('Agent', agent.id) },
      {
        ...admin.headers,
        'x-request-id': 'log-request-1',
      },
    );
    vi.restoreAllMocks();
    expect(codes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
    const written = lines.slice(from);
    // yoga's debug lines and the error mask's line (written with the root logger) are among them.
    expect(written.some((l) => l.msg === 'yoga')).toBe(true);
    expect(written.some((l) => l.msg === 'unexpected error')).toBe(true);
    expect(written.filter((l) => l.requestId !== 'log-request-1')).toEqual([]);
    // One key once per line, even where a child logger already binds it.
    const again = lines.length;
    const ctxLogger = logger.child({ requestId: 'bound' });
    ctxLogger.info('bound line');
    expect(lines.slice(again)).toMatchObject([{ requestId: 'bound', msg: 'bound line' }]);
  });

  it('assigns an id when none is given, and writes nothing with it after the request', async () => {
    const from = lines.length;
    const res = await t.gql('query Unnamed { me { id } }');
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const written = lines.slice(from);
    expect(written.length).toBeGreaterThan(0);
    expect(written.every((l) => l.requestId === id)).toBe(true);
    logger.info('outside any request');
    expect(lines.at(-1)?.requestId).toBeUndefined();
  });
});

describe('a swarm job', () => {
  it('writes every line with its stage, job, task and goal', async () => {
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
      'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
      { i: { agentId: gid('Agent', agentId), goalDescription: "Post about this week's top trend in our voice" } },
    );
    const goalId = Buffer.from(submitGoal.id, 'base64').toString().split(':')[1];
    const fromJobs = await eventually(
      () => {
        const side = lines.filter((l) => l.msg.startsWith('swarm could not') && l.goalId === goalId);
        return side.some((l) => l.stage === 'planner') && side.some((l) => l.stage === 'worker') ? side : undefined;
      },
      30_000,
      'the stages to report the memory store down',
    );
    for (const line of fromJobs) {
      expect(line.jobId, line.msg).toEqual(expect.any(String));
      expect(line.level).toBe(40);
      if (line.stage === 'planner') {
        expect(line.msg).toBe('swarm could not recall memories');
        expect(line.jobId).toBe(encodeURIComponent(`plan:${goalId}`));
      } else {
        expect(['worker', 'judge']).toContain(line.stage);
        expect(line.taskId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
        expect(String(line.jobId)).toContain(String(line.taskId));
      }
    }
    // No line about this goal's memory failures lacks its job's fields.
    const orphans = lines.filter((l) => l.msg.startsWith('swarm could not') && !l.stage);
    expect(orphans).toEqual([]);
  });
});
