// Platform webhooks (POST /webhooks/{platform}): the spec's "Platform webhooks → PostgreSQL → Analytics aggregation".
// A delivery is accepted only when
//   - the platform is configured (it has a shared secret),
//   - x-chimera-timestamp is within the tolerance of our clock (an old delivery cannot be replayed later),
//   - x-chimera-signature is v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")> (compared in constant time;
//     several v1= entries may be sent while a secret is rotated),
//   - the body is a well-formed event whose id matches x-chimera-event-id,
//   - the event id was never accepted before (webhook_deliveries, committed with the interactions it carried).
// Anything else is refused with a WebhookError (status and code) and leaves nothing behind. Interactions on posts
// Chimera did not publish are ignored and counted.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { INTERACTION_TYPES, type InteractionInput, recordInteractions } from './interactions.service.js';

export const MAX_WEBHOOK_BYTES = 1_048_576;

export type WebhookErrorCode =
  | 'UNKNOWN_PLATFORM'
  | 'UNSIGNED'
  | 'BAD_SIGNATURE'
  | 'STALE_TIMESTAMP'
  | 'MALFORMED'
  | 'TOO_LARGE'
  | 'REPLAYED';

const STATUS: Record<WebhookErrorCode, number> = {
  UNKNOWN_PLATFORM: 404,
  UNSIGNED: 401,
  BAD_SIGNATURE: 401,
  STALE_TIMESTAMP: 401,
  MALFORMED: 400,
  TOO_LARGE: 413,
  REPLAYED: 409,
};

export class WebhookError extends Error {
  override name = 'WebhookError';
  readonly status: number;
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

export interface WebhookSettings {
  secrets: Readonly<Record<string, string>>;
  toleranceSeconds: number;
}

export interface WebhookRequest {
  platform: string;
  timestamp: string | null;
  signature: string | null;
  eventId: string | null;
  body: string;
}

const eventSchema = z.object({
  id: z.string().min(1).max(255),
  platform: z.string().optional(),
  type: z.literal('interactions'),
  createdAt: z.string().optional(),
  interactions: z
    .array(
      z.object({
        postId: z.string().min(1).max(255),
        type: z.enum(INTERACTION_TYPES),
        occurredAt: z.iso.datetime({ offset: true }).optional(),
        data: z.record(z.string(), z.unknown()).default({}),
      }),
    )
    .min(1)
    .max(500),
});

export type WebhookEvent = z.output<typeof eventSchema>;

const sign = (secret: string, timestamp: string, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** The header a sender puts on a delivery (used by tests and by anyone writing a platform adapter). */
export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `v1=${sign(secret, timestamp, body)}`;
}

/** Checks a delivery and returns its event, or throws the WebhookError that says what is wrong. */
export function verifyWebhook(settings: WebhookSettings, req: WebhookRequest, now = new Date()): WebhookEvent {
  const secret = settings.secrets[req.platform];
  if (!secret) throw new WebhookError('UNKNOWN_PLATFORM', `No webhook secret is configured for "${req.platform}".`);
  if (Buffer.byteLength(req.body) > MAX_WEBHOOK_BYTES) {
    throw new WebhookError('TOO_LARGE', `The body is larger than ${MAX_WEBHOOK_BYTES} bytes.`);
  }
  if (!req.timestamp || !req.signature) {
    throw new WebhookError('UNSIGNED', 'x-chimera-timestamp and x-chimera-signature are required.');
  }
  if (!/^\d{1,12}$/.test(req.timestamp)) {
    throw new WebhookError('STALE_TIMESTAMP', 'x-chimera-timestamp must be Unix seconds.');
  }
  const skew = Math.abs(now.getTime() / 1000 - Number(req.timestamp));
  if (skew > settings.toleranceSeconds) {
    throw new WebhookError(
      'STALE_TIMESTAMP',
      `The timestamp is ${Math.round(skew)} s from our clock (at most ${settings.toleranceSeconds} s): refused as a possible replay.`,
    );
  }
  const expected = Buffer.from(sign(secret, req.timestamp, req.body), 'hex');
  const given = req.signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'hex'));
  if (!given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) {
    throw new WebhookError('BAD_SIGNATURE', 'The signature does not match the body (x-chimera-signature: v1=<hex>).');
  }
  let json: unknown;
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new WebhookError('MALFORMED', 'The body is not JSON.');
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new WebhookError('MALFORMED', `The event is malformed — ${issues}`);
  }
  if (req.eventId && req.eventId !== parsed.data.id) {
    throw new WebhookError('MALFORMED', 'x-chimera-event-id does not match the event id in the body.');
  }
  return parsed.data;
}

export interface AcceptedWebhook {
  eventId: string;
  accepted: number;
  /** Interactions on posts Chimera did not publish. */
  ignored: number;
}

/**
 * Stores a verified event: its id (a second delivery is REPLAYED), and its interactions on Chimera's posts, in one
 * transaction. Validation of each interaction happens before anything is written.
 */
export async function acceptWebhook(db: Database, platform: string, event: WebhookEvent): Promise<AcceptedWebhook> {
  return db.$transaction(async (tx) => {
    const postIds = [...new Set(event.interactions.map((i) => i.postId))];
    const posts = await tx.publication.findMany({
      where: { platform, platformPostId: { in: postIds } },
      select: { platformPostId: true, contentId: true },
    });
    const contentOf = new Map(posts.map((p) => [p.platformPostId, p.contentId]));
    const items: InteractionInput[] = event.interactions.flatMap((i) => {
      const contentId = contentOf.get(i.postId);
      return contentId
        ? [
            {
              contentId,
              platform,
              interactionType: i.type,
              data: { ...i.data, postId: i.postId, eventId: event.id },
              ...(i.occurredAt ? { occurredAt: new Date(i.occurredAt) } : {}),
            },
          ]
        : [];
    });
    try {
      await tx.webhookDelivery.create({
        data: { platform, eventId: event.id, interactions: items.length },
        select: { eventId: true },
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new WebhookError('REPLAYED', `Event ${event.id} was already received; it is not counted twice.`);
      }
      throw err;
    }
    if (items.length > 0) await recordInteractions(tx, items);
    return { eventId: event.id, accepted: items.length, ignored: event.interactions.length - items.length };
  });
}
