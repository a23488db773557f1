// A stage job that keeps failing (here: the language model is down) is retried, then dead-lettered: its task ends
// FAILED with code DEAD_LETTER and the reason, visible through the API, and the goal fails — nothing stays stuck.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import { type LanguageModel, LlmError } from '../../src/platform/llm/llm.js';
import { createOfflineLanguageModel } from '../../src/platform/llm/offline-composer.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm;
let agentGid: string;
/** The offline model, but text generation (or planning) fails as an unreachable server would. */
const failing = { complete: true, plan: false };
const offline = createOfflineLanguageModel();
const flaky: LanguageModel = {
  provider: offline.provider,
  model: offline.model,
  critique: (req) => offline.critique(req),
  complete: async (req) => {
    if (failing.complete) throw new LlmError('UNAVAILABLE', 'the language model server is unavailable');
    return offline.complete(req);
  },
  plan: async (req) => {
    if (failing.plan) throw new LlmError('UNAVAILABLE', 'the language model server is unavailable');
    return offline.plan(req);
  },
};

beforeAll(async () => {
  t = await startTestApp();
  agentGid = gid('Agent', (await seedDemo(t.app.db)).agentId);
  swarm = startTestSwarm(t, { llm: flaky, retry: { attempts: 2, backoffMs: 20 } });
});
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

const SUBMIT = 'mutation ($d: String!) { submitGoal(input: { agentId: "AGENT", goalDescription: $d }) { id } }';

describe('dead letters', () => {
  it('fails the task with DEAD_LETTER and the reason after the retries run out, and fails the goal', async () => {
    failing.complete = true;
    failing.plan = false;
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(SUBMIT.replace('AGENT', agentGid), {
      d: "Post about this week's top trend",
    });
    const post = await eventually(
      async () => {
        const view = await t.ok<{
          goal: {
            status: string;
            tasks: { taskType: string; status: string; error: { code: string; message: string } | null }[];
          };
        }>('query ($id: ID!) { goal(id: $id) { status tasks { taskType status error { code message } } } }', {
          id: submitGoal.id,
        });
        const task = view.goal.tasks.find((x) => x.taskType === 'GENERATE_CONTENT');
        // The task's failure and the goal's commit together, so one poll sees both.
        return task?.status === 'FAILED' ? { task, goal: view.goal } : undefined;
      },
      20_000,
      'the content task to be dead-lettered',
    );
    expect(post.task.error).toEqual({ code: 'DEAD_LETTER', message: 'the language model server is unavailable' });
    expect(post.goal.status).toBe('FAILED');
    const audit = await t.app.db.auditLog.findFirstOrThrow({ where: { action: 'task.dead_lettered' } });
    expect(audit.details).toMatchObject({ code: 'DEAD_LETTER', stage: 'worker', attempts: 2 });
  });

  it('fails a goal the Planner could never plan', async () => {
    failing.plan = true;
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(SUBMIT.replace('AGENT', agentGid), {
      d: 'anything',
    });
    await eventually(
      async () => (await t.app.db.goal.findUniqueOrThrow({ where: { id: uuidOf(submitGoal.id) } })).status === 'failed',
      20_000,
      'the goal to fail',
    );
    const audit = await t.app.db.auditLog.findFirstOrThrow({ where: { action: 'goal.dead_lettered' } });
    expect(audit.details).toMatchObject({ goalId: uuidOf(submitGoal.id), stage: 'planner', attempts: 2 });
    expect(await t.app.db.task.count({ where: { goalId: uuidOf(submitGoal.id) } })).toBe(0);
  });
});
