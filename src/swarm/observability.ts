// A worker process's observability (docs/observability.md): its metrics registry (jobs, task outcomes, process
// metrics) on WORKER_METRICS_PORT, traces when an OTLP endpoint is set (each job continues its enqueuer's trace),
// and the system monitor for what a worker can see — its memory and the database. The monitor's level throttles
// the process's stages: level 2 one job at a time per stage, level 3 no new jobs; lifted when the alerts resolve.
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { monitorSettingsOf, responseAt, TRIGGER_LEVELS } from '../domain/operations/system-monitor.js';
import { createSystemMonitor, type Samplers, type SystemMonitor } from '../domain/operations/system-monitor.service.js';
import { createAlertService } from '../domain/security/alerts.service.js';
import type { Publish } from '../domain/swarm/events.js';
import { useTraceContext } from '../domain/swarm/outbox.js';
import type { Database } from '../platform/db/prisma.js';
import type { Logger } from '../platform/log/logger.js';
import { type MetricsServer, startMetricsServer } from '../platform/metrics/endpoint.js';
import { createMemoryReader } from '../platform/metrics/process-memory.js';
import { createMetrics, type Metrics } from '../platform/metrics/registry.js';
import { startTracing } from '../platform/tracing/tracing.js';
import type { Swarm } from './engine.js';

export interface WorkerObservabilityOptions {
  db: Database;
  logger: Logger;
  publish: Publish;
  /** Names the process in alerts and metrics (its stages). */
  role: string;
  /** A registry to count into instead of one of this process's own (stages beside the API share the API's). */
  metrics?: Metrics | null;
  /** Run the system monitor here (false where another monitor already watches this process: beside the API). */
  monitor?: boolean;
  /** The monitor's samplers and clock, replaced (tests). */
  overrides?: { samplers?: Partial<Samplers>; now?: () => number };
}

export function createWorkerObservability(config: Config, opts: WorkerObservabilityOptions) {
  const { logger } = opts;
  const o = config.observability;
  const ownMetrics = opts.metrics === undefined;
  const metrics = ownMetrics ? (o.metrics ? createMetrics({ labels: { process: opts.role } }) : null) : opts.metrics;
  const tracing = startTracing({
    endpoint: o.otel.endpoint,
    serviceName: o.otel.serviceName,
    resource: { 'service.version': config.version, 'chimera.process': opts.role },
  });
  if (tracing) useTraceContext(() => tracing.carrier());
  let server: MetricsServer | undefined;
  let monitor: SystemMonitor | undefined;

  return {
    metrics,
    tracing,
    /** The metrics server's URL once started (undefined: none). */
    get metricsUrl() {
      return server?.url;
    },
    get monitor() {
      return monitor;
    },
    /** Serves /metrics (when WORKER_METRICS_PORT is set) and starts the monitor, which throttles `swarm`. */
    async start(swarm: Pick<Swarm, 'throttle'>): Promise<void> {
      if (metrics && ownMetrics && o.workerMetricsPort !== undefined) {
        server = await startMetricsServer({
          metrics,
          port: o.workerMetricsPort,
          token: o.metricsToken,
          onError: (err) => logger.warn({ err }, 'metrics collection failed'),
        });
        logger.info({ url: server.url }, 'worker metrics listening');
      }
      if (opts.monitor === false || config.monitor.everyMs <= 0) return;
      let level = 0;
      monitor = createSystemMonitor({
        settings: monitorSettingsOf(config.monitor),
        samplers: {
          memory: createMemoryReader(config.monitor.memory.limitBytes),
          database: () => opts.db.$queryRaw`SELECT 1`,
          ...opts.overrides?.samplers,
        },
        now: opts.overrides?.now,
        alerts: createAlertService({
          db: opts.db,
          publish: opts.publish,
          webhookUrl: config.alertWebhookUrl,
          onWebhookError: (err) => logger.warn({ err }, 'on-call webhook failed'),
        }),
        instance: `${opts.role}@${hostname()}:${process.pid}`,
        timeoutMs: config.readyTimeoutMs,
        onEscalation: (state) => {
          metrics?.escalation({ active: state.raised, level: state.level });
          if (state.level === level) return;
          level = state.level;
          const response = responseAt(level);
          const mode = response.drain ? 'paused' : response.shed ? 'shed' : 'normal';
          logger[level > 0 ? 'error' : 'warn']({ escalationLevel: level, mode }, `escalation level ${level}: ${mode}`);
          swarm.throttle(mode).catch((err: unknown) => logger.warn({ err }, 'could not throttle the stages'));
        },
        onEvent: (event, trigger, e) =>
          logger[event === 'raised' ? 'error' : 'info'](
            { trigger, level: TRIGGER_LEVELS[trigger], observed: e.observed, threshold: e.threshold },
            `system trigger ${trigger} ${event}: ${e.summary}`,
          ),
        onError: (err, what) => logger.warn({ err }, `system monitor could not ${what}`),
      });
      monitor.start(config.monitor.everyMs);
    },
    async close(): Promise<void> {
      await monitor?.stop();
      await server?.close();
      await tracing?.shutdown();
    },
  };
}
