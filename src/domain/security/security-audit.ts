// security_audit_logs: one append-only row per security-relevant event (sign-ins, failures, token refreshes,
// denials, privilege changes), with who, from where, whether it succeeded, and a risk score 1..10.
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';

export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string;
}

export interface SecurityEvent {
  action: string;
  success: boolean;
  riskScore: number;
  userId?: string | null;
  agentId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  errorMessage?: string | null;
  metadata?: Record<string, unknown>;
  meta?: RequestMeta;
}

const IP = /^[0-9a-f.:]{2,45}$/i;

export async function recordSecurityEvent(db: Pick<Database, 'securityAuditLog'>, event: SecurityEvent) {
  const ip = event.meta?.ip && IP.test(event.meta.ip) ? event.meta.ip : null;
  return db.securityAuditLog.create({
    data: {
      action: event.action,
      success: event.success,
      riskScore: Math.min(10, Math.max(1, Math.round(event.riskScore))),
      userId: event.userId ?? null,
      agentId: event.agentId ?? null,
      resourceType: event.resourceType ?? null,
      resourceId: event.resourceId ?? null,
      errorMessage: event.errorMessage ?? null,
      ipAddress: ip,
      userAgent: event.meta?.userAgent?.slice(0, 1000) ?? null,
      metadata: { ...event.metadata, requestId: event.meta?.requestId } as Prisma.InputJsonObject,
    },
    select: { id: true },
  });
}
