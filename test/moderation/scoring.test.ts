// The arithmetic under the checks, on hand-made vectors: the few-shot margin, combining word lists with the
// classifier, certainty and confidence, categorising, and the statistics of post_publication monitoring.
import { describe, expect, it } from 'vitest';
import { combine } from '../../src/domain/moderation/content-checks.js';
import {
  categorise,
  certainty,
  classifierConfidence,
  lowConfidenceCheck,
} from '../../src/domain/moderation/decision.js';
import { FewShotIndex, K_BASELINE, K_LABEL, marginToScore } from '../../src/domain/moderation/few-shot.js';
import { makeCheck } from '../../src/domain/moderation/model.js';
import {
  engagementAnomalyCheck,
  flagBurstCheck,
  robustZ,
  userFeedbackCheck,
} from '../../src/domain/moderation/post-publication.js';
import {
  avoidedWords,
  directiveTopics,
  goalSubject,
  negativeDirectives,
} from '../../src/domain/moderation/pre-generation.js';
import { ANOMALY_Z, THRESHOLDS } from '../../src/domain/moderation/thresholds.js';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return xs.map((x) => x / n);
};

type L = 'safe' | 'threat' | 'money';
const examples = [
  ...[0, 1, 2, 3, 4].map((i) => ({ label: 'safe' as L, text: `safe ${i}`, vector: unit(1, 0.1 * i, 0) })),
  ...[0, 1, 2].map((i) => ({ label: 'threat' as L, text: `threat ${i}`, vector: unit(0, 1, 0.1 * i) })),
  ...[0, 1, 2].map((i) => ({ label: 'money' as L, text: `money ${i}`, vector: unit(0.1 * i, 0, 1) })),
];

describe('few-shot margin', () => {
  const index = new FewShotIndex(examples, 'safe');

  it('scores a label by how much nearer its examples are than the baseline’s', () => {
    const near = index.classify(unit(0.05, 1, 0)).get('threat')!;
    const far = index.classify(unit(1, 0.05, 0)).get('threat')!;
    expect(near.margin).toBeGreaterThan(0.5);
    expect(near.score).toBeGreaterThan(0.99);
    expect(far.margin).toBeLessThan(0);
    expect(far.score).toBeLessThan(0.01);
    expect(marginToScore(0)).toBe(0.5);
  });

  it('gives the nearest examples of the label and the nearest rival as evidence', () => {
    const scored = index.classify(unit(0.2, 1, 0)).get('threat')!;
    expect(scored.nearest).toHaveLength(K_LABEL + 1);
    expect(scored.nearest.slice(0, K_LABEL).every((n) => n.label === 'threat')).toBe(true);
    expect(scored.nearest[K_LABEL]?.label).toBe('safe');
    expect(K_BASELINE).toBeGreaterThanOrEqual(K_LABEL);
  });

  it('makes a label beat its rivals too when asked', () => {
    const between = unit(0, 1, 1.05); // as near "money" as "threat"
    const alone = index.classify(between).get('threat')!;
    const rivalled = index.classify(between, (l) => (l === 'threat' ? ['money'] : [])).get('threat')!;
    expect(rivalled.margin).toBeLessThan(alone.margin);
    expect(rivalled.nearest.at(-1)?.label).toBe('money');
  });

  it('refuses examples without the baseline label', () => {
    expect(
      () =>
        new FewShotIndex(
          examples.filter((e) => e.label !== 'safe'),
          'safe',
        ),
    ).toThrow(/baseline/);
  });

  it('finds the label whose centroid is nearest', () => {
    expect(index.nearestCentroid(unit(0, 0.1, 1))?.label).toBe('money');
  });
});

describe('word lists and classifier together', () => {
  it('lets a strong hit decide alone, and a weak hint tip only a classifier that already leans', () => {
    expect(combine(0.01, 0.95)).toBe(0.95);
    expect(combine(0.6, 0)).toBe(0.6);
    expect(combine(0.05, 0.3)).toBeLessThan(THRESHOLDS.misinformation_check);
    expect(combine(0.55, 0.3)).toBeGreaterThan(0.65);
    for (const [c, w] of [
      [0.2, 0.3],
      [0.5, 0.6],
      [0.9, 0.25],
    ] as const) {
      expect(combine(c, w)).toBeGreaterThanOrEqual(Math.max(c, w));
      expect(combine(c, w)).toBeLessThanOrEqual(1);
    }
  });
});

