// npm run bench:memory [-- --sizes 10000,100000 --queries 200]
// Semantic memory's costs on this machine, each against a baseline measured in the same run:
//   1. offline embedding throughput (texts/s), one text per call against batches of 64;
//   2. filtered nearest-neighbour search in LanceDB over N stored AgentMemory records (synthetic 512-d unit vectors
//      around 256 topics, as real embeddings cluster — or uniform with --vectors uniform, the worst case for an
//      approximate index; 50 agents, 3 memory types, importance, timestamps over 90 days), filtered by agent + memory type + minimum
//      importance + a 30-day window, before and after optimize(), against a brute-force scan of the same data held
//      in this process (filter, dot product, top 10) — plus the same without a filter.
// Prints a Markdown report and writes bench/results/memory.{md,json}. Everything is made in a temp directory,
// removed at the end (also on Ctrl-C). See docs/memory.md.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createOfflineEmbedder } from '../src/platform/embeddings/offline.js';
import { openLanceDbStore } from '../src/platform/vector/lancedb.js';
import type { AgentMemoryRecord, FilterOf, MemoryType, OptimizeReport } from '../src/platform/vector/vector-store.js';
import { MEMORY_TYPES } from '../src/platform/vector/vector-store.js';
import {
  type EmbeddingBench,
  type MemoryBenchResult,
  renderMemoryMarkdown,
  type SizeBench,
} from './lib/memory-report.js';
import { renderJson } from './lib/report.js';
import { Cleanup } from './lib/resources.js';
import { runAsScript, writeResults } from './lib/script.js';
import { summarize } from './lib/stats.js';

const DIM = 512;
const AGENTS = 50;
const DAYS = 90;
const WINDOW_DAYS = 30;
const MIN_IMPORTANCE = 0.5;
const LIMIT = 10;
const LOAD_CHUNK = 5_000;
const DEFAULTS = { sizes: [10_000, 100_000], queries: 200, unfilteredQueries: 30 };
/** Clustered vectors: this many topic directions; each vector has cosine ≈ 0.6 with its topic's. */
const TOPICS = 256;
const TOPIC_NOISE = 0.059;
export type VectorShape = 'clustered' | 'uniform';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const MODEL = { provider: 'offline' as const, model: 'bench-synthetic', dimension: DIM };

/** A small deterministic generator (xorshift32), so every run measures the same data. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function gaussian(next: () => number) {
  return Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

/** Fills `out` at `offset` with a random unit vector (uniform on the sphere). */
function unitVector(next: () => number, out: Float32Array, offset: number) {
  let sum = 0;
  for (let j = 0; j < DIM; j++) {
    const v = gaussian(next);
    out[offset + j] = v;
    sum += v * v;
  }
  const norm = Math.sqrt(sum);
  for (let j = 0; j < DIM; j++) out[offset + j] = (out[offset + j] as number) / norm;
}

/** Makes vectors of one shape: uniform, or near one of TOPICS random directions. */
function vectorSource(shape: VectorShape, seed: number) {
  const topics = new Float32Array(TOPICS * DIM);
  const topicRng = rng(12_345);
  for (let t = 0; t < TOPICS; t++) unitVector(topicRng, topics, t * DIM);
  const next = rng(seed);
  return (out: Float32Array, offset: number) => {
    if (shape === 'uniform') return unitVector(next, out, offset);
    const t = Math.floor(next() * TOPICS) * DIM;
    let sum = 0;
    for (let j = 0; j < DIM; j++) {
      const v = (topics[t + j] as number) + TOPIC_NOISE * gaussian(next);
      out[offset + j] = v;
      sum += v * v;
    }
    const norm = Math.sqrt(sum);
    for (let j = 0; j < DIM; j++) out[offset + j] = (out[offset + j] as number) / norm;
  };
}

