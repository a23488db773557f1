// The few-shot indexes: the training examples (and the complaint examples) embedded once per embedder and set of
// examples, and a fingerprint of what a decision was made with (it goes into ModerationDecision.version).
import type { Embedder } from '../../platform/embeddings/embeddings.js';
import {
  CLASSIFIER_LABELS,
  type ClassifierLabel,
  COMPLAINT_EXAMPLES,
  COMPLAINT_LABELS,
  type ComplaintLabel,
  TRAINING_EXAMPLES,
} from './examples.js';
import { FewShotIndex } from './few-shot.js';
import { THRESHOLDS } from './thresholds.js';

export type ContentExamples = Readonly<Record<ClassifierLabel, readonly string[]>>;
export type ComplaintExamples = Readonly<Record<ComplaintLabel, readonly string[]>>;

/** FNV-1a: a short, stable fingerprint of the examples and thresholds a decision was made with. */
export function fingerprint(value: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(value)) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export const EXAMPLES_FINGERPRINT = fingerprint([TRAINING_EXAMPLES, COMPLAINT_EXAMPLES, THRESHOLDS]);

export interface Indexes {
  content: FewShotIndex<ClassifierLabel>;
  complaints: FewShotIndex<ComplaintLabel>;
}

/**
 * The embedded examples, per embedder and set of examples: moderators built on the same embedder (the API's, each
 * worker's, each test's) embed the examples once per process.
 */
const warmed = new WeakMap<Embedder, Map<string, Promise<Indexes>>>();

async function buildIndexes(
  embedder: Embedder,
  contentExamples: ContentExamples,
  complaintExamples: ComplaintExamples,
): Promise<Indexes> {
  const content = CLASSIFIER_LABELS.flatMap((label) => contentExamples[label].map((text) => ({ label, text })));
  const complaints = COMPLAINT_LABELS.flatMap((label) => complaintExamples[label].map((text) => ({ label, text })));
  const vectors = await embedder.embed([...content, ...complaints].map((e) => e.text));
  if (vectors.length !== content.length + complaints.length) {
    throw new Error('The embedder returned a different number of vectors than texts.');
  }
  const vectorAt = (i: number) => vectors[i] ?? [];
  return {
    content: new FewShotIndex(
      content.map((e, i) => ({ ...e, vector: vectorAt(i) })),
      'safe',
    ),
    complaints: new FewShotIndex(
      complaints.map((e, i) => ({ ...e, vector: vectorAt(content.length + i) })),
      'not_a_complaint',
    ),
  };
}

/** The indexes for these examples on this embedder: built on first use, shared afterwards; a failure is retried. */
export function indexesFor(
  embedder: Embedder,
  contentExamples: ContentExamples,
  complaintExamples: ComplaintExamples,
  key: string,
): Promise<Indexes> {
  const cache = warmed.get(embedder) ?? new Map<string, Promise<Indexes>>();
  warmed.set(embedder, cache);
  let indexes = cache.get(key);
  if (!indexes) {
    indexes = buildIndexes(embedder, contentExamples, complaintExamples).catch((err: unknown) => {
      cache.delete(key); // a failed warm-up (the model did not load) is retried by the next call
      throw err;
    });
    cache.set(key, indexes);
  }
  return indexes;
}
