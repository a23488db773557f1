// The JSON documents a persona stores (voice_tone, beliefs, directives): their one definition, used to validate
// what comes in and to read what is stored.
import { z } from 'zod';
import { nonBlank, score, withDefault } from '../shared/validation.js';

export const EMOJI_USAGE = ['none', 'sparing', 'frequent'] as const;
export const DIRECTIVE_KINDS = ['must', 'must_not', 'prefer'] as const;

export const voiceToneSchema = z.object({
  /** Adjectives that describe how the persona sounds: "warm", "wry", "precise". */
  descriptors: z.array(nonBlank(40)).min(1, 'give at least one descriptor').max(12),
  /** 0 = casual, 1 = formal. */
  formality: withDefault(score, 0.5),
  emojiUsage: withDefault(z.enum(EMOJI_USAGE), 'sparing'),
  signaturePhrases: withDefault(z.array(nonBlank(120)).max(10), []),
  wordsToAvoid: withDefault(z.array(nonBlank(60)).max(50), []),
});

export const beliefSchema = z.object({
  statement: nonBlank(500),
  topic: nonBlank(100)
    .nullish()
    .transform((v) => v ?? null),
  /** How strongly the persona holds it, 0..1. */
  conviction: withDefault(score, 0.7),
});

export const directiveSchema = z.object({
  kind: z.enum(DIRECTIVE_KINDS),
  text: nonBlank(500),
});

export const beliefsSchema = z.array(beliefSchema).max(50);
export const directivesSchema = z.array(directiveSchema).max(50);

export type VoiceTone = z.output<typeof voiceToneSchema>;
export type Belief = z.output<typeof beliefSchema>;
export type Directive = z.output<typeof directiveSchema>;

/** Reads a stored document; rows written outside the API that do not match read as absent, never as a crash. */
export function readStored<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | null {
  if (value == null) return null;
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
