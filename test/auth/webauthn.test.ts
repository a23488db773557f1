// WebAuthn for sensitive operations: a user registers a security key, then steps up with it; an assertion opens
// step-up-gated mutations for 5 minutes. Driven through the real API with a software authenticator, including the
// forgeries a server must refuse: another origin or RP ID, a replayed or foreign assertion, a bad signature, a
// signature counter that did not move forward.
import { isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/auth/roles.js';
import { schema } from '../../src/graphql/schema.js';
import { codes, type GraphQLResponse, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { uuidOf } from '../helpers/fixtures.js';
import {
  createSoftAuthenticator,
  type Forgery,
  type JsonObject,
  type SoftAuthenticator,
} from '../helpers/soft-authenticator.js';

let t: TestApp;
let origin: string;
beforeAll(async () => {
  t = await startTestApp();
  origin = t.app.config.auth.webauthn.origin;
});
afterAll(() => t?.close());

const BEGIN_REGISTRATION = 'mutation { beginWebAuthnRegistration }';
const FINISH_REGISTRATION = `mutation ($r: JSON!, $n: String) {
  finishWebAuthnRegistration(response: $r, name: $n) { id name transports createdAt lastUsedAt } }`;
const BEGIN_STEP_UP = 'mutation { beginWebAuthnStepUp }';
const STEP_UP = 'mutation ($r: JSON!) { stepUpWithWebAuthn(response: $r) { stepUpAt validUntil } }';
const ROTATE = 'mutation { rotateSigningKey { kid } }';
const ME = 'query { me { mfaEnrolled session { amr stepUpAt } } }';

interface Registered {
  who: Identity;
  key: SoftAuthenticator;
}

function issueMessages(res: GraphQLResponse<unknown>): string[] {
  const issues = res.errors?.[0]?.extensions?.issues;
  return Array.isArray(issues) ? issues.map((i: { message: string }) => i.message) : [];
}

async function beginRegistration(who: Identity): Promise<JsonObject> {
  return (await t.ok<{ beginWebAuthnRegistration: JsonObject }>(BEGIN_REGISTRATION, {}, who.headers))
    .beginWebAuthnRegistration;
}

async function register(who: Identity, key: SoftAuthenticator, forgery: Forgery = {}, name = 'test key') {
  const options = await beginRegistration(who);
  return t.gql<{ finishWebAuthnRegistration: Record<string, unknown> }>(
    FINISH_REGISTRATION,
    { r: key.register(options, forgery), n: name },
    who.headers,
  );
}

/** A user (super_admin unless told) signed in WITHOUT a step-up, with a registered software authenticator. */
async function registered(roles: Role[] = ['super_admin'], forgery: Forgery = {}): Promise<Registered> {
  const who = await t.signIn(roles);
  const key = createSoftAuthenticator({ origin });
  const res = await register(who, key, forgery);
  expect(res.errors).toBeUndefined();
  return { who, key };
}

async function beginStepUp(who: Identity): Promise<JsonObject> {
  return (await t.ok<{ beginWebAuthnStepUp: JsonObject }>(BEGIN_STEP_UP, {}, who.headers)).beginWebAuthnStepUp;
}

async function stepUp(who: Identity, key: SoftAuthenticator, forgery: Forgery = {}) {
  const response = key.assert(await beginStepUp(who), forgery);
  const res = await t.gql<{ stepUpWithWebAuthn: { stepUpAt: string; validUntil: string } }>(
    STEP_UP,
    { r: response },
    who.headers,
  );
  return { res, response };
}

const stepUpAtOf = async (who: Identity) =>
  (await t.app.db.session.findUniqueOrThrow({ where: { id: who.sessionId } })).stepUpAt;

const stepUpRows = (who: Identity) =>
  t.app.db.securityAuditLog.findMany({
    where: { userId: who.userId, action: 'auth.step_up' },
    orderBy: { timestamp: 'asc' },
  });

describe('registration', () => {
  it('offers attestation none with preferred user verification, then stores the credential and its public key', async () => {
    const who = await t.signIn(['analyst']);
    const key = createSoftAuthenticator({ origin, transports: ['usb', 'nfc', 'bogus'] });
    const options = await beginRegistration(who);
    expect(options).toMatchObject({
      rp: { id: t.app.config.auth.webauthn.rpId, name: t.app.config.auth.webauthn.rpName },
      user: { name: who.email },
      attestation: 'none',
      authenticatorSelection: { userVerification: 'preferred' },
      excludeCredentials: [],
    });
    const res = await t.gql<{ finishWebAuthnRegistration: Record<string, unknown> }>(
      FINISH_REGISTRATION,
      { r: key.register(options), n: '  YubiKey  ' },
      who.headers,
    );
    expect(res.errors).toBeUndefined();
    const credential = res.data?.finishWebAuthnRegistration;
    expect(credential).toMatchObject({ name: 'YubiKey', transports: ['usb', 'nfc'], lastUsedAt: null });
    const row = await t.app.db.webauthnCredential.findFirstOrThrow({ where: { userId: who.userId } });
    expect(uuidOf(String(credential?.id))).toBe(row.id);
    expect(row.credentialId).toBe(key.credentialId);
    expect(Buffer.from(row.publicKey).equals(key.cosePublicKey)).toBe(true);
    expect(row.counter).toBe(1n);

    // The next registration excludes it, and the same authenticator cannot be registered twice.
    const again = await beginRegistration(who);
    expect(again.excludeCredentials).toEqual([
      { id: key.credentialId, type: 'public-key', transports: ['usb', 'nfc'] },
    ]);
    const twice = await t.gql(FINISH_REGISTRATION, { r: key.register(again) }, who.headers);
    expect(codes(twice)).toEqual(['CONFLICT']);
    expect(await t.app.db.webauthnCredential.count({ where: { userId: who.userId } })).toBe(1);
  });

  it('never exposes the public key or the counter', () => {
    const type = schema.getType('WebAuthnCredential');
    if (!isObjectType(type)) throw new Error('WebAuthnCredential is not an object type');
    expect(Object.keys(type.getFields()).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'transports']);
  });

  it.each<[string, Forgery, string]>([
    ['another origin', { origin: 'https://evil.example' }, 'origin https://evil.example is not'],
    ['another RP ID', { rpId: 'evil.example' }, 'not scoped to'],
    ['another ceremony', { type: 'webauthn.get' }, 'clientDataJSON.type is not webauthn.create'],
  ])('refuses an attestation from %s and stores nothing', async (_what, forgery, reason) => {
    const who = await t.signIn(['analyst']);
    const res = await register(who, createSoftAuthenticator({ origin }), forgery);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(issueMessages(res).join()).toContain(reason);
    expect(await t.app.db.webauthnCredential.count({ where: { userId: who.userId } })).toBe(0);
  });

  it('refuses a malformed response, naming the fields', async () => {
    const who = await t.signIn(['analyst']);
    await beginRegistration(who);
    const res = await t.gql(FINISH_REGISTRATION, { r: { id: 'abc', type: 'password' } }, who.headers);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    const issues = (res.errors?.[0]?.extensions?.issues ?? []) as { path: string[] }[];
    const paths = issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['response.rawId', 'response.type', 'response.response']));
  });
});

