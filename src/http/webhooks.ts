// POST /webhooks/{platform}: a platform reports interactions with Chimera's posts. The route reads the raw body (the
// signature covers its exact bytes), hands it to the core to verify and store, and answers JSON with a code:
// 202 { accepted, ignored } when stored; 4xx { error: { code, message } } when refused — nothing is stored then.

import {
  acceptWebhook,
  MAX_WEBHOOK_BYTES,
  verifyWebhook,
  WebhookError,
  type WebhookSettings,
} from '../domain/interactions/webhooks.js';
import { DomainError } from '../domain/shared/errors.js';
import type { Database } from '../platform/db/prisma.js';
import type { Logger } from '../platform/log/logger.js';

export const WEBHOOK_PATH = /^\/webhooks\/([a-z0-9_-]{1,100})\/?$/i;

const refuse = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  Response.json({ error: { code, message } }, { status, headers });

export function createWebhookHandler(deps: { db: Database; settings: WebhookSettings; logger: Logger }) {
  return async (request: Request, platform: string): Promise<Response> => {
    if (request.method !== 'POST') {
      return refuse(405, 'METHOD_NOT_ALLOWED', 'Webhooks are POSTed.', { allow: 'POST' });
    }
    const length = Number(request.headers.get('content-length') ?? 0);
    if (length > MAX_WEBHOOK_BYTES)
      return refuse(413, 'TOO_LARGE', `The body is larger than ${MAX_WEBHOOK_BYTES} bytes.`);
    try {
      const event = verifyWebhook(deps.settings, {
        platform: platform.toLowerCase(),
        timestamp: request.headers.get('x-chimera-timestamp'),
        signature: request.headers.get('x-chimera-signature'),
        eventId: request.headers.get('x-chimera-event-id'),
        body: await request.text(),
      });
      const result = await acceptWebhook(deps.db, platform.toLowerCase(), event);
      deps.logger.info({ platform, ...result }, 'webhook accepted');
      return Response.json(result, { status: 202 });
    } catch (err) {
      if (err instanceof WebhookError) {
        deps.logger.warn({ platform, code: err.code }, `webhook refused: ${err.message}`);
        return refuse(err.status, err.code, err.message);
      }
      if (err instanceof DomainError) return refuse(400, 'MALFORMED', err.message);
      deps.logger.error({ err, platform }, 'webhook failed');
      return refuse(503, 'UNAVAILABLE', 'The webhook could not be stored now; deliver it again later.');
    }
  };
}
