// copyright_violation against known content (what every other agent has approved), in the moderation service and
// through the swarm: a near-copy of another agent's post goes to a person; an agent echoing its own voice does not.
// Also the typed record of what was decided: Content.moderation and Content.confidence.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIDENCE_WEIGHTS } from '../../src/domain/swarm/confidence.js';
import type { LanguageModel } from '../../src/platform/llm/llm.js';
import { createOfflineLanguageModel } from '../../src/platform/llm/offline-composer.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

const ORIGINAL =
  'Three things I learned shipping a side project in a weekend: cut scope early, write the README first, and ' +
  'ship before you feel ready. The rest is polish.';
const NEAR_COPY =
  'Three things I learned shipping a side project in a weekend: cut scope early, write the README first, and ' +
  'ship before you feel ready! The rest is just polish.';

let t: TestApp;
let swarm: Swarm;
let author: { id: string };
let copier: { id: string };
let originalId: string;

/** The offline model, except that every draft is the near-copy. */
const copying: LanguageModel = (() => {
  const offline = createOfflineLanguageModel();
  return {
    ...offline,
    plan: (r) => offline.plan(r),
    critique: (r) => offline.critique(r),
    complete: async (r) => ({ ...(await offline.complete(r)), text: NEAR_COPY }),
  };
})();

beforeAll(async () => {
  t = await startTestApp();
  author = await makeAgent(t.app.db, 'author');
  copier = await makeAgent(t.app.db, 'copier');
  const original = await t.app.db.content.create({
    data: { agentId: author.id, contentType: 'text', contentData: ORIGINAL, status: 'published' },
  });
  originalId = original.id;
  await t.app.services.memory.indexContent({
    contentId: originalId,
    agentId: author.id,
    contentType: 'text',
    text: ORIGINAL,
    tags: ['generate_content'],
    persona: 'author-persona',
    createdAt: new Date(),
  });
  swarm = startTestSwarm(t, { llm: copying, stages: ['planner', 'worker', 'judge'] });
}, 120_000);
afterAll(async () => {
  await swarm?.close();
  await t?.close();
});

const copyrightOf = (checks: { name: string; score: number; flagged: boolean; evidence: unknown }[]) =>
  checks.find((c) => c.name === 'copyright_violation');

describe('copyright_violation', () => {
  it('flags a near-copy of another agent’s content, naming it, and sends it to a person', async () => {
    const review = await t.app.services.moderator.review({
      text: NEAR_COPY,
      agentId: copier.id,
      contentId: randomUUID(),
    });
    const check = copyrightOf(review.checks);
    expect(check?.flagged).toBe(true);
    expect(check?.score).toBeGreaterThanOrEqual(0.9);
    expect(check?.evidence).toMatchObject({ matches: [{ ref: `content:${originalId}` }] });
    expect(review.action).toBe('review');
  });

  it('does not count the agent’s own posts, or the content itself, as known content', async () => {
    const own = await t.app.services.moderator.review({ text: NEAR_COPY, agentId: author.id, contentId: randomUUID() });
    expect(copyrightOf(own.checks)).toMatchObject({ flagged: false });
    const itself = await t.app.services.moderator.review({ text: ORIGINAL, agentId: copier.id, contentId: originalId });
    expect(copyrightOf(itself.checks)?.flagged).toBe(false);
  });

  it('through the swarm: the copier’s draft is escalated, and the API shows every check and the confidence', async () => {
    const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
      'mutation ($i: SubmitGoalInput!) { submitGoal(input: $i) { id } }',
      { i: { agentId: gid('Agent', copier.id), goalDescription: 'Post what you learned shipping a side project' } },
    );
    const goalId = uuidOf(submitGoal.id);
    const task = await eventually(
      async () => {
        const row = await t.app.db.task.findFirst({ where: { goalId, taskType: 'generate_content' } });
        const verdict = (row?.result as { verdict?: { decision: string } } | null)?.verdict;
        return verdict && row ? row : undefined;
      },
      30_000,
      'the Judge’s verdict',
    );
    expect(task.status).toBe('review');
    expect((task.result as { verdict: { decision: string } }).verdict).toMatchObject({ decision: 'escalate' });

    const content = await t.app.db.content.findFirstOrThrow({ where: { taskId: task.id } });
    const data = await t.ok<{
      content: {
        confidenceScore: number;
        moderation: {
          category: string;
          preGeneration: { stage: string; checks: { name: string }[] } | null;
          aiReview: {
            stage: string;
            action: string;
            checks: { name: string; score: number; threshold: number; flagged: boolean }[];
            flaggedChecks: { name: string; evidence: { matches?: { ref: string }[] } }[];
          };
        };
        confidence: {
          confidence: number;
          personaConsistency: number;
          safety: number;
          selfAssessment: number;
          weights: { personaConsistency: number; safety: number; selfAssessment: number };
          selfAssessedBy: string | null;
        };
      };
    }>(
      `query ($id: ID!) { content(id: $id) { confidenceScore
        moderation { category preGeneration { stage checks { name } }
          aiReview { stage action checks { name score threshold flagged } flaggedChecks { name evidence } } }
        confidence { confidence personaConsistency safety selfAssessment selfAssessedBy
          weights { personaConsistency safety selfAssessment } } } }`,
      { id: gid('Content', content.id) },
    );
    const { moderation, confidence, confidenceScore } = data.content;
    expect(moderation.preGeneration?.stage).toBe('PRE_GENERATION');
    expect(moderation.preGeneration?.checks.map((c) => c.name).sort()).toEqual([
      'CONTENT_GUIDELINES',
      'PERSONA_COMPLIANCE',
      'SENSITIVITY_SCANNING',
    ]);
    expect(moderation.aiReview.stage).toBe('AI_REVIEW');
    expect(moderation.aiReview.action).toBe('REVIEW');
    const names = moderation.aiReview.checks.map((c) => c.name);
    for (const name of ['TOXICITY_DETECTION', 'HATE_SPEECH_DETECTION', 'MISINFORMATION_CHECK', 'COPYRIGHT_VIOLATION']) {
      expect(names).toContain(name);
    }
    for (const c of moderation.aiReview.checks) expect(c.flagged).toBe(c.score >= c.threshold);
    const copyright = moderation.aiReview.flaggedChecks.find((c) => c.name === 'COPYRIGHT_VIOLATION');
    expect(copyright?.evidence.matches?.[0]?.ref).toBe(`content:${originalId}`);

    // The confidence score is the documented weighted sum of the three signals.
    expect(confidence.weights).toEqual(CONFIDENCE_WEIGHTS);
    const sum =
      confidence.weights.personaConsistency * confidence.personaConsistency +
      confidence.weights.safety * confidence.safety +
      confidence.weights.selfAssessment * confidence.selfAssessment;
    expect(confidence.confidence).toBeCloseTo(sum, 1);
    expect(confidenceScore).toBe(confidence.confidence);
    expect(confidence.safety).toBe(0); // at the copyright threshold: no safety margin left
    expect(confidence.selfAssessedBy).toBe('offline');
  });
});
