// npm run bench:nested [-- --duration 10 --warmup 3 --connections 32]
// A database-heavy nested read — agents → persona → latest tasks → their content — in one run, against:
//   bare graphql-yoga + Prisma  hand-written resolvers over the same rows (bench/servers/nested-schema.ts): the peer
//   Apollo Server               the same schema and the same resolvers, served by @apollo/server
//   Chimera                     the whole API, every protection on, response cache off, as a signed-in super_admin
// Requests/s and latency p50/p99 from autocannon (POST), each as a ratio of bare yoga. Servers pinned to core 0,
// autocannon on core 1 (bench/lib/pinning.ts), after a warm-up. Writes bench/results/nested.{md,json}.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createDatabase } from '../src/platform/db/prisma.js';
import { adminToken, type BenchWorld, chimeraEnv, createWorld } from './lib/chimera.js';
import { type LoadOptions, type LoadResult, measureLoad } from './lib/load.js';
import { machine, pinLoadGenerator, serve } from './lib/pinning.js';
import { renderJson } from './lib/report.js';
import { Cleanup } from './lib/resources.js';
import { runAsScript, writeResults } from './lib/script.js';

export const NESTED_QUERY =
  '{ agents(first: 20) { edges { node { id name active persona { id name } tasks(first: 5) { edges { node { id taskType status createdAt contents { id contentType contentData status } } } } } } } }';

export interface NestedOptions extends LoadOptions {
  agents: number;
  tasksPerAgent: number;
  contentPerTask: number;
}

export const NESTED_DEFAULTS: NestedOptions = {
  duration: 10,
  warmup: 3,
  connections: 32,
  agents: 20,
  tasksPerAgent: 10,
  contentPerTask: 2,
};

export interface NestedResult {
  date: string;
  machine: ReturnType<typeof machine>;
  options: NestedOptions;
  query: string;
  /** Content nodes in each server's answer (all must be equal: the same rows). */
  contentNodes: Record<string, number>;
  results: LoadResult[];
  /** Chimera req/s ÷ bare yoga req/s. */
  ratio: number;
  apolloRatio: number;
}

async function seed(world: BenchWorld, opts: NestedOptions): Promise<void> {
  const db = createDatabase({ url: world.databaseUrl, poolSize: 2 });
  try {
    const personas = Array.from({ length: Math.max(1, Math.ceil(opts.agents / 4)) }, (_, i) => ({
      id: randomUUID(),
      name: `Bench persona ${i}`,
      backstory: 'A persona made by the nested-read benchmark.',
    }));
    await db.persona.createMany({ data: personas });
    const t0 = Date.now() - 86_400_000;
    const agents = Array.from({ length: opts.agents }, (_, i) => ({
      id: randomUUID(),
      name: `bench-agent-${i}`,
      personaId: (personas[i % personas.length] as { id: string }).id,
      createdAt: new Date(t0 + i * 1_000),
    }));
    await db.agent.createMany({ data: agents });
    const tasks = agents.flatMap((a, i) =>
      Array.from({ length: opts.tasksPerAgent }, (_, k) => ({
        id: randomUUID(),
        agentId: a.id,
        taskType: 'generate_content',
        priority: 'medium',
        status: 'complete',
        context: { goalDescription: `Benchmark goal ${i}.${k}` },
        createdAt: new Date(t0 + i * 1_000 + k * 10),
      })),
    );
    await db.task.createMany({ data: tasks });
    await db.content.createMany({
      data: tasks.flatMap((t, i) =>
        Array.from({ length: opts.contentPerTask }, (_, k) => ({
          id: randomUUID(),
          taskId: t.id,
          agentId: t.agentId,
          contentType: 'text',
          contentData: `Benchmark draft ${i}.${k}: small tools, big leverage, and a question for you?`,
          status: 'draft',
          createdAt: new Date(t0 + i * 10 + k),
        })),
      ),
    });
  } finally {
    await db.$disconnect();
  }
}

function countContent(body: unknown): number {
  const agents = (
    body as { data?: { agents?: { edges: { node: { tasks: { edges: { node: { contents: unknown[] } }[] } } }[] } } }
  ).data?.agents?.edges;
  if (!agents) throw new Error(`no agents in the answer: ${JSON.stringify(body).slice(0, 300)}`);
  return agents.reduce((n, a) => n + a.node.tasks.edges.reduce((m, t) => m + t.node.contents.length, 0), 0);
}

