// Semantic memory's storage: a vector store with the spec's three collections (Weaviate classes AgentMemory,
// TrendAnalysis, ContentEmbedding). Two implementations share this contract: LanceDB under ./data (the embedded
// default) and Weaviate (when WEAVIATE_URL is set). A store is opened for one embedding model and refuses vectors
// of any other (EmbeddingMismatchError): changing models is an explicit re-index, never a silent break.
import type { EmbeddingModelId } from '../embeddings/embeddings.js';

export const COLLECTIONS = ['AgentMemory', 'TrendAnalysis', 'ContentEmbedding'] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

export const MEMORY_TYPES = ['short_term', 'long_term', 'episodic'] as const;
export type MemoryType = (typeof MEMORY_TYPES)[number];

export interface AgentMemoryRecord {
  id: string;
  agentId: string;
  memoryType: MemoryType;
  content: string;
  context: string;
  /** 0–1. */
  importance: number;
  timestamp: Date;
  tags: string[];
}

export interface TrendAnalysisRecord {
  id: string;
  /** The trend's row in PostgreSQL. */
  trendId: string;
  topic: string;
  keywords: string[];
  sentiment: string;
  platforms: string[];
  metrics: number[];
  detectedAt: Date;
}

export interface ContentEmbeddingRecord {
  id: string;
  contentId: string;
  /** The agent that wrote it (not in the spec's class; needed to keep agents apart). */
  agentId: string;
  contentType: string;
  text: string;
  tags: string[];
  persona: string;
  createdAt: Date;
}

export interface RecordOf {
  AgentMemory: AgentMemoryRecord;
  TrendAnalysis: TrendAnalysisRecord;
  ContentEmbedding: ContentEmbeddingRecord;
}

/** Time range, inclusive; either end may be open. */
export interface TimeRange {
  after?: Date;
  before?: Date;
}

/** Filters each collection supports. Every given condition must hold (AND); list conditions match any element. */
export interface FilterOf {
  AgentMemory: TimeRange & {
    agentId?: string;
    memoryTypes?: MemoryType[];
    minImportance?: number;
    /** Records with at least one of these tags. */
    tags?: string[];
  };
  TrendAnalysis: TimeRange & { trendIds?: string[]; platforms?: string[]; sentiment?: string };
  ContentEmbedding: TimeRange & {
    agentId?: string;
    contentTypes?: string[];
    tags?: string[];
    excludeContentIds?: string[];
  };
}

export interface VectorItem<C extends CollectionName> {
  record: RecordOf[C];
  vector: number[];
}

export interface SearchHit<C extends CollectionName> {
  record: RecordOf[C];
  /** Cosine similarity to the query vector, 1 = identical direction. */
  score: number;
}

export interface VectorStore {
  readonly kind: 'lancedb' | 'weaviate';
  /** The embedding model this store was opened for. */
  readonly model: EmbeddingModelId;
  /** Inserts or replaces records by id. */
  upsert<C extends CollectionName>(collection: C, items: readonly VectorItem<C>[]): Promise<void>;
  /** The nearest records to `vector` that pass the filter, best first. */
  search<C extends CollectionName>(
    collection: C,
    vector: readonly number[],
    opts: { filter?: FilterOf[C]; limit: number },
  ): Promise<SearchHit<C>[]>;
  get<C extends CollectionName>(collection: C, id: string): Promise<RecordOf[C] | null>;
  count<C extends CollectionName>(collection: C, filter?: FilterOf[C]): Promise<number>;
  /** Deletes the records that pass the filter; returns how many. An empty filter is refused (it would delete all). */
  deleteWhere<C extends CollectionName>(collection: C, filter: FilterOf[C]): Promise<number>;
  /** Every record of a collection, in batches (for re-indexing). */
  scan<C extends CollectionName>(collection: C, batchSize?: number): AsyncIterable<RecordOf[C][]>;
  close(): Promise<void>;
}

export type VectorStoreErrorCode = 'EMBEDDING_MISMATCH' | 'DIMENSION_MISMATCH' | 'UNAVAILABLE' | 'BAD_FILTER';

export class VectorStoreError extends Error {
  override name = 'VectorStoreError';
  constructor(
    readonly code: VectorStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
