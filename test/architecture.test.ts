// The layers of DESIGN.md §2, checked on the source: the faces (src/graphql with the HTTP server, src/http for the
// routes beside it, src/swarm with workers/, src/cli — the operator's `chimera` commands), one core (src/domain), adapters (src/platform). Nothing imports upward,
// and no module imports itself back through a cycle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (value and type imports alike), as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g),
    ...text.matchAll(/^import\s+'(\.{1,2}\/[^']+)'/gm),
  ].map((m) => m[1] as string);
  return found
    .map((spec) => relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'))
    .filter((path) => !path.includes('/generated/'));
}

const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'workers'))];
const graph = new Map(files.map((f) => [relative(ROOT, f), importsOf(f)]));

/** What each layer may import (besides itself and src/config.ts). */
const LAYERS: { layer: string; may: string[] }[] = [
  { layer: 'src/platform/', may: [] },
  { layer: 'src/domain/', may: ['src/platform/'] },
  { layer: 'src/graphql/', may: ['src/domain/', 'src/platform/'] },
  { layer: 'src/swarm/', may: ['src/domain/', 'src/platform/'] },
  { layer: 'src/http/', may: ['src/domain/', 'src/platform/'] },
  // The CLI also seeds (prisma/seed.ts, which uses the core and adapters the same way).
  { layer: 'src/cli/', may: ['src/domain/', 'src/platform/', 'prisma/'] },
  { layer: 'workers/', may: ['src/swarm/'] },
];

describe('the layers', () => {
  it('import nothing above themselves', () => {
    const violations: string[] = [];
    for (const [file, imports] of graph) {
      const rule = LAYERS.find((l) => file.startsWith(l.layer));
      if (!rule) continue;
      for (const target of imports) {
        const ok =
          target.startsWith(rule.layer) || target === 'src/config.ts' || rule.may.some((m) => target.startsWith(m));
        if (!ok) violations.push(`${file} → ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('have no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      stack.push(file);
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next);
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file);
    expect(cycles).toEqual([]);
  });

  it('sees the whole source tree (the check would pass vacuously otherwise)', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect([...graph.values()].flat().length).toBeGreaterThan(200);
  });
});