export async function runNested(options: Partial<NestedOptions> = {}): Promise<NestedResult> {
  const opts: NestedOptions = { ...NESTED_DEFAULTS, ...options };
  const cleanup = new Cleanup();
  const started = machine();
  const unpin = pinLoadGenerator();
  try {
    const world = await createWorld(cleanup, 'nested');
    await seed(world, opts);
    const token = await adminToken(world);
    const body = JSON.stringify({ query: NESTED_QUERY });
    const results: LoadResult[] = [];
    const contentNodes: Record<string, number> = {};
    const run = async (name: string, script: string, env: Record<string, string>, headers: Record<string, string>) => {
      const server = await serve(script, env);
      try {
        const target = {
          url: server.url,
          method: 'POST' as const,
          body,
          headers: { 'content-type': 'application/json', ...headers },
        };
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { accept: 'application/json', ...target.headers },
          body,
        });
        const answer = (await res.json()) as { errors?: unknown[] };
        if (!res.ok || answer.errors)
          throw new Error(`${name} answered ${res.status}: ${JSON.stringify(answer).slice(0, 500)}`);
        contentNodes[name] = countContent(answer);
        results.push(await measureLoad(name, target, opts));
      } finally {
        await server.stop();
      }
    };
    await run('bare graphql-yoga + Prisma', 'bench/servers/nested-yoga.ts', { DATABASE_URL: world.databaseUrl }, {});
    await run(
      'Apollo Server (same resolvers)',
      'bench/servers/nested-apollo.ts',
      { DATABASE_URL: world.databaseUrl },
      {},
    );
    await run(
      'Chimera (every protection on, no response cache)',
      'bench/servers/chimera.ts',
      chimeraEnv(world, { cache: false }),
      {
        authorization: `Bearer ${token}`,
      },
    );
    const counts = new Set(Object.values(contentNodes));
    if (counts.size !== 1) throw new Error(`the servers answered different rows: ${JSON.stringify(contentNodes)}`);
    const [bare, apollo, chimera] = results as [LoadResult, LoadResult, LoadResult];
    return {
      date: new Date().toISOString(),
      machine: started,
      options: opts,
      query: NESTED_QUERY,
      contentNodes,
      results,
      ratio: chimera.rps / bare.rps,
      apolloRatio: apollo.rps / bare.rps,
    };
  } finally {
    await cleanup.run();
    unpin();
  }
}

export function renderNestedMarkdown(r: NestedResult): string {
  const bare = r.results[0]?.rps ?? Number.NaN;
  return [
    '## Nested read: agents → persona → latest tasks → content',
    '',
    `${r.machine.cores} cores · Node ${r.machine.node} · load ${r.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')} · pinned: ${r.machine.pinned ? 'servers core 0, autocannon core 1' : 'no'} · ${r.options.connections} connections · ${r.options.warmup} s warm-up, ${r.options.duration} s measured`,
    `${r.options.agents} agents × ${r.options.tasksPerAgent} tasks × ${r.options.contentPerTask} content seeded; ${Object.values(r.contentNodes)[0] ?? '?'} content nodes per answer. POST \`${r.query}\``,
    '',
    '| server | req/s | × bare yoga | p50 ms | p99 ms | errors | non-2xx |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.results.map(
      (x) =>
        `| ${x.name} | ${Math.round(x.rps).toLocaleString('en')} | ${(x.rps / bare).toFixed(3)} | ${x.p50} | ${x.p99} | ${x.errors} | ${x.non2xx} |`,
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: String(NESTED_DEFAULTS.duration) },
      warmup: { type: 'string', default: String(NESTED_DEFAULTS.warmup) },
      connections: { type: 'string', default: String(NESTED_DEFAULTS.connections) },
    },
  });
  const result = await runNested({
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
  });
  const markdown = renderNestedMarkdown(result);
  process.stdout.write(`${markdown}\n`);
  await writeResults('nested', markdown, renderJson(result));
}

runAsScript(import.meta.url, main);
