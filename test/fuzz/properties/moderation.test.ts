// Moderation thresholds and the decision arithmetic (src/domain/moderation/thresholds.ts, model.ts, decision.ts):
// a check is flagged exactly at or above its threshold, certainty and confidence stay in range and are monotonic,
// and the spec's "confidence_score < 0.7" trigger fires exactly below 0.7.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  categorise,
  certainty,
  classifierConfidence,
  lowConfidenceCheck,
} from '../../../src/domain/moderation/decision.js';
import {
  CHECKS,
  type CheckName,
  clamp01,
  type ModerationStage,
  makeCheck,
} from '../../../src/domain/moderation/model.js';
import { REVIEW_BELOW_CONFIDENCE, THRESHOLDS } from '../../../src/domain/moderation/thresholds.js';
import { check, PROPERTY_TIMEOUT_MS } from '../lib/mode.js';

/** Full mode runs thousands of cases per property: the default 30 s is not enough. */
vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const stagedChecks = (Object.entries(CHECKS) as [ModerationStage, readonly CheckName[]][]).flatMap(([stage, names]) =>
  names.map((name) => ({ stage, name })),
);
const anyCheck = fc.constantFrom(...stagedChecks);
const anyScore = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0),
);

describe.concurrent('thresholds', () => {
  it('every check has a threshold in (0, 1]', () => {
    for (const { name } of stagedChecks) {
      expect(THRESHOLDS[name]).toBeGreaterThan(0);
      expect(THRESHOLDS[name]).toBeLessThanOrEqual(1);
    }
  });

  it('a check is flagged exactly when its (clamped, rounded) score reaches its threshold; the score is in [0, 1]', () =>
    check(
      301,
      fc.property(anyCheck, anyScore, ({ stage, name }, score) => {
        const c = makeCheck(name, stage, score, THRESHOLDS[name]);
        expect(c.score).toBeGreaterThanOrEqual(0);
        expect(c.score).toBeLessThanOrEqual(1);
        expect(Math.abs(c.score - clamp01(score))).toBeLessThanOrEqual(0.00005 + 1e-12);
        expect(c.flagged).toBe(c.score >= THRESHOLDS[name]);
      }),
    ));

  it('certainty is in [0, 1], 0 at a threshold inside the scale, and grows with the distance from it on either side', () =>
    check(
      302,
      fc.property(
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (threshold, a, b) => {
          const ca = certainty({ score: a, threshold });
          expect(ca).toBeGreaterThanOrEqual(0);
          expect(ca).toBeLessThanOrEqual(1);
          expect(certainty({ score: threshold, threshold })).toBe(0);
          const sameSide = a >= threshold === b >= threshold;
          if (sameSide && Math.abs(a - threshold) <= Math.abs(b - threshold)) {
            expect(ca).toBeLessThanOrEqual(certainty({ score: b, threshold }) + 1e-12);
          }
        },
      ),
    ));

  it('classifier confidence is always in [0.5, 1]', () =>
    check(
      303,
      fc.property(fc.array(fc.tuple(anyCheck, anyScore), { maxLength: 12 }), (pairs) => {
        const checks = pairs.map(([{ stage, name }, s]) => makeCheck(name, stage, s, THRESHOLDS[name]));
        const confidence = classifierConfidence(checks);
        expect(confidence).toBeGreaterThanOrEqual(0.5);
        expect(confidence).toBeLessThanOrEqual(1);
        const { category, subcategories } = categorise(checks);
        expect(category === 'safe').toBe(subcategories.length === 0);
      }),
    ));

  it('low_confidence fires exactly when a confidence is below 0.7 (the spec: confidence_score < 0.7)', () =>
    check(
      304,
      fc.property(
        fc.oneof(
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.integer({ min: 0, max: 10_000 }).map((n) => n / 10_000),
          // The boundary, and values that round onto it.
          fc.constantFrom(0.7, 0.69996, 0.70004, 0.6999, 0.7001),
        ),
        fc.option(
          fc.oneof(
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
          ),
          { nil: undefined },
        ),
        (moderation, content) => {
          const c = lowConfidenceCheck(moderation, content);
          expect(c.flagged).toBe(Math.min(moderation, content ?? 1) < REVIEW_BELOW_CONFIDENCE);
        },
      ),
    ));
});
