// HTTP reads, in one run, each against a ceiling and a peer measured the same way (npm run bench:http):
//   raw node:http        a fixed JSON body of the same size: the ceiling
//   bare yoga + Prisma   the same query, the same rows, nothing else
//   Chimera uncached     the whole API: authentication, permission rules, rate limits, query protection
//   Chimera cache hit    the same, answered from the response cache in Redis
//   Varnish edge hit     Varnish (the shipped VCL) in front of Chimera, answering from the edge
// Requests/s and latency p50/p99 from autocannon, each as a ratio of the ceiling. Every server runs in its own
// process pinned to core 0 (taskset), the load generator on core 1, after a warm-up. The query is the public
// publicPosts over GET — the kind of read an edge may cache.
import { parseArgs } from 'node:util';
import { seedDemo } from '../prisma/seed.js';
import { createDatabase } from '../src/platform/db/prisma.js';
import { startVarnish, varnishdPath } from '../test/helpers/varnish.js';
import { chimeraEnv, createWorld } from './lib/chimera.js';
import { type LoadOptions, type LoadResult, measureLoad } from './lib/load.js';
import { hasTaskset, machine, pinLoadGenerator, serve } from './lib/pinning.js';
import { Cleanup } from './lib/resources.js';
import { runAsScript, writeResults } from './lib/script.js';

export const HTTP_QUERY = '{ publicPosts(limit: 10) { id text agentName publishedAt likes } }';
const POSTS = 20;

export type HttpOptions = LoadOptions;
export const HTTP_DEFAULTS: HttpOptions = { duration: 10, warmup: 3, connections: 32 };

export const HTTP_SCENARIOS = {
  raw: 'raw node:http (ceiling)',
  bare: 'bare graphql-yoga + Prisma',
  uncached: 'Chimera, uncached (every protection on)',
  cacheHit: 'Chimera, response-cache hit',
  varnish: 'Varnish edge hit (Chimera behind)',
} as const;

export interface HttpResult {
  date: string;
  machine: ReturnType<typeof machine>;
  options: HttpOptions;
  query: string;
  results: LoadResult[];
  /** Why a scenario did not run (Varnish not installed). */
  skipped: string[];
}

function hasVarnish(): boolean {
  try {
    varnishdPath();
    return true;
  } catch {
    return false;
  }
}

export async function runHttp(options: Partial<HttpOptions> = {}): Promise<HttpResult> {
  const opts: HttpOptions = { ...HTTP_DEFAULTS, ...options };
  const cleanup = new Cleanup();
  const started = machine();
  const unpin = pinLoadGenerator();
  try {
    const world = await createWorld(cleanup, 'http');
    const db = createDatabase({ url: world.databaseUrl, poolSize: 2 });
    cleanup.add('disconnect the seed client', () => db.$disconnect());
    const { agentId } = await seedDemo(db);
    for (let i = 0; i < POSTS; i++) {
      await db.content.create({
        data: {
          agentId,
          contentType: 'text',
          contentData: `Benchmark post ${i}: small tools, big leverage, and a question for you?`,
          status: 'published',
          publishedAt: new Date(Date.now() - i * 60_000),
        },
      });
    }
    await db.$disconnect();

    const results: LoadResult[] = [];
    const skipped: string[] = [];
    const run = async (name: string, start: () => Promise<{ url: string; stop: () => Promise<void> }>) => {
      const server = await start();
      try {
        results.push(await measureLoad(name, { url: `${server.url}?query=${encodeURIComponent(HTTP_QUERY)}` }, opts));
      } finally {
        await server.stop();
      }
    };

    // The same body the GraphQL servers answer, for the ceiling.
    const sample = await (async () => {
      const s = await serve('bench/servers/bare-yoga.ts', { DATABASE_URL: world.databaseUrl });
      try {
        return await (
          await fetch(`${s.url}?query=${encodeURIComponent(HTTP_QUERY)}`, { headers: { accept: 'application/json' } })
        ).text();
      } finally {
        await s.stop();
      }
    })();

    await run(HTTP_SCENARIOS.raw, () => serve('bench/servers/raw.ts', { RAW_BODY: sample }));
    await run(HTTP_SCENARIOS.bare, () => serve('bench/servers/bare-yoga.ts', { DATABASE_URL: world.databaseUrl }));
    await run(HTTP_SCENARIOS.uncached, () => serve('bench/servers/chimera.ts', chimeraEnv(world, { cache: false })));
    await run(HTTP_SCENARIOS.cacheHit, () => serve('bench/servers/chimera.ts', chimeraEnv(world, { cache: true })));
    if (hasVarnish()) {
      await run(HTTP_SCENARIOS.varnish, async () => {
        const api = await serve('bench/servers/chimera.ts', chimeraEnv(world, { cache: true }));
        const edge = await startVarnish({
          backendPort: Number(new URL(api.url).port),
          pin: hasTaskset ? '0' : undefined,
        });
        return {
          url: `${edge.url}/graphql`,
          stop: async () => {
            await edge.stop();
            await api.stop();
          },
        };
      });
    } else {
      skipped.push(`${HTTP_SCENARIOS.varnish}: varnishd is not installed (apt-get install varnish varnish-modules)`);
    }
    return { date: new Date().toISOString(), machine: started, options: opts, query: HTTP_QUERY, results, skipped };
  } finally {
    await cleanup.run();
    unpin();
  }
}

export function renderHttpMarkdown(r: HttpResult): string {
  const ceiling = r.results[0]?.rps ?? 1;
  const m = r.machine;
  return [
    '# HTTP read benchmark',
    '',
    `${r.date} · Node ${m.node} · ${m.cores} cores (${m.cpu}) · load ${m.loadAverage[0]?.toFixed(2)}`,
    `Servers pinned to core 0, autocannon to core 1: ${m.pinned ? 'yes' : 'no (taskset or a second core missing)'} · ${r.options.connections} connections · ${r.options.warmup} s warm-up, ${r.options.duration} s measured · GET \`${r.query}\``,
    '',
    '| scenario | req/s | × ceiling | p50 ms | p99 ms | errors | non-2xx |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.results.map(
      (x) =>
        `| ${x.name} | ${Math.round(x.rps).toLocaleString('en')} | ${(x.rps / ceiling).toFixed(3)} | ${x.p50} | ${x.p99} | ${x.errors} | ${x.non2xx} |`,
    ),
    ...r.skipped.map((s) => `| ${s} | – | – | – | – | – | – |`),
    '',
  ].join('\n');
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      duration: { type: 'string', default: String(HTTP_DEFAULTS.duration) },
      warmup: { type: 'string', default: String(HTTP_DEFAULTS.warmup) },
      connections: { type: 'string', default: String(HTTP_DEFAULTS.connections) },
    },
  });
  const r = await runHttp({
    duration: Number(args.duration),
    warmup: Number(args.warmup),
    connections: Number(args.connections),
  });
  const markdown = renderHttpMarkdown(r);
  process.stdout.write(`${markdown}\n`);
  await writeResults(
    'http',
    markdown,
    `${JSON.stringify({ date: r.date, cores: r.machine.cores, pinned: r.machine.pinned, connections: r.options.connections, durationSeconds: r.options.duration, query: r.query, results: r.results, skipped: r.skipped }, null, 2)}\n`,
  );
}

runAsScript(import.meta.url, main);
