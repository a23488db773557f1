// Opens the VectorStore the configuration asks for (config.memory.vectorStore), for the embedder's model. The backend
// is imported only when chosen: LanceDB's native library and the Weaviate client (gRPC) load nothing otherwise.
import type { EmbeddingModelId } from '../embeddings/embeddings.js';
import type { VectorStore, VectorStoreMaintenance } from './vector-store.js';
import { VectorStoreError } from './vector-store.js';

export interface VectorStoreSettings {
  kind: 'lancedb' | 'weaviate';
  /** LanceDB's directory. */
  dir: string;
  weaviateUrl?: string | undefined;
  weaviateApiKey?: string | undefined;
}

function weaviateUrlOf(settings: VectorStoreSettings): string {
  if (!settings.weaviateUrl) {
    throw new VectorStoreError('UNAVAILABLE', 'VECTOR_STORE=weaviate needs WEAVIATE_URL (e.g. http://127.0.0.1:8080).');
  }
  return settings.weaviateUrl;
}

/**
 * The store for `model` (usually `embedder.id`). Fails with EMBEDDING_MISMATCH when the store holds vectors of
 * another model (run `npm run memory:reindex`), UNAVAILABLE when it cannot be reached.
 */
export async function openVectorStore(settings: VectorStoreSettings, model: EmbeddingModelId): Promise<VectorStore> {
  if (settings.kind === 'weaviate') {
    const { openWeaviateStore } = await import('./weaviate.js');
    return openWeaviateStore({ url: weaviateUrlOf(settings), apiKey: settings.weaviateApiKey, model });
  }
  const { openLanceDbStore } = await import('./lancedb.js');
  return openLanceDbStore({ dir: settings.dir, model });
}

/** The store without a model: for the re-index command. */
export async function openVectorStoreMaintenance(settings: VectorStoreSettings): Promise<VectorStoreMaintenance> {
  if (settings.kind === 'weaviate') {
    const { openWeaviateMaintenance } = await import('./weaviate.js');
    return openWeaviateMaintenance({ url: weaviateUrlOf(settings), apiKey: settings.weaviateApiKey });
  }
  const { openLanceDbMaintenance } = await import('./lancedb.js');
  return openLanceDbMaintenance({ dir: settings.dir });
}
