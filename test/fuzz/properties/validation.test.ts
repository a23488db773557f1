// Properties of the shared validators (src/domain/shared/validation.ts): what they accept, what they return, and
// that anything else ends in a ValidationError naming the offending fields — never another exception.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../../src/domain/shared/errors.js';
import {
  goalContextFields,
  jsonObject,
  longText,
  MAX_JSON_BYTES,
  MAX_TEXT_LENGTH,
  nonBlank,
  parseInput,
  score,
  uuid,
  withDefault,
} from '../../../src/domain/shared/validation.js';
import { check, PROPERTY_TIMEOUT_MS } from '../lib/mode.js';

/** Full mode runs thousands of cases per property: the default 30 s is not enough. */
vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

/** Runs parseInput and returns the ValidationError, or null when the input was accepted; anything else is thrown. */
function refusal(schema: z.ZodType, input: unknown, root?: (string | number)[]): ValidationError | null {
  try {
    parseInput(schema, input, root);
    return null;
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
}

const whitespace = fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\ufeff');
const text = fc.string({ unit: 'grapheme', maxLength: 60 });

describe.concurrent('score', () => {
  it('accepts every number in [0, 1] and rounds it to two decimals, within half a hundredth', () =>
    check(
      1,
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (n) => {
        const out = parseInput(score, n);
        expect(out).toBeGreaterThanOrEqual(0);
        expect(out).toBeLessThanOrEqual(1);
        expect(Math.abs(out - n)).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(Number.isInteger(Math.round(out * 100)) && Math.abs(out * 100 - Math.round(out * 100)) < 1e-6).toBe(
          true,
        );
        // Idempotent: a stored score reads back as itself.
        expect(parseInput(score, out)).toBe(out);
      }),
    ));

  it('refuses non-finite numbers and numbers outside [0, 1] with BAD_USER_INPUT', () =>
    check(
      2,
      fc.property(
        fc.oneof(
          fc.double({ noNaN: false }).filter((n) => !(n >= 0 && n <= 1)),
          fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -Number.MIN_VALUE),
        ),
        (n) => {
          const err = refusal(score, n);
          expect(err?.code).toBe('BAD_USER_INPUT');
          expect(err?.issues.length).toBeGreaterThan(0);
        },
      ),
    ));

  it('refuses anything that is not a number', () =>
    check(
      3,
      fc.property(
        fc.anything().filter((v) => typeof v !== 'number'),
        (v) => {
          expect(refusal(score, v)?.code).toBe('BAD_USER_INPUT');
        },
      ),
    ));
});

describe.concurrent('nonBlank', () => {
  it('accepts exactly the strings whose trimmed length is 1..max, and returns them trimmed', () =>
    check(
      4,
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(whitespace, { maxLength: 3 }),
        fc.string({ maxLength: 60 }),
        fc.array(whitespace, { maxLength: 3 }),
        (max, before, core, after) => {
          const input = `${before.join('')}${core}${after.join('')}`;
          const trimmed = input.trim();
          const err = refusal(nonBlank(max), input);
          if (trimmed.length >= 1 && trimmed.length <= max) {
            expect(err).toBeNull();
            expect(parseInput(nonBlank(max), input)).toBe(trimmed);
            // Round trip: the output is accepted unchanged.
            expect(parseInput(nonBlank(max), trimmed)).toBe(trimmed);
          } else {
            expect(err?.code).toBe('BAD_USER_INPUT');
          }
        },
      ),
    ));

  it('refuses blank strings, whatever the whitespace', () =>
    check(
      5,
      fc.property(fc.array(whitespace, { maxLength: 20 }), (ws) => {
        expect(refusal(nonBlank(100), ws.join(''))?.code).toBe('BAD_USER_INPUT');
      }),
    ));
});

describe.concurrent('longText', () => {
  it('accepts up to MAX_TEXT_LENGTH characters and refuses one more', () =>
    check(
      6,
      fc.property(fc.integer({ min: 0, max: 200 }), fc.string({ minLength: 1, maxLength: 1 }), (slack, ch) => {
        const ok = ch.repeat(MAX_TEXT_LENGTH - slack).slice(0, MAX_TEXT_LENGTH - slack);
        expect(parseInput(longText, ok)).toBe(ok);
        const over = 'x'.repeat(MAX_TEXT_LENGTH + 1 + slack);
        expect(refusal(longText, over)?.code).toBe('BAD_USER_INPUT');
      }),
      30,
    ));
});

