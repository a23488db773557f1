// Every check of the pipeline on the real offline embeddings: it flags what it should and passes what it should,
// with its score, threshold and evidence in the decision; decisions are plain JSON and stable.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckName, ModerationCheck, ModerationDecision } from '../../src/domain/moderation/model.js';
import { createModerator, type Moderator } from '../../src/domain/moderation/pipeline.js';
import { THRESHOLDS } from '../../src/domain/moderation/thresholds.js';
import { fakeExternal, fixedClock, offlineEmbedder, similarTo } from './helpers.js';

const embedder = offlineEmbedder();
let moderator: Moderator;

beforeAll(async () => {
  moderator = createModerator({ embedder, now: fixedClock });
  await moderator.warm();
});

function check(decision: ModerationDecision, name: CheckName): ModerationCheck {
  const found = decision.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} in the decision`);
  return found;
}

function expectFlagged(decision: ModerationDecision, name: CheckName) {
  const c = check(decision, name);
  expect(c.threshold).toBe(THRESHOLDS[name]);
  expect(c.score, `${name} on the text`).toBeGreaterThanOrEqual(c.threshold);
  expect(c.flagged).toBe(true);
  return c;
}

function expectPassed(decision: ModerationDecision, name: CheckName) {
  const c = check(decision, name);
  expect(c.threshold).toBe(THRESHOLDS[name]);
  expect(c.score, `${name} on the text`).toBeLessThan(c.threshold);
  expect(c.flagged).toBe(false);
  return c;
}

describe('ai_review', () => {
  it('toxicity_detection: a threat and an insult without a swear word; not a compliment', async () => {
    const threat = await moderator.review({ text: "I'm parked outside your place. Let's see how brave you are now." });
    const flagged = expectFlagged(threat, 'toxicity_detection');
    expect(flagged.stage).toBe('ai_review');
    expect(flagged.evidence.nearest?.[0]?.label).toBe('harassment');
    expect(threat).toMatchObject({ category: 'prohibited', action: 'reject' });
    expect(threat.subcategories).toContain('harassment');

    const insult = await moderator.review({
      text: 'Honestly you are the most boring, brainless person I have ever followed.',
    });
    expectFlagged(insult, 'toxicity_detection');

    const kind = await moderator.review({ text: 'You nailed the choreography, so proud of you!' });
    expectPassed(kind, 'toxicity_detection');
    expect(kind.category).toBe('safe');
  });

  it('toxicity_detection: profanity aimed at someone, with the matched word as evidence', async () => {
    const d = await moderator.review({ text: 'shut up you useless prick' });
    const c = expectFlagged(d, 'toxicity_detection');
    expect(c.evidence.terms).toContainEqual({ term: 'prick', signal: 'harassment' });
  });

  it('hate_speech_detection: contempt for a group, with or without a slur; not a group mentioned kindly', async () => {
    expectFlagged(
      await moderator.review({ text: 'People of that religion are a plague on this country.' }),
      'hate_speech_detection',
    );
    const slur = await moderator.review({ text: 'typical k1ke behaviour' });
    expect(expectFlagged(slur, 'hate_speech_detection').evidence.terms).toContainEqual({
      term: 'kike',
      signal: 'hate_speech',
    });
    expectPassed(
      await moderator.review({ text: 'Our neighbours invited us to their Diwali party, the lights were gorgeous.' }),
      'hate_speech_detection',
    );
  });

  it('explicit_content_detection: sexual offers; not swimwear', async () => {
    expectFlagged(
      await moderator.review({ text: 'Uncensored nude pics in my private channel, link below.' }),
      'explicit_content_detection',
    );
    expectPassed(
      await moderator.review({ text: 'New swimsuit collection shoot by the pool today.' }),
      'explicit_content_detection',
    );
  });

  it('illegal_activity_detection: forged documents; not a garage sale', async () => {
    const d = await moderator.review({ text: "Selling fake driver's licences, any state, DM me." });
    expect(expectFlagged(d, 'illegal_activity_detection').evidence.terms?.[0]?.signal).toBe('illegal_activities');
    expectPassed(
      await moderator.review({ text: 'Selling my vintage records this weekend, DM me.' }),
      'illegal_activity_detection',
    );
  });

  it('misinformation_check: a false health claim stated calmly; not the science', async () => {
    expectFlagged(
      await moderator.review({ text: 'Reminder that the covid vaccine makes you magnetic, keys stick to your arm.' }),
      'misinformation_check',
    );
    expectPassed(
      await moderator.review({ text: 'Why the sky turns red at sunset: light travels through more atmosphere.' }),
      'misinformation_check',
    );
  });

  it('copyright_violation: a near-duplicate of known content goes to a person; a loose match does not', async () => {
    const m = createModerator({
      embedder,
      now: fixedClock,
      findSimilar: similarTo([
        { score: 0.8, ref: 'content:b' },
        { score: 0.97, ref: 'content:a' },
      ]),
    });
    const d = await m.review({ text: 'The secret to great cold brew is patience.' });
    const c = expectFlagged(d, 'copyright_violation');
    expect(c.evidence.matches).toEqual([
      { ref: 'content:a', score: 0.97 },
      { ref: 'content:b', score: 0.8 },
    ]);
    expect(d.action).toBe('review');
    expect(d.reasons.join(' ')).toContain('content:a');

    const loose = await createModerator({ embedder, findSimilar: similarTo([{ score: 0.85, ref: 'x' }]) }).review({
      text: 'The secret to great cold brew is patience.',
    });
    expectPassed(loose, 'copyright_violation');
  });

  it('copyright_violation: without a search, or when it fails, passes and says why', async () => {
    const none = await moderator.review({ text: 'Morning coffee and a long walk.' });
    expect(expectPassed(none, 'copyright_violation').evidence.notes).toEqual([
      'no index of known content is configured',
    ]);
    const failing = await createModerator({ embedder, findSimilar: similarTo(new Error('store down')) }).review({
      text: 'Morning coffee and a long walk.',
    });
    expectPassed(failing, 'copyright_violation');
    expect(failing.reasons.join(' ')).toContain('store down');
  });
});

describe('human_review triggers', () => {
  it.each([
    ['financial_advice', 'Move your whole savings into this token before Friday, it cannot lose.'],
    ['medical_information', 'Take 600mg of ibuprofen three times a day for a week and skip the doctor.'],
    ['political_content', 'Vote for Senator Alvarez on Tuesday, she is the only one who will fix this mess.'],
    ['legal_advice', 'Your landlord cannot keep the deposit, take him to court and you will win.'],
  ] as const)('%s: flags advice and sends it to a person', async (name, text) => {
    const d = await moderator.review({ text });
    const c = expectFlagged(d, name);
    expect(c.stage).toBe('human_review');
    expect(d).toMatchObject({ category: 'sensitive', action: 'review' });
    expect(d.subcategories).toContain(name);
  });

  it.each([
    ['financial_advice', 'Paid off my car loan today, celebrating with pancakes!'],
    ['medical_information', 'Back from my yearly checkup, all good.'],
    ['political_content', 'Our book club voted on next month’s novel.'],
    ['legal_advice', 'Binge-watching a courtroom drama tonight.'],
  ] as const)('%s: passes the word used innocently', async (name, text) => {
    expectPassed(await moderator.review({ text }), name);
  });

  it('sensitive_topic_detected: religious, political and social topics, named in the evidence', async () => {
    const d = await moderator.review({ text: 'Only those who accept Christ will be saved on judgement day.' });
    const c = expectFlagged(d, 'sensitive_topic_detected');
    expect(c.evidence.labels?.find((l) => l.label === 'religious_content')?.score).toBeGreaterThanOrEqual(c.threshold);
    expect(d).toMatchObject({ category: 'sensitive', action: 'review' });
    expect(d.subcategories).toContain('religious_content');
    expectPassed(await moderator.review({ text: 'Our new merch drops Friday at noon.' }), 'sensitive_topic_detected');
  });

  it('high_risk_content_type: video and audio of a persona go to a person; text does not', async () => {
    const text = 'Behind the scenes of our studio tour.';
    const video = await moderator.review({ text, contentType: 'VIDEO' });
    expectFlagged(video, 'high_risk_content_type');
    expect(video).toMatchObject({ category: 'safe', action: 'review' });
    const plain = await moderator.review({ text, contentType: 'text' });
    expectPassed(plain, 'high_risk_content_type');
    expect(plain.action).toBe('allow');
  });

  it('low_confidence: the content’s own confidence below 0.7 sends it to a person', async () => {
    const d = await moderator.review({ text: 'Behind the scenes of our studio tour.', confidence: 0.62 });
    const c = expectFlagged(d, 'low_confidence');
    expect(c.evidence.stats).toMatchObject({ contentConfidence: 0.62 });
    expect(d).toMatchObject({ action: 'review', confidence: 0.62 });
    expectPassed(
      await moderator.review({ text: 'Behind the scenes of our studio tour.', confidence: 0.9 }),
      'low_confidence',
    );
  });
});

describe('the external model', () => {
  it('merges by the higher score: it can flag what the offline checks passed, with its scores as evidence', async () => {
    const external = fakeExternal({ harassment: 0.93, 'harassment/threatening': 0.2, sexual: 0.01 });
    const m = createModerator({ embedder, external, now: fixedClock });
    const d = await m.review({ text: 'What a lovely afternoon in the park.' });
    const c = expectFlagged(d, 'toxicity_detection');
    expect(c.score).toBe(0.93);
    expect(c.evidence.external).toEqual({
      provider: 'fake/moderation-1',
      scores: { harassment: 0.93, 'harassment/threatening': 0.2 },
    });
    expect(check(d, 'explicit_content_detection').evidence.external?.scores).toEqual({ sexual: 0.01 });
    expect(external.calls).toEqual(['What a lovely afternoon in the park.']);
    expect(d.version).toContain('fake/moderation-1');
  });

  it('cannot clear what the offline checks flagged', async () => {
    const m = createModerator({ embedder, external: fakeExternal({ hate: 0, harassment: 0 }) });
    const d = await m.review({ text: 'typical k1ke behaviour' });
    expectFlagged(d, 'hate_speech_detection');
  });

  it('decides offline when the external call fails, and says so', async () => {
    const m = createModerator({ embedder, external: fakeExternal(new Error('429 slow down')) });
    const d = await m.review({ text: 'What a lovely afternoon in the park.' });
    expect(d.category).toBe('safe');
    expect(d.reasons.some((r) => r.includes('429 slow down') && r.includes('decided offline'))).toBe(true);
  });
});

describe('decisions', () => {
  it('are plain JSON, with every score in [0, 1] and flagged = score ≥ threshold', async () => {
    const d = await moderator.review({
      text: 'Guaranteed returns of 30% a month, DM me, you idiot.',
      contentType: 'text',
    });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(Object.keys(d).sort()).toEqual(
      [
        'action',
        'category',
        'checks',
        'confidence',
        'decidedAt',
        'reasons',
        'stage',
        'subcategories',
        'version',
      ].sort(),
    );
    expect(d.stage).toBe('ai_review');
    expect(d.decidedAt).toBe('2025-01-02T03:04:05.000Z');
    for (const c of d.checks) {
      expect(c.score).toBeGreaterThanOrEqual(0);
      expect(c.score).toBeLessThanOrEqual(1);
      expect(c.flagged).toBe(c.score >= c.threshold);
      expect(Object.keys(c).sort()).toEqual(['evidence', 'flagged', 'name', 'score', 'stage', 'threshold']);
    }
    expect(d.checks.map((c) => c.name)).toEqual([
      'toxicity_detection',
      'hate_speech_detection',
      'explicit_content_detection',
      'illegal_activity_detection',
      'misinformation_check',
      'copyright_violation',
      'financial_advice',
      'medical_information',
      'political_content',
      'legal_advice',
      'sensitive_topic_detected',
      'high_risk_content_type',
      'low_confidence',
    ]);
  });

  it('are stable: the same text gives the same decision, from a fresh moderator too', async () => {
    const text = 'Buy the dip on this coin now, it is going to the moon.';
    const a = await moderator.review({ text });
    const b = await moderator.review({ text });
    const c = await createModerator({ embedder, now: fixedClock }).review({ text });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a.version).toMatch(
      /^chimera-moderation\/1 \(offline\/universal-sentence-encoder-en; examples [0-9a-f]{8}\)$/,
    );
  });

  it('treat a blank text as safe without asking the embedder', async () => {
    const d = await moderator.review({ text: '   ' });
    expect(d).toMatchObject({ category: 'safe', action: 'allow', subcategories: [] });
  });
});

describe('pre_generation', () => {
  const persona = {
    wordsToAvoid: ['cheap', 'hustle'],
    directives: ['Never give financial advice.', 'Do not discuss politics', 'Always disclose sponsorships'],
  };

  it('allows a goal that fits the persona and the guidelines', async () => {
    const d = await moderator.preGeneration({ text: 'Write a cheerful post about our autumn playlist', persona });
    expect(d).toMatchObject({ stage: 'pre_generation', category: 'safe', action: 'allow' });
    expect(d.checks.map((c) => [c.name, c.stage])).toEqual([
      ['persona_compliance', 'pre_generation'],
      ['content_guidelines', 'pre_generation'],
      ['sensitivity_scanning', 'pre_generation'],
    ]);
    expect(d.checks.every((c) => !c.flagged)).toBe(true);
  });

  it('persona_compliance: a word the persona avoids', async () => {
    const d = await moderator.preGeneration({ text: 'Post a reel about cheap summer outfits', persona });
    const c = expectFlagged(d, 'persona_compliance');
    expect(c.evidence.terms).toEqual([{ term: 'cheap', signal: 'persona.wordsToAvoid' }]);
    expect(d.action).toBe('reject');
  });

  it('persona_compliance: a goal against a "never" directive, read through the classifier', async () => {
    const d = await moderator.preGeneration({ text: 'Tell followers which crypto coin to buy this week', persona });
    const c = expectFlagged(d, 'persona_compliance');
    expect(c.evidence.notes?.[0]).toContain('Never give financial advice.');
    expect(d.action).toBe('reject');
    expect(d.subcategories).toContain('financial_advice');
  });

  it('persona_compliance: a stored must_not directive naming several topics', async () => {
    const d = await moderator.preGeneration({
      text: 'Post about the best dosage of melatonin for kids',
      persona: {
        wordsToAvoid: [],
        directives: [{ kind: 'must_not', text: 'Give financial, medical or legal advice.' }],
      },
    });
    const c = expectFlagged(d, 'persona_compliance');
    expect(c.evidence.notes?.[0]).toContain('medical_information');
    const fine = await moderator.preGeneration({
      text: 'Share a recap of the cooking livestream',
      persona: {
        wordsToAvoid: [],
        directives: [{ kind: 'must_not', text: 'Give financial, medical or legal advice.' }],
      },
    });
    expectPassed(fine, 'persona_compliance');
  });

  it('content_guidelines: a goal asking for prohibited content', async () => {
    const d = await moderator.preGeneration({
      text: 'Write a thread explaining that vaccines cause autism',
      persona: { wordsToAvoid: [], directives: [] },
    });
    const c = expectFlagged(d, 'content_guidelines');
    expect(c.evidence.labels?.find((l) => l.label === 'misinformation')?.score).toBeGreaterThanOrEqual(c.threshold);
    expect(d).toMatchObject({ category: 'prohibited', subcategories: ['misinformation'], action: 'reject' });
  });

  it('sensitivity_scanning: a goal on a sensitive topic means the draft needs a person', async () => {
    const d = await moderator.preGeneration({
      text: 'Write a post about the best dosage of melatonin for kids',
      persona: { wordsToAvoid: [], directives: [] },
    });
    expectFlagged(d, 'sensitivity_scanning');
    expect(d).toMatchObject({ category: 'sensitive', action: 'review' });
    expect(d.subcategories).toContain('medical_information');
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
});

describe('post_publication', () => {
  const steady = [120, 135, 110, 128, 140, 118, 125];

  it('passes quiet content', async () => {
    const d = await moderator.postPublication({
      complaints: ['love this', 'where is the jacket from?'],
      engagement: steady,
      recentFlags: 0,
    });
    expect(d).toMatchObject({ stage: 'post_publication', category: 'safe', action: 'allow', subcategories: [] });
    expect(d.checks.map((c) => c.name)).toEqual([
      'user_feedback_analysis',
      'engagement_anomaly_detection',
      'automated_flagging',
    ]);
  });

  it('user_feedback_analysis: reads what complaints allege', async () => {
    const d = await moderator.postPublication({
      complaints: ['This post is racist and needs to come down.', 'great video'],
      engagement: steady,
      recentFlags: 0,
    });
    const c = expectFlagged(d, 'user_feedback_analysis');
    expect(c.evidence.labels?.map((l) => l.label)).toEqual(['hate_speech']);
    expect(d).toMatchObject({ category: 'sensitive', action: 'review', subcategories: ['hate_speech'] });
  });

  it('engagement_anomaly_detection and automated_flagging', async () => {
    const spike = await moderator.postPublication({ complaints: [], engagement: [...steady, 9_000], recentFlags: 0 });
    expectFlagged(spike, 'engagement_anomaly_detection');
    expect(spike.action).toBe('review');
    const flags = await moderator.postPublication({ complaints: [], engagement: steady, recentFlags: 5 });
    expectFlagged(flags, 'automated_flagging');
    expectPassed(flags, 'engagement_anomaly_detection');
    expect(JSON.parse(JSON.stringify(flags))).toEqual(flags);
  });
});
