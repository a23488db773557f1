// The VectorStore contract: one suite that every store implementation must pass (lancedb.test.ts runs it always,
// weaviate.test.ts when a Weaviate server is configured). Each test gets a location of its own (a temp directory, a
// class prefix) and removes it afterwards.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder, EmbeddingModelId } from '../../src/platform/embeddings/embeddings.js';
import { createOfflineEmbedder, OFFLINE_EMBEDDING_MODEL } from '../../src/platform/embeddings/offline.js';
import {
  COLLECTIONS,
  type CollectionName,
  type FilterOf,
  type RecordOf,
  type VectorStore,
  type VectorStoreMaintenance,
} from '../../src/platform/vector/vector-store.js';
import {
  AGENT_A,
  AGENT_B,
  at,
  content,
  DIM,
  direction,
  ids,
  item,
  memory,
  randomVector,
  recordOf,
  rejection,
  SYNTHETIC,
  SYNTHETIC_OTHER,
  SYNTHETIC_WIDE,
  trend,
} from './fixtures.js';

export interface StoreHarness {
  /** A fresh, empty place for one test's data. */
  newLocation(): Promise<string>;
  open(location: string, model: EmbeddingModelId): Promise<VectorStore>;
  maintenance(location: string): Promise<VectorStoreMaintenance>;
  /** Removes everything the test stored at the location. */
  dispose(location: string): Promise<void>;
}

export interface StoreContext {
  /** The current test's location, and the store opened there for SYNTHETIC. */
  location: string;
  store: VectorStore;
  open(model: EmbeddingModelId, location?: string): Promise<VectorStore>;
  openFresh(model: EmbeddingModelId): Promise<VectorStore>;
  maintenance(location?: string): Promise<VectorStoreMaintenance>;
}

/** Opens stores for the current test and closes/disposes all of them after it. */
export function useStores(harness: StoreHarness): StoreContext {
  const opened: { close(): Promise<void> }[] = [];
  const ctx: StoreContext = {
    location: '',
    store: undefined as unknown as VectorStore,
    async open(model, location = ctx.location) {
      const store = await harness.open(location, model);
      opened.push(store);
      return store;
    },
    /** A store for `model` at a location of its own (disposed after the test). */
    async openFresh(model) {
      const location = await harness.newLocation();
      opened.push({ close: () => harness.dispose(location) });
      return ctx.open(model, location);
    },
    async maintenance(location = ctx.location) {
      const m = await harness.maintenance(location);
      opened.push(m);
      return m;
    },
  };
  beforeEach(async () => {
    ctx.location = await harness.newLocation();
    ctx.store = await ctx.open(SYNTHETIC);
  });
  afterEach(async () => {
    for (const s of opened.splice(0).reverse()) await s.close().catch(() => undefined);
    await harness.dispose(ctx.location);
  });
  return ctx;
}

