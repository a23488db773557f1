// A VectorStore that opens on first use. The composition roots build their services synchronously; opening the store
// (LanceDB's files, a Weaviate connection) waits until something reads or writes memory, and a failed open is tried
// again on the next call instead of poisoning the process.
import { createEmbedder, type EmbeddingSettings } from '../embeddings/create-embedder.js';
import type { EmbeddingModelId } from '../embeddings/embeddings.js';
import { openVectorStore, type VectorStoreSettings } from './create-vector-store.js';
import type { VectorStore } from './vector-store.js';

export function lazyVectorStore(kind: VectorStore['kind'], model: EmbeddingModelId, open: () => Promise<VectorStore>) {
  let opened: Promise<VectorStore> | undefined;
  const store = () => {
    opened ??= open().catch((err: unknown) => {
      opened = undefined;
      throw err;
    });
    return opened;
  };
  const lazy: VectorStore = {
    kind,
    model,
    upsert: async (c, items) => (await store()).upsert(c, items),
    search: async (c, vector, opts) => (await store()).search(c, vector, opts),
    get: async (c, id) => (await store()).get(c, id),
    count: async (c, filter) => (await store()).count(c, filter),
    deleteWhere: async (c, filter) => (await store()).deleteWhere(c, filter),
    async *scan(c, batchSize) {
      yield* (await store()).scan(c, batchSize);
    },
    async optimize() {
      const s = await store();
      if (!s.optimize) throw new Error(`The ${kind} store indexes on its own.`);
      return s.optimize();
    },
    async close() {
      if (!opened) return;
      const s = await opened.catch(() => null);
      opened = undefined;
      await s?.close();
    },
  };
  return lazy;
}

/** The embedder and its store, as configured (config.memory): both open on first use. */
export function createSemanticStores(settings: { embeddings: EmbeddingSettings; vectorStore: VectorStoreSettings }) {
  const embedder = createEmbedder(settings.embeddings);
  const vectors = lazyVectorStore(settings.vectorStore.kind, embedder.id, () =>
    openVectorStore(settings.vectorStore, embedder.id),
  );
  return { embedder, vectors };
}
