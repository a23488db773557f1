// Re-indexing: a store built with the offline model is re-embedded with another model of another dimension and back,
// by the function and by the command (`npm run memory:reindex`, run as a process against a temp directory).
import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/platform/embeddings/embeddings.js';
import { createOfflineEmbedder, OFFLINE_EMBEDDING_MODEL } from '../../src/platform/embeddings/offline.js';
import { openLanceDbMaintenance, openLanceDbStore } from '../../src/platform/vector/lancedb.js';
import { reindexVectorStore } from '../../src/platform/vector/reindex.js';
import { COLLECTIONS, embeddingTextOf, type VectorStore } from '../../src/platform/vector/vector-store.js';
import { type FakeOpenAiServer, fakeEmbedding, startFakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { AGENT_A, content, memory, rejection, trend } from './fixtures.js';
import { tempDir } from './lance-harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Another model, of another dimension: word-hash vectors (texts sharing words are near). */
const other: Embedder = {
  id: { provider: 'openai', model: 'fake-other', dimension: 24 },
  embed: async (texts) => texts.map((t) => fakeEmbedding(t, 24)),
};

const memories = [
  memory({ content: 'a kitten sleeps on the sofa', tags: ['pets'] }),
  memory({ content: 'bitcoin price hits a new high', memoryType: 'episodic' }),
  memory({ content: 'the central bank raised interest rates', importance: 0.9 }),
];
const contents = [content({ text: 'cats and kittens everywhere' }), content({ text: 'stock market rally' })];
const trends = [trend({ topic: 'pet adoption', keywords: ['kitten', 'shelter'] })];

let offline: Embedder;
let dir: string;
const opened: { close(): Promise<void> }[] = [];
beforeAll(() => {
  offline = createOfflineEmbedder();
});
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

async function seed(store: VectorStore, embedder: Embedder) {
  const write = async <C extends 'AgentMemory' | 'ContentEmbedding' | 'TrendAnalysis'>(c: C, records: never[]) => {
    const vectors = await embedder.embed(records.map((r) => embeddingTextOf(c, r)));
    await store.upsert(
      c,
      records.map((record, i) => ({ record, vector: vectors[i] as number[] })),
    );
  };
  await write('AgentMemory', memories as never[]);
  await write('ContentEmbedding', contents as never[]);
  await write('TrendAnalysis', trends as never[]);
}

const openStore = async (embedder: Embedder) => {
  const store = await openLanceDbStore({ dir, model: embedder.id });
  opened.push(store);
  return store;
};
const nearestMemory = async (store: VectorStore, embedder: Embedder, text: string) => {
  const [v] = await embedder.embed([text]);
  const hits = await store.search('AgentMemory', v as number[], { filter: { agentId: AGENT_A }, limit: 1 });
  return hits[0]?.record.content;
};

describe('reindexVectorStore', () => {
  it('re-embeds every collection with another model, and back, keeping every record', async () => {
    const store = await openStore(offline);
    await seed(store, offline);
    expect(await nearestMemory(store, offline, 'cats and kittens')).toBe('a kitten sleeps on the sofa');
    await store.close();

    const maintenance = await openLanceDbMaintenance({ dir });
    opened.push(maintenance);
    const progress: string[] = [];
    const results = await reindexVectorStore(maintenance, other, {
      batchSize: 2,
      onProgress: (p) => progress.push(`${p.collection} ${p.done}/${p.total}`),
    });
    expect(results.map((r) => [r.collection, r.records, r.from, r.to])).toEqual([
      ['AgentMemory', 3, OFFLINE_EMBEDDING_MODEL, other.id],
      ['TrendAnalysis', 1, OFFLINE_EMBEDDING_MODEL, other.id],
      ['ContentEmbedding', 2, OFFLINE_EMBEDDING_MODEL, other.id],
    ]);
    expect(progress).toEqual(['AgentMemory 2/3', 'AgentMemory 3/3', 'TrendAnalysis 1/1', 'ContentEmbedding 2/2']);

    await rejection(openLanceDbStore({ dir, model: offline.id }), 'EMBEDDING_MISMATCH');
    const moved = await openStore(other);
    for (const m of memories) expect(await moved.get('AgentMemory', m.id)).toEqual(m);
    expect(await moved.get('TrendAnalysis', trends[0]?.id as string)).toEqual(trends[0]);
    expect(await moved.count('ContentEmbedding')).toBe(2);
    expect(await nearestMemory(moved, other, 'bitcoin price today')).toBe('bitcoin price hits a new high');
    await moved.close();

    await reindexVectorStore(maintenance, offline);
    expect(Object.values(await maintenance.models())).toEqual(COLLECTIONS.map(() => OFFLINE_EMBEDDING_MODEL));
    const back = await openStore(offline);
    expect(await nearestMemory(back, offline, 'cats and kittens')).toBe('a kitten sleeps on the sofa');
    expect(await back.count('AgentMemory', { memoryTypes: ['episodic'] })).toBe(1);
    // Only the live tables are left on disk.
    expect((await readdir(dir)).filter((f) => f.endsWith('.lance'))).toHaveLength(COLLECTIONS.length + 1);
  });

  it('leaves the store as it was when embedding fails midway', async () => {
    const store = await openStore(offline);
    await seed(store, offline);
    const before = (await readdir(dir)).sort();
    const failing: Embedder = {
      id: other.id,
      embed: async (texts) => {
        if (texts.some((t) => t.includes('bank'))) throw new Error('embedding server down');
        return other.embed(texts);
      },
    };
    const maintenance = await openLanceDbMaintenance({ dir });
    opened.push(maintenance);
    await expect(reindexVectorStore(maintenance, failing, { batchSize: 1 })).rejects.toThrow('embedding server down');
    expect(Object.values(await maintenance.models())).toEqual(COLLECTIONS.map(() => OFFLINE_EMBEDDING_MODEL));
    expect((await readdir(dir)).sort()).toEqual(before);
    expect(await nearestMemory(store, offline, 'cats and kittens')).toBe('a kitten sleeps on the sofa');
  });
});

describe('npm run memory:reindex', () => {
  let server: FakeOpenAiServer;
  beforeAll(async () => {
    server = await startFakeOpenAiServer();
  });
  afterAll(() => server.close());

  function command(args: string[], env: Record<string, string>) {
    return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/reindex-vectors.ts', ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, CHIMERA_ENV: 'test', VECTOR_STORE_DIR: dir, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.once('exit', (code) => resolve({ code, out, err }));
    });
  }

  const viaFakeServer = {
    EMBEDDINGS_PROVIDER: 'openai',
    OPENAI_BASE_URL: '',
    EMBEDDINGS_MODEL: 'fake-embed',
    EMBEDDINGS_DIMENSION: '32',
  };

  it('switches a store to the configured model and back, printing what it did', async () => {
    const store = await openStore(offline);
    await seed(store, offline);
    await store.close();
    const env = { ...viaFakeServer, OPENAI_BASE_URL: server.baseUrl };
    // A local model of 32 dimensions (it is not sent `dimensions`: only text-embedding-3 models take it).
    server.respondToEmbeddingsWith({ fake: true, dimension: 32 });

    const check = await command(['--check'], env);
    expect(check.code).toBe(1);
    expect(check.out).toContain('AgentMemory: 3 records, offline/universal-sentence-encoder-en (512 dimensions) *');

    const run = await command([], env);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain(
      'AgentMemory: 3 records re-embedded, offline/universal-sentence-encoder-en (512 dimensions) → openai/fake-embed (32 dimensions)',
    );
    expect(run.out).toContain('ContentEmbedding: 2 records re-embedded');
    expect(run.out).toContain('Re-embedded 6 records in all.');
    expect(run.out).toContain('optimize AgentMemory (3 rows');
    expect(server.embeddingRequests.length).toBeGreaterThanOrEqual(3);
    expect((await command(['--check'], env)).code).toBe(0);

    const back = await command([], { EMBEDDINGS_PROVIDER: 'offline' });
    expect(back.code, back.err).toBe(0);
    expect(back.out).toContain('→ offline/universal-sentence-encoder-en (512 dimensions)');
    const reopened = await openStore(offline);
    expect(await nearestMemory(reopened, offline, 'cats and kittens')).toBe('a kitten sleeps on the sofa');

    const optimize = await command(['--optimize'], { EMBEDDINGS_PROVIDER: 'offline' });
    expect(optimize.code, optimize.err).toBe(0);
    expect(optimize.out).toContain('optimize TrendAnalysis (1 rows');
    const bad = await command(['--collection', 'Nope'], { EMBEDDINGS_PROVIDER: 'offline' });
    expect(bad.code).toBe(2);
  }, 120_000);
});
