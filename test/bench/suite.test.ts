// Smoke test of `npm run bench` (bench/run.ts): a tiny run (the smoke profile) of a cheap subset of the scenarios,
// as its own process, into a temporary directory. It checks the report's shape — every scenario asked for is there,
// without an error, each row with a finite figure, baseline and ratio — never how fast anything was.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SUBSET = ['nested', 'fanout'];

interface Row {
  figure: string;
  value: number | null;
  baselineValue: number | null;
  ratio: number | null;
}
interface Report {
  machine: { cores: number; node: string; loadAverage: number[] };
  scenarios: { name: string; error?: string; rows: Row[] }[];
}

let out: string | undefined;
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('npm run bench', () => {
  it('writes a report with a figure, a baseline and a ratio for every scenario it ran', {
    timeout: 180_000,
  }, async () => {
    out = await mkdtemp(join(tmpdir(), 'chimera-bench-suite-'));
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--profile', 'smoke', '--only', SUBSET.join(','), '--out', out],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 170_000 },
    );
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.loadAverage).toHaveLength(3);
    expect(report.scenarios.map((s) => s.name)).toEqual(SUBSET);
    for (const s of report.scenarios) {
      expect(s.error, s.name).toBeUndefined();
      expect(s.rows.length, s.name).toBeGreaterThan(0);
      for (const r of s.rows) {
        for (const v of [r.value, r.baselineValue, r.ratio]) {
          expect(typeof v === 'number' && Number.isFinite(v), `${s.name}: ${r.figure}`).toBe(true);
        }
      }
    }
    const markdown = await readFile(join(out, 'report.md'), 'utf8');
    expect(markdown).toContain(`Node ${process.version}`);
    for (const name of SUBSET) expect(markdown).toContain(`| ${name} |`);
  });
});
