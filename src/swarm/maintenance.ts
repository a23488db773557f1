// FACE 2 — the maintenance queue: housekeeping that is no stage of a goal. Each job names its kind; each kind is one
// call into the core (post-publication monitoring, trend ingestion) or an adapter (vector-store upkeep). Recurring
// kinds are BullMQ job schedulers, upserted by every process that runs the stage: however many run, each tick runs
// once.
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import { type MonitoringDeps, monitorContent } from '../domain/content/monitoring.js';
import { applyRetention, type RetentionPeriods } from '../domain/operations/retention.service.js';
import { unpublishContent } from '../domain/publishing/publishing.service.js';
import type { SwarmDeps } from '../domain/swarm/events.js';
import { MAINTENANCE_KINDS, type MaintenanceKind } from '../domain/swarm/jobs.js';
import { expireTrends, ingestionFrom, ingestTrends } from '../domain/trends/ingestion.js';
import type { TransferService } from '../domain/wallets/transfers.service.js';
import type { Embedder } from '../platform/embeddings/embeddings.js';
import type { VectorStore } from '../platform/vector/vector-store.js';

export interface MaintenanceDeps extends MonitoringDeps, Pick<SwarmDeps, 'mcp' | 'redis' | 'trends'> {
  vectors?: VectorStore | undefined;
  embedder: Embedder;
  /** Transfers, whose unanswered requests expire (absent: no chain configured). */
  transfers?: Pick<TransferService, 'expireDue'> | undefined;
  /** The retention periods (absent: retention does not run here). */
  retention?: RetentionPeriods | undefined;
}

export interface MaintenanceSchedule {
  /** How often the embedded vector store builds its indexes and compacts (0: never). */
  optimizeVectorsEveryMs?: number | undefined;
  /** How often trends are fetched from the configured sources (0: never). */
  fetchTrendsEveryMs?: number | undefined;
  /** How often transfers past their approval deadline are expired (default every minute). */
  expireTransfersEveryMs?: number | undefined;
  /** How often retention removes what has passed its period (0: never). */
  applyRetentionEveryMs?: number | undefined;
}

export interface MaintenanceJobData {
  kind?: string;
  contentId?: string;
  interactionIds?: unknown;
}

const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const isKind = (k: unknown): k is MaintenanceKind => MAINTENANCE_KINDS.includes(k as MaintenanceKind);

export function maintenanceProcessor(deps: MaintenanceDeps) {
  return async (job: Job<MaintenanceJobData>) => {
    const kind = job.data.kind;
    if (!isKind(kind)) throw new UnrecoverableError(`Unknown maintenance job kind: ${String(kind)}`);
    switch (kind) {
      case 'monitor_content':
        return monitorContent(deps, String(job.data.contentId), strings(job.data.interactionIds));
      case 'optimize_vectors':
        return deps.vectors?.optimize ? deps.vectors.optimize() : { skipped: 'the vector store indexes on its own' };
      case 'fetch_trends':
        return fetchTrends(deps);
      case 'unpublish_content':
        return { removed: await unpublishContent(deps, String(job.data.contentId)) };
      case 'expire_transfers':
        return { expired: (await deps.transfers?.expireDue()) ?? [] };
      case 'apply_retention':
        if (!deps.retention) throw new UnrecoverableError('Retention is not configured in this process.');
        return applyRetention({ db: deps.db, periods: deps.retention, vectors: deps.vectors, redis: deps.redis });
    }
  };
}

/** The scheduled Trend Data pipeline: expired trends go inactive, then every configured source is read. */
async function fetchTrends(deps: MaintenanceDeps) {
  const expired = await expireTrends(deps.db);
  const pipeline = ingestionFrom(deps);
  const sources = deps.trends?.sources ?? [];
  if (!pipeline || sources.length === 0) return { expired, sources: [] };
  return { expired, sources: await ingestTrends(pipeline, sources) };
}

/** The recurring maintenance jobs (idempotent: upserting an unchanged schedule changes nothing). */
export async function scheduleMaintenance(queue: Queue, deps: MaintenanceDeps, schedule: MaintenanceSchedule) {
  const every: Record<'optimize_vectors' | 'fetch_trends' | 'expire_transfers' | 'apply_retention', number> = {
    optimize_vectors: deps.vectors?.kind === 'lancedb' ? (schedule.optimizeVectorsEveryMs ?? 0) : 0,
    fetch_trends: deps.mcp && deps.trends?.sources.length ? (schedule.fetchTrendsEveryMs ?? 0) : 0,
    expire_transfers: deps.transfers ? (schedule.expireTransfersEveryMs ?? 60_000) : 0,
    apply_retention: deps.retention ? (schedule.applyRetentionEveryMs ?? 0) : 0,
  };
  for (const [kind, ms] of Object.entries(every)) {
    if (ms > 0) {
      await queue.upsertJobScheduler(kind, { every: ms }, { name: kind, data: { kind }, opts: { attempts: 1 } });
    } else {
      await queue.removeJobScheduler(kind);
    }
  }
}
