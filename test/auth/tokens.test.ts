// Attacks on tokens: every forgery, expiry, replay and post-logout use is refused (UNAUTHENTICATED, HTTP 401) and
// logged in security_audit_logs.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let alice: Identity;
beforeAll(async () => {
  t = await startTestApp();
  alice = await t.signIn(['analyst']);
});
afterAll(() => t?.close());

const ME = '{ me { id roles } }';
const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const parts = (token: string) => {
  const [h, p, s] = token.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
    signature: s,
  };
};

async function rejected(token: string, reason: RegExp) {
  const before = await t.app.db.securityAuditLog.count({ where: { action: 'auth.token_rejected' } });
  const res = await t.gql(ME, {}, { authorization: `Bearer ${token}` });
  expect(res.status).toBe(401);
  expect(codes(res)).toEqual(['UNAUTHENTICATED']);
  expect(res.data ?? null).toBeNull();
  const rows = await t.app.db.securityAuditLog.findMany({
    where: { action: 'auth.token_rejected' },
    orderBy: { timestamp: 'desc' },
    take: 1,
  });
  expect(await t.app.db.securityAuditLog.count({ where: { action: 'auth.token_rejected' } })).toBe(before + 1);
  expect(rows[0]?.errorMessage).toMatch(reason);
  expect(rows[0]?.success).toBe(false);
}

async function signedWithOurKey(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const { kid, key } = await t.app.services.signingKeys.signingKey();
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt', ...header }).sign(key);
}

function validClaims(over: Record<string, unknown> = {}) {
  const { payload } = parts(alice.accessToken);
  return { ...payload, ...over };
}

describe('a valid access token', () => {
  it('identifies the user, and the public key is published in the JWKS', async () => {
    const me = await t.ok<{ me: { id: string; roles: string[] } }>(ME, {}, alice.headers);
    expect(me.me).toEqual({ id: alice.userId, roles: ['analyst'] });
    const jwks = (await (await t.app.yoga.fetch('http://chimera.test/.well-known/jwks.json')).json()) as {
      keys: Record<string, unknown>[];
    };
    const { header } = parts(alice.accessToken);
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    }
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(parts(alice.accessToken).payload).toMatchObject({ iss: 'https://auth.chimera.ai', aud: 'chimera-api' });
  });
});

describe('forged and invalid access tokens', () => {
  it('alg none', async () => {
    const { header, payload } = parts(alice.accessToken);
    await rejected(`${b64url({ ...header, alg: 'none' })}.${b64url(payload)}.`, /algorithm none/);
  });

  it('HS256 signed with the public key (algorithm confusion)', async () => {
    const jwks = (await (await t.app.yoga.fetch('http://chimera.test/.well-known/jwks.json')).json()) as {
      keys: { kid: string }[];
    };
    const { header, payload } = parts(alice.accessToken);
    const publicKeyText = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const forged = await new SignJWT(payload)
      .setProtectedHeader({ ...header, alg: 'HS256' } as { alg: string })
      .sign(publicKeyText);
    await rejected(forged, /algorithm HS256/);
  });

  it('expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    await rejected(await signedWithOurKey(validClaims({ iat: now - 3600, nbf: now - 3600, exp: now - 60 })), /expired/);
  });

  it('not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    await rejected(await signedWithOurKey(validClaims({ nbf: now + 3600, exp: now + 7200 })), /nbf/);
  });

  it('wrong issuer', async () => {
    await rejected(await signedWithOurKey(validClaims({ iss: 'https://evil.example' })), /iss/);
  });

  it('wrong audience', async () => {
    await rejected(await signedWithOurKey(validClaims({ aud: 'another-api' })), /aud/);
  });

  it('unknown kid', async () => {
    await rejected(await signedWithOurKey(validClaims(), { kid: 'k-does-not-exist' }), /unknown key id/);
  });

  it('signed by a key that is not ours, under our kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { header } = parts(alice.accessToken);
    const forged = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'RS256', kid: String(header.kid), typ: 'at+jwt' })
      .sign(createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })));
    await rejected(forged, /signature/);
  });

  it('tampered payload (roles and subject changed, signature kept)', async () => {
    const { header, payload, signature } = parts(alice.accessToken);
    const tampered = `${b64url(header)}.${b64url({ ...payload, sub: 'user:00000000-0000-4000-8000-000000000000' })}.${signature}`;
    await rejected(tampered, /signature/);
  });

  it('a refresh token used as an access token', async () => {
    await rejected(alice.refreshToken, /not an access token/);
  });

  it('garbage', async () => {
    await rejected('not.a.jwt', /malformed/);
  });
});