describe('confidence and category', () => {
  const check = (name: Parameters<typeof makeCheck>[0], score: number) =>
    makeCheck(name, 'ai_review', score, THRESHOLDS[name]);

  it('is 0 at a threshold and 1 well away from it', () => {
    expect(certainty({ score: 0.7, threshold: 0.7 })).toBe(0);
    expect(certainty({ score: 0, threshold: 0.7 })).toBe(1);
    expect(certainty({ score: 1, threshold: 0.7 })).toBe(1);
  });

  it('is as doubtful as the most borderline check when nothing prohibited was found', () => {
    const clear = [check('toxicity_detection', 0.01), check('financial_advice', 0.02)];
    const borderline = [check('toxicity_detection', 0.01), check('financial_advice', 0.66)];
    expect(classifierConfidence(clear)).toBeGreaterThan(0.95);
    expect(classifierConfidence(borderline)).toBeLessThan(0.7);
  });

  it('is as sure as the surest prohibited flag when one fired', () => {
    expect(classifierConfidence([check('hate_speech_detection', 0.99), check('financial_advice', 0.66)])).toBe(1);
  });

  it('flags low confidence below 0.7, from the checks or from the content’s own score', () => {
    expect(lowConfidenceCheck(0.95, undefined).flagged).toBe(false);
    expect(lowConfidenceCheck(0.65, undefined)).toMatchObject({ flagged: true, score: 0.35, threshold: 0.3 });
    expect(lowConfidenceCheck(0.95, 0.6)).toMatchObject({ flagged: true, score: 0.4 });
  });

  it('puts prohibited before sensitive before safe', () => {
    expect(categorise([check('toxicity_detection', 0.9), check('financial_advice', 0.9)])).toEqual({
      category: 'prohibited',
      subcategories: ['harassment'],
    });
    expect(categorise([check('toxicity_detection', 0.1), check('legal_advice', 0.9)])).toEqual({
      category: 'sensitive',
      subcategories: ['legal_advice'],
    });
    expect(categorise([check('toxicity_detection', 0.1)])).toEqual({ category: 'safe', subcategories: [] });
  });
});

