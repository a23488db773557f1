// AuditLog and SecurityAuditLog: append-only trails, read-only here.
import { builder } from '../builder.js';
import { optionalIdOf } from '../ids.js';
import { connectionOf } from './common.js';

export const AuditLog = builder.prismaNode('AuditLog', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'One recorded change: who did what to which agent. Append-only.',
  fields: (t) => ({
    action: t.exposeString('action', { description: 'e.g. task.created, content.approved, agent.deactivated.' }),
    details: t.expose('details', { type: 'JSON', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    agent: t.relation('agent', { nullable: true }),
  }),
});

export const SecurityAuditLog = builder.prismaNode('SecurityAuditLog', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'A security-relevant event (sign-ins, denials, key use). Append-only.',
  fields: (t) => ({
    timestamp: t.expose('timestamp', { type: 'DateTime', nullable: true }),
    userId: t.exposeString('userId', { nullable: true, description: 'A UUID; users may no longer exist.' }),
    agentId: t.exposeString('agentId', { nullable: true, description: 'A UUID; agents may no longer exist.' }),
    action: t.exposeString('action'),
    resourceType: t.exposeString('resourceType', { nullable: true }),
    resourceId: t.exposeString('resourceId', { nullable: true }),
    ipAddress: t.exposeString('ipAddress', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    success: t.exposeBoolean('success', { nullable: true }),
    errorMessage: t.exposeString('errorMessage', { nullable: true }),
    riskScore: t.exposeInt('riskScore', { nullable: true, description: '1 (routine) .. 10 (critical).' }),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
  }),
});

export const AuditLogConnection = connectionOf(AuditLog, 'AuditLog');
const SecurityAuditLogConnection = connectionOf(SecurityAuditLog, 'SecurityAuditLog');

const AuditLogFilter = builder.inputType('AuditLogFilter', {
  fields: (t) => ({
    agentId: t.globalID({ description: 'An Agent ID.' }),
    action: t.stringList({ description: 'Any of these actions.' }),
    createdAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

const SecurityAuditLogFilter = builder.inputType('SecurityAuditLogFilter', {
  fields: (t) => ({
    userId: t.string({ description: 'A user UUID.' }),
    agentId: t.string({ description: 'An agent UUID.' }),
    action: t.stringList(),
    success: t.boolean(),
    minRiskScore: t.int({ description: '1..10' }),
    occurredAfter: t.field({ type: 'DateTime', description: 'By `timestamp`; inclusive.' }),
    occurredBefore: t.field({ type: 'DateTime', description: 'By `timestamp`; exclusive.' }),
  }),
});

builder.queryFields((t) => ({
  auditLogs: t.prismaConnection(
    {
      type: 'AuditLog',
      cursor: 'id',
      description: 'Audit log, newest first.',
      args: { filter: t.arg({ type: AuditLogFilter }) },
      totalCount: (_root, { filter }, ctx) => ctx.services.audit.countAuditLogs(auditFilter(filter)),
      resolve: (query, _root, { filter }, ctx) => ctx.services.audit.listAuditLogs(auditFilter(filter), query),
    },
    AuditLogConnection,
  ),
  securityAuditLogs: t.prismaConnection(
    {
      type: 'SecurityAuditLog',
      cursor: 'id',
      description: 'Security audit log, newest first.',
      args: { filter: t.arg({ type: SecurityAuditLogFilter }) },
      totalCount: (_root, { filter }, ctx) => ctx.services.audit.countSecurityAuditLogs(securityFilter(filter)),
      resolve: (query, _root, { filter }, ctx) =>
        ctx.services.audit.listSecurityAuditLogs(securityFilter(filter), query),
    },
    SecurityAuditLogConnection,
  ),
}));

function auditFilter(f: typeof AuditLogFilter.$inferInput | null | undefined) {
  if (!f) return undefined;
  return {
    agentId: optionalIdOf(f.agentId, 'Agent'),
    actions: f.action,
    createdAfter: f.createdAfter,
    createdBefore: f.createdBefore,
  };
}

function securityFilter(f: typeof SecurityAuditLogFilter.$inferInput | null | undefined) {
  if (!f) return undefined;
  const { occurredAfter, occurredBefore, action, ...rest } = f;
  return { ...rest, actions: action, after: occurredAfter, before: occurredBefore };
}
