// POST /webhooks/{platform} through the real HTTP handler: a signed, fresh, well-formed event is stored with its
// interactions and aggregated into engagement metrics and the agent's performance; a forged, stale, replayed or
// malformed one is refused with a coded error and leaves nothing behind.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureOf } from '../../src/domain/interactions/webhooks.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { makeAgent } from '../helpers/fixtures.js';

const SECRET = 'test-webhook-secret-0123456789';
let t: TestApp;
let agentId: string;
let contentId: string;
const POST_ID = 'post_test0001';

beforeAll(async () => {
  t = await startTestApp({ WEBHOOK_SECRETS: JSON.stringify({ social: SECRET }) });
  agentId = (await makeAgent(t.app.db, 'webhooked')).id;
  const content = await t.app.db.content.create({
    data: { agentId, contentType: 'text', contentData: 'A post', status: 'published', publishedAt: new Date() },
  });
  contentId = content.id;
  await t.app.db.publication.create({
    data: {
      contentId,
      agentId,
      platform: 'social',
      account: 'tester',
      status: 'posted',
      platformPostId: POST_ID,
      postedAt: new Date(),
    },
  });
}, 120_000);
afterAll(() => t?.close());

const nowSeconds = () => String(Math.floor(Date.now() / 1000));

function event(over: Record<string, unknown> = {}) {
  return {
    id: `evt_${randomUUID()}`,
    platform: 'social',
    type: 'interactions',
    createdAt: new Date().toISOString(),
    interactions: [
      { postId: POST_ID, type: 'like', occurredAt: new Date().toISOString(), data: { author: '@a' } },
      { postId: POST_ID, type: 'comment', data: { author: '@b', text: 'Nice one', commentId: 'cmt_1' } },
      { postId: POST_ID, type: 'view', data: {} },
      { postId: 'post_not_ours', type: 'like', data: {} },
    ],
    ...over,
  };
}

