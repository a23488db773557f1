// One HTTP load measurement with autocannon: a warm-up (not counted), then the measured run.
import autocannon from 'autocannon';

export interface LoadOptions {
  connections: number;
  /** Seconds. */
  duration: number;
  /** Seconds; 0 for none. */
  warmup: number;
}

export interface LoadResult {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface Target {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export async function measureLoad(name: string, target: Target, opts: LoadOptions): Promise<LoadResult> {
  const request = {
    url: target.url,
    method: target.method ?? 'GET',
    headers: { accept: 'application/json', ...target.headers },
    ...(target.body === undefined ? {} : { body: target.body }),
    connections: opts.connections,
  };
  if (opts.warmup > 0) await autocannon({ ...request, duration: opts.warmup });
  const r = await autocannon({ ...request, duration: opts.duration });
  // No request finished inside the window (each took longer than the run): there is no figure, not a zero one.
  const none = r.requests.total === 0;
  if (none) process.stderr.write(`${name}: no request completed in ${opts.duration} s: use a longer --duration\n`);
  const s: LoadResult = {
    name,
    rps: none ? Number.NaN : r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
  process.stderr.write(`${name}: ${Math.round(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms\n`);
  return s;
}
