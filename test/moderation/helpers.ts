// Shared by the moderation tests: the offline embedder, a pinned clock, and fakes for the pipeline's optional deps.
import type { FindSimilar } from '../../src/domain/moderation/pipeline.js';
import type { Embedder } from '../../src/platform/embeddings/embeddings.js';
import { createOfflineEmbedder } from '../../src/platform/embeddings/offline.js';
import type { ExternalModeration, ExternalModerationResult } from '../../src/platform/moderation/moderation.js';

export const offlineEmbedder = (): Embedder => createOfflineEmbedder();

/** The offline embedder with a memo: a test that embeds the same texts twice pays once. */
export function memoizedEmbedder(inner: Embedder = createOfflineEmbedder()): Embedder {
  const memo = new Map<string, number[]>();
  return {
    id: inner.id,
    async embed(texts) {
      const missing = [...new Set(texts.filter((t) => !memo.has(t)))];
      const vectors = await inner.embed(missing);
      for (const [i, t] of missing.entries()) memo.set(t, vectors[i] ?? []);
      return texts.map((t) => memo.get(t) ?? []);
    },
  };
}

export const FIXED_NOW = new Date('2025-01-02T03:04:05.000Z');
export const fixedClock = () => FIXED_NOW;

/** An external model that answers the given scores for every text (or fails with the given error). */
export function fakeExternal(answer: Record<string, number> | Error): ExternalModeration & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'fake/moderation-1',
    calls,
    async moderate(text): Promise<ExternalModerationResult> {
      calls.push(text);
      if (answer instanceof Error) throw answer;
      return {
        provider: 'fake',
        model: 'moderation-1',
        flagged: Object.values(answer).some((s) => s > 0.5),
        scores: answer,
      };
    },
  };
}

/** A near-duplicate search over a fixed answer. */
export const similarTo =
  (matches: { score: number; ref: string }[] | Error): FindSimilar =>
  async () => {
    if (matches instanceof Error) throw matches;
    return matches;
  };
