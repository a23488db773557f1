// Re-indexing: every record of every collection re-embedded from its stored text (embeddingTextOf) with another
// embedder, written into a fresh table (class) and swapped in at once. What `npm run memory:reindex` runs after the
// embedding model changes. Records written to a collection while it is being rebuilt are not carried over: stop the
// writers (API, workers) first.
import { describeModel, type Embedder, type EmbeddingModelId } from '../embeddings/embeddings.js';
import { COLLECTIONS, type CollectionName, embeddingTextOf, type VectorStoreMaintenance } from './vector-store.js';

export interface ReindexResult {
  collection: CollectionName;
  /** The model the collection had (null: it did not exist). */
  from: EmbeddingModelId | null;
  to: EmbeddingModelId;
  records: number;
  ms: number;
}

export interface ReindexOptions {
  /** Records read, embedded and written at a time (default 256). */
  batchSize?: number;
  collections?: readonly CollectionName[];
  onProgress?: (p: { collection: CollectionName; done: number; total: number }) => void;
}

export async function reindexVectorStore(
  store: VectorStoreMaintenance,
  embedder: Embedder,
  options: ReindexOptions = {},
): Promise<ReindexResult[]> {
  const models = await store.models();
  const results: ReindexResult[] = [];
  for (const collection of options.collections ?? COLLECTIONS) {
    const started = performance.now();
    const total = await store.count(collection);
    const rebuild = await store.rebuild(collection, embedder.id);
    let done = 0;
    try {
      for await (const batch of store.scan(collection, options.batchSize ?? 256)) {
        const vectors = await embedder.embed(batch.map((r) => embeddingTextOf(collection, r)));
        await rebuild.write(batch.map((record, i) => ({ record, vector: vectors[i] as number[] })));
        done += batch.length;
        options.onProgress?.({ collection, done, total });
      }
      await rebuild.commit();
    } catch (err) {
      await rebuild.abort().catch(() => undefined);
      throw err;
    }
    results.push({
      collection,
      from: models[collection],
      to: embedder.id,
      records: done,
      ms: performance.now() - started,
    });
  }
  return results;
}

export function describeReindex(r: ReindexResult): string {
  const from = r.from ? describeModel(r.from) : '(new)';
  return `${r.collection}: ${r.records} records re-embedded, ${from} → ${describeModel(r.to)} in ${(r.ms / 1000).toFixed(1)} s`;
}
