// Prometheus metrics (prom-client): one registry per process (per app, in tests), its series, and typed recorder
// functions that the faces hand to the code that counts. It knows the series, not the domain: label values are
// whatever the callers pass, bounded here so a client cannot blow up the series count.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Job counts of one queue by state, as BullMQ's getJobCounts answers. */
export type QueueDepths = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface MetricsOptions {
  /** Constant labels on every series (e.g. { process: 'api' }). */
  labels?: Readonly<Record<string, string>>;
  /** Read at scrape time: job counts per queue and state. A failure leaves the gauge as it was and is reported. */
  queueDepths?: () => Promise<QueueDepths>;
  onCollectError?: (err: unknown) => void;
}

/** How many distinct values one label keeps before the rest are counted as "other". */
const MAX_LABEL_VALUES = 200;

function bounded(max = MAX_LABEL_VALUES) {
  const seen = new Set<string>();
  return (value: string): string => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createMetrics(opts: MetricsOptions = {}) {
  const registry = new Registry();
  if (opts.labels) registry.setDefaultLabels({ ...opts.labels });
  // Memory, CPU, handles, GC, event-loop lag (nodejs_eventloop_lag_seconds, process_resident_memory_bytes, …).
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequests = new Counter({
    name: 'chimera_http_requests_total',
    help: 'HTTP requests answered, by method, route class and status.',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const httpDuration = new Histogram({
    name: 'chimera_http_request_duration_seconds',
    help: 'Time to the response headers, by method, route class and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: SECONDS,
    registers,
  });
  const graphqlDuration = new Histogram({
    name: 'chimera_graphql_operation_duration_seconds',
    help: 'GraphQL operation execution time, by operation name and type.',
    labelNames: ['operation', 'type'],
    buckets: SECONDS,
    registers,
  });
  const graphqlErrors = new Counter({
    name: 'chimera_graphql_errors_total',
    help: 'Errors in GraphQL results, by operation name, operation type and error code.',
    labelNames: ['operation', 'type', 'code'],
    registers,
  });
  const cacheHits = new Counter({
    name: 'chimera_response_cache_hits_total',
    help: 'GraphQL responses served from the response cache.',
    registers,
  });
  const cacheMisses = new Counter({
    name: 'chimera_response_cache_misses_total',
    help: 'Cacheable GraphQL responses the response cache did not hold (executed, then stored).',
    registers,
  });
  const rateLimited = new Counter({
    name: 'chimera_rate_limit_rejections_total',
    help: 'Operations refused by a rate limit, by the limit that refused them.',
    labelNames: ['limit'],
    registers,
  });
  const shed = new Counter({
    name: 'chimera_load_shed_total',
    help: 'Operations refused while the system monitor sheds optional load (escalation level 2), by kind.',
    labelNames: ['kind'],
    registers,
  });
  const taskOutcomes = new Counter({
    name: 'chimera_task_outcomes_total',
    help: 'How swarm tasks were decided, by task type and outcome (completed, retried, escalated, rejected, failed).',
    labelNames: ['task_type', 'outcome'],
    registers,
  });
  const jobs = new Counter({
    name: 'chimera_swarm_jobs_total',
    help: 'Swarm stage jobs run in this process, by stage and result (completed, failed, deferred).',
    labelNames: ['stage', 'result'],
    registers,
  });
  const jobDuration = new Histogram({
    name: 'chimera_swarm_job_duration_seconds',
    help: 'Swarm stage job processing time in this process, by stage.',
    labelNames: ['stage'],
    buckets: JOB_SECONDS,
    registers,
  });
  const alertActive = new Gauge({
    name: 'chimera_system_alert_active',
    help: 'Whether a system escalation trigger is raised in this process (1) or not (0), by trigger.',
    labelNames: ['trigger'],
    registers,
  });
  const escalationLevel = new Gauge({
    name: 'chimera_escalation_level',
    help: 'The highest escalation level of the raised system triggers in this process (0: none).',
    registers,
  });
  const queueDepths = opts.queueDepths;
  new Gauge({
    name: 'chimera_queue_jobs',
    help: 'Jobs in each swarm queue by state (waiting, active, delayed, failed, prioritized), read at scrape time.',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      if (!queueDepths) return;
      try {
        for (const [queue, counts] of Object.entries(await queueDepths())) {
          for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
        }
      } catch (err) {
        opts.onCollectError?.(err);
      }
    },
  });

  const operationName = bounded();
  const errorCode = bounded(100);
  const limitName = bounded(50);
  const taskType = bounded(50);

  return {
    registry,
    contentType: registry.contentType,
    /** The exposition text of every series. */
    scrape: () => registry.metrics(),
    httpRequest(r: { method: string; route: string; status: number; seconds: number }) {
      const labels = { method: r.method, route: r.route, status: String(r.status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, r.seconds);
    },
    graphqlOperation(r: { operation: string | null; type: string; seconds: number; errorCodes: readonly string[] }) {
      const operation = operationName(r.operation || 'anonymous');
      graphqlDuration.observe({ operation, type: r.type }, r.seconds);
      for (const code of r.errorCodes) graphqlErrors.inc({ operation, type: r.type, code: errorCode(code) });
    },
    cacheLookup(result: 'hit' | 'miss') {
      (result === 'hit' ? cacheHits : cacheMisses).inc();
    },
    rateLimited(limit: string) {
      // "anonymous requests per minute" → anonymous_requests_per_minute, concurrentRequests → concurrent_requests.
      const label = limit
        .trim()
        .replace(/([a-z])([A-Z])/g, '$1_$2')
        .toLowerCase()
        .replace(/\W+/g, '_');
      rateLimited.inc({ limit: limitName(label) });
    },
    loadShed(kind: string) {
      shed.inc({ kind });
    },
    taskOutcome(r: { taskType: string; outcome: string }) {
      taskOutcomes.inc({ task_type: taskType(r.taskType), outcome: r.outcome });
    },
    job(r: { stage: string; result: 'completed' | 'failed' | 'deferred'; seconds: number }) {
      jobs.inc({ stage: r.stage, result: r.result });
      jobDuration.observe({ stage: r.stage }, r.seconds);
    },
    /** The system monitor's state: which triggers are raised, and the level they add up to. */
    escalation(r: { active: Readonly<Record<string, boolean>>; level: number }) {
      for (const [trigger, on] of Object.entries(r.active)) alertActive.set({ trigger }, on ? 1 : 0);
      escalationLevel.set(r.level);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The route class of a path, for the `route` label (never the raw path: it is unbounded). */
export function routeClassOf(pathname: string): string {
  if (pathname === '/graphql') return 'graphql';
  if (pathname.startsWith('/webhooks/')) return 'webhooks';
  if (pathname === '/mcp') return 'mcp';
  if (pathname === '/health') return 'health';
  if (pathname === '/ready') return 'ready';
  if (pathname === '/metrics') return 'metrics';
  if (pathname === '/.well-known/jwks.json') return 'jwks';
  return 'other';
}
