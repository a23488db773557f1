// Records and vectors for the vector-store tests: small synthetic unit vectors (fast, with known geometry) and a
// record factory per collection.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { EmbeddingModelId } from '../../src/platform/embeddings/embeddings.js';
import type {
  AgentMemoryRecord,
  CollectionName,
  ContentEmbeddingRecord,
  RecordOf,
  TrendAnalysisRecord,
  VectorItem,
} from '../../src/platform/vector/vector-store.js';
import { VectorStoreError, type VectorStoreErrorCode } from '../../src/platform/vector/vector-store.js';

export const DIM = 16;
/** The model of the synthetic vectors (a store opened for it takes 16-d vectors). */
export const SYNTHETIC: EmbeddingModelId = { provider: 'offline', model: 'synthetic-test', dimension: DIM };
/** Same dimension, another model: vectors are not comparable. */
export const SYNTHETIC_OTHER: EmbeddingModelId = { provider: 'offline', model: 'synthetic-other', dimension: DIM };
/** Another dimension. */
export const SYNTHETIC_WIDE: EmbeddingModelId = { provider: 'openai', model: 'synthetic-wide', dimension: 24 };

export const T0 = new Date('2026-01-01T00:00:00.000Z');
export const at = (days: number) => new Date(T0.getTime() + days * 86_400_000);

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/**
 * A unit vector at `angle` radians from axis 0 towards axis 1 (plus a little of axis `k`): vectors with larger
 * angles are further from `direction(0)`, so order is known.
 */
export function direction(angle: number, dim = DIM, k = 2): number[] {
  const v = new Array<number>(dim).fill(0);
  v[0] = Math.cos(angle);
  v[1] = Math.sin(angle);
  if (dim > 2) v[k % dim] = (v[k % dim] as number) + 1e-3;
  return unit(v);
}

/** A deterministic pseudo-random unit vector. */
export function randomVector(seed: number, dim = DIM): number[] {
  let s = seed * 2_654_435_761 + 1;
  const next = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  return unit(Array.from({ length: dim }, next));
}

export const AGENT_A = '0a0a0a0a-0000-4000-8000-00000000000a';
export const AGENT_B = '0b0b0b0b-0000-4000-8000-00000000000b';
/** Ids every concurrent writer of the LanceDB tests upserts (lance-writer.ts), and the agent of those records. */
export const SHARED_IDS = Array.from({ length: 5 }, (_, i) => `5a5a5a5a-0000-4000-8000-${String(i).padStart(12, '0')}`);
export const SHARED_AGENT = '5a5a5a5a-0000-4000-8000-00000000ffff';

export function memory(over: Partial<AgentMemoryRecord> = {}): AgentMemoryRecord {
  return {
    id: randomUUID(),
    agentId: AGENT_A,
    memoryType: 'long_term',
    content: 'Posted about open-source AI; the audience loved it.',
    context: 'goal: post about the top trend',
    importance: 0.5,
    timestamp: T0,
    tags: [],
    ...over,
  };
}

export function trend(over: Partial<TrendAnalysisRecord> = {}): TrendAnalysisRecord {
  const trendId = over.trendId ?? randomUUID();
  return {
    id: trendId,
    trendId,
    topic: 'open-source AI',
    keywords: ['llm', 'weights'],
    sentiment: 'positive',
    platforms: ['twitter'],
    metrics: [1200, 0.35],
    detectedAt: T0,
    ...over,
  };
}

export function content(over: Partial<ContentEmbeddingRecord> = {}): ContentEmbeddingRecord {
  const contentId = over.contentId ?? randomUUID();
  return {
    id: contentId,
    contentId,
    agentId: AGENT_A,
    contentType: 'text',
    text: 'Open weights, open doors.',
    tags: [],
    persona: 'Juno Vale',
    createdAt: T0,
    ...over,
  };
}

/** A record of the collection with its defaults. */
export function recordOf<C extends CollectionName>(collection: C, over: Partial<RecordOf[C]> = {}): RecordOf[C] {
  const make = { AgentMemory: memory, TrendAnalysis: trend, ContentEmbedding: content }[collection] as unknown as (
    o: Partial<RecordOf[C]>,
  ) => RecordOf[C];
  return make(over);
}

export const item = <C extends CollectionName>(record: RecordOf[C], vector: number[]): VectorItem<C> => ({
  record,
  vector,
});

export async function rejection(promise: Promise<unknown>, code: VectorStoreErrorCode): Promise<VectorStoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a VectorStoreError ${code}`).toBeInstanceOf(VectorStoreError);
  expect((err as VectorStoreError).code).toBe(code);
  return err as VectorStoreError;
}

export const ids = (hits: { record: { id: string } }[]) => hits.map((h) => h.record.id);
