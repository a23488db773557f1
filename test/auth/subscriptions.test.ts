// Subscriptions on a real port, over graphql-ws (WebSocket) and SSE: the security alert stream reaches super_admins
// (and the on-call webhook) when an account locks; the rule tree answers FORBIDDEN / UNAUTHENTICATED as over HTTP;
// refused, revoked and expired credentials close the connection (4401) or end the stream; an event published by
// another node (a worker) arrives through Redis; app.close() ends every open connection.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import {
  type CloseInfo,
  connectWs,
  eventually,
  type ResultStream,
  subscribeSse,
  type WsConnection,
  within,
} from '../helpers/ws-client.js';

const ALERTS = 'subscription { securityAlerts { id kind severity message userId } }';
const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }';
const WAIT = 5_000;

interface AlertData {
  securityAlerts: { id: string; kind: string; severity: string; message: string; userId: string | null } | null;
}

/** Connections and streams opened by a test, closed after it whatever happens. */
const opened: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((o) => o.close()));
});

function ws(url: string, params?: Record<string, unknown>, headers?: Record<string, string>): WsConnection {
  const conn = connectWs(url, params, { headers });
  opened.push({ close: () => conn.dispose() });
  return conn;
}

async function sse<T = AlertData>(base: string, query: string, headers: Record<string, string> = {}) {
  const stream = await subscribeSse<T>(`${base}/graphql`, query, headers);
  opened.push(stream);
  return stream;
}

const bearer = (who: Identity) => ({ authorization: `Bearer ${who.accessToken}` });

/** When an access token expires (its `exp` claim), in ms. */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number };
  return payload.exp * 1000;
}

/** A real HTTP GraphQL call. */
async function http(base: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(WAIT),
  });
  return (await res.json()) as { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };
}

/**
 * Waits until `stream` is live end to end (its Redis channel subscribed): raises marker alerts until one arrives.
 * A subscription's Redis SUBSCRIBE is asynchronous, so an event raised right after subscribing could be missed.
 */
async function live(t: TestApp, stream: ResultStream<AlertData>) {
  for (let attempt = 1; attempt <= 40; attempt++) {
    const marker = `probe ${randomUUID()}`;
    await t.app.services.alerts.raise({ kind: 'restricted_resource_access', severity: 'low', message: marker });
    const seen = await stream
      .nextMatching((r) => r.data?.securityAlerts?.message === marker, 250, 'a probe alert')
      .then(() => true)
      .catch(() => false);
    if (seen) return;
  }
  throw new Error(`the subscription never delivered a probe alert; received: ${JSON.stringify(stream.received)}`);
}

/** Fails a user's password sign-in over HTTP until the account locks; returns each attempt's error code. */
async function lockOut(t: TestApp, base: string, email: string) {
  const attempts: unknown[] = [];
  for (let i = 0; i <= t.app.config.auth.lockout.threshold; i++) {
    const res = await http(base, LOGIN, { i: { email, password: `wrong ${i}` } }, {});
    attempts.push(codes(res as never)[0]);
  }
  return attempts;
}

const isLockOf = (userId: string) => (r: { data?: AlertData | null }) =>
  r.data?.securityAlerts?.kind === 'account_locked' && r.data.securityAlerts.userId === userId;

