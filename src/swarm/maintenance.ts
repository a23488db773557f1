// FACE 2 — the maintenance queue: housekeeping that is no stage of a goal. Each job names its kind; each kind is one
// call into the core (post-publication monitoring) or an adapter (vector-store upkeep). Recurring kinds are BullMQ
// job schedulers, upserted by every process that runs the stage: however many run, each tick runs once.
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import { type MonitoringDeps, monitorContent } from '../domain/content/monitoring.js';
import { MAINTENANCE_KINDS, type MaintenanceKind } from '../domain/swarm/jobs.js';
import type { VectorStore } from '../platform/vector/vector-store.js';

export interface MaintenanceDeps extends MonitoringDeps {
  vectors?: VectorStore | undefined;
}

export interface MaintenanceSchedule {
  /** How often the embedded vector store builds its indexes and compacts (0: never). */
  optimizeVectorsEveryMs?: number | undefined;
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
    }
  };
}

/** The recurring maintenance jobs (idempotent: upserting an unchanged schedule changes nothing). */
export async function scheduleMaintenance(queue: Queue, deps: MaintenanceDeps, schedule: MaintenanceSchedule) {
  const every = schedule.optimizeVectorsEveryMs ?? 0;
  if (every > 0 && deps.vectors?.kind === 'lancedb') {
    await queue.upsertJobScheduler(
      'optimize_vectors',
      { every },
      { name: 'optimize_vectors', data: { kind: 'optimize_vectors' }, opts: { attempts: 1 } },
    );
  } else {
    await queue.removeJobScheduler('optimize_vectors');
  }
}
