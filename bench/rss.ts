// npm run bench:rss [-- --duration 10]
// Resident memory (VmRSS from /proc/<pid>/status) of Chimera's processes as production runs them, each a real
// process pinned to core 0 against a bench database and Redis prefix of its own:
//   the API idle        src/main.ts with EMBEDDED_WORKERS=false, read 2 s after it logged "Chimera API listening"
//   each worker stage   workers/<stage>.ts for every stage in workers/, read 2 s after "swarm stages running"
//   the API under load  the peak of samples every 200 ms during an autocannon run (GET publicPosts, from core 1)
// Baseline: a bare `node -e` node:http server, idle and under the same load. The processes run as
// `node --import tsx <file>` (what `tsx <file>` runs, minus the tsx CLI's own parent process), so the pid read is
// the one doing the work. Writes bench/results/rss.{md,json}.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { seedDemo } from '../prisma/seed.js';
import { createDatabase } from '../src/platform/db/prisma.js';
import { chimeraEnv, createWorld } from './lib/chimera.js';
import { machine, pinLoadGenerator, pinned, ROOT } from './lib/pinning.js';
import { renderJson } from './lib/report.js';
import { Cleanup, rssKib } from './lib/resources.js';
import { runAsScript, writeResults } from './lib/script.js';
import { sleep, within } from './lib/stats.js';

export interface RssOptions {
  /** Seconds of load on the API (and on the baseline). */
  duration: number;
  connections: number;
  /** Seconds between "ready" and the idle reading. */
  settle: number;
}

export const RSS_DEFAULTS: RssOptions = { duration: 10, connections: 16, settle: 2 };

const QUERY = '{ publicPosts(limit: 10) { id text agentName publishedAt likes } }';
const BARE_SERVER =
  "require('node:http').createServer((q,s)=>s.end('{\"data\":{}}')).listen(0,'127.0.0.1',function(){process.stdout.write(JSON.stringify({msg:'listening',url:'http://127.0.0.1:'+this.address().port+'/graphql'})+'\\n')});process.on('SIGTERM',()=>process.exit(0))";

export interface RssReading {
  name: string;
  /** KiB. */
  rssKib: number;
}

export interface RssResult {
  date: string;
  machine: ReturnType<typeof machine>;
  options: RssOptions;
  baseline: { idleKib: number; loadedPeakKib: number; loadedRps: number };
  api: { idleKib: number; loadedPeakKib: number; loadedRps: number };
  workers: RssReading[];
  /** API idle ÷ bare idle. */
  ratio: number;
}

interface Running {
  pid: number;
  /** From the ready line, when it has one. */
  url: string | undefined;
  stop(): Promise<void>;
}