/** The records, columnar (for the brute-force baseline) and as the store takes them. */
interface Dataset {
  n: number;
  vectors: Float32Array;
  agent: Uint8Array;
  type: Uint8Array;
  importance: Float64Array;
  time: Float64Array;
  ids: string[];
  agents: string[];
}

function makeDataset(n: number, seed: number, shape: VectorShape): Dataset {
  const next = rng(seed);
  const vector = vectorSource(shape, seed + 1);
  const agents = Array.from({ length: AGENTS }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const d: Dataset = {
    n,
    vectors: new Float32Array(n * DIM),
    agent: new Uint8Array(n),
    type: new Uint8Array(n),
    importance: new Float64Array(n),
    time: new Float64Array(n),
    ids: [],
    agents,
  };
  for (let i = 0; i < n; i++) {
    vector(d.vectors, i * DIM);
    d.agent[i] = Math.floor(next() * AGENTS);
    d.type[i] = Math.floor(next() * MEMORY_TYPES.length);
    d.importance[i] = next();
    d.time[i] = T0 + Math.floor(next() * DAYS * 86_400_000);
    d.ids.push(randomUUID());
  }
  return d;
}

function recordAt(d: Dataset, i: number): AgentMemoryRecord {
  return {
    id: d.ids[i] as string,
    agentId: d.agents[d.agent[i] as number] as string,
    memoryType: MEMORY_TYPES[d.type[i] as number] as MemoryType,
    content: `synthetic memory ${i}`,
    context: '',
    importance: d.importance[i] as number,
    timestamp: new Date(d.time[i] as number),
    tags: [],
  };
}

interface Query {
  vector: Float32Array;
  agent: number;
  type: number;
  after: number;
  before: number;
}

function makeQueries(count: number, seed: number, shape: VectorShape): Query[] {
  const next = rng(seed);
  const make = vectorSource(shape, seed + 1);
  return Array.from({ length: count }, () => {
    const vector = new Float32Array(DIM);
    make(vector, 0);
    const after = T0 + Math.floor(next() * (DAYS - WINDOW_DAYS)) * 86_400_000;
    return {
      vector,
      agent: Math.floor(next() * AGENTS),
      type: Math.floor(next() * MEMORY_TYPES.length),
      after,
      before: after + WINDOW_DAYS * 86_400_000,
    };
  });
}

const filterOf = (d: Dataset, q: Query): FilterOf['AgentMemory'] => ({
  agentId: d.agents[q.agent],
  memoryTypes: [MEMORY_TYPES[q.type] as MemoryType],
  minImportance: MIN_IMPORTANCE,
  after: new Date(q.after),
  before: new Date(q.before),
});

/** The baseline: every row checked against the filter, dot product (unit vectors: cosine) of those that pass, top k. */
function bruteForce(d: Dataset, q: Query | { vector: Float32Array }, k: number): string[] {
  const top: { i: number; s: number }[] = [];
  const filtered = 'agent' in q;
  const v = q.vector;
  for (let i = 0; i < d.n; i++) {
    if (
      filtered &&
      (d.agent[i] !== q.agent ||
        d.type[i] !== q.type ||
        (d.importance[i] as number) < MIN_IMPORTANCE ||
        (d.time[i] as number) < q.after ||
        (d.time[i] as number) > q.before)
    ) {
      continue;
    }
    let s = 0;
    const o = i * DIM;
    for (let j = 0; j < DIM; j++) s += (v[j] as number) * (d.vectors[o + j] as number);
    if (top.length < k || s > (top[top.length - 1] as { s: number }).s) {
      top.push({ i, s });
      top.sort((a, b) => b.s - a.s);
      if (top.length > k) top.pop();
    }
  }
  return top.map((t) => d.ids[t.i] as string);
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function benchEmbeddings(): Promise<EmbeddingBench> {
  const embedder = createOfflineEmbedder();
  const words = ['agent', 'trend', 'post', 'audience', 'launch', 'kitten', 'market', 'open', 'weights', 'reply'];
  const next = rng(7);
  const text = (i: number) =>
    `${Array.from({ length: 8 + (i % 9) }, () => words[Math.floor(next() * words.length)]).join(' ')} #${i}`;
  const [loadMs] = await timed(() => embedder.embed(['warm up']));
  const single = Array.from({ length: 96 }, (_, i) => text(i));
  const batched = Array.from({ length: 512 }, (_, i) => text(1000 + i));
  const [singleMs] = await timed(async () => {
    for (const t of single) await embedder.embed([t]);
  });
  const [batchMs] = await timed(() => embedder.embed(batched));
  return {
    model: embedder.id,
    loadMs,
    batch1: { texts: single.length, ms: singleMs, textsPerSecond: single.length / (singleMs / 1000) },
    batch64: { texts: batched.length, ms: batchMs, textsPerSecond: batched.length / (batchMs / 1000) },
  };
}

async function benchSize(
  n: number,
  queries: number,
  unfilteredQueries: number,
  shape: VectorShape,
  cleanup: Cleanup,
): Promise<SizeBench> {
  log(`${n} records: generating`);
  const d = makeDataset(n, n, shape);
  const qs = makeQueries(queries, n + 1_000_003, shape);
  const unfiltered = makeQueries(unfilteredQueries, n + 2_000_003, shape);
  const dir = await mkdtemp(join(os.tmpdir(), 'chimera-bench-memory-'));
  cleanup.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const store = await openLanceDbStore({ dir, model: MODEL });
  cleanup.add('close the store', () => store.close());

  log(`${n} records: loading into LanceDB`);
  const [loadMs] = await timed(async () => {
    for (let start = 0; start < n; start += LOAD_CHUNK) {
      const items = [];
      for (let i = start; i < Math.min(n, start + LOAD_CHUNK); i++) {
        items.push({ record: recordAt(d, i), vector: Array.from(d.vectors.subarray(i * DIM, (i + 1) * DIM)) });
      }
      await store.upsert('AgentMemory', items);
    }
  });

  const passing: number[] = [];
  for (const q of qs.slice(0, 20)) passing.push(await store.count('AgentMemory', filterOf(d, q)));

  const search = async (label: string) => {
    log(`${n} records: ${label}`);
    const filteredMs: number[] = [];
    let hits = 0;
    let expected = 0;
    for (const q of qs) {
      const [ms, res] = await timed(() =>
        store.search('AgentMemory', Array.from(q.vector), { filter: filterOf(d, q), limit: LIMIT }),
      );
      filteredMs.push(ms);
      const exact = bruteForce(d, q, LIMIT);
      expected += exact.length;
      hits += res.filter((h) => exact.includes(h.record.id)).length;
    }
    const unfilteredMs: number[] = [];
    let uHits = 0;
    for (const q of unfiltered) {
      const [ms, res] = await timed(() => store.search('AgentMemory', Array.from(q.vector), { limit: LIMIT }));
      unfilteredMs.push(ms);
      const exact = bruteForce(d, { vector: q.vector }, LIMIT);
      uHits += res.filter((h) => exact.includes(h.record.id)).length;
    }
    return {
      filteredMs: summarize(filteredMs),
      filteredRecall: expected === 0 ? 1 : hits / expected,
      unfilteredMs: summarize(unfilteredMs),
      unfilteredRecall: uHits / (unfiltered.length * LIMIT),
    };
  };

  // Warm the table (first reads open files) before measuring.
  await store.search('AgentMemory', Array.from(qs[0]?.vector ?? []), { filter: filterOf(d, qs[0] as Query), limit: 1 });
  const before = await search('searching before optimize()');
  log(`${n} records: optimize()`);
  const [optimizeMs, report] = await timed(() => store.optimize());
  await store.search('AgentMemory', Array.from(qs[0]?.vector ?? []), { filter: filterOf(d, qs[0] as Query), limit: 1 });
  const after = await search('searching after optimize()');

  log(`${n} records: brute-force baseline`);
  const bruteFiltered: number[] = [];
  for (const q of qs) bruteFiltered.push((await timed(() => bruteForce(d, q, LIMIT)))[0]);
  const bruteUnfiltered: number[] = [];
  for (const q of unfiltered) bruteUnfiltered.push((await timed(() => bruteForce(d, { vector: q.vector }, LIMIT)))[0]);
  await cleanup.run();

  const memory = (report as OptimizeReport).collections.AgentMemory;
  return {
    records: n,
    queries,
    unfilteredQueries,
    passingRows: summarize(passing),
    loadMs,
    rowsPerSecond: n / (loadMs / 1000),
    optimizeMs,
    optimizeActions: memory.actions,
    vectorIndex: memory.vectorIndex,
    before,
    after,
    bruteForce: { filteredMs: summarize(bruteFiltered), unfilteredMs: summarize(bruteUnfiltered) },
  };
}

export interface MemoryOptions {
  sizes: number[];
  queries: number;
  vectors: VectorShape;
}

export const MEMORY_DEFAULTS: MemoryOptions = {
  sizes: DEFAULTS.sizes,
  queries: DEFAULTS.queries,
  vectors: 'clustered',
};

/** One memory benchmark run: embedding throughput, then each size (its temp store removed before the next). */
export async function runMemoryBench(options: Partial<MemoryOptions> = {}): Promise<MemoryBenchResult> {
  const { sizes, queries, vectors: shape } = { ...MEMORY_DEFAULTS, ...options };
  log(`${os.availableParallelism()} cores, load average ${os.loadavg()[0]?.toFixed(2)}`);
  const started = performance.now();
  const loadAverage1m = os.loadavg()[0] ?? 0;
  log('embedding throughput (offline model)');
  const embeddings = await benchEmbeddings();
  const results: SizeBench[] = [];
  for (const n of sizes) {
    const cleanup = new Cleanup();
    const interrupted = () => void cleanup.run().finally(() => process.exit(130));
    process.once('SIGINT', interrupted);
    try {
      results.push(await benchSize(n, queries, DEFAULTS.unfilteredQueries, shape, cleanup));
    } finally {
      await cleanup.run();
      process.off('SIGINT', interrupted);
    }
  }
  const result: MemoryBenchResult = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cores: os.availableParallelism(),
    loadAverage1m,
    totalSeconds: (performance.now() - started) / 1000,
    dimension: DIM,
    vectors:
      shape === 'clustered'
        ? `clustered: near one of ${TOPICS} random topic directions (cosine ≈ 0.6 with it), like real embeddings`
        : 'uniform on the sphere (no structure: the worst case for an approximate index)',
    agents: AGENTS,
    filter: `agentId (1 of ${AGENTS}) + memoryTypes (1 of 3) + minImportance ${MIN_IMPORTANCE} + a ${WINDOW_DAYS}-day window of ${DAYS}`,
    limit: LIMIT,
    embeddings,
    sizes: results,
  };
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: DEFAULTS.sizes.join(',') },
      queries: { type: 'string', default: String(DEFAULTS.queries) },
      vectors: { type: 'string', default: 'clustered' },
    },
  });
  const shape = values.vectors as VectorShape;
  if (shape !== 'clustered' && shape !== 'uniform') throw new Error('--vectors is clustered or uniform');
  const sizes = values.sizes.split(',').map(Number);
  const queries = Number(values.queries);
  if (sizes.some((s) => !Number.isInteger(s) || s < 100) || !Number.isInteger(queries) || queries < 1) {
    throw new Error('--sizes takes integers ≥ 100 (comma-separated), --queries a positive integer');
  }
  const result = await runMemoryBench({ sizes, queries, vectors: shape });
  const markdown = renderMemoryMarkdown(result);
  process.stdout.write(`\n${markdown}\n`);
  await writeResults('memory', markdown, renderJson(result));
  log('wrote bench/results/memory.md and bench/results/memory.json');
}

runAsScript(import.meta.url, main);
