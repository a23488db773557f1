// One word-list or pattern hit: a term, the subcategory it signals and how strongly (0 … 1).
import type { Subcategory } from './model.js';

export interface LexicalHit {
  term: string;
  signal: Subcategory;
  weight: number;
}

/** The strongest weight among the hits for a signal (0 without any). */
export function strongest(hits: readonly LexicalHit[], signal: Subcategory): number {
  return hits.filter((h) => h.signal === signal).reduce((m, h) => Math.max(m, h.weight), 0);
}

export function dedupe(hits: LexicalHit[]): LexicalHit[] {
  const seen = new Map<string, LexicalHit>();
  for (const h of hits) {
    const key = `${h.signal}:${h.term.toLowerCase()}`;
    const prev = seen.get(key);
    if (!prev || prev.weight < h.weight) seen.set(key, h);
  }
  return [...seen.values()];
}