describe.concurrent('jsonObject', () => {
  it('accepts JSON objects within the byte limit unchanged', () =>
    check(
      7,
      fc.property(
        fc.dictionary(
          fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        (obj) => {
          fc.pre(Buffer.byteLength(JSON.stringify(obj)) <= MAX_JSON_BYTES);
          expect(parseInput(jsonObject, obj)).toEqual(obj);
        },
      ),
    ));

  it('drops a __proto__ key (zod guards against prototype pollution) and never pollutes a prototype', () =>
    check(
      15,
      fc.property(fc.jsonValue({ maxDepth: 2 }), (v) => {
        const input = JSON.parse(`{"__proto__": ${JSON.stringify(v)}, "k": 1}`) as Record<string, unknown>;
        const out = parseInput(jsonObject, input) as Record<string, unknown>;
        expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
        expect(Object.hasOwn(out, '__proto__')).toBe(false);
        expect(out.k).toBe(1);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
    ));

  it('refuses objects over MAX_JSON_BYTES, counted in UTF-8 bytes (not characters)', () =>
    check(
      8,
      fc.property(fc.constantFrom('x', 'é', '😀', '中'), fc.integer({ min: 1, max: 100 }), (ch, extra) => {
        const bytes = Buffer.byteLength(ch);
        const overhead = Buffer.byteLength(JSON.stringify({ k: '' }));
        const n = Math.ceil((MAX_JSON_BYTES - overhead + extra) / bytes);
        const obj = { k: ch.repeat(n) };
        expect(Buffer.byteLength(JSON.stringify(obj))).toBeGreaterThan(MAX_JSON_BYTES);
        expect(refusal(jsonObject, obj)?.code).toBe('BAD_USER_INPUT');
      }),
      40,
    ));

  it('refuses arrays, null and primitives', () =>
    check(
      9,
      fc.property(
        fc.oneof(fc.array(fc.jsonValue()), fc.constant(null), fc.string(), fc.double(), fc.boolean()),
        (v) => {
          expect(refusal(jsonObject, v)?.code).toBe('BAD_USER_INPUT');
        },
      ),
    ));
});

describe.concurrent('uuid', () => {
  it('accepts every RFC 9562 UUID, in either case', () =>
    check(
      10,
      fc.property(fc.uuid(), fc.boolean(), (id, upper) => {
        const input = upper ? id.toUpperCase() : id;
        expect(parseInput(uuid, input)).toBe(input);
      }),
    ));

  it('refuses anything that is not shaped like a UUID', () =>
    check(
      11,
      fc.property(
        fc.oneof(
          text,
          fc.uuid().map((u) => `${u} `),
          fc.uuid().map((u) => u.replace(/-/g, '')),
          fc.uuid().map((u) => `{${u}}`),
        ),
        (s) => {
          fc.pre(!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s));
          expect(refusal(uuid, s)?.code).toBe('BAD_USER_INPUT');
        },
      ),
    ));
});

describe.concurrent('withDefault', () => {
  it('null and undefined read as the fallback; anything the inner schema accepts passes through', () =>
    check(
      12,
      fc.property(fc.option(fc.integer(), { nil: undefined }), fc.boolean(), fc.integer(), (v, asNull, fallback) => {
        const schema = withDefault(z.number().int(), fallback);
        const input = v === undefined && asNull ? null : v;
        expect(parseInput(schema, input)).toBe(v ?? fallback);
      }),
    ));
});

describe.concurrent('parseInput', () => {
  const schema = z.object(goalContextFields);

  it(
    'never throws anything but a ValidationError, whose every issue path starts at the root',
    () =>
      check(
        13,
        fc.property(
          fc.oneof(
            fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true }),
            fc.record(
              {
                goalDescription: fc.oneof(text, fc.anything()),
                personaConstraints: fc.oneof(fc.array(text, { maxLength: 60 }), fc.anything()),
                requiredResources: fc.oneof(fc.array(fc.webUrl(), { maxLength: 5 }), fc.anything()),
              },
              { requiredKeys: [] },
            ),
          ),
          fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.nat(5)), { maxLength: 3 }),
          (input, root) => {
            const err = refusal(schema, input, root);
            if (err === null) return;
            expect(err.code).toBe('BAD_USER_INPUT');
            expect(err.issues.length).toBeGreaterThan(0);
            for (const issue of err.issues) {
              expect(issue.path.slice(0, root.length)).toEqual(root);
              expect(typeof issue.message).toBe('string');
            }
          },
        ),
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it('a valid goal context is accepted, and its output parses again to itself', () =>
    check(
      14,
      fc.property(
        fc.record({
          goalDescription: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim().length > 0),
          personaConstraints: fc.option(
            fc.array(
              fc.string({ minLength: 1, maxLength: 50 }).filter((s) => s.trim().length > 0),
              { maxLength: 50 },
            ),
            { nil: null },
          ),
          requiredResources: fc.option(
            fc.array(fc.stringMatching(/^[a-z][a-z0-9+.-]{0,8}:\/\/[!-~]{1,40}$/), { maxLength: 50 }),
            { nil: undefined },
          ),
        }),
        (input) => {
          const out = parseInput(schema, input);
          expect(out.goalDescription).toBe(input.goalDescription.trim());
          expect(out.personaConstraints).toEqual((input.personaConstraints ?? []).map((s) => s.trim()));
          expect(out.requiredResources).toEqual(input.requiredResources ?? []);
          expect(parseInput(schema, out)).toEqual(out);
        },
      ),
    ));
});
