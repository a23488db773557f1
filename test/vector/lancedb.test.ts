// The LanceDB store: the contract suite (each test in a temp directory of its own), plus what only an embedded store
// has to get right — several processes on one directory, the indexes optimize() builds, re-indexing under an open
// store, and the files it leaves.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openLanceDbMaintenance, openLanceDbStore } from '../../src/platform/vector/lancedb.js';
import type { VectorStore, VectorStoreMaintenance } from '../../src/platform/vector/vector-store.js';
import { vectorStoreContract } from './contract.js';
import {
  AGENT_A,
  AGENT_B,
  at,
  direction,
  ids,
  item,
  memory,
  randomVector,
  rejection,
  SHARED_AGENT,
  SHARED_IDS,
  SYNTHETIC,
  SYNTHETIC_WIDE,
} from './fixtures.js';
import { lanceHarness, tempDir } from './lance-harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('LanceDB store: the contract', () => {
  vectorStoreContract(lanceHarness());
});

/** Directories and stores of the tests below, removed after each test. */
const harness = lanceHarness();
const dirs: string[] = [];
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0).reverse()) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await harness.dispose(d);
});
const newDir = async () => {
  const d = await tempDir();
  dirs.push(d);
  return d;
};
const track = <T extends VectorStore | VectorStoreMaintenance>(s: T) => {
  open.push(s);
  return s;
};

