// The spec's resource limits for agents: at most 10 tasks running per agent; 50 tasks created per agent per hour and
// 1,000 per system; 25 pieces of content generated per agent per hour and 500 per system. PostgreSQL's rows are
// the count (the last hour of tasks and content), so a Redis restart cannot reset a budget. Decisions that create or
// start work take advisory locks — the system's, then the agent's — so concurrent processes cannot both take the last
// slot. Over a limit, an API caller gets RATE_LIMITED with a retry time; the swarm defers its job until then, and
// never drops it.
import { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../audit/audit.service.js';
import { RateLimitedError } from '../shared/errors.js';

export interface SwarmLimits {
  concurrentTasksPerAgent: number;
  tasksPerAgentPerHour: number;
  tasksPerHour: number;
  contentPerAgentPerHour: number;
  contentPerHour: number;
}

export const SPEC_LIMITS: Readonly<SwarmLimits> = Object.freeze({
  concurrentTasksPerAgent: 10,
  tasksPerAgentPerHour: 50,
  tasksPerHour: 1_000,
  contentPerAgentPerHour: 25,
  contentPerHour: 500,
});

/** The task types whose Worker writes content (and so count against the content budget). */
export const CONTENT_TASK_TYPES: readonly string[] = ['generate_content', 'reply_comment'];

/** A limit is reached: the work should wait `delayMs` and try again. Never a failure. */
export class QuotaDeferral extends Error {
  override name = 'QuotaDeferral';
  constructor(
    /**
     * Which limit: a SwarmLimits key, a platform quota ("platformPosts"), the external-call budget, or the chain
     * ("confirmations": a sent transaction not yet confirmed).
     */
    readonly limit: keyof SwarmLimits | 'platformPosts' | 'externalApiCalls' | 'confirmations',
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** How long a limit that is full because of concurrency (not time) makes work wait before it looks again. */
export const BUSY_RETRY_MS = 1_000;

type Db = Pick<Tx, '$queryRaw' | '$executeRaw'>;

/** Serializes quota decisions: the system's lock, then the agent's (always in this order: no deadlocks). */
export async function lockQuota(tx: Db, agentId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('chimera:quota:system'))`;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`chimera:quota:agent:${agentId}`}))`;
}

interface HourCounts {
  agent: number;
  total: number;
  /** Milliseconds until the agent's oldest row of the hour leaves the window. */
  agentFreesInMs: number;
  totalFreesInMs: number;
}

async function lastHour(tx: Db, table: 'tasks' | 'content', agentId: string): Promise<HourCounts> {
  const rows = await tx.$queryRaw<
    { agent: bigint; total: bigint; agent_frees: number | null; total_frees: number | null }[]
  >`
    SELECT count(*) FILTER (WHERE agent_id = ${agentId}::uuid) AS agent,
           count(*) AS total,
           EXTRACT(EPOCH FROM (min(created_at) FILTER (WHERE agent_id = ${agentId}::uuid) + interval '1 hour' - now())) * 1000
             AS agent_frees,
           EXTRACT(EPOCH FROM (min(created_at) + interval '1 hour' - now())) * 1000 AS total_frees
      FROM ${Prisma.raw(table)}
     WHERE created_at > now() - interval '1 hour'`;
  const r = rows[0];
  return {
    agent: Number(r?.agent ?? 0),
    total: Number(r?.total ?? 0),
    agentFreesInMs: Math.max(1, Math.ceil(Number(r?.agent_frees ?? 0))),
    totalFreesInMs: Math.max(1, Math.ceil(Number(r?.total_frees ?? 0))),
  };
}

/** Throws QuotaDeferral unless `count` more tasks may be created for the agent now. */
export async function requireTaskBudget(tx: Db, agentId: string, limits: SwarmLimits, count = 1): Promise<void> {
  if (count > limits.tasksPerAgentPerHour || count > limits.tasksPerHour) {
    throw new RangeError(
      `${count} tasks at once can never fit the hourly task limits (${limits.tasksPerAgentPerHour} per agent, ${limits.tasksPerHour} in all).`,
    );
  }
  const used = await lastHour(tx, 'tasks', agentId);
  if (used.agent + count > limits.tasksPerAgentPerHour) {
    throw new QuotaDeferral(
      'tasksPerAgentPerHour',
      used.agentFreesInMs,
      `The agent has created ${used.agent} tasks in the last hour; the limit is ${limits.tasksPerAgentPerHour} per hour.`,
    );
  }
  if (used.total + count > limits.tasksPerHour) {
    throw new QuotaDeferral(
      'tasksPerHour',
      used.totalFreesInMs,
      `The system has created ${used.total} tasks in the last hour; the limit is ${limits.tasksPerHour} per hour.`,
    );
  }
}

/**
 * Throws QuotaDeferral unless the task may run now: a free slot among the agent's running tasks (when it is about
 * to start), and room in the hourly content budget (for tasks that write content). Content being written right now
 * (running content tasks) counts against the budget, so concurrent workers cannot overshoot it.
 */
export async function requireRunBudget(
  tx: Db,
  task: { agentId: string; taskType: string; starting: boolean },
  limits: SwarmLimits,
): Promise<void> {
  const [running] = await tx.$queryRaw<{ all: bigint; writing: bigint; writing_here: bigint }[]>`
    SELECT count(*) FILTER (WHERE agent_id = ${task.agentId}::uuid) AS all,
           count(*) FILTER (WHERE task_type IN ('generate_content', 'reply_comment')) AS writing,
           count(*) FILTER (WHERE agent_id = ${task.agentId}::uuid AND task_type IN ('generate_content', 'reply_comment'))
             AS writing_here
      FROM tasks
     WHERE status = 'in_progress'`;
  if (task.starting && Number(running?.all ?? 0) >= limits.concurrentTasksPerAgent) {
    throw new QuotaDeferral(
      'concurrentTasksPerAgent',
      BUSY_RETRY_MS,
      `The agent already runs ${limits.concurrentTasksPerAgent} tasks at once, its limit.`,
    );
  }
  if (!CONTENT_TASK_TYPES.includes(task.taskType)) return;
  // A task already running is among the writers; one about to start is not yet.
  const self = task.starting ? 1 : 0;
  const content = await lastHour(tx, 'content', task.agentId);
  const agentUsed = content.agent + Number(running?.writing_here ?? 0) + self;
  const totalUsed = content.total + Number(running?.writing ?? 0) + self;
  if (agentUsed > limits.contentPerAgentPerHour) {
    throw new QuotaDeferral(
      'contentPerAgentPerHour',
      content.agent > 0 ? content.agentFreesInMs : BUSY_RETRY_MS,
      `The agent has generated ${content.agent} pieces of content in the last hour (and writes ${Number(running?.writing_here ?? 0)} more); the limit is ${limits.contentPerAgentPerHour} per hour.`,
    );
  }
  if (totalUsed > limits.contentPerHour) {
    throw new QuotaDeferral(
      'contentPerHour',
      content.total > 0 ? content.totalFreesInMs : BUSY_RETRY_MS,
      `The system has generated ${content.total} pieces of content in the last hour; the limit is ${limits.contentPerHour} per hour.`,
    );
  }
}

/** For API callers: the same task budget, as a RATE_LIMITED error with the seconds to wait. */
export async function requireTaskBudgetOrReject(tx: Db, agentId: string, limits: SwarmLimits): Promise<void> {
  try {
    await requireTaskBudget(tx, agentId, limits, 1);
  } catch (err) {
    if (err instanceof QuotaDeferral) throw new RateLimitedError(err.message, Math.ceil(err.delayMs / 1000), err.limit);
    throw err;
  }
}
