// HTTP reads, in one run, each against a ceiling and a peer measured the same way (npm run bench:http):
//   raw node:http        a fixed JSON body of the same size: the ceiling
//   bare yoga + Prisma   the same query, the same rows, nothing else
//   Chimera uncached     the whole API: authentication, permission rules, rate limits, query protection
//   Chimera cache hit    the same, answered from the response cache in Redis
//   Varnish edge hit     Varnish (the shipped VCL) in front of Chimera, answering from the edge
// Requests/s and latency p50/p99 from autocannon, each as a ratio of the ceiling. Every server runs in its own
// process pinned to core 0 (taskset), the load generator on core 1, after a warm-up. The query is the public
// publicPosts over GET — the kind of read an edge may cache.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { seedDemo } from '../prisma/seed.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/platform/db/prisma.js';
import { type ChildServer, startChildServer } from '../src/platform/mcp/child-server.js';
import { startVarnish } from '../test/helpers/varnish.js';
import { benchRedis, Cleanup, createMigratedDatabase, deleteKeys } from './lib/resources.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const QUERY = '{ publicPosts(limit: 10) { id text agentName publishedAt likes } }';
const POSTS = 20;

interface Scenario {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
  },
});
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();

/** This process (the load generator) on core 1; servers on core 0. */
if (hasTaskset) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
const pinned = (command: string, argv: string[]) =>
  hasTaskset ? { command: 'taskset', args: ['-c', '0', command, ...argv] } : { command, args: argv };

function serve(script: string, env: Record<string, string>): Promise<ChildServer> {
  const { command, args: argv } = pinned(process.execPath, ['--import', 'tsx', script]);
  return startChildServer({ command, args: argv, env, cwd: ROOT, startTimeoutMs: 60_000 });
}

async function measure(name: string, url: string): Promise<Scenario> {
  const target = `${url}?query=${encodeURIComponent(QUERY)}`;
  await autocannon({
    url: target,
    connections: CONNECTIONS,
    duration: WARMUP,
    headers: { accept: 'application/json' },
  });
  const r = await autocannon({
    url: target,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { accept: 'application/json' },
  });
  const s = {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
  process.stderr.write(`${name}: ${Math.round(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms\n`);
  return s;
}

async function main() {
  const cleanup = new Cleanup();
  process.once('SIGINT', () => void cleanup.run().then(() => process.exit(130)));
  try {
    const defaults = loadConfig({});
    const serverUrl = process.env.DATABASE_URL || defaults.databaseUrl;
    const redisUrl = process.env.REDIS_URL || defaults.redisUrl;
    const stamp = `${Date.now()}_${randomBytes(3).toString('hex')}`;
    const databaseUrl = await createMigratedDatabase(cleanup, serverUrl, `chimera_bench_http_${stamp}`);
    const prefix = `chimera_bench_http_${stamp}:`;
    const redis = benchRedis(cleanup, redisUrl);
    cleanup.add('delete the bench Redis keys', () => deleteKeys(redis, prefix));
    const vectorDir = mkdtempSync(join(tmpdir(), 'chimera-bench-vectors-'));
    cleanup.add('remove the vector dir', async () => rmSync(vectorDir, { recursive: true, force: true }));

    const db = createDatabase({ url: databaseUrl, poolSize: 2 });
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

    // Every protection on, with limits far above what a run reaches (the checks run; they never refuse).
    const chimeraEnv = (cache: boolean) => ({
      CHIMERA_ENV: 'test',
      CHIMERA_LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: '0',
      EMBEDDED_WORKERS: 'false',
      SOCIAL_SANDBOX: 'false',
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      VECTOR_STORE_DIR: vectorDir,
      RESPONSE_CACHE: String(cache),
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10000000',
      CONCURRENT_REQUESTS_ANONYMOUS: '100000',
      RATE_LIMIT_GROUPS: JSON.stringify({
        all: { perMinute: 100_000_000, burst: 10_000_000 },
        agents: { perMinute: 100_000_000, burst: 10_000_000 },
        content: { perMinute: 100_000_000, burst: 10_000_000 },
      }),
    });

    const results: Scenario[] = [];
    const run = async (name: string, start: () => Promise<{ url: string; stop: () => Promise<void> }>) => {
      const server = await start();
      try {
        results.push(await measure(name, server.url));
      } finally {
        await server.stop();
      }
    };

    // The same body the GraphQL servers answer, for the ceiling.
    const sample = await (async () => {
      const s = await serve('bench/servers/bare-yoga.ts', { DATABASE_URL: databaseUrl });
      try {
        return await (
          await fetch(`${s.url}?query=${encodeURIComponent(QUERY)}`, { headers: { accept: 'application/json' } })
        ).text();
      } finally {
        await s.stop();
      }
    })();

    await run('raw node:http (ceiling)', () => serve('bench/servers/raw.ts', { RAW_BODY: sample }));
    await run('bare graphql-yoga + Prisma', () => serve('bench/servers/bare-yoga.ts', { DATABASE_URL: databaseUrl }));
    await run('Chimera, uncached (every protection on)', () => serve('bench/servers/chimera.ts', chimeraEnv(false)));
    await run('Chimera, response-cache hit', () => serve('bench/servers/chimera.ts', chimeraEnv(true)));
    await run('Varnish edge hit (Chimera behind)', async () => {
      const api = await serve('bench/servers/chimera.ts', chimeraEnv(true));
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

    const ceiling = results[0]?.rps ?? 1;
    const lines = [
      '# HTTP read benchmark',
      '',
      `${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}) · load ${os.loadavg()[0]?.toFixed(2)}`,
      `Servers pinned to core 0, autocannon to core 1: ${hasTaskset ? 'yes' : 'no (taskset or a second core missing)'} · ${CONNECTIONS} connections · ${WARMUP} s warm-up, ${DURATION} s measured · GET \`${QUERY}\``,
      '',
      '| scenario | req/s | × ceiling | p50 ms | p99 ms | errors | non-2xx |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...results.map(
        (r) =>
          `| ${r.name} | ${Math.round(r.rps).toLocaleString('en')} | ${(r.rps / ceiling).toFixed(3)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`,
      ),
      '',
    ];
    const markdown = lines.join('\n');
    process.stdout.write(`${markdown}\n`);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(join(RESULTS_DIR, 'http.md'), markdown);
    await writeFile(
      join(RESULTS_DIR, 'http.json'),
      `${JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, pinned: hasTaskset, connections: CONNECTIONS, durationSeconds: DURATION, query: QUERY, results }, null, 2)}\n`,
    );
  } finally {
    await cleanup.run();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