async function deliver(
  body: string,
  opts: {
    platform?: string;
    timestamp?: string;
    signature?: string | null;
    eventId?: string | null;
    method?: string;
  } = {},
) {
  const timestamp = opts.timestamp ?? nowSeconds();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-chimera-timestamp': timestamp };
  const signature = opts.signature === undefined ? signatureOf(SECRET, timestamp, body) : opts.signature;
  if (signature !== null) headers['x-chimera-signature'] = signature;
  if (opts.eventId) headers['x-chimera-event-id'] = opts.eventId;
  const res = await t.app.yoga.fetch(`http://chimera.test/webhooks/${opts.platform ?? 'social'}`, {
    method: opts.method ?? 'POST',
    headers,
    ...(opts.method === 'GET' ? {} : { body }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const counts = async () => ({
  interactions: await t.app.db.interaction.count(),
  deliveries: await t.app.db.webhookDelivery.count(),
  outbox: await t.app.db.outboxMessage.count(),
});

describe('POST /webhooks/{platform}', () => {
  it('stores a signed event, ignores posts that are not ours, and aggregates engagement and performance', async () => {
    const e = event();
    const res = await deliver(JSON.stringify(e), { eventId: e.id });
    expect(res).toEqual({ status: 202, body: { eventId: e.id, accepted: 3, ignored: 1 } });
    const rows = await t.app.db.interaction.findMany({ where: { contentId }, orderBy: { interactionType: 'asc' } });
    expect(rows.map((r) => r.interactionType)).toEqual(['comment', 'like', 'view']);
    expect(rows.find((r) => r.interactionType === 'comment')?.data).toMatchObject({
      text: 'Nice one',
      postId: POST_ID,
      eventId: e.id,
    });
    const content = await t.app.db.content.findUniqueOrThrow({ where: { id: contentId } });
    expect(content.engagementMetrics).toMatchObject({
      likes: 1,
      comments: 1,
      views: 1,
      shares: 0,
      total: 3,
      weighted: 3.1,
    });
    const agent = await t.app.db.agent.findUniqueOrThrow({ where: { id: agentId } });
    // 1 − e^(−3.1/10)
    expect(agent.performanceScore?.toNumber()).toBe(0.27);
    const monitor = await t.app.db.outboxMessage.findFirst({
      where: { dedupeKey: { startsWith: `monitor:${contentId}:` } },
    });
    expect(monitor?.topic).toBe('maintenance');
    expect(
      await t.app.db.webhookDelivery.findUnique({ where: { platform_eventId: { platform: 'social', eventId: e.id } } }),
    ).toMatchObject({
      interactions: 3,
    });
  });

  it('refuses a replay of an accepted event (409) and counts nothing twice', async () => {
    const e = event();
    const body = JSON.stringify(e);
    expect((await deliver(body)).status).toBe(202);
    const before = await counts();
    const again = await deliver(body);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'REPLAYED' });
    expect(await counts()).toEqual(before);
  });

  const refusals: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
    ['a forged signature', () => deliver(JSON.stringify(event()), { signature: 'v1=deadbeef' }), 401, 'BAD_SIGNATURE'],
    [
      'a signature made with another secret',
      () => {
        const body = JSON.stringify(event());
        const ts = nowSeconds();
        return deliver(body, { timestamp: ts, signature: signatureOf('another-secret-0123456789', ts, body) });
      },
      401,
      'BAD_SIGNATURE',
    ],
    [
      'a body changed after signing',
      () => {
        const ts = nowSeconds();
        const signed = JSON.stringify(event());
        return deliver(signed.replace('"like"', '"share"'), {
          timestamp: ts,
          signature: signatureOf(SECRET, ts, signed),
        });
      },
      401,
      'BAD_SIGNATURE',
    ],
    ['no signature', () => deliver(JSON.stringify(event()), { signature: null }), 401, 'UNSIGNED'],
    [
      'a timestamp ten minutes old (a replay of a captured delivery)',
      () => deliver(JSON.stringify(event()), { timestamp: String(Math.floor(Date.now() / 1000) - 600) }),
      401,
      'STALE_TIMESTAMP',
    ],
    [
      'a timestamp that is not a number',
      () => deliver(JSON.stringify(event()), { timestamp: 'yesterday' }),
      401,
      'STALE_TIMESTAMP',
    ],
    ['an unknown platform', () => deliver(JSON.stringify(event()), { platform: 'myspace' }), 404, 'UNKNOWN_PLATFORM'],
    ['a body that is not JSON', () => deliver('{"id": "evt_x", '), 400, 'MALFORMED'],
    [
      'an unknown interaction type',
      () => deliver(JSON.stringify(event({ interactions: [{ postId: POST_ID, type: 'report', data: {} }] }))),
      400,
      'MALFORMED',
    ],
    ['no interactions', () => deliver(JSON.stringify(event({ interactions: [] }))), 400, 'MALFORMED'],
    [
      'an event id header that does not match the body',
      () => deliver(JSON.stringify(event()), { eventId: 'evt_other' }),
      400,
      'MALFORMED',
    ],
    [
      'an interaction dated in the future',
      () =>
        deliver(
          JSON.stringify(
            event({
              interactions: [
                {
                  postId: POST_ID,
                  type: 'like',
                  occurredAt: new Date(Date.now() + 86_400_000).toISOString(),
                  data: {},
                },
              ],
            }),
          ),
        ),
      400,
      'MALFORMED',
    ],
    ['a body over 1 MB', () => deliver(JSON.stringify(event({ padding: 'x'.repeat(1_100_000) }))), 413, 'TOO_LARGE'],
    ['GET', () => deliver('', { method: 'GET' }), 405, 'METHOD_NOT_ALLOWED'],
  ];

  it.each(refusals)('refuses %s with a coded error and stores nothing', async (_what, send, status, code) => {
    const before = await counts();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
    expect(await counts()).toEqual(before);
  });
});
