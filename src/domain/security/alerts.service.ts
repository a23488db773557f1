// Security alerts (spec "Escalation Triggers"): stored, published to subscribers (super_admins), and optionally
// POSTed to an on-call webhook. A failing webhook never blocks the request that raised the alert. The system
// triggers (src/domain/operations/system-monitor.ts) raise theirs here too, with an escalation level, and resolve
// them when their condition is over; the webhook hears { source, event: 'raised' | 'resolved', alert }.
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';

export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const SECURITY_ALERTS_TOPIC = 'security:alerts';

export const SYSTEM_ALERT_KINDS = [
  'system_error_rate',
  'system_response_time',
  'system_memory',
  'system_database',
] as const;
export type SystemAlertKind = (typeof SYSTEM_ALERT_KINDS)[number];

export interface AlertInput {
  kind:
    | 'account_locked'
    | 'privilege_escalation_attempt'
    | 'restricted_resource_access'
    | 'refresh_token_reuse'
    | SystemAlertKind;
  severity: AlertSeverity;
  message: string;
  userId?: string | null;
  details?: Record<string, unknown>;
  /** The spec's escalation level (1-3), for the system triggers. */
  level?: 1 | 2 | 3;
  /** Stored already resolved (a system alert recorded only after its condition was over: the database was down). */
  resolvedAt?: Date;
}

export type AlertEvent = 'raised' | 'resolved';

export interface AlertsDeps {
  db: Database;
  publish: (topic: string, payload: { id: string }) => void;
  webhookUrl?: string;
  postWebhook?: (url: string, body: unknown) => Promise<void>;
  onWebhookError?: (err: unknown) => void;
}

async function defaultPostWebhook(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`on-call webhook answered ${res.status}`);
}

export function createAlertService(deps: AlertsDeps) {
  const post = deps.postWebhook ?? defaultPostWebhook;
  /** POSTs to the on-call webhook (when configured); resolves once it answered or failed (reported, not thrown). */
  const notify = async (event: AlertEvent, alert: unknown): Promise<void> => {
    if (!deps.webhookUrl) return;
    await post(deps.webhookUrl, { source: 'chimera', event, alert }).catch((err: unknown) =>
      deps.onWebhookError?.(err),
    );
  };
  return {
    /** Stores the alert, streams it, and (unless `notify: false`) sends it to the webhook without waiting. */
    async raise(input: AlertInput, opts: { notify?: boolean } = {}) {
      const alert = await deps.db.securityAlert.create({
        data: {
          kind: input.kind,
          severity: input.severity,
          message: input.message,
          userId: input.userId ?? null,
          details: (input.details ?? {}) as Prisma.InputJsonObject,
          level: input.level ?? null,
          resolvedAt: input.resolvedAt ?? null,
        },
      });
      deps.publish(SECURITY_ALERTS_TOPIC, { id: alert.id });
      if (opts.notify !== false) void notify('raised', alert);
      return alert;
    },

    /**
     * Records that an alert's condition is over (once: a resolved alert stays as it was) and, unless `notify: false`,
     * tells the webhook. `resolution` is kept in details.resolution.
     */
    async resolve(id: string, resolution: Record<string, unknown>, opts: { notify?: boolean } = {}) {
      const open = await deps.db.securityAlert.findUniqueOrThrow({ where: { id } });
      if (open.resolvedAt) return open;
      const details = { ...(open.details as Prisma.JsonObject), resolution } as Prisma.InputJsonObject;
      const { count } = await deps.db.securityAlert.updateMany({
        where: { id, resolvedAt: null },
        data: { resolvedAt: new Date(), details },
      });
      const alert = await deps.db.securityAlert.findUniqueOrThrow({ where: { id } });
      if (count === 1) {
        deps.publish(SECURITY_ALERTS_TOPIC, { id });
        if (opts.notify !== false) void notify('resolved', alert);
      }
      return alert;
    },

    notify,

    list: (args: { unacknowledgedOnly?: boolean; take?: number; skip?: number; cursor?: { id: string } }) =>
      deps.db.securityAlert.findMany({
        where: args.unacknowledgedOnly ? { acknowledgedAt: null } : {},
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: args.take,
        skip: args.skip,
        cursor: args.cursor,
      }),

    acknowledge: (id: string, userId: string) =>
      deps.db.securityAlert.update({ where: { id }, data: { acknowledgedAt: new Date(), acknowledgedBy: userId } }),
  };
}

export type AlertService = ReturnType<typeof createAlertService>;