describe('sessions', () => {
  it('refresh tokens rotate; reusing an old one revokes the whole session and raises an alert', async () => {
    const bob = await t.signIn(['analyst']);
    const refresh = `mutation ($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }`;
    const first = await t.ok<{ refreshToken: { accessToken: string; refreshToken: string } }>(
      refresh,
      { r: bob.refreshToken },
      {},
    );
    expect(first.refreshToken.refreshToken).not.toBe(bob.refreshToken);
    // The new access token works.
    const ok = await t.gql(ME, {}, { authorization: `Bearer ${first.refreshToken.accessToken}` });
    expect(codes(ok)).toEqual([]);

    // Replaying the spent refresh token: refused, and the family (the session) is revoked.
    const replay = await t.gql(refresh, { r: bob.refreshToken }, {});
    expect(codes(replay)).toEqual(['UNAUTHENTICATED']);
    expect(replay.errors?.[0]?.message).toMatch(/already used/);
    const session = await t.app.db.session.findUniqueOrThrow({ where: { id: bob.sessionId } });
    expect(session.revokedReason).toBe('refresh_token_reuse');
    // …so the legitimately rotated tokens die too.
    const after = await t.gql(ME, {}, { authorization: `Bearer ${first.refreshToken.accessToken}` });
    expect(codes(after)).toEqual(['UNAUTHENTICATED']);
    expect(codes(await t.gql(refresh, { r: first.refreshToken.refreshToken }, {}))).toEqual(['UNAUTHENTICATED']);
    const alert = await t.app.db.securityAlert.findFirst({
      where: { kind: 'refresh_token_reuse', userId: bob.userId },
    });
    expect(alert?.severity).toBe('high');
    const log = await t.app.db.securityAuditLog.findFirst({
      where: { action: 'auth.refresh', userId: bob.userId, success: false },
    });
    expect(log?.riskScore).toBe(9);
  });

  it('a token stolen before logout is useless after it', async () => {
    const carol = await t.signIn(['analyst']);
    expect(codes(await t.gql(ME, {}, carol.headers))).toEqual([]);
    expect(await t.ok<{ logout: boolean }>('mutation { logout }', {}, carol.headers)).toEqual({ logout: true });
    await rejected(carol.accessToken, /session revoked \(logout\)/);
    const refreshed = await t.gql(
      'mutation ($r: String!) { refreshToken(refreshToken: $r) { accessToken } }',
      { r: carol.refreshToken },
      {},
    );
    expect(codes(refreshed)).toEqual(['UNAUTHENTICATED']);
  });

  it('key rotation keeps tokens signed by the old key valid until they expire', async () => {
    const dave = await t.signIn(['analyst']);
    const oldKid = parts(dave.accessToken).header.kid;
    const rotated = await t.app.services.signingKeys.rotate();
    expect(rotated.retired).toContain(oldKid);
    expect(codes(await t.gql(ME, {}, dave.headers))).toEqual([]);
    const erin = await t.signIn(['analyst']);
    expect(parts(erin.accessToken).header.kid).toBe(rotated.kid);
    const jwks = (await (await t.app.yoga.fetch('http://chimera.test/.well-known/jwks.json')).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
  });
});
