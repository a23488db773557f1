// The audit trail: every state change made through Chimera writes one append-only audit_logs row, in the same
// transaction as the change it records (so a change without its audit row cannot exist).
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { oneOf, orUndefined, timeRange } from '../shared/filters.js';

/** Who caused a change. Authentication (issue 3) fills in users and API keys; until then requests are anonymous. */
export interface Actor {
  kind: 'anonymous' | 'user' | 'service' | 'system';
  id?: string;
  requestId?: string;
  ip?: string;
}

export interface AuditEntry {
  agentId?: string | null;
  action: string;
  actor: Actor;
  details: Record<string, unknown>;
}

export type Tx = Prisma.TransactionClient;

export async function writeAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      agentId: entry.agentId ?? null,
      action: entry.action,
      details: { ...entry.details, actor: { ...entry.actor } } as Prisma.InputJsonObject,
    },
    select: { id: true },
  });
}

export interface AuditLogFilter {
  agentId?: string | null;
  actions?: string[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export interface SecurityAuditLogFilter {
  userId?: string | null;
  agentId?: string | null;
  actions?: string[] | null;
  success?: boolean | null;
  minRiskScore?: number | null;
  after?: Date | null;
  before?: Date | null;
}

type AuditPage = Pick<Prisma.AuditLogFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;
type SecurityPage = Pick<Prisma.SecurityAuditLogFindManyArgs, 'take' | 'skip' | 'cursor' | 'select'>;

export function createAuditService({ db }: { db: Database }) {
  const auditWhere = (f: AuditLogFilter = {}): Prisma.AuditLogWhereInput => ({
    agentId: orUndefined(f.agentId),
    action: oneOf(f.actions),
    createdAt: timeRange(f.createdAfter, f.createdBefore),
  });
  const securityWhere = (f: SecurityAuditLogFilter = {}): Prisma.SecurityAuditLogWhereInput => ({
    userId: orUndefined(f.userId),
    agentId: orUndefined(f.agentId),
    action: oneOf(f.actions),
    success: orUndefined(f.success),
    riskScore: f.minRiskScore != null ? { gte: f.minRiskScore } : undefined,
    timestamp: timeRange(f.after, f.before),
  });

  return {
    /** Newest first; ties broken by id so pages are stable. */
    listAuditLogs: (filter: AuditLogFilter | undefined, page: AuditPage) =>
      db.auditLog.findMany({ ...page, where: auditWhere(filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    countAuditLogs: (filter?: AuditLogFilter) => db.auditLog.count({ where: auditWhere(filter) }),
    listSecurityAuditLogs: (filter: SecurityAuditLogFilter | undefined, page: SecurityPage) =>
      db.securityAuditLog.findMany({
        ...page,
        where: securityWhere(filter),
        orderBy: [{ timestamp: 'desc' }, { id: 'desc' }],
      }),
    countSecurityAuditLogs: (filter?: SecurityAuditLogFilter) =>
      db.securityAuditLog.count({ where: securityWhere(filter) }),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
