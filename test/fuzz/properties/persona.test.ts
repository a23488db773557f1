// The persona documents (src/domain/personas/persona.schema.ts): valid voice tones, beliefs and directives are
// accepted and their output reads back as itself; anything else is a ValidationError naming fields under `input`;
// stored documents that do not match read as absent, never as a crash.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  beliefSchema,
  beliefsSchema,
  DIRECTIVE_KINDS,
  directivesSchema,
  EMOJI_USAGE,
  readStored,
  voiceToneSchema,
} from '../../../src/domain/personas/persona.schema.js';
import { ValidationError } from '../../../src/domain/shared/errors.js';
import { parseInput } from '../../../src/domain/shared/validation.js';
import { check, PROPERTY_TIMEOUT_MS } from '../lib/mode.js';

/** Full mode runs thousands of cases per property: the default 30 s is not enough. */
vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const word = (max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: max })
    .filter((s) => s.trim().length > 0 && s.trim().length <= max);
const score = fc.double({ min: 0, max: 1, noNaN: true });

const voiceTone = fc.record(
  {
    descriptors: fc.array(word(10), { minLength: 1, maxLength: 12 }),
    formality: fc.option(score, { nil: null }),
    emojiUsage: fc.option(fc.constantFrom(...EMOJI_USAGE), { nil: undefined }),
    signaturePhrases: fc.array(word(30), { maxLength: 10 }),
    wordsToAvoid: fc.option(fc.array(word(20), { maxLength: 50 }), { nil: null }),
  },
  { requiredKeys: ['descriptors'] },
);
const belief = fc.record(
  { statement: word(100), topic: fc.option(word(30), { nil: null }), conviction: fc.option(score, { nil: undefined }) },
  { requiredKeys: ['statement'] },
);
const directive = fc.record({ kind: fc.constantFrom(...DIRECTIVE_KINDS), text: word(100) });

function refusal(schema: Parameters<typeof parseInput>[0], input: unknown): ValidationError | null {
  try {
    parseInput(schema, input);
    return null;
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
}

describe.concurrent('persona documents', () => {
  it('a valid voice tone is accepted with its defaults filled in, and its output parses to itself', () =>
    check(
      601,
      fc.property(voiceTone, (v) => {
        const out = parseInput(voiceToneSchema, v);
        expect(out.descriptors).toEqual(v.descriptors.map((d) => d.trim()));
        expect(out.formality).toBe(v.formality == null ? 0.5 : Math.round(v.formality * 100) / 100);
        expect(out.emojiUsage).toBe(v.emojiUsage ?? 'sparing');
        expect(out.wordsToAvoid).toEqual((v.wordsToAvoid ?? []).map((w) => w.trim()));
        expect(parseInput(voiceToneSchema, out)).toEqual(out);
        expect(readStored(voiceToneSchema, out)).toEqual(out);
      }),
    ));

  it('valid beliefs and directives round-trip', () =>
    check(
      602,
      fc.property(fc.array(belief, { maxLength: 50 }), fc.array(directive, { maxLength: 50 }), (bs, ds) => {
        const beliefs = parseInput(beliefsSchema, bs);
        expect(beliefs.map((b) => b.conviction)).toEqual(
          bs.map((b) => (b.conviction == null ? 0.7 : Math.round(b.conviction * 100) / 100)),
        );
        expect(beliefs.map((b) => b.topic)).toEqual(bs.map((b) => b.topic?.trim() ?? null));
        expect(parseInput(beliefsSchema, beliefs)).toEqual(beliefs);
        const directives = parseInput(directivesSchema, ds);
        expect(parseInput(directivesSchema, directives)).toEqual(directives);
      }),
    ));

  it('too many items, blank or oversize text, unknown enums and out-of-range scores are refused with field paths', () =>
    check(
      603,
      fc.property(
        voiceTone,
        fc.constantFrom(
          { descriptors: [] },
          { descriptors: Array.from({ length: 13 }, () => 'x') },
          { descriptors: ['   '] },
          { descriptors: ['x'.repeat(41)] },
          { formality: 1.5 },
          { formality: -0.01 },
          { formality: Number.NaN },
          { emojiUsage: 'always' },
          { signaturePhrases: Array.from({ length: 11 }, () => 'x') },
          { wordsToAvoid: ['\u0000'.repeat(61)] },
        ),
        (v, broken) => {
          const err = refusal(voiceToneSchema, { ...v, ...broken });
          expect(err?.code).toBe('BAD_USER_INPUT');
          const field = Object.keys(broken)[0];
          expect(err?.issues.some((i) => i.path[0] === 'input' && i.path[1] === field)).toBe(true);
        },
      ),
    ));

  it('arbitrary input is accepted or refused with a ValidationError; arbitrary stored JSON reads as a document or null', () =>
    check(
      604,
      fc.property(
        fc.oneof(
          fc.anything({ withBigInt: true, withNullPrototype: true }),
          voiceTone.chain((v) => fc.record({ ...Object.fromEntries(Object.keys(v).map((k) => [k, fc.anything()])) })),
          fc.array(fc.anything(), { maxLength: 60 }),
        ),
        (value) => {
          for (const schema of [voiceToneSchema, beliefSchema, beliefsSchema, directivesSchema]) {
            const err = refusal(schema, value);
            if (err) expect(err.issues.length).toBeGreaterThan(0);
            const stored = readStored(schema, value);
            if (stored !== null) expect(schema.safeParse(stored).success).toBe(true);
          }
        },
      ),
    ));
});
