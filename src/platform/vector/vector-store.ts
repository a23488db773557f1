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

/**
 * Filters each collection supports. Every given condition must hold (AND); list conditions match any element. A key
 * set to undefined is no condition; an empty list matches nothing (excludeContentIds: [] excludes nothing). Ids are
 * UUIDs; anything else, or an unknown key, is a BAD_FILTER error (a typo must never widen a delete).
 */
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
    contentIds?: string[];
    excludeContentIds?: string[];
    /** Leaves out these agents' content (known content of everyone else: copyright_violation). */
    excludeAgentIds?: string[];
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

/** What optimize() did, per collection. */
export interface OptimizeReport {
  collections: Record<
    CollectionName,
    {
      rows: number;
      /** Whether the collection has an approximate-nearest-neighbour index after the run. */
      vectorIndex: boolean;
      /** Columns (properties) with a scalar index for filtering after the run. */
      scalarIndexes: string[];
      /** What this run changed (created or updated indexes, compacted files); empty when nothing was due. */
      actions: string[];
    }
  >;
}

export interface SearchOptions<C extends CollectionName> {
  filter?: FilterOf[C];
  /** 1–1000. */
  limit: number;
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
    opts: SearchOptions<C>,
  ): Promise<SearchHit<C>[]>;
  get<C extends CollectionName>(collection: C, id: string): Promise<RecordOf[C] | null>;
  count<C extends CollectionName>(collection: C, filter?: FilterOf[C]): Promise<number>;
  /** Deletes the records that pass the filter; returns how many. An empty filter is refused (it would delete all). */
  deleteWhere<C extends CollectionName>(collection: C, filter: FilterOf[C]): Promise<number>;
  /** Every record of a collection, in batches (for re-indexing). */
  scan<C extends CollectionName>(collection: C, batchSize?: number): AsyncIterable<RecordOf[C][]>;
  /**
   * Maintenance: builds the indexes a collection has grown large enough to need (vector index, scalar indexes on the
   * filter columns) and compacts storage. Safe to run while others read and write; run it after bulk loads and from
   * time to time (`npm run memory:reindex -- --optimize`). Stores that index on their own may omit it.
   */
  optimize?(): Promise<OptimizeReport>;
  close(): Promise<void>;
}

export type VectorStoreErrorCode =
  | 'EMBEDDING_MISMATCH'
  | 'DIMENSION_MISMATCH'
  | 'UNAVAILABLE'
  | 'BAD_FILTER'
  /** A record or vector that cannot be stored (not a UUID, importance outside 0–1, a zero or non-finite vector…). */
  | 'BAD_RECORD'
  /** Another process changed the same thing at the same time (e.g. two re-indexes of one collection). */
  | 'CONFLICT';

export class VectorStoreError extends Error {
  override name = 'VectorStoreError';
  constructor(
    readonly code: VectorStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The command that rebuilds a store for the configured embedding model (named in EMBEDDING_MISMATCH errors). */
export const REINDEX_COMMAND = 'npm run memory:reindex';

/**
 * The text a record's vector is made from. Writers and the re-index command must both use it, so a re-indexed
 * collection holds the vectors its writers would have made.
 */
export function embeddingTextOf<C extends CollectionName>(collection: C, record: RecordOf[C]): string {
  switch (collection) {
    case 'AgentMemory':
      return (record as AgentMemoryRecord).content;
    case 'ContentEmbedding':
      return (record as ContentEmbeddingRecord).text;
    case 'TrendAnalysis': {
      const trend = record as TrendAnalysisRecord;
      return [trend.topic, ...trend.keywords].filter(Boolean).join(' · ');
    }
    default:
      throw new VectorStoreError('BAD_RECORD', `Unknown collection ${String(collection)}.`);
  }
}

// --- Maintenance: what the re-index command needs beyond the everyday contract. ---

/** A collection being rebuilt for another model: written in the background, then swapped in at once. */
export interface CollectionRebuild<C extends CollectionName> {
  readonly collection: C;
  readonly model: EmbeddingModelId;
  write(items: readonly VectorItem<C>[]): Promise<void>;
  /** Makes the rebuilt collection the live one and drops the one it replaces. */
  commit(): Promise<void>;
  /** Drops the rebuild; the live collection stays as it was. */
  abort(): Promise<void>;
}

/** A store opened without a model, to inspect and rebuild its collections. */
export interface VectorStoreMaintenance {
  readonly kind: 'lancedb' | 'weaviate';
  /** The model each collection was built with; null for a collection that does not exist yet. */
  models(): Promise<Record<CollectionName, EmbeddingModelId | null>>;
  count(collection: CollectionName): Promise<number>;
  scan<C extends CollectionName>(collection: C, batchSize?: number): AsyncIterable<RecordOf[C][]>;
  /** Starts rebuilding a collection for `model`. Fails with CONFLICT if the collection changes model meanwhile. */
  rebuild<C extends CollectionName>(collection: C, model: EmbeddingModelId): Promise<CollectionRebuild<C>>;
  close(): Promise<void>;
}
