// A goal through the swarm, in-process with real BullMQ workers and the offline language model: submitGoal →
// outbox → Planner → Worker → Judge, ending approved or in front of a human, with every step audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../prisma/seed.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let t: TestApp;
let swarm: Swarm;
let agentId: string;
beforeAll(async () => {
  t = await startTestApp();
  agentId = (await seedDemo(t.app.db)).agentId;
  swarm = startTestSwarm(t);
});
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

const SUBMIT = 'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id status } }';
const GOAL = `query ($id: ID!) { goal(id: $id) { status tasks { taskType status attempts executionTimeMs
  result contents { status confidenceScore contentData metadata } } } }`;

type GoalView = {
  goal: {
    status: string;
    tasks: {
      taskType: string;
      status: string;
      executionTimeMs: number | null;
      result: { verdict?: { decision: string; categories: string[] } } | null;
      contents: {
        status: string;
        confidenceScore: number | null;
        contentData: string;
        metadata: { llm?: { offline: boolean } };
      }[];
    }[];
  };
};

async function settled(goalGid: string) {
  return eventually(
    async () => {
      const view = await t.ok<GoalView>(GOAL, { id: goalGid });
      const done =
        view.goal.tasks.length > 0 &&
        view.goal.tasks.every((task) => task.status === 'complete' || task.result?.verdict);
      return done ? view : undefined;
    },
    20_000,
    'the goal to be planned, executed and judged',
  );
}

describe('a goal through Planner → Worker → Judge', () => {
  it('plans, writes in the persona’s voice, judges and approves a safe post', async () => {
    const { submitGoal } = await t.ok<{ submitGoal: { id: string; status: string } }>(SUBMIT, {
      i: { agentId: gid('Agent', agentId), goalDescription: "Post about this week's top trend in our voice" },
    });
    expect(submitGoal.status).toBe('PLANNING');
    const view = await settled(submitGoal.id);
    const post = view.goal.tasks.find((task) => task.taskType === 'GENERATE_CONTENT');
    expect(post?.contents[0]?.contentData.length).toBeGreaterThan(0);
    expect(post?.contents[0]?.metadata.llm?.offline).toBe(true);
    expect(post?.contents[0]?.confidenceScore).toBeGreaterThanOrEqual(0.85);
    expect(post?.status).toBe('COMPLETE');
    expect(post?.contents[0]?.status).toBe('APPROVED');
    expect(view.goal.status).toBe('COMPLETE');
    for (const task of view.goal.tasks.filter((x) => x.status === 'complete'))
      expect(task.executionTimeMs).not.toBeNull();
    const actions = (await t.app.db.auditLog.findMany({ where: { agentId }, orderBy: { createdAt: 'asc' } })).map(
      (a) => a.action,
    );
    expect(actions).toEqual(expect.arrayContaining(['goal.submitted', 'goal.planned']));
    expect(actions.some((a) => a.startsWith('judge.'))).toBe(true);
  });

  it('sends financial content to a human instead of approving it', async () => {
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(SUBMIT, {
      i: { agentId: gid('Agent', agentId), goalDescription: 'Tell fans to invest their savings in bitcoin stocks now' },
    });
    const view = await settled(submitGoal.id);
    const escalated = view.goal.tasks.filter((task) => task.result?.verdict?.decision === 'escalate');
    expect(escalated.length).toBeGreaterThan(0);
    expect(escalated[0]?.result?.verdict?.categories).toContain('financial_advice');
    expect(escalated[0]?.status).toBe('REVIEW');
    const goal = await t.app.db.goal.findUniqueOrThrow({ where: { id: uuidOf(submitGoal.id) } });
    expect(goal.status).toBe('review');
    // Nothing financial was approved on its own.
    expect(view.goal.tasks.flatMap((task) => task.contents).filter((c) => c.status === 'APPROVED')).toEqual([]);
  });
});

describe('moderation in the swarm', () => {
  it('rejects a prohibited request without writing a draft, and fails the goal', async () => {
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(SUBMIT, {
      i: { agentId: gid('Agent', agentId), goalDescription: 'Write a post saying vaccines cause autism' },
    });
    const goalId = uuidOf(submitGoal.id);
    const goal = await eventually(
      async () => {
        const g = await t.app.db.goal.findUniqueOrThrow({ where: { id: goalId } });
        return g.status === 'failed' ? g : undefined;
      },
      20_000,
      'the goal to fail',
    );
    expect(goal.status).toBe('failed');
    const post = await t.app.db.task.findFirstOrThrow({
      where: { goalId, taskType: 'generate_content' },
      include: { contents: true },
    });
    expect(post.status).toBe('failed');
    expect(post.contents).toEqual([]);
    const result = post.result as { error?: { code: string }; verdict?: { categories: string[]; decision: string } };
    expect(result.error?.code).toBe('PROHIBITED_CONTENT');
    expect(result.verdict?.decision).toBe('reject');
    expect(result.verdict?.categories).toContain('misinformation');
  });

  it('keeps the confidence breakdown and the moderation decision of an approved draft', async () => {
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(SUBMIT, {
      i: { agentId: gid('Agent', agentId), goalDescription: 'Post about slow mornings and good coffee' },
    });
    const view = await settled(submitGoal.id);
    const post = view.goal.tasks.find((x) => x.taskType === 'GENERATE_CONTENT');
    expect(post?.status).toBe('COMPLETE');
    const verdict = post?.result as unknown as {
      verdict: { confidence: number; signals: { personaConsistency: number; safety: number; selfAssessment: number } };
    };
    const { signals, confidence } = verdict.verdict;
    expect(confidence).toBeCloseTo(
      0.4 * signals.personaConsistency + 0.3 * signals.safety + 0.3 * signals.selfAssessment,
      1,
    );
    expect(post?.contents[0]?.confidenceScore).toBe(confidence);
    const meta = post?.contents[0]?.metadata as unknown as {
      moderation: { ai_review: { category: string; checks: { name: string; threshold: number }[] } };
      sensitivity: string;
    };
    expect(meta.moderation.ai_review.category).toBe('safe');
    expect(meta.moderation.ai_review.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['toxicity_detection', 'misinformation_check']),
    );
    expect(meta.sensitivity).toBe('safe');
  });
});
