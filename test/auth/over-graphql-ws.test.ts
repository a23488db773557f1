// Signing in, lockout, step-up and OIDC sign-in work over graphql-ws exactly as over HTTP: a client that lives on a
// WebSocket can do the whole authentication dance on it, and the tokens it gets work on a new connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/platform/crypto/secret-box.js';
import { base32Decode, totpAt } from '../../src/platform/crypto/totp.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid } from '../helpers/fixtures.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { connectWs, type Result, type WsConnection, within } from '../helpers/ws-client.js';

const WAIT = 10_000;
const PASSWORD = 'correct horse battery staple';
let t: TestApp;
let idp: TestOidcProvider;
let wsUrl: string;
const open: WsConnection[] = [];

beforeAll(async () => {
  idp = await startOidcProvider({
    accounts: { olga: { email: 'olga@corp.example', email_verified: true, name: 'Olga' } },
  });
  t = await startTestApp({
    OIDC_ISSUERS: JSON.stringify([{ issuer: idp.issuer, audience: idp.clientId, defaultRoles: ['analyst'] }]),
  });
  wsUrl = `${(await t.app.listen()).replace(/^http/, 'ws')}/graphql`;
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.dispose()));
  await t?.close();
  await idp?.close();
});

async function connect(params?: Record<string, unknown>): Promise<WsConnection> {
  const conn = connectWs(wsUrl, params);
  open.push(conn);
  await within(conn.connected, WAIT, 'connection_ack');
  return conn;
}

async function run<T>(conn: WsConnection, query: string, variables?: Record<string, unknown>): Promise<Result<T>> {
  return conn.subscribe<T>(query, variables).next(WAIT);
}

const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }';

describe('over graphql-ws', () => {
  it('locks an account after repeated failed sign-ins', async () => {
    const victim = await t.app.services.users.create(
      { email: 'ws-victim@test.chimera', password: PASSWORD, roles: ['analyst'] },
      null,
      {},
    );
    const anonymous = await connect();
    const outcomes: unknown[] = [];
    for (let i = 0; i < 6; i++)
      outcomes.push(
        codes((await run(anonymous, LOGIN, { i: { email: victim.email, password: `no-${i}` } })) as never)[0],
      );
    expect(outcomes).toEqual([...Array(5).fill('UNAUTHENTICATED'), 'ACCOUNT_LOCKED']);
    expect(codes((await run(anonymous, LOGIN, { i: { email: victim.email, password: PASSWORD } })) as never)).toEqual([
      'ACCOUNT_LOCKED',
    ]);
    expect(await t.app.db.securityAlert.count({ where: { kind: 'account_locked', userId: victim.id } })).toBe(1);
  });

  it('signs in with TOTP, steps up and performs a step-up-gated change, all on sockets', async () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const root = await t.app.services.users.create(
      { email: 'ws-root@test.chimera', password: PASSWORD, roles: ['super_admin'] },
      null,
      {},
    );
    await t.app.db.user.update({
      where: { id: root.id },
      data: {
        totpSecretEncrypted: createSecretBox(t.app.config.encryptionKey).encrypt(base32Decode(secret)),
        mfaEnabledAt: new Date(),
      },
    });
    const now = Date.now();
    const anonymous = await connect();
    const signedIn = await run<{ login: { accessToken: string } }>(anonymous, LOGIN, {
      i: { email: root.email, password: PASSWORD, totp: totpAt(base32Decode(secret), new Date(now)) },
    });
    expect(codes(signedIn as never)).toEqual([]);
    const admin = await connect({ authorization: `Bearer ${signedIn.data?.login.accessToken}` });

    const target = await t.signIn(['analyst']);
    const promote = 'mutation ($id: ID!) { setUserRoles(id: $id, roles: [ANALYST, CONTENT_REVIEWER]) { roles } }';
    expect(codes((await run(admin, promote, { id: gid('User', target.userId) })) as never)).toEqual([
      'STEP_UP_REQUIRED',
    ]);
    const stepped = await run(admin, 'mutation ($c: String!) { stepUpWithTotp(code: $c) { validUntil } }', {
      c: totpAt(base32Decode(secret), new Date(now + 30_000)),
    });
    expect(codes(stepped as never)).toEqual([]);
    const promoted = await run<{ setUserRoles: { roles: string[] } }>(admin, promote, {
      id: gid('User', target.userId),
    });
    expect(promoted.data?.setUserRoles.roles).toEqual(['ANALYST', 'CONTENT_REVIEWER']);
  });

  it('signs in with an ID token from a real OIDC provider, and the tokens work on a new socket', async () => {
    const anonymous = await connect();
    const res = await run<{ loginWithOidc: { accessToken: string } }>(
      anonymous,
      'mutation ($iss: String!, $t: String!) { loginWithOidc(issuer: $iss, idToken: $t) { accessToken } }',
      { iss: idp.issuer, t: await idp.idToken('olga') },
    );
    expect(codes(res as never)).toEqual([]);
    const olga = await connect({ authorization: `Bearer ${res.data?.loginWithOidc.accessToken}` });
    const me = await run<{ me: { email: string; roles: string[] } }>(olga, '{ me { email roles } }');
    expect(me.data?.me).toEqual({ email: 'olga@corp.example', roles: ['analyst'] });
  });
});