describe('post_publication statistics', () => {
  it('computes the robust z-score of the latest point against the history', () => {
    const r = robustZ([100, 110, 90, 105, 95, 100, 400])!;
    expect(r.median).toBe(100);
    expect(r.mad).toBe(5);
    expect(r.z).toBeCloseTo((0.6745 * 300) / 5, 6);
  });

  it('needs enough history, and ignores non-numbers', () => {
    expect(robustZ([1, 2, 3, 4, 5])).toBeUndefined();
    expect(robustZ([1, Number.NaN, 2, 3, 4, 5])).toBeUndefined();
    expect(engagementAnomalyCheck([1, 2])).toMatchObject({ score: 0, flagged: false });
  });

  it('flags a spike and a collapse, not ordinary noise', () => {
    const history = [120, 135, 110, 128, 140, 118, 125, 131];
    const spike = engagementAnomalyCheck([...history, 2_000]);
    const drop = engagementAnomalyCheck([...history, 3]);
    const noise = engagementAnomalyCheck([...history, 145]);
    expect(spike).toMatchObject({ name: 'engagement_anomaly_detection', stage: 'post_publication', flagged: true });
    expect(spike.evidence.notes).toEqual(['spike']);
    expect(drop).toMatchObject({ flagged: true, evidence: { notes: ['drop'] } });
    expect(noise.flagged).toBe(false);
    expect(noise.score).toBeLessThan(spike.score);
  });

  it('puts the cut-off exactly at |z| = 3.5 (score 0.5)', () => {
    // history with median 100 and MAD 10: z = 0.6745 · (x − 100) / 10 = 3.5 at x ≈ 151.89
    const history = [90, 110, 90, 110, 100, 100];
    const at = engagementAnomalyCheck([...history, 100 + (ANOMALY_Z * 10) / 0.6745]);
    expect(at.score).toBeCloseTo(0.5, 4);
    expect(at.threshold).toBe(0.5);
  });

  it('handles a flat history (MAD 0): the counts’ own noise (√(median + 1)) is the least spread', () => {
    expect(robustZ([50, 50, 50, 50, 50, 50, 51])?.z).toBe(Number.POSITIVE_INFINITY);
    expect(engagementAnomalyCheck([50, 50, 50, 50, 50, 50, 50]).flagged).toBe(false);
    expect(engagementAnomalyCheck([50, 50, 50, 50, 50, 50, 51]).flagged).toBe(false);
    expect(engagementAnomalyCheck([50, 50, 50, 50, 52, 50, 50]).flagged).toBe(false);
    // 40 over a steady 50 is 40 / √51 ≈ 5.6 spreads: a spike.
    expect(engagementAnomalyCheck([50, 50, 50, 50, 50, 50, 90])).toMatchObject({
      flagged: true,
      evidence: { notes: ['spike'] },
    });
    // Quiet hours, then a first handful of likes: not an anomaly; then a flood: one.
    expect(engagementAnomalyCheck([0, 0, 0, 0, 0, 0, 0, 3]).flagged).toBe(false);
    expect(engagementAnomalyCheck([0, 0, 0, 0, 0, 0, 0, 40]).flagged).toBe(true);
  });

  it('flags three or more moderation flags in the window', () => {
    expect(flagBurstCheck(2)).toMatchObject({ name: 'automated_flagging', score: 0.4, flagged: false });
    expect(flagBurstCheck(3)).toMatchObject({ score: 0.5, flagged: true, threshold: 0.5 });
    expect(flagBurstCheck(30).score).toBeGreaterThan(0.9);
    expect(flagBurstCheck(Number.NaN).score).toBe(0);
  });

  it('weighs complaints: one certain complaint flags, shrugs do not', () => {
    const complaint = (label: 'hate_speech' | 'not_a_complaint', score: number) => ({
      text: label,
      best: { label, score, similarity: 0.5, margin: 0.1, nearest: [] },
    });
    expect(userFeedbackCheck([complaint('hate_speech', 0.99)]).check.flagged).toBe(true);
    expect(userFeedbackCheck([complaint('hate_speech', 0.99)]).alleged).toEqual(['hate_speech']);
    expect(userFeedbackCheck([complaint('hate_speech', 0.1), complaint('hate_speech', 0.1)]).check.flagged).toBe(false);
    expect(userFeedbackCheck([]).check).toMatchObject({ score: 0, flagged: false });
  });
});

describe('pre_generation parsing', () => {
  it('finds the persona’s avoided words as whole words, any case, with plurals', () => {
    expect(avoidedWords('Our CHEAP deals and hustles', ['cheap', 'hustle', 'deal breaker'])).toEqual([
      'cheap',
      'hustle',
    ]);
    expect(avoidedWords('cheaply made', ['cheap'])).toEqual([]);
  });

  it('reads the subject of negative directives', () => {
    expect(negativeDirectives(['Never give financial advice.', 'Always be kind', "Don't discuss politics"])).toEqual([
      { directive: 'Never give financial advice.', subject: 'give financial advice' },
      { directive: "Don't discuss politics", subject: 'discuss politics' },
    ]);
  });

  it('reads stored directives: must_not by its text, the others not at all', () => {
    expect(
      negativeDirectives([
        { kind: 'must_not', text: 'Give financial, medical or legal advice.' },
        { kind: 'must', text: 'Disclose sponsorships.' },
      ]),
    ).toEqual([
      { directive: 'Give financial, medical or legal advice.', subject: 'Give financial, medical or legal advice' },
    ]);
  });

  it('names the labels a directive is about by its words', () => {
    expect(directiveTopics('give financial, medical or legal advice')).toEqual([
      'financial_advice',
      'medical_information',
      'legal_advice',
    ]);
    expect(directiveTopics('swear or insult anyone')).toEqual(['harassment']);
    expect(directiveTopics('mention competitors')).toEqual([]);
  });

  it('strips the instruction frame from a goal', () => {
    expect(goalSubject('Write a thread explaining that vaccines cause autism')).toBe('vaccines cause autism');
    expect(goalSubject('Tell followers which coin to buy')).toBe('which coin to buy');
    expect(goalSubject('Celebrate 10k followers')).toBe('Celebrate 10k followers');
  });
});