function runWriter(dir: string, agentId: string, batches: number, perBatch: number) {
  return new Promise<{ written: number; deleted: number }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/vector/lance-writer.ts', dir, agentId, String(batches), String(perBatch)],
      { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`writer ${agentId} exited ${code}:\n${out}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? ''));
      } catch {
        reject(new Error(`writer ${agentId} printed no result:\n${out}`));
      }
    });
  });
}

describe('LanceDB store: several writers on one directory', () => {
  it('two processes write, overwrite the same ids and delete at the same time without losing a record', async () => {
    const dir = await newDir();
    const [a, b] = await Promise.all([runWriter(dir, AGENT_A, 8, 20), runWriter(dir, AGENT_B, 8, 20)]);
    expect(a).toEqual({ written: 160, deleted: 80 });
    expect(b).toEqual({ written: 160, deleted: 80 });
    const store = track(await openLanceDbStore({ dir, model: SYNTHETIC }));
    expect(await store.count('AgentMemory', { agentId: AGENT_A })).toBe(80);
    expect(await store.count('AgentMemory', { agentId: AGENT_B })).toBe(80);
    // The rows both processes merged are there once each.
    expect(await store.count('AgentMemory', { agentId: SHARED_AGENT })).toBe(SHARED_IDS.length);
    expect(await store.count('AgentMemory')).toBe(160 + SHARED_IDS.length);
  }, 120_000);

  it('two connections opening a new directory at once agree on its tables, and see each other’s writes', async () => {
    const dir = await newDir();
    const [one, two] = await Promise.all([
      openLanceDbStore({ dir, model: SYNTHETIC }),
      openLanceDbStore({ dir, model: SYNTHETIC }),
    ]);
    track(one);
    track(two);
    const writes = Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? one : two).upsert('AgentMemory', [
        item(memory({ agentId: i % 2 ? AGENT_A : AGENT_B }), randomVector(i)),
        item(memory({ id: SHARED_IDS[0], agentId: SHARED_AGENT, importance: i / 20 }), randomVector(100 + i)),
      ]),
    );
    await Promise.all(writes);
    for (const s of [one, two]) {
      expect(await s.count('AgentMemory', { agentId: AGENT_A })).toBe(6);
      expect(await s.count('AgentMemory', { agentId: AGENT_B })).toBe(6);
      expect(await s.count('AgentMemory', { agentId: SHARED_AGENT })).toBe(1);
    }
    const maintenance = track(await openLanceDbMaintenance({ dir }));
    expect(Object.values(await maintenance.models())).toEqual([SYNTHETIC, SYNTHETIC, SYNTHETIC]);
    const tables = (await readdir(dir)).filter((f) => f.endsWith('.lance')).sort();
    // One table per collection and the meta table: the race left no second table behind.
    expect(tables.map((f) => f.replace(/_[a-z0-9]+_[0-9a-f]{6}\.lance$/, ''))).toEqual([
      'AgentMemory',
      'ContentEmbedding',
      'TrendAnalysis',
      'chimera_meta.lance',
    ]);
  }, 60_000);
});

describe('LanceDB store: optimize()', () => {
  it('indexes the filter columns and the vectors once a table is large enough, and searches stay right', async () => {
    const dir = await newDir();
    const store = track(
      await openLanceDbStore({
        dir,
        model: SYNTHETIC,
        scalarIndexMinRows: 100,
        vectorIndexMinRows: 500,
        exactSearchMaxRows: 50,
      }),
    );
    const records = Array.from({ length: 600 }, (_, i) =>
      memory({
        agentId: i % 10 === 0 ? AGENT_B : AGENT_A,
        memoryType: (['short_term', 'long_term', 'episodic'] as const)[i % 3],
        importance: (i % 100) / 100,
        timestamp: at(i % 30),
        tags: [`t${i % 7}`],
      }),
    );
    const vectors = records.map((_, i) => randomVector(i));
    await store.upsert(
      'AgentMemory',
      records.map((r, i) => item(r, vectors[i] as number[])),
    );
    const narrow = { agentId: AGENT_B, memoryTypes: ['long_term' as const], minImportance: 0.3, after: at(3) };
    const wide = { agentId: AGENT_A };
    const query = randomVector(10_000);
    const before = {
      narrow: ids(await store.search('AgentMemory', query, { filter: narrow, limit: 5 })),
      wide: ids(await store.search('AgentMemory', query, { filter: wide, limit: 5 })),
    };

    const report = await store.optimize();
    const memories = report.collections.AgentMemory;
    expect(memories.rows).toBe(600);
    expect(memories.vectorIndex).toBe(true);
    expect(memories.scalarIndexes).toEqual(['agentId', 'id', 'importance', 'memoryType', 'tags', 'timestamp']);
    expect(memories.actions.some((a) => a.startsWith('IVF_PQ'))).toBe(true);
    // Small collections are left alone.
    expect(report.collections.TrendAnalysis).toMatchObject({ rows: 0, vectorIndex: false, scalarIndexes: [] });

    // A narrow filter is searched exactly: the same answer as before the index.
    expect(ids(await store.search('AgentMemory', query, { filter: narrow, limit: 5 }))).toEqual(before.narrow);
    // A wide one goes through the index: full results, all passing the filter, mostly the exact answer.
    const wideHits = await store.search('AgentMemory', query, { filter: wide, limit: 5 });
    expect(wideHits).toHaveLength(5);
    expect(wideHits.every((h) => h.record.agentId === AGENT_A)).toBe(true);
    expect(ids(wideHits).filter((id) => before.wide.includes(id)).length).toBeGreaterThanOrEqual(3);
    // A stored vector finds its own record first.
    expect(ids(await store.search('AgentMemory', vectors[42] as number[], { limit: 1 }))).toEqual([records[42]?.id]);
    // Another agent's nearest record never leaks through the index either.
    const leak = await store.search('AgentMemory', vectors[1] as number[], { filter: { agentId: AGENT_B }, limit: 60 });
    expect(leak).toHaveLength(60);
    expect(leak.every((h) => h.record.agentId === AGENT_B)).toBe(true);

    // Rows written after the index are found; a second run only folds them in.
    const late = memory({ agentId: AGENT_B, memoryType: 'long_term', importance: 0.99, timestamp: at(10) });
    await store.upsert('AgentMemory', [item(late, query)]);
    expect(ids(await store.search('AgentMemory', query, { filter: narrow, limit: 1 }))).toEqual([late.id]);
    const again = await store.optimize();
    expect(again.collections.AgentMemory.actions.filter((a) => a.includes('index'))).toEqual([]);
    expect(await store.count('AgentMemory')).toBe(601);
  }, 120_000);
});

describe('LanceDB store: re-indexing while a store is open', () => {
  it('a store open during a re-index to another model refuses further use; one for the same model follows', async () => {
    const dir = await newDir();
    const store = track(await openLanceDbStore({ dir, model: SYNTHETIC, metaRefreshMs: 0 }));
    const kept = memory();
    await store.upsert('AgentMemory', [item(kept, direction(0))]);

    // Same model, new table (e.g. after changing what gets embedded): the open store follows it.
    const maintenance = track(await openLanceDbMaintenance({ dir }));
    const same = await maintenance.rebuild('AgentMemory', SYNTHETIC);
    await same.write([item(kept, direction(0.5)), item(memory(), direction(1))]);
    await same.commit();
    expect(await store.count('AgentMemory')).toBe(2);
    expect(ids(await store.search('AgentMemory', direction(0.5), { limit: 1 }))).toEqual([kept.id]);

    // Another model: the open store must not mix its vectors in.
    const wide = await maintenance.rebuild('AgentMemory', SYNTHETIC_WIDE);
    await wide.write([item(kept, direction(0, 24))]);
    await wide.commit();
    const err = await rejection(store.upsert('AgentMemory', [item(memory(), direction(0))]), 'EMBEDDING_MISMATCH');
    expect(err.message).toContain('synthetic-wide');
    await rejection(store.search('AgentMemory', direction(0), { limit: 1 }), 'EMBEDDING_MISMATCH');
    // The other collections are untouched.
    expect(await store.count('TrendAnalysis')).toBe(0);
    // Reopening for the new model fails too while the other collections still hold the old one's vectors.
    await rejection(openLanceDbStore({ dir, model: SYNTHETIC_WIDE }), 'EMBEDDING_MISMATCH');
  });

  it('a store that has not re-read the meta table yet follows a table dropped under it at once', async () => {
    const dir = await newDir();
    const store = track(await openLanceDbStore({ dir, model: SYNTHETIC, metaRefreshMs: 3_600_000 }));
    const kept = memory();
    await store.upsert('AgentMemory', [item(kept, direction(0))]);
    const maintenance = track(await openLanceDbMaintenance({ dir }));
    const rebuild = await maintenance.rebuild('AgentMemory', SYNTHETIC);
    await rebuild.write([item(kept, direction(0)), item(memory(), direction(1))]);
    await rebuild.commit();
    expect(await store.count('AgentMemory')).toBe(2);
    await store.upsert('AgentMemory', [item(memory(), direction(2))]);
    expect(await maintenance.count('AgentMemory')).toBe(3);
  });

  it('of two rebuilds of one collection, the second to commit fails with CONFLICT and leaves no table', async () => {
    const dir = await newDir();
    track(await openLanceDbStore({ dir, model: SYNTHETIC }));
    const maintenance = track(await openLanceDbMaintenance({ dir }));
    const first = await maintenance.rebuild('ContentEmbedding', SYNTHETIC_WIDE);
    const second = await maintenance.rebuild('ContentEmbedding', SYNTHETIC_WIDE);
    await first.commit();
    await rejection(second.commit(), 'CONFLICT');
    const tables = (await readdir(dir)).filter((f) => f.startsWith('ContentEmbedding'));
    expect(tables).toHaveLength(1);
    expect((await maintenance.models()).ContentEmbedding).toEqual(SYNTHETIC_WIDE);
    const aborted = await maintenance.rebuild('TrendAnalysis', SYNTHETIC_WIDE);
    await aborted.abort();
    expect((await maintenance.models()).TrendAnalysis).toEqual(SYNTHETIC);
    expect((await readdir(dir)).filter((f) => f.startsWith('TrendAnalysis'))).toHaveLength(1);
  });
});