/** Spawns `node argv…` pinned to core 0 and waits for a stdout/stderr line containing `readyText`. */
async function start(
  name: string,
  argv: string[],
  env: Record<string, string>,
  readyText: string,
  cleanup: Cleanup,
): Promise<Running> {
  const { command, args } = pinned(process.execPath, argv);
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  cleanup.add(`stop ${name}`, stop);
  const tail: string[] = [];
  const ready = new Promise<string | undefined>((resolve, reject) => {
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 10) tail.shift();
      if (!line.includes(readyText)) return;
      let url: string | undefined;
      try {
        const parsed = JSON.parse(line) as { url?: unknown };
        url = typeof parsed.url === 'string' ? parsed.url : undefined;
      } catch {
        url = undefined;
      }
      resolve(url);
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before ready: ${tail.join(' | ')}`)));
  });
  const url = await within(ready, 120_000, () => `${name} never logged "${readyText}": ${tail.join(' | ')}`);
  if (child.pid === undefined) throw new Error(`${name} has no pid`);
  return { pid: child.pid, url, stop };
}

/** The peak RSS of `pid` while autocannon loads `url`, and the load's req/s. */
async function underLoad(pid: number, url: string, opts: RssOptions): Promise<{ peakKib: number; rps: number }> {
  let peak = await rssKib(pid);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rssKib(pid));
      await sleep(200);
    }
  })();
  const r = await autocannon({
    url: `${url}?query=${encodeURIComponent(QUERY)}`,
    connections: opts.connections,
    duration: opts.duration,
    headers: { accept: 'application/json' },
  });
  sampling = false;
  await sampler;
  return { peakKib: peak, rps: r.requests.average };
}

/** The stages there are a process for: workers/<stage>.ts. */
export function workerStages(): string[] {
  return readdirSync(new URL('../workers/', import.meta.url))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export async function runRss(options: Partial<RssOptions> = {}): Promise<RssResult> {
  const opts: RssOptions = { ...RSS_DEFAULTS, ...options };
  const cleanup = new Cleanup();
  const started = machine();
  const unpin = pinLoadGenerator();
  try {
    // The baseline first, on a quiet machine.
    const bare = await start('bare node:http', ['-e', BARE_SERVER], {}, 'listening', cleanup);
    await sleep(opts.settle * 1000);
    const bareIdle = await rssKib(bare.pid);
    const bareLoaded = await underLoad(bare.pid, bare.url as string, opts);
    await bare.stop();

    const world = await createWorld(cleanup, 'rss');
    const db = createDatabase({ url: world.databaseUrl, poolSize: 2 });
    try {
      await seedDemo(db);
    } finally {
      await db.$disconnect();
    }
    const env = { ...chimeraEnv(world, { cache: false }), CHIMERA_LOG_LEVEL: 'info' };

    const api = await start(
      'the API (src/main.ts)',
      ['--import', 'tsx', 'src/main.ts'],
      env,
      'Chimera API listening',
      cleanup,
    );
    await sleep(opts.settle * 1000);
    const apiIdle = await rssKib(api.pid);
    const apiLoaded = await underLoad(api.pid, api.url as string, opts);
    await api.stop();

    // Every stage at once (each its own process), each read once it runs.
    const stages = workerStages();
    const workers = await Promise.all(
      stages.map(async (stage) => {
        const w = await start(
          `workers/${stage}.ts`,
          ['--import', 'tsx', `workers/${stage}.ts`],
          env,
          'swarm stages running',
          cleanup,
        );
        return { stage, w };
      }),
    );
    await sleep(opts.settle * 1000);
    const readings: RssReading[] = [];
    for (const { stage, w } of workers) readings.push({ name: stage, rssKib: await rssKib(w.pid) });
    await Promise.all(workers.map(({ w }) => w.stop()));

    const result: RssResult = {
      date: new Date().toISOString(),
      machine: started,
      options: opts,
      baseline: { idleKib: bareIdle, loadedPeakKib: bareLoaded.peakKib, loadedRps: bareLoaded.rps },
      api: { idleKib: apiIdle, loadedPeakKib: apiLoaded.peakKib, loadedRps: apiLoaded.rps },
      workers: readings,
      ratio: apiIdle / bareIdle,
    };
    process.stderr.write(
      `rss: bare ${(bareIdle / 1024).toFixed(1)} MiB, API idle ${(apiIdle / 1024).toFixed(1)} MiB, under load ${(apiLoaded.peakKib / 1024).toFixed(1)} MiB\n`,
    );
    return result;
  } finally {
    await cleanup.run();
    unpin();
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

export function renderRssMarkdown(r: RssResult): string {
  const b = r.baseline.idleKib;
  return [
    '## Resident memory (VmRSS)',
    '',
    `${r.machine.cores} cores · Node ${r.machine.node} · load ${r.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')} · load runs: ${r.options.connections} connections, ${r.options.duration} s`,
    '',
    '| process | RSS MiB | × bare node:http | baseline MiB |',
    '|---|---:|---:|---:|',
    `| bare \`node -e\` node:http server, idle (baseline) | ${mib(b)} | 1.00 | ${mib(b)} |`,
    `| API (src/main.ts, EMBEDDED_WORKERS=false), idle | ${mib(r.api.idleKib)} | ${(r.api.idleKib / b).toFixed(2)} | ${mib(b)} |`,
    ...r.workers.map(
      (w) => `| workers/${w.name}.ts, running | ${mib(w.rssKib)} | ${(w.rssKib / b).toFixed(2)} | ${mib(b)} |`,
    ),
    `| API under load (peak; ${Math.round(r.api.loadedRps)} req/s) vs bare under the same load (peak; ${Math.round(r.baseline.loadedRps)} req/s) | ${mib(r.api.loadedPeakKib)} | ${(r.api.loadedPeakKib / r.baseline.loadedPeakKib).toFixed(2)} | ${mib(r.baseline.loadedPeakKib)} |`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: String(RSS_DEFAULTS.duration) },
      connections: { type: 'string', default: String(RSS_DEFAULTS.connections) },
    },
  });
  const result = await runRss({ duration: Number(values.duration), connections: Number(values.connections) });
  const markdown = renderRssMarkdown(result);
  process.stdout.write(`${markdown}\n`);
  await writeResults('rss', markdown, renderJson(result));
}

runAsScript(import.meta.url, main);