describe('step-up with WebAuthn', () => {
  it('opens a step-up-gated mutation: STEP_UP_REQUIRED before, allowed after', async () => {
    const { who, key } = await registered();
    expect(codes(await t.gql(ROTATE, {}, who.headers))).toEqual(['STEP_UP_REQUIRED']);

    const options = await beginStepUp(who);
    expect(options).toMatchObject({
      rpId: t.app.config.auth.webauthn.rpId,
      userVerification: 'preferred',
      allowCredentials: [{ id: key.credentialId, type: 'public-key' }],
    });
    const res = await t.gql<{ stepUpWithWebAuthn: { stepUpAt: string; validUntil: string } }>(
      STEP_UP,
      { r: key.assert(options) },
      who.headers,
    );
    expect(res.errors).toBeUndefined();
    const { stepUpAt, validUntil } = res.data?.stepUpWithWebAuthn ?? { stepUpAt: '', validUntil: '' };
    expect(Date.parse(validUntil) - Date.parse(stepUpAt)).toBe(300_000);

    expect(codes(await t.gql(ROTATE, {}, who.headers))).toEqual([]);
    const me = await t.ok<{ me: { session: { amr: string[]; stepUpAt: string } } }>(ME, {}, who.headers);
    expect(me.me.session.amr).toContain('hwk');
    const row = await t.app.db.webauthnCredential.findFirstOrThrow({ where: { userId: who.userId } });
    expect(row.counter).toBe(2n);
    expect(row.lastUsedAt).not.toBeNull();
  });

  it("satisfies super_admin's MFA policy: a password-only admin who registers a key and steps up may act", async () => {
    const user = await t.app.services.users.create(
      { email: 'pwd-only-admin@test.chimera', password: 'correct horse battery staple', roles: ['super_admin'] },
      null,
      {},
    );
    const pair = await t.app.services.auth.startSession(user.id, { method: 'password', amr: ['pwd'] }, {});
    const who: Identity = {
      userId: user.id,
      email: user.email,
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      sessionId: pair.sessionId,
      headers: { authorization: `Bearer ${pair.accessToken}` },
    };
    const mfaEnrolled = async () => (await t.ok<{ me: { mfaEnrolled: boolean } }>(ME, {}, who.headers)).me.mfaEnrolled;
    expect(await mfaEnrolled()).toBe(false);
    expect(codes(await t.gql(ROTATE, {}, who.headers))).toEqual(['MFA_REQUIRED']);

    const key = createSoftAuthenticator({ origin });
    expect((await register(who, key)).errors).toBeUndefined();
    expect(await mfaEnrolled()).toBe(true);
    // Enrolled, but this session did not use it yet.
    expect(codes(await t.gql(ROTATE, {}, who.headers))).toEqual(['MFA_REQUIRED']);

    expect((await stepUp(who, key)).res.errors).toBeUndefined();
    expect(codes(await t.gql(ROTATE, {}, who.headers))).toEqual([]);
  });

  it.each<[string, Forgery, string]>([
    ['another origin', { origin: 'https://evil.example' }, 'origin https://evil.example is not'],
    ['another RP ID', { rpId: 'evil.example' }, 'not scoped to'],
    ['another ceremony', { type: 'webauthn.create' }, 'clientDataJSON.type is not webauthn.get'],
    ['a corrupted signature', { corruptSignature: true }, 'the signature does not verify'],
  ])('refuses an assertion from %s and leaves the session closed', async (_what, forgery, reason) => {
    const { who, key } = await registered();
    const { res } = await stepUp(who, key, forgery);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(issueMessages(res).join()).toContain(reason);
    expect(await stepUpAtOf(who)).toBeNull();
    expect(codes(await t.gql(ROTATE, {}, who.headers))).toEqual(['STEP_UP_REQUIRED']);
  });

  it('refuses a replayed assertion: the challenge is spent, and a new challenge does not match it', async () => {
    const { who, key } = await registered();
    const first = await stepUp(who, key);
    expect(first.res.errors).toBeUndefined();
    const openedAt = await stepUpAtOf(who);

    const replay = await t.gql(STEP_UP, { r: first.response }, who.headers);
    expect(codes(replay)).toEqual(['CONFLICT']);
    expect(replay.errors?.[0]?.message).toContain('no pending WebAuthn authentication challenge');

    await beginStepUp(who);
    const replayAfterBegin = await t.gql(STEP_UP, { r: first.response }, who.headers);
    expect(codes(replayAfterBegin)).toEqual(['BAD_USER_INPUT']);
    expect(issueMessages(replayAfterBegin)).toEqual(['the response answers a different challenge']);
    expect(await stepUpAtOf(who)).toEqual(openedAt);
  });

  it("refuses an assertion from an unregistered credential, and from another user's", async () => {
    const { who } = await registered();
    const stranger = createSoftAuthenticator({ origin });
    const { res } = await stepUp(who, stranger);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.extensions?.issues).toEqual([
      { path: ['response', 'id'], message: 'the credential is not registered to you' },
    ]);

    const other = await registered(['analyst']);
    const { res: borrowed } = await stepUp(who, other.key);
    expect(codes(borrowed)).toEqual(['BAD_USER_INPUT']);
    expect(issueMessages(borrowed)).toEqual(['the credential is not registered to you']);
    expect(await stepUpAtOf(who)).toBeNull();
  });

  it('refuses a signature counter that did not increase (a cloned authenticator), and keeps the stored one', async () => {
    const { who, key } = await registered();
    expect((await stepUp(who, key, { counter: 7 })).res.errors).toBeUndefined();
    for (const counter of [7, 3]) {
      const { res } = await stepUp(who, key, { counter });
      expect(codes(res)).toEqual(['FORBIDDEN']);
      expect(res.errors?.[0]?.message).toContain('cloned');
    }
    const row = await t.app.db.webauthnCredential.findFirstOrThrow({ where: { userId: who.userId } });
    expect(row.counter).toBe(7n);
    expect((await stepUpRows(who)).map((r) => [r.success, r.riskScore])).toEqual([
      [true, 2],
      [false, 8],
      [false, 8],
    ]);
    expect((await stepUp(who, key, { counter: 8 })).res.errors).toBeUndefined();
  });

  it('accepts an authenticator that keeps its counter at zero (no counter support)', async () => {
    const { who, key } = await registered(['super_admin'], { counter: 0 });
    for (let i = 0; i < 2; i += 1) {
      expect((await stepUp(who, key, { counter: 0 })).res.errors).toBeUndefined();
    }
    const row = await t.app.db.webauthnCredential.findFirstOrThrow({ where: { userId: who.userId } });
    expect(row.counter).toBe(0n);
  });

  it('keeps each challenge in Redis for 5 minutes, and asks for one when none is pending', async () => {
    const who = await t.signIn(['analyst']);
    expect(codes(await t.gql(BEGIN_STEP_UP, {}, who.headers))).toEqual(['CONFLICT']);

    const key = createSoftAuthenticator({ origin });
    const early = await t.gql(
      FINISH_REGISTRATION,
      { r: key.register({ challenge: 'bm90LWlzc3VlZA', rp: { id: 'localhost' } }) },
      who.headers,
    );
    expect(codes(early)).toEqual(['CONFLICT']);
    expect((await register(who, key)).errors).toBeUndefined();

    const options = await beginStepUp(who);
    const redisKey = `webauthn:challenge:${who.userId}:authentication`;
    expect(await t.app.redis.get(redisKey)).toBe(options.challenge);
    const ttl = await t.app.redis.ttl(redisKey);
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);

    // Expired (as Redis would after 5 minutes): refused.
    await t.app.redis.del(redisKey);
    const late = await t.gql(STEP_UP, { r: key.assert(options) }, who.headers);
    expect(codes(late)).toEqual(['CONFLICT']);
  });

  it('writes a security_audit_logs row for every step-up attempt', async () => {
    const { who, key } = await registered();
    await stepUp(who, key);
    await stepUp(who, key, { origin: 'https://evil.example' });
    await stepUp(who, createSoftAuthenticator({ origin }));
    const rows = await stepUpRows(who);
    expect(rows.map((r) => r.success)).toEqual([true, false, false]);
    for (const row of rows) expect(row.metadata).toMatchObject({ method: 'hwk', sessionId: who.sessionId });
    expect(rows[0]?.metadata).toMatchObject({ credentialId: key.credentialId });
    expect(rows[1]?.errorMessage).toContain('origin');
    expect(rows[2]?.errorMessage).toContain('not registered');
  });
});

describe('who may use it', () => {
  const ALL = [
    [BEGIN_REGISTRATION, {}],
    [FINISH_REGISTRATION, { r: {} }],
    [BEGIN_STEP_UP, {}],
    [STEP_UP, { r: {} }],
  ] as const;

  it('answers FORBIDDEN to an API key on every WebAuthn mutation', async () => {
    const created = await t.ok<{ createApiKey: { secret: string } }>(
      'mutation { createApiKey(input: { name: "webauthn-probe" }) { secret } }',
    );
    const headers = { authorization: `Bearer ${created.createApiKey.secret}` };
    expect(codes(await t.gql('query { me { kind } }', {}, headers))).toEqual([]);
    for (const [query, variables] of ALL) {
      expect(codes(await t.gql(query, variables, headers))).toEqual(['FORBIDDEN']);
    }
  });

  it('answers UNAUTHENTICATED to an anonymous caller', async () => {
    for (const [query, variables] of ALL) {
      expect(codes(await t.gql(query, variables, {}))).toEqual(['UNAUTHENTICATED']);
    }
  });
});