describe('subscriptions: alerts, permissions, credentials, Redis fan-out', () => {
  let t: TestApp;
  let base: string;
  let wsUrl: string;
  let webhook: Server;
  const hooks: { source?: string; alert?: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        hooks.push({ ...(JSON.parse(body) as object), contentType: req.headers['content-type'] } as never);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const { port } = webhook.address() as AddressInfo;
    t = await startTestApp({ ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/on-call` });
    base = await t.app.listen();
    wsUrl = `${base.replace(/^http/, 'ws')}/graphql`;
  });
  afterAll(async () => {
    await t?.close();
    webhook?.closeAllConnections();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('delivers the account_locked alert to a super_admin over graphql-ws when another user is locked out', async () => {
    const admin = await t.signIn(['super_admin']);
    const conn = ws(wsUrl, bearer(admin));
    await within(conn.connected, WAIT, 'connection_ack');
    const alerts = conn.subscribe<AlertData>(ALERTS);
    await live(t, alerts);

    const victim = await t.signIn(['analyst']);
    expect(await lockOut(t, base, victim.email)).toEqual([
      ...Array(t.app.config.auth.lockout.threshold).fill('UNAUTHENTICATED'),
      'ACCOUNT_LOCKED',
    ]);
    const { data } = await alerts.nextMatching(isLockOf(victim.userId), WAIT, 'the account_locked alert');
    expect(data?.securityAlerts).toMatchObject({ kind: 'account_locked', severity: 'HIGH', userId: victim.userId });
    expect(data?.securityAlerts?.message).toContain('Account locked');
  });

  it('delivers the same alert over SSE, authenticated by the Authorization header', async () => {
    const admin = await t.signIn(['super_admin']);
    const alerts = await sse(base, ALERTS, bearer(admin));
    expect(alerts.status).toBe(200);
    expect(alerts.contentType).toContain('text/event-stream');
    await live(t, alerts);

    const victim = await t.signIn(['agent_operator']);
    expect((await lockOut(t, base, victim.email)).at(-1)).toBe('ACCOUNT_LOCKED');
    const { data } = await alerts.nextMatching(isLockOf(victim.userId), WAIT, 'the account_locked alert over SSE');
    expect(data?.securityAlerts).toMatchObject({ kind: 'account_locked', userId: victim.userId });
  });

  it('POSTs the alert JSON to ALERT_WEBHOOK_URL', async () => {
    const victim = await t.signIn(['content_reviewer']);
    expect((await lockOut(t, base, victim.email)).at(-1)).toBe('ACCOUNT_LOCKED');
    const hook = await eventually(
      () => hooks.find((h) => h.alert?.kind === 'account_locked' && h.alert.userId === victim.userId),
      WAIT,
      'the on-call webhook call',
    );
    const stored = await t.app.db.securityAlert.findFirstOrThrow({
      where: { kind: 'account_locked', userId: victim.userId },
    });
    expect(hook).toMatchObject({
      source: 'chimera',
      contentType: 'application/json',
      alert: { id: stored.id, kind: 'account_locked', severity: 'high', userId: victim.userId },
    });
  });

  it('answers FORBIDDEN to an analyst or operator and UNAUTHENTICATED to an anonymous subscriber, on both transports', async () => {
    for (const roles of [['analyst'], ['agent_operator']] as const) {
      const who = await t.signIn([...roles]);
      const conn = ws(wsUrl, bearer(who));
      await within(conn.connected, WAIT, `connection_ack for ${roles[0]}`);
      const sub = conn.subscribe<AlertData>(ALERTS);
      const result = await sub.next(WAIT);
      expect(codes(result as never), roles[0]).toEqual(['FORBIDDEN']);
      expect(result.data ?? null).toBeNull();
      expect(await within(sub.ended, WAIT, 'the end of the refused subscription')).toEqual({ complete: true });

      const overSse = await sse(base, ALERTS, bearer(who));
      expect(codes((await overSse.next(WAIT)) as never), `${roles[0]} over SSE`).toEqual(['FORBIDDEN']);
    }

    const anonymous = ws(wsUrl);
    await within(anonymous.connected, WAIT, 'connection_ack for an anonymous connection');
    const refused = anonymous.subscribe<AlertData>(ALERTS);
    expect(codes((await refused.next(WAIT)) as never)).toEqual(['UNAUTHENTICATED']);
    // Anonymous is not refused at connection: public operations still work on the same socket.
    const health = anonymous.subscribe<{ __typename: string }>('{ __typename }');
    expect((await health.next(WAIT)).data).toEqual({ __typename: 'Query' });

    const anonymousSse = await sse(base, ALERTS);
    expect(codes((await anonymousSse.next(WAIT)) as never)).toEqual(['UNAUTHENTICATED']);
  });

  it('closes a connection with an invalid token 4401 and records auth.token_rejected', async () => {
    const requestId = `ws-${randomUUID()}`;
    const conn = ws(wsUrl, { authorization: 'Bearer not-a-token' }, { 'x-request-id': requestId });
    const closed = await within(conn.closed, WAIT, 'the socket to close');
    expect(closed).toEqual<CloseInfo>({ code: 4401, reason: 'Unauthorized' });
    const acked = await Promise.race([conn.connected.then(() => true), Promise.resolve(false)]);
    expect(acked).toBe(false);
    const row = await t.app.db.securityAuditLog.findFirst({
      where: { action: 'auth.token_rejected', metadata: { path: ['requestId'], equals: requestId } },
    });
    expect(row).toMatchObject({ success: false, errorMessage: 'malformed token', ipAddress: '127.0.0.1' });

    // A credential in the wrong shape is refused too, never taken for anonymous.
    for (const params of [{ apiKey: 'chk_nope_nope' }, { authorization: 42 }, { authorization: 'Basic abc' }]) {
      const bad = ws(wsUrl, params);
      expect(await within(bad.closed, WAIT, `close for ${JSON.stringify(params)}`)).toMatchObject({ code: 4401 });
    }
  });

  it('refuses a token whose session was logged out: on reconnect, and for the next operation of an open socket', async () => {
    const admin = await t.signIn(['super_admin']);
    const before = ws(wsUrl, bearer(admin));
    await within(before.connected, WAIT, 'connection_ack before logout');

    const logout = await http(base, 'mutation { logout }', {}, bearer(admin));
    expect(logout.data).toEqual({ logout: true });

    const after = ws(wsUrl, bearer(admin));
    expect(await within(after.closed, WAIT, 'the reconnect to be refused')).toEqual({
      code: 4401,
      reason: 'Unauthorized',
    });
    const row = await t.app.db.securityAuditLog.findFirst({
      where: { action: 'auth.token_rejected', errorMessage: 'session revoked (logout)' },
    });
    expect(row).not.toBeNull();

    before.subscribe(ALERTS);
    expect(await within(before.closed, WAIT, 'the open socket to close')).toEqual({
      code: 4401,
      reason: 'Unauthorized',
    });
  });

  it('authenticates API keys from connectionParams: an api_user key is known (FORBIDDEN, not UNAUTHENTICATED)', async () => {
    const admin = await t.signIn(['super_admin'], { stepUp: true });
    const principal = await t.app.services.auth.authenticate(admin.accessToken, {});
    // API keys cannot hold super_admin (a key skips MFA), so no key may read the alert stream.
    const { secret } = await t.app.services.users.createApiKey({ name: 'svc', roles: ['api_user'] }, principal, {});
    const byKey = ws(wsUrl, { apiKey: secret });
    await within(byKey.connected, WAIT, 'connection_ack');
    const refused = byKey.subscribe<AlertData>(ALERTS);
    expect(codes((await refused.next(WAIT)) as never)).toEqual(['FORBIDDEN']);
  });

  it('delivers an alert published by another node (a worker) through Redis', async () => {
    const admin = await t.signIn(['super_admin']);
    const byToken = ws(wsUrl, bearer(admin));
    await within(byToken.connected, WAIT, 'connection_ack');
    const stream = byToken.subscribe<AlertData>(ALERTS);
    await live(t, stream);

    // Another process: its own database pool, Redis connections and in-process pub/sub, sharing only the database
    // and the Redis key prefix. Nothing it publishes can reach this node's subscribers except through Redis.
    const otherNode = createApp(t.app.config);
    try {
      const marker = `raised on another node ${randomUUID()}`;
      const raised = await otherNode.services.alerts.raise({
        kind: 'privilege_escalation_attempt',
        severity: 'high',
        message: marker,
        userId: admin.userId,
      });
      const { data } = await stream.nextMatching((r) => r.data?.securityAlerts?.message === marker, WAIT, marker);
      expect(data?.securityAlerts).toMatchObject({ kind: 'privilege_escalation_attempt', userId: raised.userId });
    } finally {
      await otherNode.close();
    }
  });
});

describe('subscriptions: access token expiry and shutdown', () => {
  let t: TestApp;
  let base: string;
  let wsUrl: string;

  beforeAll(async () => {
    t = await startTestApp({ ACCESS_TOKEN_TTL_SECONDS: '3' });
    base = await t.app.listen();
    wsUrl = `${base.replace(/^http/, 'ws')}/graphql`;
  });
  afterAll(() => t?.close());

  it('closes a graphql-ws connection 4401 "Token expired" when its access token expires', async () => {
    const admin = await t.signIn(['super_admin']);
    const expiresAt = expiryOf(admin.accessToken);
    const conn = ws(wsUrl, bearer(admin));
    await within(conn.connected, WAIT, 'connection_ack');
    const alerts = conn.subscribe<AlertData>(ALERTS);
    const closed = await within(conn.closed, expiresAt - Date.now() + WAIT, 'the close at token expiry');
    expect(closed).toEqual({ code: 4401, reason: 'Token expired' });
    // Closed because of the expiry, not before it.
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 50);
    expect((await within(alerts.ended, WAIT, 'the subscription to end')) as object).toHaveProperty('error');
  });

  it('ends an SSE stream with an UNAUTHENTICATED result when its access token expires', async () => {
    const admin = await t.signIn(['super_admin']);
    const expiresAt = expiryOf(admin.accessToken);
    const alerts = await sse(base, ALERTS, bearer(admin));
    expect(alerts.status).toBe(200);
    const last = await alerts.next(expiresAt - Date.now() + WAIT);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 50);
    expect(codes(last as never)).toEqual(['UNAUTHENTICATED']);
    expect(last.errors?.[0]?.message).toContain('expired');
    expect(await within(alerts.ended, WAIT, 'the SSE stream to end')).toEqual({ complete: true });
  });

  it('app.close() ends every open WebSocket and SSE stream', async () => {
    // An app of its own with the default token lifetime: only shutdown may close these streams.
    const own = await startTestApp();
    try {
      const ownBase = await own.app.listen();
      const ownWs = `${ownBase.replace(/^http/, 'ws')}/graphql`;
      const admin = await own.signIn(['super_admin']);
      const conns = [ws(ownWs, bearer(admin)), ws(ownWs, bearer(admin))];
      await within(Promise.all(conns.map((c) => c.connected)), WAIT, 'connection_acks');
      for (const c of conns) c.subscribe(ALERTS);
      const overSse = await sse(ownBase, ALERTS, bearer(admin));
      expect(overSse.status).toBe(200);

      await within(own.app.close(), WAIT, 'app.close()');
      for (const c of conns) expect(await within(c.closed, WAIT, 'the socket to close')).toMatchObject({ code: 1001 });
      await within(overSse.ended, WAIT, 'the SSE stream to end');
    } finally {
      await own.database.drop();
    }
  });
});
