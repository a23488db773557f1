// The reconciler's rules. PostgreSQL says which work is outstanding (goals, tasks, publications, transfers); the queues must hold
// a job for each piece. The
// outbox covers a crash between commit and enqueue, but not a Redis that lost jobs it had accepted (a flush, a
// failover without persistence, a restore from an older snapshot). This finds, from the rows alone, the job each
// goal and task needs now — under the same job id its first enqueue used, so a job that still exists is never
// doubled — and the engine re-enqueues those Redis no longer has.
import { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { publishJob } from '../publishing/publishing.service.js';
import { type JobMessage, judgeJob, planJob, settleTransferJob, workJob } from './jobs.js';

export interface OutstandingOptions {
  /** Rows changed more recently than this are left alone: their own enqueue may still be on its way. */
  settledForMs: number;
  /** At most this many of each kind per run (oldest first). */
  limit: number;
}

/** The job each unfinished goal and task needs right now, by its rows. */
export async function outstandingJobs(db: Database, opts: OutstandingOptions): Promise<JobMessage[]> {
  const settled = Prisma.sql`now() - make_interval(secs => ${opts.settledForMs / 1000})`;
  const goals = await db.$queryRaw<{ id: string; agent_id: string; priority: string }[]>`
    SELECT g.id, g.agent_id, g.priority FROM goals g
     WHERE g.status = 'planning' AND g.updated_at < ${settled}
       AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.goal_id = g.id)
     ORDER BY g.updated_at LIMIT ${opts.limit}`;
  // Pending tasks count only once their dependencies are complete and their goal still runs; a task in review
  // needs the Judge only until it has a verdict (after that it waits for a person, not a job).
  const tasks = await db.$queryRaw<
    { id: string; agent_id: string | null; priority: string | null; status: string; attempts: number }[]
  >`
    SELECT t.id, t.agent_id, t.priority, COALESCE(t.status, 'pending') AS status, t.attempts FROM tasks t
      LEFT JOIN goals g ON g.id = t.goal_id
     WHERE t.updated_at < ${settled}
       AND (g.id IS NULL OR g.status NOT IN ('failed', 'complete'))
       AND (
             (COALESCE(t.status, 'pending') = 'pending' AND NOT EXISTS (
                SELECT 1 FROM unnest(t.depends_on) AS d(id) JOIN tasks dep ON dep.id = d.id
                 WHERE dep.status IS DISTINCT FROM 'complete'))
          OR t.status = 'in_progress'
          OR (t.status = 'review' AND (t.result IS NULL OR NOT (t.result ? 'verdict'))))
     ORDER BY t.updated_at LIMIT ${opts.limit}`;
  // Approved content not yet posted: its publish job must exist (or wait, deferred, in the queue).
  const publications = await db.$queryRaw<{ id: string; agent_id: string | null }[]>`
    SELECT id, agent_id FROM publications WHERE status = 'pending' AND updated_at < ${settled}
     ORDER BY updated_at LIMIT ${opts.limit}`;
  // Approved transfers not yet confirmed: their settlement job must exist (it resumes from the rows).
  const transfers = await db.$queryRaw<{ id: string; agent_id: string | null }[]>`
    SELECT id, agent_id FROM transfers WHERE status IN ('approved', 'submitted') AND updated_at < ${settled}
     ORDER BY updated_at LIMIT ${opts.limit}`;
  return [
    ...transfers.map((t) => settleTransferJob({ id: t.id, agentId: t.agent_id })),
    ...publications.map((p) => publishJob(p.id, p.agent_id)),
    ...goals.map((g) => planJob({ id: g.id, agentId: g.agent_id, priority: g.priority })),
    ...tasks.map((t) => {
      const subject = { id: t.id, agentId: t.agent_id, priority: t.priority };
      if (t.status === 'pending') return workJob(subject, t.attempts + 1);
      if (t.status === 'in_progress') return workJob(subject, t.attempts);
      return judgeJob(subject, t.attempts);
    }),
  ];
}
