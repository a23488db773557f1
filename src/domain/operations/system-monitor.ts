// The spec's "system" escalation triggers as pure rules over samples (the runner that takes the samples and raises
// the alerts is system-monitor.service.ts):
//
//   error_rate     "Error rate > 5% for 10 minutes": of the requests answered in the last windowSeconds, the share
//                  that were the server's fault (5xx, INTERNAL_SERVER_ERROR — not BAD_USER_INPUT, FORBIDDEN, …)
//                  exceeds the threshold, over at least minRequests requests                              → level 1
//   response_time  "Response time > 5 seconds for 5 minutes": the 95th percentile (nearest rank) of the response
//                  times in the last windowSeconds exceeds thresholdMs, over at least minRequests — exactly: more
//                  than 1 request in 20 took longer than thresholdMs                                       → level 2
//   memory         "Memory usage > 90% for 5 minutes": every memory sample since at least windowSeconds ago is
//                  above the ratio (RSS against the limit)                                                 → level 2
//   database       "Database connection failures": the last `failures` pings in a row failed               → level 3
//
// A trigger is raised once when its condition starts and resolved once when it is clearly over: below the threshold
// by a margin (CLEAR_FACTOR), out of data (too few requests), or, for the database, a ping answered — so a value
// hovering at the threshold does not raise an alert every tick.
export const SYSTEM_TRIGGERS = ['error_rate', 'response_time', 'memory', 'database'] as const;
export type SystemTrigger = (typeof SYSTEM_TRIGGERS)[number];

export type EscalationLevel = 1 | 2 | 3;

/** The spec's escalation_procedures. */
export const ESCALATION_PROCEDURES: Readonly<Record<EscalationLevel, string>> = {
  1: 'Automated response + Alert on-call',
  2: 'Security team notification + Temporary restrictions',
  3: 'Immediate service shutdown + Incident response',
};

export const TRIGGER_LEVELS: Readonly<Record<SystemTrigger, EscalationLevel>> = {
  error_rate: 1,
  response_time: 2,
  memory: 2,
  database: 3,
};

/** What each level does here, measured and reversible (lifted when the alerts resolve). */
export const LEVEL_RESPONSES: Readonly<Record<EscalationLevel, string>> = {
  1: 'the alert (with its measurements) is stored, streamed to super_admins and sent to the on-call webhook',
  2: 'as level 1, and this process sheds optional load: the API refuses new subscriptions and anonymous operations the response cache cannot answer (503, Retry-After); a worker process takes one job at a time per stage',
  3: 'as level 2, and this process leaves rotation: the API answers /ready with 503 so the load balancer drains it; a worker process stops taking jobs (running jobs finish) — nothing exits',
};

/** Below threshold × CLEAR_FACTOR a raised trigger resolves. */
export const CLEAR_FACTOR = 0.8;
export const MEMORY_CLEAR_FACTOR = 0.95;

/** Requests answered in one slice of time. */
export interface RequestBucket {
  /** Start of the slice (Unix ms). */
  start: number;
  requests: number;
  /** Answered with the server's fault. */
  errors: number;
  /** Took longer than the response-time threshold. */
  slow: number;
  totalMs: number;
}

export interface MemorySample {
  at: number;
  usedBytes: number;
  limitBytes: number;
}

export interface DatabaseSample {
  at: number;
  ok: boolean;
  error?: string;
}

export interface MonitorSettings {
  errorRate: Readonly<{ threshold: number; windowSeconds: number; minRequests: number }>;
  responseTime: Readonly<{ thresholdMs: number; windowSeconds: number; minRequests: number }>;
  memory: Readonly<{ ratio: number; windowSeconds: number }>;
  database: Readonly<{ failures: number }>;
}

/** Requests below which the request triggers do not judge (too few to mean anything). */
export const DEFAULT_MIN_REQUESTS = 20;
/** Failed pings in a row that make a database connection failure. */
export const DEFAULT_DATABASE_FAILURES = 2;

export interface Evaluation {
  /** The condition holds (raise it, if it is not raised). */
  active: boolean;
  /** The condition is clearly over (resolve it, if it is raised). Never true together with `active`. */
  clear: boolean;
  observed: number;
  threshold: number;
  summary: string;
  details: Readonly<Record<string, number | string | boolean>>;
}

