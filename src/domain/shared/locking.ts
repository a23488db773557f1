// Row locks for state transitions: read the current status FOR UPDATE so that a concurrent writer (a worker
// finishing the task, a second reviewer) cannot change it between our check and our write.
import { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../audit/audit.service.js';

export interface LockedStatusRow {
  status: string | null;
  agent_id: string | null;
}

export async function lockStatusRow(tx: Tx, table: 'tasks' | 'content', id: string): Promise<LockedStatusRow | null> {
  const rows = await tx.$queryRaw<LockedStatusRow[]>(
    Prisma.sql`SELECT status, agent_id FROM ${Prisma.raw(table)} WHERE id = ${id}::uuid FOR UPDATE`,
  );
  return rows[0] ?? null;
}
