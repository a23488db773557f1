// The swarm's jobs: which queue (outbox topic) each piece of work goes to and which job id it has. A job id names
// the work exactly — the goal to plan, the attempt of a task to run, the attempt to judge — so enqueueing the same
// work twice is a no-op, and the reconciler can tell from a task's row which job must exist for it.
import type { Prisma } from '../../generated/prisma/client.js';

export const PLANNER_TOPIC = 'planner';
export const WORKER_TOPIC = 'worker';
export const JUDGE_TOPIC = 'judge';
/** Signs, sends and confirms approved transfers on the chain. */
export const CHAIN_TOPIC = 'chain';
/** Housekeeping that is no stage of a goal: post-publication monitoring, vector-store upkeep (and, later, more). */
export const MAINTENANCE_TOPIC = 'maintenance';

export interface JobMessage {
  topic: string;
  dedupeKey: string;
  payload: Prisma.InputJsonObject;
}

/**
 * What every job carries besides its subject: the agent (for error counts), the priority (for BullMQ) and, for a
 * task, its goal (for the job's log lines).
 */
interface Subject {
  id: string;
  agentId?: string | null;
  priority?: string | null;
  goalId?: string | null;
}
const extras = (s: Subject) => ({
  ...(s.agentId ? { agentId: s.agentId } : {}),
  ...(s.priority ? { priority: s.priority } : {}),
});
const goalOf = (s: Subject) => (s.goalId ? { goalId: s.goalId } : {});

/** Plans a goal. */
export const planJob = (goal: Subject): JobMessage => ({
  topic: PLANNER_TOPIC,
  dedupeKey: `plan:${goal.id}`,
  payload: { goalId: goal.id, ...extras(goal) },
});

/**
 * Runs attempt `attempt` (counted from 1) of a task: a pending task's next job is attempts + 1 (starting it counts
 * the attempt); a retry counts the attempt when it is decided, so its job is the task's attempts.
 */
export const workJob = (task: Subject, attempt: number): JobMessage => ({
  topic: WORKER_TOPIC,
  dedupeKey: `work:${task.id}:${attempt}`,
  payload: { taskId: task.id, attempt, ...extras(task), ...goalOf(task) },
});

/** Judges what attempt `attempt` of a task produced. */
export const judgeJob = (task: Subject, attempt: number): JobMessage => ({
  topic: JUDGE_TOPIC,
  dedupeKey: `judge:${task.id}:${attempt}`,
  payload: { taskId: task.id, attempt, ...extras(task), ...goalOf(task) },
});

/** Takes an approved transfer to the chain and follows it to its last confirmation (one job per transfer). */
export const settleTransferJob = (transfer: { id: string; agentId?: string | null }): JobMessage => ({
  topic: CHAIN_TOPIC,
  dedupeKey: `settle:${transfer.id}`,
  payload: { transferId: transfer.id, ...extras(transfer) },
});

/** The kinds of maintenance job (job.data.kind). */
export const MAINTENANCE_KINDS = [
  'monitor_content',
  'optimize_vectors',
  'fetch_trends',
  'unpublish_content',
  'expire_transfers',
  'apply_retention',
] as const;
export type MaintenanceKind = (typeof MAINTENANCE_KINDS)[number];

/**
 * Looks at published content again after new interactions arrived: remembers what was said, and runs the
 * post_publication checks. One job per batch of interactions (the batch's first id names it).
 */
export const monitorContentJob = (contentId: string, interactionIds: readonly string[]): JobMessage => ({
  topic: MAINTENANCE_TOPIC,
  dedupeKey: `monitor:${contentId}:${interactionIds[0] ?? 'none'}`,
  payload: { kind: 'monitor_content', contentId, interactionIds: [...interactionIds] },
});

/** Removes taken-down content from the platforms it was posted to. */
export const unpublishContentJob = (contentId: string): JobMessage => ({
  topic: MAINTENANCE_TOPIC,
  dedupeKey: `unpublish:${contentId}`,
  payload: { kind: 'unpublish_content', contentId },
});
