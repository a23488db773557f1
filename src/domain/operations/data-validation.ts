// The spec's "Data Validation Queries": integrity (rows missing what they should point at) and performance (tasks
// created per hour, with their average relevance). The spec's two integrity checks come first; the others apply the
// same question to the rest of the model. Read by analysts through GraphQL and by operators through `chimera validate`.
import type { Database } from '../../platform/db/prisma.js';
import { ValidationError } from '../shared/errors.js';

export interface IntegrityCheck {
  table: string;
  /** What is counted, in the spec's words: missing_personas, missing_agents, … */
  check: string;
  totalRows: number;
  /** Rows failing the check. */
  failing: number;
}

/** Table, check name, and the condition a failing row meets. */
const CHECKS: readonly [table: string, check: string, failing: string][] = [
  ['agents', 'missing_personas', 'persona_id IS NULL'],
  ['tasks', 'missing_agents', 'agent_id IS NULL'],
  ['content', 'missing_agents', 'agent_id IS NULL'],
  ['wallets', 'missing_agents', 'agent_id IS NULL'],
  ['transactions', 'missing_wallets', 'wallet_id IS NULL'],
  ['interactions', 'missing_content', 'content_id IS NULL'],
  [
    'goals',
    'without_tasks',
    `status NOT IN ('planning', 'failed') AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.goal_id = goals.id)`,
  ],
];

export async function integrityChecks(db: Pick<Database, '$queryRawUnsafe'>): Promise<IntegrityCheck[]> {
  const sql = CHECKS.map(
    ([table, check, failing], i) =>
      `SELECT ${i} AS i, '${table}' AS table_name, '${check}' AS check_name, COUNT(*)::int AS total_rows,
              COUNT(CASE WHEN ${failing} THEN 1 END)::int AS failing FROM ${table}`,
  ).join('\nUNION ALL\n');
  const rows = await db.$queryRawUnsafe<
    { i: number; table_name: string; check_name: string; total_rows: number; failing: number }[]
  >(`${sql}\nORDER BY i`);
  return rows.map((r) => ({ table: r.table_name, check: r.check_name, totalRows: r.total_rows, failing: r.failing }));
}

export interface HourlyTasks {
  hour: Date;
  tasksCreated: number;
  /** Null when no task of the hour has a relevance score. */
  averageRelevance: number | null;
}

export const MAX_THROUGHPUT_HOURS = 24 * 31;

/** The spec's performance query: tasks created per hour over the last `hours`, newest first. */
export async function taskThroughput(db: Pick<Database, '$queryRawUnsafe'>, hours = 24): Promise<HourlyTasks[]> {
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_THROUGHPUT_HOURS) {
    throw new ValidationError(`hours must be a whole number from 1 to ${MAX_THROUGHPUT_HOURS}.`, [
      { path: ['hours'], message: 'out of range' },
    ]);
  }
  const rows = await db.$queryRawUnsafe<{ hour: Date; tasks_created: number; avg_relevance: string | null }[]>(
    `SELECT DATE_TRUNC('hour', created_at) AS hour, COUNT(*)::int AS tasks_created,
            AVG(relevance_score)::text AS avg_relevance
     FROM tasks
     WHERE created_at > NOW() - make_interval(hours => $1)
     GROUP BY hour
     ORDER BY hour DESC`,
    hours,
  );
  return rows.map((r) => ({
    hour: r.hour,
    tasksCreated: r.tasks_created,
    averageRelevance: r.avg_relevance === null ? null : Math.round(Number(r.avg_relevance) * 10_000) / 10_000,
  }));
}
