// Offline plans are small DAGs read from the goal; offline critiques score what can be checked without a model.
import { describe, expect, it } from 'vitest';
import { type Plan, planBodySchema } from '../../src/platform/llm/llm.js';
import { createOfflineLanguageModel } from '../../src/platform/llm/offline-composer.js';
import { atlas, juno, trends } from './fixtures.js';

const llm = createOfflineLanguageModel();
const ADDRESS = '0x1234567890abcdef1234567890abcdef12345678';
const shape = (plan: Plan) => plan.steps.map((s) => [s.type, s.dependsOn]);

describe('offline planner', () => {
  it('fetches trends first and writes the post after them when the goal is about a trend', async () => {
    const plan = await llm.plan({
      persona: juno,
      goal: "post about this week's top trend in our voice",
      context: trends,
    });
    expect(shape(plan)).toEqual([
      ['fetch_trends', []],
      ['generate_content', [0]],
    ]);
    expect(plan.steps[0]!.description).toContain('Juno Vale');
    expect(plan.steps[1]!.description).toMatch(/step 1/);
    expect(plan.rationale).toMatch(/^Offline keyword plan/);
  });

  it('plans a reply for a goal about comments, without a post for "yesterday\'s post"', async () => {
    const plan = await llm.plan({ persona: juno, goal: "Reply to the comments on yesterday's post" });
    expect(shape(plan)).toEqual([['reply_comment', []]]);
    expect(plan.steps[0]!.priority).toBe('high');
  });

  it('plans a transfer with the amount, currency and recipient it can read', async () => {
    const send = await llm.plan({ persona: juno, goal: `Send 5 USDC to ${ADDRESS}` });
    expect(shape(send)).toEqual([['execute_transaction', []]]);
    expect(send.steps[0]!.params).toEqual({ amount: 5, currency: 'USDC', to: ADDRESS });
    const pay = await llm.plan({ persona: juno, goal: 'Pay the designer $12.50' });
    expect(pay.steps[0]!.params).toEqual({ amount: 12.5, currency: 'USD' });
    const transfer = await llm.plan({ persona: juno, goal: 'transfer 0.01 ETH to @sam' });
    expect(transfer.steps[0]!.params).toEqual({ amount: 0.01, currency: 'ETH', to: '@sam' });
  });

  it('does not read "send" without money or an address as a payment', async () => {
    const plan = await llm.plan({ persona: juno, goal: 'Send a thank-you post to our readers' });
    expect(shape(plan)).toEqual([['generate_content', []]]);
  });

  it('fetches only, when that is all the goal asks', async () => {
    const plan = await llm.plan({ persona: juno, goal: 'Find the latest trends' });
    expect(shape(plan)).toEqual([['fetch_trends', []]]);
    expect(plan.steps[0]!.params).toEqual({ limit: 5 });
  });

  it('writes one post about the topic when no other cue is found', async () => {
    const plan = await llm.plan({ persona: juno, goal: 'Something about right to repair, please' });
    expect(shape(plan)).toEqual([['generate_content', []]]);
    expect(plan.steps[0]!.params).toEqual({ topic: 'right to repair' });
    expect(plan.steps[0]!.description).toContain('right to repair');
  });

  it('combines cues into one valid DAG, and trims it to maxSteps', async () => {
    const goal = 'Check trends, post about the top one, reply to comments and tip @sam 3 USDC';
    const plan = await llm.plan({ persona: juno, goal, context: trends });
    expect(shape(plan)).toEqual([
      ['fetch_trends', []],
      ['generate_content', [0]],
      ['reply_comment', []],
      ['execute_transaction', []],
    ]);
    expect(plan.steps[3]!.params).toEqual({ amount: 3, currency: 'USDC', to: '@sam' });
    expect(planBodySchema.safeParse({ steps: plan.steps, rationale: plan.rationale }).success).toBe(true);
    const short = await llm.plan({ persona: juno, goal, context: trends, maxSteps: 2 });
    expect(shape(short)).toEqual([
      ['fetch_trends', []],
      ['generate_content', [0]],
    ]);
  });

  it('is deterministic', async () => {
    const req = { persona: juno, goal: 'Check trends and reply to comments', context: trends };
    const [a, b] = [await llm.plan(req), await llm.plan(req)];
    expect({ ...b, metadata: undefined }).toEqual({ ...a, metadata: undefined });
    expect(b.metadata.seed).toBe(a.metadata.seed);
  });
});

describe('plan validation', () => {
  it('rejects dependencies on later steps or on itself, and unknown task types', () => {
    const step = { type: 'generate_content', description: 'Write' };
    expect(planBodySchema.safeParse({ steps: [step, { ...step, dependsOn: [0] }] }).success).toBe(true);
    expect(planBodySchema.safeParse({ steps: [{ ...step, dependsOn: [1] }, step] }).success).toBe(false);
    expect(planBodySchema.safeParse({ steps: [{ ...step, dependsOn: [0] }] }).success).toBe(false);
    expect(planBodySchema.safeParse({ steps: [step, { ...step, dependsOn: [0, 0] }] }).success).toBe(false);
    expect(planBodySchema.safeParse({ steps: [{ ...step, type: 'launch_rocket' }] }).success).toBe(false);
    expect(planBodySchema.safeParse({ steps: [] }).success).toBe(false);
  });
});

describe('offline critic', () => {
  it('scores the composer’s own post for the persona highly', async () => {
    const goal = 'Write about right to repair';
    const { text } = await llm.complete({ persona: juno, instructions: goal });
    const critique = await llm.critique({ persona: juno, content: text, goal });
    expect(critique.issues).toEqual([]);
    expect(critique.score).toBe(1);
    expect(critique.summary).toContain('Juno Vale');
  });

  it('names what breaks the persona: avoided words, length, emoji, topic, signature, question', async () => {
    const content = `Synergy! 🚀🚀🚀 Everything is going to the moon. ${'x'.repeat(300)}`;
    const critique = await llm.critique({ persona: juno, content, goal: 'Write about right to repair' });
    expect(critique.issues.join('\n')).toMatch(/synergy, to the moon/);
    expect(critique.issues.join('\n')).toMatch(/Longer than 280/);
    expect(critique.issues.join('\n')).toMatch(/3 emoji/);
    expect(critique.issues.join('\n')).toMatch(/right to repair/);
    expect(critique.issues.join('\n')).toMatch(/signature phrase/);
    expect(critique.issues.join('\n')).toMatch(/question/);
    expect(critique.score).toBe(0);
    const noEmoji = await llm.critique({ persona: atlas, content: 'Data first 📊 opinions second. Rates matter.' });
    expect(noEmoji.issues).toEqual(['Uses emoji; the persona never does.']);
    expect(noEmoji.score).toBe(0.8);
    expect((await llm.critique({ persona: juno, content: '  ' })).score).toBe(0);
  });
});