function inWindow(buckets: readonly RequestBucket[], now: number, windowSeconds: number) {
  const from = now - windowSeconds * 1000;
  let requests = 0;
  let errors = 0;
  let slow = 0;
  let totalMs = 0;
  for (const b of buckets) {
    if (b.start < from || b.start > now) continue;
    requests += b.requests;
    errors += b.errors;
    slow += b.slow;
    totalMs += b.totalMs;
  }
  return { requests, errors, slow, totalMs };
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function evaluateErrorRate(
  buckets: readonly RequestBucket[],
  now: number,
  s: MonitorSettings['errorRate'],
): Evaluation {
  const w = inWindow(buckets, now, s.windowSeconds);
  const rate = w.requests > 0 ? w.errors / w.requests : 0;
  const enough = w.requests >= s.minRequests;
  const active = enough && rate > s.threshold;
  return {
    active,
    clear: !enough || rate <= s.threshold * CLEAR_FACTOR,
    observed: rate,
    threshold: s.threshold,
    summary: `${pct(rate)} of ${w.requests} requests failed with a server error in the last ${s.windowSeconds} s (threshold ${pct(s.threshold)})`,
    details: { requests: w.requests, errors: w.errors, windowSeconds: s.windowSeconds, minRequests: s.minRequests },
  };
}

/** Nearest-rank percentile p (0 < p ≤ 1) of values (NaN for none): the reference the bucketed rule must match. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

export function evaluateResponseTime(
  buckets: readonly RequestBucket[],
  now: number,
  s: MonitorSettings['responseTime'],
): Evaluation {
  const w = inWindow(buckets, now, s.windowSeconds);
  const enough = w.requests >= s.minRequests;
  // p95 > T ⇔ fewer than ceil(0.95·n) requests took ≤ T ⇔ more than n/20 took longer (integer arithmetic: exact).
  const active = enough && w.slow * 20 > w.requests;
  const share = w.requests > 0 ? w.slow / w.requests : 0;
  const meanMs = w.requests > 0 ? Math.round(w.totalMs / w.requests) : 0;
  return {
    active,
    clear: !enough || share <= 0.05 * CLEAR_FACTOR,
    observed: share,
    threshold: 0.05,
    summary: `${pct(share)} of ${w.requests} requests took longer than ${s.thresholdMs} ms in the last ${s.windowSeconds} s: the 95th percentile is ${active ? 'above' : 'within'} the threshold (mean ${meanMs} ms)`,
    details: {
      requests: w.requests,
      slowRequests: w.slow,
      meanMs,
      p95AboveThreshold: active,
      thresholdMs: s.thresholdMs,
      windowSeconds: s.windowSeconds,
      minRequests: s.minRequests,
    },
  };
}

export function evaluateMemory(
  samples: readonly MemorySample[],
  now: number,
  s: MonitorSettings['memory'],
): Evaluation {
  const latest = samples.at(-1);
  const ratioOf = (m: MemorySample) => (m.limitBytes > 0 ? m.usedBytes / m.limitBytes : 0);
  let streakStart: number | undefined;
  for (let i = samples.length - 1; i >= 0; i--) {
    const m = samples[i] as MemorySample;
    if (ratioOf(m) <= s.ratio) break;
    streakStart = m.at;
  }
  const observed = latest ? ratioOf(latest) : 0;
  const overForMs = streakStart === undefined ? 0 : now - streakStart;
  const active = streakStart !== undefined && overForMs >= s.windowSeconds * 1000;
  return {
    active,
    clear: !active && observed <= s.ratio * MEMORY_CLEAR_FACTOR,
    observed,
    threshold: s.ratio,
    summary: `memory at ${pct(observed)} of its limit${streakStart === undefined ? '' : `, above ${pct(s.ratio)} for ${Math.round(overForMs / 1000)} s`} (window ${s.windowSeconds} s)`,
    details: {
      usedBytes: latest?.usedBytes ?? 0,
      limitBytes: latest?.limitBytes ?? 0,
      overForSeconds: Math.round(overForMs / 1000),
      windowSeconds: s.windowSeconds,
    },
  };
}

export function evaluateDatabase(samples: readonly DatabaseSample[], s: MonitorSettings['database']): Evaluation {
  let failed = 0;
  for (let i = samples.length - 1; i >= 0 && !(samples[i] as DatabaseSample).ok; i--) failed += 1;
  const latest = samples.at(-1);
  const active = failed >= s.failures;
  return {
    active,
    clear: latest?.ok ?? true,
    observed: failed,
    threshold: s.failures,
    summary:
      failed === 0
        ? 'the database answers'
        : `the database did not answer ${failed} ping${failed === 1 ? '' : 's'} in a row: ${latest?.error ?? 'unknown error'}`,
    details: { failedPings: failed, ...(latest?.error ? { error: latest.error } : {}) },
  };
}

export type TriggerEvent = 'raise' | 'resolve' | null;

/** One trigger's next state: raised once when it starts, resolved once when it is clearly over. */
export function step(
  raised: boolean,
  e: Pick<Evaluation, 'active' | 'clear'>,
): { raised: boolean; event: TriggerEvent } {
  if (!raised && e.active) return { raised: true, event: 'raise' };
  if (raised && e.clear && !e.active) return { raised: false, event: 'resolve' };
  return { raised, event: null };
}

/** The level the raised triggers add up to (0: none). */
export function escalationLevelOf(raised: Readonly<Partial<Record<SystemTrigger, boolean>>>): 0 | EscalationLevel {
  let level: 0 | EscalationLevel = 0;
  for (const t of SYSTEM_TRIGGERS) if (raised[t] && TRIGGER_LEVELS[t] > level) level = TRIGGER_LEVELS[t];
  return level;
}

/** What the process must do at a level: shed optional load from level 2, leave rotation at level 3. */
export function responseAt(level: number): { shed: boolean; drain: boolean } {
  return { shed: level >= 2, drain: level >= 3 };
}

/**
 * Requests answered by this process, in slices of `bucketMs`, kept for `keepMs`: what the request triggers read.
 * Memory stays bounded whatever the traffic (one small record per slice).
 */
export function createRequestWindow(opts: { keepMs: number; slowMs: number; bucketMs?: number; now?: () => number }) {
  const bucketMs = opts.bucketMs ?? 1_000;
  const now = opts.now ?? Date.now;
  const buckets: RequestBucket[] = [];
  const prune = (t: number) => {
    while (buckets.length > 0 && (buckets[0] as RequestBucket).start < t - opts.keepMs) buckets.shift();
  };
  return {
    record(r: { durationMs: number; error: boolean }) {
      const t = now();
      const start = t - (t % bucketMs);
      let last = buckets.at(-1);
      if (!last || last.start !== start) {
        last = { start, requests: 0, errors: 0, slow: 0, totalMs: 0 };
        buckets.push(last);
        prune(t);
      }
      last.requests += 1;
      if (r.error) last.errors += 1;
      if (r.durationMs > opts.slowMs) last.slow += 1;
      last.totalMs += r.durationMs;
    },
    buckets(): readonly RequestBucket[] {
      prune(now());
      return buckets.map((b) => ({ ...b }));
    },
  };
}

export type RequestWindow = ReturnType<typeof createRequestWindow>;

/** GraphQL error codes that are the server's fault (uncoded errors are masked to INTERNAL_SERVER_ERROR). */
export const SERVER_FAULT_CODES: readonly string[] = ['INTERNAL_SERVER_ERROR', 'CHAIN_UNAVAILABLE'];

/** Whether a response counts as an error for the error-rate trigger. */
export function isServerFault(r: { status: number; errorCodes: readonly string[]; shed?: boolean }): boolean {
  if (r.shed) return false; // refused on purpose while shedding load: not a failure to serve
  return r.status >= 500 || r.errorCodes.some((c) => SERVER_FAULT_CODES.includes(c));
}

/** The monitor's settings from the configuration (config.monitor), with the request and database defaults. */
export function monitorSettingsOf(
  monitor: Readonly<{
    errorRate: Readonly<{ threshold: number; windowSeconds: number }>;
    responseTime: Readonly<{ thresholdMs: number; windowSeconds: number }>;
    memory: Readonly<{ ratio: number; windowSeconds: number }>;
  }>,
  overrides: { minRequests?: number; databaseFailures?: number } = {},
): MonitorSettings {
  const minRequests = overrides.minRequests ?? DEFAULT_MIN_REQUESTS;
  return {
    errorRate: { ...monitor.errorRate, minRequests },
    responseTime: { ...monitor.responseTime, minRequests },
    memory: { ratio: monitor.memory.ratio, windowSeconds: monitor.memory.windowSeconds },
    database: { failures: overrides.databaseFailures ?? DEFAULT_DATABASE_FAILURES },
  };
}
