// Security alerts: the list, acknowledgement, and the live stream for super_admins.
import { ALERT_SEVERITIES, SECURITY_ALERTS_TOPIC } from '../../domain/security/alerts.service.js';
import { builder } from '../builder.js';
import { readOncePerEvent } from '../event-reads.js';
import { idOf } from '../ids.js';
import { connectionOf, enumFromValues } from './common.js';

const AlertSeverity = enumFromValues('AlertSeverity', ALERT_SEVERITIES, 'How urgent an alert is.');

export const SecurityAlert = builder.prismaNode('SecurityAlert', {
  id: { field: 'id' },
  nullable: true,
  description:
    'Raised by an escalation trigger: account lockout, privilege escalation, restricted access, token reuse, and the system triggers (error rate, response time, memory, database connection failures).',
  fields: (t) => ({
    kind: t.exposeString('kind'),
    severity: t.field({ type: AlertSeverity, resolve: (a) => a.severity as (typeof ALERT_SEVERITIES)[number] }),
    message: t.exposeString('message'),
    userId: t.exposeString('userId', { nullable: true }),
    details: t.expose('details', { type: 'JSON' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    acknowledgedAt: t.expose('acknowledgedAt', { type: 'DateTime', nullable: true }),
    level: t.exposeInt('level', {
      nullable: true,
      description:
        "The spec's escalation level (1: automated response + on-call, 2: + temporary restrictions, 3: + out of rotation) of a system trigger's alert.",
    }),
    resolvedAt: t.expose('resolvedAt', {
      type: 'DateTime',
      nullable: true,
      description: "When a system trigger's condition was over (null while it holds, and for security alerts).",
    }),
  }),
});

const SecurityAlertConnection = connectionOf(SecurityAlert, 'SecurityAlert');

builder.queryFields((t) => ({
  securityAlerts: t.prismaConnection(
    {
      type: 'SecurityAlert',
      cursor: 'id',
      args: { unacknowledgedOnly: t.arg.boolean() },
      resolve: (query, _r, args, ctx) =>
        ctx.db.securityAlert.findMany({
          ...query,
          where: args.unacknowledgedOnly ? { acknowledgedAt: null } : {},
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
    },
    SecurityAlertConnection,
  ),
}));

builder.mutationFields((t) => ({
  acknowledgeSecurityAlert: t.prismaField({
    type: 'SecurityAlert',
    args: { id: t.arg.globalID({ required: true }) },
    resolve: async (query, _r, { id }, ctx) => {
      const alert = await ctx.services.alerts.acknowledge(idOf(id, 'SecurityAlert'), ctx.principal?.id ?? '');
      return ctx.db.securityAlert.findUniqueOrThrow({ ...query, where: { id: alert.id } });
    },
  }),
}));

builder.subscriptionType({});
builder.subscriptionFields((t) => ({
  securityAlerts: t.prismaField({
    type: 'SecurityAlert',
    description: 'Every new security alert, live, and a system alert again when it resolves (super_admin).',
    subscribe: (_r, _a, ctx) => ctx.pubsub.subscribe(SECURITY_ALERTS_TOPIC),
    resolve: (query, payload: { id: string }, _a, ctx) =>
      readOncePerEvent(payload, query, () =>
        ctx.db.securityAlert.findUniqueOrThrow({ ...query, where: { id: payload.id } }),
      ),
  }),
}));