/** For each collection: a filter that selects `match` but not `other`, by each filter key. */
const filterCases: { [C in CollectionName]: [string, FilterOf[C], Partial<RecordOf[C]>, Partial<RecordOf[C]>][] } = {
  AgentMemory: [
    ['agent', { agentId: AGENT_B }, { agentId: AGENT_B }, { agentId: AGENT_A }],
    [
      'memory type',
      { memoryTypes: ['episodic', 'short_term'] },
      { memoryType: 'episodic' },
      { memoryType: 'long_term' },
    ],
    ['min importance (inclusive)', { minImportance: 0.7 }, { importance: 0.7 }, { importance: 0.69 }],
    ['after (inclusive)', { after: at(3) }, { timestamp: at(3) }, { timestamp: at(2.9) }],
    ['before (inclusive)', { before: at(3) }, { timestamp: at(3) }, { timestamp: at(3.1) }],
    ['time range', { after: at(2), before: at(4) }, { timestamp: at(3) }, { timestamp: at(5) }],
    ['tags any-of', { tags: ['launch', 'ai'] }, { tags: ['ai', 'x'] }, { tags: ['crypto'] }],
    ['tags with a quote', { tags: ["it's"] }, { tags: ["it's"] }, { tags: ['its'] }],
  ],
  TrendAnalysis: [
    [
      'trendIds',
      { trendIds: ['77777777-0000-4000-8000-000000000001'] },
      { trendId: '77777777-0000-4000-8000-000000000001', id: '77777777-0000-4000-8000-000000000001' },
      {},
    ],
    ['platforms any-of', { platforms: ['tiktok', 'threads'] }, { platforms: ['threads'] }, { platforms: ['twitter'] }],
    ['sentiment', { sentiment: 'negative' }, { sentiment: 'negative' }, { sentiment: 'positive' }],
    ['time range', { after: at(1), before: at(2) }, { detectedAt: at(1.5) }, { detectedAt: at(2.5) }],
  ],
  ContentEmbedding: [
    ['agent', { agentId: AGENT_B }, { agentId: AGENT_B }, { agentId: AGENT_A }],
    ['content type', { contentTypes: ['video'] }, { contentType: 'video' }, { contentType: 'text' }],
    ['tags any-of', { tags: ['launch'] }, { tags: ['launch', 'ai'] }, { tags: ['ai'] }],
    [
      'excludeContentIds',
      { excludeContentIds: ['88888888-0000-4000-8000-000000000002'] },
      {},
      { contentId: '88888888-0000-4000-8000-000000000002', id: '88888888-0000-4000-8000-000000000002' },
    ],
    ['time range', { after: at(1), before: at(2) }, { createdAt: at(1) }, { createdAt: at(2.001) }],
    [
      'contentIds',
      { contentIds: ['88888888-0000-4000-8000-000000000003'] },
      { contentId: '88888888-0000-4000-8000-000000000003', id: '88888888-0000-4000-8000-000000000003' },
      {},
    ],
    ['excludeAgentIds', { excludeAgentIds: [AGENT_A] }, { agentId: AGENT_B }, { agentId: AGENT_A }],
  ],
};

