// The offline composer writes persona-flavoured text with no network: deterministically, in the persona's voice,
// within the length asked for, never with the persona's avoided words, and always labelled as offline.
import { describe, expect, it } from 'vitest';
import type { CompletionRequest, LlmPersona } from '../../src/platform/llm/llm.js';
import { createOfflineLanguageModel } from '../../src/platform/llm/offline-composer.js';
import { OFFLINE_LABEL, OFFLINE_MODEL } from '../../src/platform/llm/offline-shared.js';
import { countEmoji } from '../../src/platform/llm/text.js';
import { atlas, juno, trends, withVoice } from './fixtures.js';

const llm = createOfflineLanguageModel();
const GOALS = [
  "post about this week's top trend in our voice",
  'Write about right to repair',
  'Share something about home batteries for renters',
  'Announce our new open-source toolkit',
  'post',
];
const usedSignature = (persona: LlmPersona, text: string) =>
  persona.voiceTone.signaturePhrases.find((p) => text.includes(p));

describe('offline composer: determinism and labelling', () => {
  it('gives the same text for the same inputs, and different text for different inputs', async () => {
    const req: CompletionRequest = { persona: juno, instructions: GOALS[0]!, context: trends };
    const a = await llm.complete(req);
    const b = await llm.complete({ ...req, context: [...trends] });
    expect(b.text).toBe(a.text);
    expect(b.metadata.seed).toBe(a.metadata.seed);
    const texts = new Set(
      await Promise.all(GOALS.map(async (g) => (await llm.complete({ persona: juno, instructions: g })).text)),
    );
    expect(texts.size).toBe(GOALS.length);
    const other = await llm.complete({ ...req, persona: { ...juno, name: 'Juno V.' } });
    expect(other.metadata.seed).not.toBe(a.metadata.seed);
  });

  it('uses the seed it is given', async () => {
    const a = await llm.complete({ persona: juno, instructions: GOALS[1]!, seed: 7 });
    const b = await llm.complete({ persona: juno, instructions: GOALS[1]!, seed: 7 });
    expect(a.metadata.seed).toBe(7);
    expect(b.text).toBe(a.text);
  });

  it('labels every result as offline, not written by a language model', async () => {
    expect(llm.provider).toBe('offline');
    expect(llm.model).toBe(OFFLINE_MODEL);
    const results = [
      (await llm.complete({ persona: juno, instructions: GOALS[0]! })).metadata,
      (await llm.plan({ persona: juno, goal: GOALS[0]! })).metadata,
      (await llm.critique({ persona: juno, content: 'Small tools, big leverage.' })).metadata,
    ];
    for (const m of results) {
      expect(m).toMatchObject({ provider: 'offline', model: OFFLINE_MODEL, offline: true, label: OFFLINE_LABEL });
      expect(m.label).toMatch(/offline deterministic composer.*not written by a language model/);
      expect(m.latencyMs).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('offline composer: the persona’s voice', () => {
  it('includes one of the signature phrases in every post', async () => {
    for (const instructions of GOALS) {
      const { text } = await llm.complete({ persona: juno, instructions, context: trends });
      expect(usedSignature(juno, text), text).toBeDefined();
    }
  });

  it('never emits an avoided word, even when the goal and the context are full of them', async () => {
    const context = [{ kind: 'trend' as const, text: 'Disrupt the synergy economy' }, ...trends];
    for (const instructions of [
      'post about synergy and how to DISRUPT crypto, to the moon with guaranteed returns',
      'Write about synergy',
      'Trending: disruptive synergy',
    ]) {
      for (const kind of ['post', 'reply'] as const) {
        const { text } = await llm.complete({ persona: juno, instructions, context, kind });
        for (const word of juno.voiceTone.wordsToAvoid) expect(text.toLowerCase(), text).not.toContain(word);
        expect(text.length).toBeGreaterThan(20);
      }
    }
  });

  it('skips signature phrases and beliefs that contain avoided words', async () => {
    const { text } = await llm.complete({ persona: atlas, instructions: 'Write about interest rates' });
    expect(text).toContain('Data first opinions second.');
    expect(text).not.toMatch(/synergy|literally/i);
    expect(text).toContain('Markets reward patience.');
  });

  it('applies the emoji rules: none, sparing (one), frequent (several)', async () => {
    for (const instructions of GOALS) {
      const none = await llm.complete({ persona: atlas, instructions });
      expect(countEmoji(none.text), none.text).toBe(0);
      const sparing = await llm.complete({ persona: juno, instructions });
      expect(countEmoji(sparing.text), sparing.text).toBe(1);
      const frequent = await llm.complete({ persona: withVoice(juno, { emojiUsage: 'frequent' }), instructions });
      expect(countEmoji(frequent.text), frequent.text).toBeGreaterThanOrEqual(2);
    }
  });

  it('mentions the first trend when the goal speaks of trends, else the goal’s topic', async () => {
    const trend = await llm.complete({ persona: juno, instructions: GOALS[0]!, context: trends });
    expect(trend.text).toContain('Open-weight language models');
    const topic = await llm.complete({ persona: juno, instructions: 'Write about right to repair for our readers' });
    expect(topic.text.toLowerCase()).toContain('right to repair');
    expect(topic.text.toLowerCase()).not.toContain('readers');
  });

  it('draws on the persona’s beliefs and its preference for a closing question', async () => {
    const { text } = await llm.complete({ persona: juno, instructions: 'Write about open tools' });
    expect(juno.beliefs.some((b) => text.includes(b.statement))).toBe(true);
    expect(text).toMatch(/\?/);
    const noQuestion = await llm.complete({ persona: atlas, instructions: 'Write about open tools' });
    expect(noQuestion.text).not.toContain('?');
  });

  it('sounds formal or casual according to formality', async () => {
    const formal = await llm.complete({ persona: withVoice(juno, { formality: 0.95 }), instructions: GOALS[1]! });
    const casual = await llm.complete({ persona: withVoice(juno, { formality: 0.05 }), instructions: GOALS[1]! });
    expect(formal.text).not.toMatch(/\b(let's|here's|can't|everyone's)\b/i);
    expect(casual.text).toMatch(/\b(let's|here's|can't|everyone's)\b/i);
  });

  it('opens a reply by acknowledging the comment', async () => {
    const { text } = await llm.complete({
      persona: juno,
      kind: 'reply',
      instructions: 'Reply to this comment',
      context: [{ kind: 'comment', text: 'Are home batteries worth it?' }],
    });
    expect(text).toMatch(/^(Love this\.|Ha, fair point\.|Thanks for this!)/);
    expect(usedSignature(juno, text)).toBeDefined();
  });
});

describe('offline composer: length', () => {
  it('stays within 280 characters by default', async () => {
    const long = 'Write about '.concat('a very long topic name '.repeat(30));
    for (const instructions of [...GOALS, long]) {
      for (const persona of [juno, atlas, withVoice(juno, { emojiUsage: 'frequent' })]) {
        const { text } = await llm.complete({ persona, instructions, context: trends });
        expect(text.length, text).toBeLessThanOrEqual(280);
      }
    }
  });

  it('respects a smaller maxLength and keeps a whole signature phrase while there is room', async () => {
    for (const maxLength of [140, 100, 70]) {
      const { text, metadata } = await llm.complete({
        persona: juno,
        instructions: GOALS[0]!,
        context: trends,
        maxLength,
      });
      expect(text.length, text).toBeLessThanOrEqual(maxLength);
      expect(usedSignature(juno, text), text).toBeDefined();
      // At 70 the topic sentence itself has to be shortened around the signature, and the result says so.
      expect(metadata.truncated).toBe(maxLength < 100 ? true : undefined);
    }
    for (const maxLength of [30, 12, 1]) {
      const { text, metadata } = await llm.complete({
        persona: juno,
        instructions: GOALS[0]!,
        context: trends,
        maxLength,
      });
      expect(text.length, text).toBeLessThanOrEqual(maxLength);
      expect(text.length).toBeGreaterThan(0);
      expect(metadata.truncated).toBe(true);
    }
  });
});
