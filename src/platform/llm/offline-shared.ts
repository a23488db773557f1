// What the offline composer's parts share: the label every result carries, a seed derived from the inputs (same
// inputs → same output), a small seeded PRNG, and how a topic is read from a goal and its context.
import { createHash } from 'node:crypto';
import type { ContextItem, LlmPersona, ResultMetadata } from './llm.js';
import { removeAvoidedWords } from './text.js';

export const OFFLINE_MODEL = 'offline-composer-v1';
export const OFFLINE_LABEL = 'offline deterministic composer — not written by a language model';

/** A 32-bit seed from a hash of everything that shapes the output. */
export function seedOf(...inputs: unknown[]): number {
  return createHash('sha256').update(JSON.stringify(inputs)).digest().readUInt32BE(0);
}

/** mulberry32: a tiny deterministic PRNG, returns numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(items: readonly T[], next: () => number): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(next() * items.length)];
}

export function offlineMetadata(seed: number, started: number, extra: Partial<ResultMetadata> = {}): ResultMetadata {
  return {
    provider: 'offline',
    model: OFFLINE_MODEL,
    offline: true,
    label: OFFLINE_LABEL,
    latencyMs: Math.round(performance.now() - started),
    seed,
    ...extra,
  };
}

/** "about X" up to punctuation or a phrase that is not part of the topic ("in our voice", "for …", "with …"). */
const TOPIC_AFTER = new RegExp(
  String.raw`\b(?:about|regarding|covering|on the topic of)\s+(.+?)` +
    String.raw`(?=[.!?,;:]|\s+(?:in (?:our|my|your|her|his|their) voice|for|with|using|then|and then)\b|$)`,
  'i',
);
const EDGE_WORDS = /^(?:(?:and|or|to|of|the|a|an|how|with|for)\s+)+|(?:\s+(?:and|or|to|of|the|a|an|how|with|for))+$/gi;

/**
 * The subject of a goal: the first trend when the goal speaks of trends, else what follows "about …", else the
 * first trend in context. Never contains the persona's avoided words.
 */
export function topicOf(
  instructions: string,
  context: readonly ContextItem[] | undefined,
  persona: LlmPersona,
): string | undefined {
  const trend = context?.find((c) => c.kind === 'trend')?.text.trim();
  const candidates: (string | undefined)[] = [];
  if (/\btrend/i.test(instructions)) candidates.push(trend);
  candidates.push(TOPIC_AFTER.exec(instructions)?.[1], trend);
  for (const c of candidates) {
    const clean =
      c && removeAvoidedWords(c, persona.voiceTone.wordsToAvoid).replace(EDGE_WORDS, '').slice(0, 100).trim();
    if (clean) return clean;
  }
  return undefined;
}

/** The belief that fits the topic best (shares a word with it), else the one held most strongly. */
export function beliefFor(persona: LlmPersona, topic: string | undefined): string | undefined {
  const words = new Set((topic ?? '').toLowerCase().match(/[a-z]{4,}/g) ?? []);
  const sorted = [...persona.beliefs].sort((a, b) => b.conviction - a.conviction);
  const related = sorted.find((b) =>
    `${b.topic ?? ''} ${b.statement}`
      .toLowerCase()
      .match(/[a-z]{4,}/g)
      ?.some((w) => words.has(w)),
  );
  return (related ?? sorted[0])?.statement;
}

/** A persona prefers ending on a question when a must/prefer directive says so. */
export function endsWithQuestion(persona: LlmPersona): boolean {
  return persona.directives.some((d) => d.kind !== 'must_not' && /\bquestion/i.test(d.text));
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
