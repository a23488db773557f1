// Security alerts (spec "Escalation Triggers"): stored, published to subscribers (super_admins), and optionally
// POSTed to an on-call webhook. A failing webhook never blocks the request that raised the alert.
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';

export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const SECURITY_ALERTS_TOPIC = 'security:alerts';

export interface AlertInput {
  kind: 'account_locked' | 'privilege_escalation_attempt' | 'restricted_resource_access' | 'refresh_token_reuse';
  severity: AlertSeverity;
  message: string;
  userId?: string | null;
  details?: Record<string, unknown>;
}

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
  return {
    async raise(input: AlertInput) {
      const alert = await deps.db.securityAlert.create({
        data: {
          kind: input.kind,
          severity: input.severity,
          message: input.message,
          userId: input.userId ?? null,
          details: (input.details ?? {}) as Prisma.InputJsonObject,
        },
      });
      deps.publish(SECURITY_ALERTS_TOPIC, { id: alert.id });
      if (deps.webhookUrl) {
        const url = deps.webhookUrl;
        void post(url, { source: 'chimera', alert }).catch((err: unknown) => deps.onWebhookError?.(err));
      }
      return alert;
    },

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
