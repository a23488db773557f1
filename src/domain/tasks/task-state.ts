// The one place a task changes state. Every move names the state and version the writer last saw; the UPDATE only
// applies if both still hold, so two processes (a worker and a stalled-job retry, the API and a worker) can never
// both move the same task. Finishing a task fills execution_time_ms.
import { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../audit/audit.service.js';
import { ConflictError } from '../shared/errors.js';
import { canTransition, isFinal, type TaskStatus } from './task.model.js';

export interface TaskMove {
  id: string;
  from: TaskStatus;
  to: TaskStatus;
  /** The version the writer read; the move fails (returns null) if another writer moved the task since. */
  expectedVersion: number;
  result?: Prisma.InputJsonValue;
  /** Count this move as a new attempt (a retry). */
  newAttempt?: boolean;
}

/** Applies a move; returns the new version, or null when the task was no longer at (from, expectedVersion). */
export async function moveTask(db: Pick<Tx, '$queryRaw'>, move: TaskMove): Promise<number | null> {
  if (!canTransition(move.from, move.to)) {
    throw new ConflictError(
      'Task',
      move.id,
      `cannot move from ${move.from.toUpperCase()} to ${move.to.toUpperCase()}.`,
    );
  }
  const result = move.result === undefined ? Prisma.sql`result` : Prisma.sql`${JSON.stringify(move.result)}::jsonb`;
  const finished = isFinal(move.to);
  const rows = await db.$queryRaw<{ version: number }[]>`
    UPDATE tasks
       SET status = ${move.to},
           version = version + 1,
           result = ${result},
           attempts = attempts + ${move.newAttempt ? 1 : 0},
           execution_time_ms = CASE WHEN ${finished}
             THEN LEAST(EXTRACT(EPOCH FROM (NOW() - created_at)) * 1000, 2147483647)::integer
             ELSE execution_time_ms END
     WHERE id = ${move.id}::uuid
       AND COALESCE(status, 'pending') = ${move.from}
       AND version = ${move.expectedVersion}
    RETURNING version`;
  return rows[0]?.version ?? null;
}
