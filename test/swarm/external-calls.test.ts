// The spec's external_api_calls budget: every LLM and MCP call of an agent takes one, per agent and in all; over it
// the work waits in BullMQ's delayed set instead of failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExternalCallBudget } from '../../src/domain/swarm/external-calls.js';
import { QuotaDeferral } from '../../src/domain/tasks/limits.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm | undefined;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

describe('the external-call budget', () => {
  it('allows each agent its calls an hour, and all agents together the system’s', async () => {
    const budget = createExternalCallBudget({
      limiter: t.app.services.rateLimiter,
      limits: { perAgentPerHour: 3, perHour: 5 },
    });
    const [a, b] = ['0a0a0a0a-0000-4000-8000-000000000001', '0b0b0b0b-0000-4000-8000-000000000002'];
    for (let i = 0; i < 3; i++) await budget.spend(a, 'writing');
    const over = await budget.spend(a, 'writing').catch((e: unknown) => e);
    expect(over).toBeInstanceOf(QuotaDeferral);
    expect((over as QuotaDeferral).limit).toBe('externalApiCalls');
    expect((over as QuotaDeferral).delayMs).toBeGreaterThan(3_500_000);
    expect((over as QuotaDeferral).message).toContain('3 external API calls per agent per hour');
    await budget.spend(b, 'writing');
    await budget.spend(b, 'writing');
    const system = await budget.spend(b, 'writing').catch((e: unknown) => e);
    expect((system as QuotaDeferral).message).toContain('5 external API calls per hour');
  });

  it('makes the swarm wait, not fail: the Worker’s job is deferred once the Planner used the last call', async () => {
    const agent = await makeAgent(t.app.db, 'thrifty');
    swarm = startTestSwarm(t, {
      externalCalls: createExternalCallBudget({
        limiter: t.app.services.rateLimiter,
        limits: { perAgentPerHour: 1, perHour: 1_000 },
      }),
    });
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
      'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
      { i: { agentId: gid('Agent', agent.id), goalDescription: 'Write a post about tidy desks' } },
    );
    const goalId = uuidOf(submitGoal.id);
    const task = await eventually(() => t.app.db.task.findFirst({ where: { goalId } }), 20_000, 'the plan');
    const deferred = await eventually(
      async () => {
        const jobs = await swarm?.queues.queues.worker.getDelayed();
        return jobs?.find((j) => j.data.taskId === task.id);
      },
      20_000,
      'the deferred Worker job',
    );
    expect(deferred.attemptsMade).toBe(0);
    const row = await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(['pending', 'in_progress']).toContain(row.status);
  });
});
