// The API process's observability, wired from one Config (docs/observability.md): the metrics registry behind
// /metrics (queue depths read from BullMQ at scrape time), traces when an OTLP endpoint is set, and the system
// monitor — its request samples, memory and database pings, its alerts, and the response of its escalation level.
import { hostname } from 'node:os';
import type { Config } from './config.js';
import {
  createRequestWindow,
  monitorSettingsOf,
  responseAt,
  TRIGGER_LEVELS,
} from './domain/operations/system-monitor.js';
import {
  createSystemMonitor,
  type EscalationState,
  type Samplers,
} from './domain/operations/system-monitor.service.js';
import type { AlertService } from './domain/security/alerts.service.js';
import { useTraceContext } from './domain/swarm/outbox.js';
import type { Database } from './platform/db/prisma.js';
import type { Logger } from './platform/log/logger.js';
import { createMemoryReader } from './platform/metrics/process-memory.js';
import { createMetrics, type QueueDepths } from './platform/metrics/registry.js';
import { createQueues, QUEUE_NAMES, type Queues } from './platform/queue/queues.js';
import { startTracing } from './platform/tracing/tracing.js';

/** Replacements for tests: inject what the monitor samples and its clock (never wait real minutes). */
export interface ObservabilityOverrides {
  samplers?: Partial<Samplers>;
  now?: () => number;
  /** Requests below which the request triggers do not judge (default 20). */
  minRequests?: number;
  /** Failed database pings in a row that raise the database trigger (default 2). */
  databaseFailures?: number;
}

/** The queue states /metrics reports (BullMQ keeps prioritized jobs apart from waiting ones). */
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;

export async function queueDepthsOf(queues: Queues): Promise<QueueDepths> {
  const entries = await Promise.all(
    QUEUE_NAMES.map(async (name) => [name, await queues.queues[name].getJobCounts(...QUEUE_STATES)] as const),
  );
  return Object.fromEntries(entries);
}

export function createApiObservability(
  config: Config,
  deps: { db: Database; alerts: AlertService; logger: Logger },
  overrides: ObservabilityOverrides = {},
) {
  const { logger } = deps;
  const o = config.observability;
  let queues: Queues | undefined;
  const metrics = o.metrics
    ? createMetrics({
        labels: { process: 'api' },
        queueDepths: () => {
          queues ??= createQueues(config.redisUrl, config.redisKeyPrefix);
          return queueDepthsOf(queues);
        },
        onCollectError: (err) => logger.warn({ err }, 'could not read the queue depths for /metrics'),
      })
    : null;
  const tracing = startTracing({
    endpoint: o.otel.endpoint,
    serviceName: o.otel.serviceName,
    resource: { 'service.version': config.version, 'chimera.process': 'api' },
  });
  // Work enqueued while serving an operation carries its trace to the stage that runs it.
  if (tracing) useTraceContext(() => tracing.carrier());

  const settings = monitorSettingsOf(config.monitor, overrides);
  const keepMs = Math.max(settings.errorRate.windowSeconds, settings.responseTime.windowSeconds) * 1000 + 5_000;
  const requests = createRequestWindow({ keepMs, slowMs: settings.responseTime.thresholdMs, now: overrides.now });
  let escalation = { level: 0, shed: false, drain: false };
  const monitor = createSystemMonitor({
    settings,
    samplers: {
      requests: () => requests.buckets(),
      memory: createMemoryReader(config.monitor.memory.limitBytes),
      database: () => deps.db.$queryRaw`SELECT 1`,
      ...overrides.samplers,
    },
    alerts: deps.alerts,
    instance: `api@${hostname()}:${process.pid}`,
    now: overrides.now,
    timeoutMs: config.readyTimeoutMs,
    onEscalation: ({ level, raised }: EscalationState) => {
      if (level !== escalation.level) {
        const response = responseAt(level);
        logger[level > escalation.level ? 'error' : 'warn'](
          { escalationLevel: level, from: escalation.level, ...response },
          level === 0 ? 'escalation over: restrictions lifted' : `escalation level ${level}`,
        );
      }
      escalation = { level, ...responseAt(level) };
      metrics?.escalation({ active: raised, level });
    },
    onEvent: (event, trigger, e) =>
      logger[event === 'raised' ? 'error' : 'info'](
        { trigger, level: TRIGGER_LEVELS[trigger], observed: e.observed, threshold: e.threshold },
        `system trigger ${trigger} ${event}: ${e.summary}`,
      ),
    onError: (err, what) => logger.warn({ err }, `system monitor could not ${what}`),
  });

  return {
    metrics,
    tracing,
    monitor,
    /** What createGraphQLServer needs (ServerDeps.observability). */
    server: {
      metrics,
      metricsToken: o.metricsToken,
      tracing,
      onRequestSample: (s: { durationMs: number; error: boolean }) => requests.record(s),
      escalation: () => escalation,
    },
    /** Starts the monitor's ticks (MONITOR_INTERVAL_MS; 0: only by monitor.tick()). */
    start() {
      monitor.start(config.monitor.everyMs);
    },
    async close() {
      await monitor.stop();
      if (tracing) useTraceContext(() => undefined);
      await tracing?.shutdown();
      await queues?.close();
    },
  };
}

export type ApiObservability = ReturnType<typeof createApiObservability>;
