// The labelled evaluation set as a regression test: its shape, its independence from the training examples, and
// the pipeline's numbers on it (npm run eval:moderation prints the full report). The bounds are what was measured
// when the thresholds were set (docs/moderation.md), with a little room: a change that loses prohibited recall or
// flags more safe texts fails here.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type EvalItem,
  type EvaluationReport,
  evaluate,
  parseEvalSet,
  runEvaluation,
} from '../../src/domain/moderation/evaluation.js';
import { CLASSIFIER_LABELS, COMPLAINT_EXAMPLES, TRAINING_EXAMPLES } from '../../src/domain/moderation/examples.js';
import {
  PROHIBITED_SUBCATEGORIES,
  SAFE_SUBCATEGORIES,
  SENSITIVE_SUBCATEGORIES,
} from '../../src/domain/moderation/model.js';
import { createModerator } from '../../src/domain/moderation/pipeline.js';
import { cosine } from '../../src/platform/embeddings/embeddings.js';
import { memoizedEmbedder } from './helpers.js';

/** Measured: prohibited recall 0.988; 12 of 95 safe texts flagged (0.126). */
const MIN_PROHIBITED_RECALL = 0.95;
const MAX_FALSE_POSITIVE_RATE = 0.15;
const MIN_SENSITIVE_SENT_TO_A_PERSON = 0.95;
/** An evaluation text this close to a training example would be a copy, not a test. */
const NEAR_DUPLICATE = 0.95;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const items: EvalItem[] = parseEvalSet(readFileSync(join(ROOT, 'eval/moderation.jsonl'), 'utf8'));
const training = [
  ...CLASSIFIER_LABELS.flatMap((l) => TRAINING_EXAMPLES[l]),
  ...Object.values(COMPLAINT_EXAMPLES).flat(),
];
const embedder = memoizedEmbedder();

// Embedding hundreds of texts on a loaded 2-core CI machine: minutes, not seconds.
describe('the evaluation set', { timeout: 240_000 }, () => {
  it('has at least 240 texts, every subcategory, and 12 or more of each prohibited one', () => {
    expect(items.length).toBeGreaterThanOrEqual(240);
    const count = (s: string) => items.filter((i) => i.subcategory === s).length;
    for (const s of [...SAFE_SUBCATEGORIES, ...SENSITIVE_SUBCATEGORIES]) expect(count(s), s).toBeGreaterThanOrEqual(10);
    for (const s of PROHIBITED_SUBCATEGORIES) expect(count(s), s).toBeGreaterThanOrEqual(12);
  });

  it('repeats no text, of its own or of the training examples', () => {
    const norm = (t: string) =>
      t
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, ' ')
        .trim();
    const texts = items.map((i) => norm(i.text));
    expect(new Set(texts).size).toBe(texts.length);
    const train = new Set(training.map(norm));
    expect(texts.filter((t) => train.has(t))).toEqual([]);
  });

  it('has no near-duplicate (cosine > 0.95) of a training example', async () => {
    const evalVectors = await embedder.embed(items.map((i) => i.text));
    const trainVectors = await embedder.embed(training);
    const close: string[] = [];
    evalVectors.forEach((v, i) => {
      trainVectors.forEach((w, j) => {
        const s = cosine(v, w);
        if (s > NEAR_DUPLICATE) close.push(`${s.toFixed(3)} "${items[i]?.text}" ~ "${training[j]}"`);
      });
    });
    expect(close).toEqual([]);
  });
});

describe('the pipeline on the evaluation set (offline)', { timeout: 240_000 }, () => {
  let report: EvaluationReport;

  beforeAll(async () => {
    const moderator = createModerator({ embedder });
    report = evaluate(await runEvaluation((input) => moderator.review(input), items));
  });

  it(`rejects at least ${MIN_PROHIBITED_RECALL} of the prohibited texts`, () => {
    expect(report.categories.prohibited.recall).toBeGreaterThanOrEqual(MIN_PROHIBITED_RECALL);
    for (const s of PROHIBITED_SUBCATEGORIES) {
      const m = report.prohibited[s];
      expect(m.rejected / m.support, s).toBeGreaterThanOrEqual(0.85);
    }
  });

  it(`flags at most ${MAX_FALSE_POSITIVE_RATE} of the safe texts`, () => {
    expect(report.falsePositiveRate).toBeLessThanOrEqual(MAX_FALSE_POSITIVE_RATE);
  });

  it(`sends at least ${MIN_SENSITIVE_SENT_TO_A_PERSON} of the sensitive texts to a person`, () => {
    const sensitive = Object.values(report.sensitive);
    const caught = sensitive.reduce((s, v) => s + v.caught, 0) / sensitive.reduce((s, v) => s + v.support, 0);
    expect(caught).toBeGreaterThanOrEqual(MIN_SENSITIVE_SENT_TO_A_PERSON);
  });
});
