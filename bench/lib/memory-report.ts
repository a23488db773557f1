// The memory benchmark's results (bench/memory.ts): one object, rendered as Markdown (stdout and
// bench/results/memory.md); bench/results/memory.json has every figure (renderJson in report.ts).
import type { EmbeddingModelId } from '../../src/platform/embeddings/embeddings.js';
import { fmt, type Summary } from './stats.js';

export interface EmbeddingBench {
  model: EmbeddingModelId;
  /** First call: loading the model and one text. */
  loadMs: number;
  batch1: { texts: number; ms: number; textsPerSecond: number };
  batch64: { texts: number; ms: number; textsPerSecond: number };
}

export interface SearchPhase {
  filteredMs: Summary;
  /** Share of the exact top 10 (the brute-force answer) that the store returned. */
  filteredRecall: number;
  unfilteredMs: Summary;
  unfilteredRecall: number;
}

export interface SizeBench {
  records: number;
  queries: number;
  unfilteredQueries: number;
  /** Rows passing the filter, over the first 20 queries. */
  passingRows: Summary;
  loadMs: number;
  rowsPerSecond: number;
  optimizeMs: number;
  optimizeActions: string[];
  vectorIndex: boolean;
  before: SearchPhase;
  after: SearchPhase;
  bruteForce: { filteredMs: Summary; unfilteredMs: Summary };
}

export interface MemoryBenchResult {
  date: string;
  node: string;
  platform: string;
  cores: number;
  loadAverage1m: number;
  totalSeconds: number;
  dimension: number;
  /** How the synthetic vectors are spread. */
  vectors: string;
  agents: number;
  filter: string;
  limit: number;
  embeddings: EmbeddingBench;
  sizes: SizeBench[];
}

const ms = (s: Summary) => `${fmt(s.p50, 2)} / ${fmt(s.p95, 2)}`;
const pct = (x: number) => `${fmt(x * 100, 1)} %`;
const n = (x: number) => x.toLocaleString('en-US');

export function renderMemoryMarkdown(r: MemoryBenchResult): string {
  const e = r.embeddings;
  const lines = [
    `## Memory benchmark (${r.date})`,
    '',
    `${r.cores} cores (\`os.availableParallelism()\`), 1-minute load ${fmt(r.loadAverage1m, 2)} at the start; ${r.node} on ${r.platform}; ${fmt(r.totalSeconds, 0)} s in all.`,
    '',
    `### Embedding throughput (${e.model.provider}/${e.model.model}, ${e.model.dimension} dimensions)`,
    '',
    '| Calls | Texts | Time (s) | Texts/s |',
    '| --- | ---: | ---: | ---: |',
    `| One text per call (batch 1) | ${e.batch1.texts} | ${fmt(e.batch1.ms / 1000, 2)} | ${fmt(e.batch1.textsPerSecond, 1)} |`,
    `| Batches of 64 | ${e.batch64.texts} | ${fmt(e.batch64.ms / 1000, 2)} | **${fmt(e.batch64.textsPerSecond, 1)}** |`,
    `| Ratio batch 64 ÷ batch 1 | | | **${fmt(e.batch64.textsPerSecond / e.batch1.textsPerSecond, 2)}×** |`,
    '',
    `Model load + first text: ${fmt(e.loadMs, 0)} ms.`,
    '',
    `### Filtered search in LanceDB (AgentMemory, ${r.dimension}-d unit vectors, ${r.agents} agents, top ${r.limit})`,
    '',
    `Vectors: ${r.vectors}. Filter: ${r.filter}. Latencies in ms, p50 / p95, one query at a time. Baseline: a brute-force scan of the same`,
    'records held in this process (check the filter on every row, dot product of the rows that pass, keep the top 10)',
    '— the exact answer, which also gives the recall.',
    '',
    '| Records | Rows passing (median) | Before optimize() | After optimize() | Brute force (baseline) | After ÷ baseline (p50) | Recall after |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.sizes.map(
      (s) =>
        `| ${n(s.records)} | ${fmt(s.passingRows.p50, 0)} | ${ms(s.before.filteredMs)} | **${ms(s.after.filteredMs)}** | ${ms(s.bruteForce.filteredMs)} | ${fmt(s.after.filteredMs.p50 / s.bruteForce.filteredMs.p50, 2)}× | ${pct(s.after.filteredRecall)} |`,
    ),
    '',
    'Without a filter (nearest of all records):',
    '',
    '| Records | Before optimize() | After optimize() | Brute force (baseline) | After ÷ baseline (p50) | Recall before / after |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.sizes.map(
      (s) =>
        `| ${n(s.records)} | ${ms(s.before.unfilteredMs)} | **${ms(s.after.unfilteredMs)}** | ${ms(s.bruteForce.unfilteredMs)} | ${fmt(s.after.unfilteredMs.p50 / s.bruteForce.unfilteredMs.p50, 2)}× | ${pct(s.before.unfilteredRecall)} / ${pct(s.after.unfilteredRecall)} |`,
    ),
    '',
    '| Records | Load (upsert, batches of 5,000) | optimize() | What optimize() did |',
    '| ---: | ---: | ---: | --- |',
    ...r.sizes.map(
      (s) =>
        `| ${n(s.records)} | ${fmt(s.loadMs / 1000, 1)} s (${fmt(s.rowsPerSecond, 0)} rows/s) | ${fmt(s.optimizeMs / 1000, 1)} s | ${s.optimizeActions.join('; ') || 'nothing'} |`,
    ),
    '',
    `Queries per size: ${r.sizes[0]?.queries ?? 0} filtered, ${r.sizes[0]?.unfilteredQueries ?? 0} unfiltered.`,
    '',
  ];
  return lines.join('\n');
}