export function vectorStoreContract(harness: StoreHarness): void {
  const t = useStores(harness);

  describe.each(COLLECTIONS)('%s', (collection) => {
    it('inserts, reads back exactly, and replaces by id', async () => {
      const lists = collection === 'TrendAnalysis' ? { keywords: ['x', "it's"], metrics: [] } : { tags: ['x', "it's"] };
      const a = recordOf(collection, lists as never);
      const b = recordOf(collection);
      await t.store.upsert(collection, [item(a, direction(0)), item(b, direction(1))]);
      expect(await t.store.get(collection, a.id)).toEqual(a);
      expect(await t.store.get(collection, b.id.toUpperCase())).toEqual(b);
      expect(await t.store.count(collection)).toBe(2);

      const changed = {
        ...a,
        ...(collection === 'TrendAnalysis' ? { topic: 'changed' } : {}),
      } as RecordOf[typeof collection];
      if (collection === 'AgentMemory') Object.assign(changed, { content: 'changed', importance: 0.9 });
      if (collection === 'ContentEmbedding') Object.assign(changed, { text: 'changed' });
      await t.store.upsert(collection, [item(changed, direction(2))]);
      expect(await t.store.count(collection)).toBe(2);
      expect(await t.store.get(collection, a.id)).toEqual(changed);
      // The replacement's vector replaced the old one too.
      expect(ids(await t.store.search(collection, direction(2), { limit: 1 }))).toEqual([a.id]);

      // Within one batch, the last item of an id wins.
      const c = recordOf(collection);
      const c2 = { ...c, ...(collection === 'AgentMemory' ? { importance: 0.1 } : {}) };
      await t.store.upsert(collection, [item(c, direction(0.2)), item(c2, direction(0.3))]);
      expect(await t.store.count(collection)).toBe(3);
      expect(await t.store.get(collection, c.id)).toEqual(c2);
      await t.store.upsert(collection, []);
      expect(await t.store.get(collection, '00000000-0000-4000-8000-000000000000')).toBeNull();
    });

    it('returns the nearest records first, with cosine similarity as the score', async () => {
      const records = [0.9, 0.1, 0.5, 0.3, 1.2].map(() => recordOf(collection));
      const angles = [0.9, 0.1, 0.5, 0.3, 1.2];
      await t.store.upsert(
        collection,
        records.map((r, i) => item(r, direction(angles[i] as number))),
      );
      const hits = await t.store.search(collection, direction(0), { limit: 10 });
      expect(ids(hits)).toEqual([1, 3, 2, 0, 4].map((i) => (records[i] as { id: string }).id));
      const scores = hits.map((h) => h.score);
      expect(scores[0]).toBeCloseTo(Math.cos(0.1), 3);
      expect([...scores].sort((x, y) => y - x)).toEqual(scores);
      expect(ids(await t.store.search(collection, direction(0.5), { limit: 1 }))).toEqual([
        (records[2] as { id: string }).id,
      ]);
    });

    it('honours the limit and refuses a bad one', async () => {
      await t.store.upsert(
        collection,
        Array.from({ length: 7 }, (_, i) => item(recordOf(collection), randomVector(i))),
      );
      expect(await t.store.search(collection, randomVector(1), { limit: 3 })).toHaveLength(3);
      expect(await t.store.search(collection, randomVector(1), { limit: 100 })).toHaveLength(7);
      for (const limit of [0, -1, 1.5, 1001, Number.NaN]) {
        await rejection(t.store.search(collection, randomVector(1), { limit }), 'BAD_FILTER');
      }
    });

    it.each(filterCases[collection].map((c) => [c[0], c] as const))(
      'filters by %s (search, count, delete)',
      async (_, c) => {
        const [, filter, matchOver, otherOver] = c as [string, FilterOf[typeof collection], object, object];
        const match = recordOf(collection, matchOver as never);
        const other = recordOf(collection, otherOver as never);
        // The record that fails the filter is the nearest to the query.
        await t.store.upsert(collection, [item(other, direction(0)), item(match, direction(1))]);
        expect(ids(await t.store.search(collection, direction(0), { filter, limit: 10 }))).toEqual([match.id]);
        expect(await t.store.count(collection, filter)).toBe(1);
        expect(await t.store.deleteWhere(collection, filter)).toBe(1);
        expect(await t.store.get(collection, match.id)).toBeNull();
        expect(await t.store.get(collection, other.id)).toEqual(other);
      },
    );

    it('an empty list in a filter matches nothing; undefined keys are no condition', async () => {
      await t.store.upsert(collection, [item(recordOf(collection), direction(0))]);
      const empty = {
        AgentMemory: { tags: [] },
        TrendAnalysis: { platforms: [] },
        ContentEmbedding: { contentTypes: [] },
      }[collection] as FilterOf[typeof collection];
      expect(await t.store.search(collection, direction(0), { filter: empty, limit: 5 })).toEqual([]);
      expect(await t.store.count(collection, empty)).toBe(0);
      const none = { after: undefined } as FilterOf[typeof collection];
      expect(await t.store.count(collection, none)).toBe(1);
    });

    it('deleteWhere refuses an empty filter, and unknown or malformed filters are refused everywhere', async () => {
      await t.store.upsert(collection, [item(recordOf(collection), direction(0))]);
      await rejection(t.store.deleteWhere(collection, {}), 'BAD_FILTER');
      await rejection(t.store.deleteWhere(collection, { before: undefined } as never), 'BAD_FILTER');
      if (collection === 'ContentEmbedding') {
        await rejection(t.store.deleteWhere('ContentEmbedding', { excludeContentIds: [] }), 'BAD_FILTER');
      }
      await rejection(t.store.deleteWhere(collection, { agentID: AGENT_A } as never), 'BAD_FILTER');
      await rejection(t.store.count(collection, { after: 'yesterday' } as never), 'BAD_FILTER');
      await rejection(
        t.store.search(collection, direction(0), { filter: { nope: 1 } as never, limit: 1 }),
        'BAD_FILTER',
      );
      await rejection(t.store.get(collection, "x' OR '1'='1"), 'BAD_FILTER');
      expect(await t.store.count(collection)).toBe(1);
    });

    it('scans every record in batches', async () => {
      const records = Array.from({ length: 23 }, () => recordOf(collection));
      await t.store.upsert(
        collection,
        records.map((r, i) => item(r, randomVector(i))),
      );
      const batches: RecordOf[typeof collection][][] = [];
      for await (const batch of t.store.scan(collection, 10)) batches.push(batch);
      expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect(batches.flat().sort(byId)).toEqual([...records].sort(byId));
    });

    it('refuses a vector of the wrong length (DIMENSION_MISMATCH) and records it cannot store (BAD_RECORD)', async () => {
      const r = recordOf(collection);
      const e = await rejection(t.store.upsert(collection, [item(r, direction(0, DIM - 1))]), 'DIMENSION_MISMATCH');
      expect(e.message).toContain(`${DIM}`);
      await rejection(t.store.search(collection, direction(0, DIM + 1), { limit: 1 }), 'DIMENSION_MISMATCH');
      await rejection(t.store.upsert(collection, [item(r, new Array(DIM).fill(0))]), 'BAD_RECORD');
      await rejection(t.store.upsert(collection, [item(r, [Number.NaN, ...direction(0).slice(1)])]), 'BAD_RECORD');
      await rejection(t.store.upsert(collection, [item({ ...r, id: 'not-a-uuid' }, direction(0))]), 'BAD_RECORD');
      expect(await t.store.count(collection)).toBe(0);
    });
  });

  describe('records', () => {
    it('refuses bad AgentMemory fields', async () => {
      for (const bad of [
        { importance: 1.5 },
        { importance: -0.1 },
        { memoryType: 'forever' },
        { agentId: 'agent-1' },
      ]) {
        await rejection(t.store.upsert('AgentMemory', [item(memory(bad as never), direction(0))]), 'BAD_RECORD');
      }
      await rejection(
        t.store.upsert('AgentMemory', [item(memory({ timestamp: new Date('nope') }), direction(0))]),
        'BAD_RECORD',
      );
    });

    it('combines conditions (AND) and keeps unicode and quotes intact', async () => {
      const hit = memory({
        agentId: AGENT_B,
        memoryType: 'episodic',
        importance: 0.8,
        timestamp: at(5),
        tags: ['ünïcødé 🐱', "O'Brien"],
        content: "Robert'); DROP TABLE memories;-- 🐱",
      });
      const near = [
        memory({ ...hit, id: undefined as never, agentId: AGENT_A }),
        memory({ ...hit, id: undefined as never, memoryType: 'long_term' }),
        memory({ ...hit, id: undefined as never, importance: 0.2 }),
        memory({ ...hit, id: undefined as never, timestamp: at(9) }),
        memory({ ...hit, id: undefined as never, tags: ['other'] }),
      ].map((m) => ({ ...m, id: crypto.randomUUID() }));
      await t.store.upsert('AgentMemory', [
        item(hit, direction(0.4)),
        ...near.map((m, i) => item(m, direction(i * 0.01))),
      ]);
      const filter: FilterOf['AgentMemory'] = {
        agentId: AGENT_B,
        memoryTypes: ['episodic'],
        minImportance: 0.5,
        after: at(4),
        before: at(6),
        tags: ["O'Brien"],
      };
      const hits = await t.store.search('AgentMemory', direction(0), { filter, limit: 10 });
      expect(hits.map((h) => h.record)).toEqual([hit]);
      expect(await t.store.count('AgentMemory', filter)).toBe(1);
    });
  });

  describe('isolation between agents', () => {
    it.each(['AgentMemory', 'ContentEmbedding'] as const)(
      '%s: an agentId filter never returns another agent’s record, even the nearest',
      async (collection) => {
        const theirs = recordOf(collection, { agentId: AGENT_A } as never);
        const ours = Array.from({ length: 5 }, () => recordOf(collection, { agentId: AGENT_B } as never));
        await t.store.upsert(collection, [
          item(theirs, direction(0)),
          ...ours.map((r, i) => item(r, direction(1 + i * 0.1))),
        ]);
        for (const limit of [1, 5, 50]) {
          const hits = await t.store.search(collection, direction(0), { filter: { agentId: AGENT_B }, limit });
          expect(hits.length).toBe(Math.min(limit, 5));
          expect(hits.every((h) => (h.record as { agentId: string }).agentId === AGENT_B)).toBe(true);
        }
        expect(ids(await t.store.search(collection, direction(0), { limit: 1 }))).toEqual([theirs.id]);
        // Deleting one agent's records leaves the other's.
        expect(await t.store.deleteWhere(collection, { agentId: AGENT_B })).toBe(5);
        expect(await t.store.count(collection)).toBe(1);
      },
    );
  });

  describe('the embedding model', () => {
    it('refuses to reopen the store for another model (EMBEDDING_MISMATCH names the re-index command)', async () => {
      await t.store.upsert('AgentMemory', [item(memory(), direction(0))]);
      await t.store.close();
      for (const other of [SYNTHETIC_OTHER, SYNTHETIC_WIDE]) {
        const err = await rejection(t.open(other), 'EMBEDDING_MISMATCH');
        expect(err.message).toContain('npm run memory:reindex');
        expect(err.message).toContain(SYNTHETIC.model);
        expect(err.message).toContain(other.model);
      }
      const again = await t.open(SYNTHETIC);
      expect(again.model).toEqual(SYNTHETIC);
      expect(await again.count('AgentMemory')).toBe(1);
    });

    it('the maintenance view reports the model of each collection', async () => {
      const m = await t.maintenance();
      const models = await m.models();
      for (const c of COLLECTIONS) expect(models[c]).toEqual(SYNTHETIC);
      await t.store.upsert('TrendAnalysis', [item(trend(), direction(0))]);
      expect(await m.count('TrendAnalysis')).toBe(1);
    });
  });

  describe('with real embeddings (offline model)', () => {
    let embedder: Embedder;
    beforeAll(() => {
      embedder = createOfflineEmbedder();
    });

    it('finds the semantically nearest texts, within one agent', async () => {
      const store = await t.openFresh(OFFLINE_EMBEDDING_MODEL);
      const texts = ['a kitten sleeps on the sofa', 'bitcoin price hits a new high', 'the central bank raised rates'];
      const records = texts.map((text) => content({ text, agentId: AGENT_B }));
      const vectors = await embedder.embed(texts);
      await store.upsert(
        'ContentEmbedding',
        records.map((r, i) => item(r, vectors[i] as number[])),
      );
      const [cats] = await embedder.embed(['cats and kittens']);
      const hits = await store.search('ContentEmbedding', cats as number[], { filter: { agentId: AGENT_B }, limit: 3 });
      expect(hits[0]?.record.text).toBe('a kitten sleeps on the sofa');
      expect(hits[0]?.score).toBeGreaterThan((hits[1]?.score ?? 1) + 0.1);
      const [money] = await embedder.embed(['cryptocurrency markets']);
      const top = await store.search('ContentEmbedding', money as number[], { limit: 1 });
      expect(top[0]?.record.text).toBe('bitcoin price hits a new high');
      await rejection(store.upsert('ContentEmbedding', [item(content(), direction(0))]), 'DIMENSION_MISMATCH');
    });
  });
}
