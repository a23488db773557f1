// Sign-in with an external OpenID Connect provider, end to end: a real oidc-provider issues ID tokens through its
// authorization-code flow, and the API (listening on a real port) verifies them against the provider's JWKS.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLResponse, TestApp } from '../helpers/app.js';
import { startTestApp } from '../helpers/app.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';

const LOGIN = `mutation ($issuer: String!, $idToken: String!) {
  loginWithOidc(issuer: $issuer, idToken: $idToken) { accessToken refreshToken tokenType }
}`;
const ME = '{ me { kind id email roles session { amr } } }';

type Login = { loginWithOidc: { accessToken: string; refreshToken: string; tokenType: string } };
type Me = { me: { kind: string; id: string; email: string; roles: string[]; session: { amr: string[] } } | null };

const ACCOUNTS = {
  alice: { email: 'Alice@Corp.Example', email_verified: true, name: 'Alice Liddell' },
  // Another account at the same provider that now holds alice's email (a reassigned address).
  alice2: { email: 'alice@corp.example', email_verified: true },
  bob: { email: 'bob@corp.example', email_verified: true },
  carol: { email: 'carol@corp.example', email_verified: true },
  dave: { email: 'dave@corp.example', email_verified: true },
  eve: { email: 'eve@elsewhere.example', email_verified: true },
  mallory: { email: 'mallory@corp.example', email_verified: false },
  nomail: {},
};

let t: TestApp;
let api: string;
/** The provider Chimera trusts for corp.example, giving new users the analyst role. */
let corp: TestOidcProvider;
/** A genuine provider whose tokens are for its own client, while Chimera expects another audience. */
let partner: TestOidcProvider;
/** Claims corp's issuer URL, but signs with keys corp never published. */
let impostor: TestOidcProvider;

async function post<T>(query: string, variables: Record<string, unknown>, token?: string) {
  const res = await fetch(`${api}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<T>;
}

const login = (issuer: string, idToken: string) => post<Login>(LOGIN, { issuer, idToken });

async function failures() {
  return t.app.db.securityAuditLog.findMany({ where: { action: 'auth.login', success: false } });
}

/** Runs a sign-in that must fail; returns its error and the one failure row it logged. */
async function rejected(issuer: string, idToken: string) {
  const before = new Set((await failures()).map((r) => r.id));
  const res = await login(issuer, idToken);
  expect(res.data?.loginWithOidc ?? null).toBeNull();
  const error = res.errors?.[0];
  const rows = (await failures()).filter((r) => !before.has(r.id));
  expect(rows).toHaveLength(1);
  const row = rows[0]!;
  expect(row.metadata).toMatchObject({ method: 'oidc', issuer: issuer });
  return { error, row };
}

function tamper(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const i = Math.floor(payload.length / 2);
  const flipped = payload[i] === 'A' ? 'B' : 'A';
  return [header, `${payload.slice(0, i)}${flipped}${payload.slice(i + 1)}`, signature].join('.');
}

beforeAll(async () => {
  corp = await startOidcProvider({ accounts: ACCOUNTS });
  partner = await startOidcProvider({ accounts: ACCOUNTS });
  impostor = await startOidcProvider({ accounts: ACCOUNTS, issuer: corp.issuer });
  t = await startTestApp({
    OIDC_ISSUERS: JSON.stringify([
      { issuer: corp.issuer, audience: corp.clientId, defaultRoles: ['analyst'], allowedDomains: ['corp.example'] },
      { issuer: partner.issuer, audience: 'chimera-production' },
      // Nothing listens there: discovery fails.
      { issuer: 'http://127.0.0.1:1', audience: 'chimera-web' },
    ]),
  });
  api = await t.app.listen();
});

afterAll(async () => {
  await t?.close();
  await Promise.all([corp?.close(), partner?.close(), impostor?.close()]);
});

describe('loginWithOidc', () => {
  it('creates a user with the issuer’s default roles on first sign-in; the tokens work', async () => {
    const res = await login(corp.issuer, await corp.idToken('alice'));
    expect(res.errors).toBeUndefined();
    expect(res.data?.loginWithOidc.tokenType).toBe('Bearer');

    const me = await post<Me>(ME, {}, res.data?.loginWithOidc.accessToken);
    expect(me.errors).toBeUndefined();
    expect(me.data?.me).toMatchObject({
      kind: 'USER',
      email: 'alice@corp.example',
      roles: ['analyst'],
      session: { amr: ['fed'] },
    });

    const user = await t.app.db.user.findUniqueOrThrow({
      where: { email: 'alice@corp.example' },
      include: { identities: true },
    });
    expect(user.passwordHash).toBeNull();
    expect(user.displayName).toBe('Alice Liddell');
    expect(user.identities).toMatchObject([{ issuer: corp.issuer, subject: 'alice', email: 'alice@corp.example' }]);
    expect(user.identities[0]?.lastLoginAt).toBeInstanceOf(Date);
    const session = await t.app.db.session.findFirstOrThrow({ where: { userId: user.id } });
    expect(session).toMatchObject({ authMethod: 'oidc', amr: ['fed'] });

    const rows = await t.app.db.securityAuditLog.findMany({ where: { userId: user.id, success: true } });
    expect(rows.map((r) => r.action).sort()).toEqual(['auth.login', 'auth.oidc_identity']);
    expect(rows.find((r) => r.action === 'auth.login')?.metadata).toMatchObject({ method: 'oidc', amr: ['fed'] });
    expect(rows.find((r) => r.action === 'auth.oidc_identity')?.metadata).toMatchObject({
      method: 'oidc',
      issuer: corp.issuer,
      subject: 'alice',
      outcome: 'created',
    });
    const created = await t.app.db.securityAuditLog.findFirstOrThrow({
      where: { action: 'user.created', resourceId: user.id },
    });
    expect(created.metadata).toMatchObject({ roles: ['analyst'], method: 'oidc', issuer: corp.issuer });
  });

  it('maps a second sign-in of the same identity to the same user', async () => {
    const first = await t.app.db.user.findUniqueOrThrow({ where: { email: 'alice@corp.example' } });
    const res = await login(corp.issuer, await corp.idToken('alice'));
    expect(res.errors).toBeUndefined();
    const me = await post<Me>(ME, {}, res.data?.loginWithOidc.accessToken);
    expect(me.data?.me?.id).toBe(first.id);
    expect(await t.app.db.user.count({ where: { email: 'alice@corp.example' } })).toBe(1);
    expect(await t.app.db.userIdentity.count({ where: { userId: first.id } })).toBe(1);
  });

  it('links the identity to an existing password user with the same verified email', async () => {
    const bob = await t.app.services.users.create(
      { email: 'bob@corp.example', password: 'correct horse battery staple', roles: ['content_reviewer'] },
      null,
      {},
    );
    const res = await login(corp.issuer, await corp.idToken('bob'));
    expect(res.errors).toBeUndefined();
    const me = await post<Me>(ME, {}, res.data?.loginWithOidc.accessToken);
    // The existing account, with its own roles: the issuer's default roles are only for accounts it creates.
    expect(me.data?.me).toMatchObject({ id: bob.id, roles: ['content_reviewer'], session: { amr: ['fed'] } });
    const identities = await t.app.db.userIdentity.findMany({ where: { userId: bob.id } });
    expect(identities).toMatchObject([{ issuer: corp.issuer, subject: 'bob' }]);
    const linked = await t.app.db.securityAuditLog.findFirstOrThrow({
      where: { action: 'auth.oidc_identity', userId: bob.id },
    });
    expect(linked).toMatchObject({ riskScore: 5, metadata: expect.objectContaining({ outcome: 'linked' }) });
    // The password still works too.
    const pwd = await post<Login>(
      'mutation { login(input: { email: "bob@corp.example", password: "correct horse battery staple" }) { accessToken } }',
      {},
    );
    expect(pwd.errors).toBeUndefined();
  });

  it('rejects a token for another audience', async () => {
    const { error, row } = await rejected(partner.issuer, await partner.idToken('carol'));
    expect(error?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error?.message).toMatch(/"aud" claim/);
    expect(row.errorMessage).toMatch(/aud/);
    expect(await t.app.db.user.count({ where: { email: 'carol@corp.example' } })).toBe(0);
  });

  it('rejects an issuer that is not configured', async () => {
    const { error, row } = await rejected('https://idp.unknown.example', await corp.idToken('carol'));
    expect(error?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error?.message).toBe('Sign-in through https://idp.unknown.example is not configured.');
    expect(row.errorMessage).toBe('unknown issuer');
  });

  it('rejects sign-in through an issuer whose discovery document cannot be fetched', async () => {
    const { error, row } = await rejected('http://127.0.0.1:1', await corp.idToken('carol'));
    expect(error?.message).toBe('The identity provider could not be reached; try again later.');
    expect(row.errorMessage).toMatch(/^discovery failed/);
  });

  it('rejects an email of a domain the issuer may not sign in', async () => {
    const { error, row } = await rejected(corp.issuer, await corp.idToken('eve'));
    expect(error?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error?.message).toMatch(/email domain may not sign in/);
    expect(row.errorMessage).toMatch(/elsewhere\.example not allowed/);
    expect(await t.app.db.user.count({ where: { email: 'eve@elsewhere.example' } })).toBe(0);
  });

  it('rejects an email the issuer has not verified, and a token without an email for a new identity', async () => {
    const unverified = await rejected(corp.issuer, await corp.idToken('mallory'));
    expect(unverified.error?.message).toMatch(/not verified your email/);
    const noEmail = await rejected(corp.issuer, await corp.idToken('nomail'));
    // corp restricts domains, so a token without an email fails that check first.
    expect(noEmail.row.errorMessage).toMatch(/domain \(none\) not allowed/);
    expect(await t.app.db.user.count({ where: { email: 'mallory@corp.example' } })).toBe(0);
  });

  it('rejects a tampered ID token', async () => {
    const { error, row } = await rejected(corp.issuer, tamper(await corp.idToken('carol')));
    expect(error?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error?.message).toMatch(/^The ID token was rejected/);
    expect(row.errorMessage).toMatch(/^ID token rejected/);
    expect(row.riskScore).toBe(6);
  });

  it('rejects a token unsigned (alg none) or claiming the issuer but signed by another provider’s keys', async () => {
    const genuine = (await corp.idToken('carol')).split('.')[1];
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${genuine}.`;
    expect((await rejected(corp.issuer, none)).error?.extensions?.code).toBe('UNAUTHENTICATED');

    // A well-formed token with corp's iss and aud, validly signed — by the impostor's own published key.
    const forged = await impostor.idToken('carol');
    const { payload } = await jwtVerify(forged, createRemoteJWKSet(new URL('/jwks', impostor.url)));
    expect(payload).toMatchObject({ iss: corp.issuer, aud: corp.clientId, sub: 'carol' });
    const { error, row } = await rejected(corp.issuer, forged);
    expect(error?.message).toBe('The ID token was rejected: it is not signed by a key of the issuer.');
    expect(row.errorMessage).toMatch(/no applicable key found in the JSON Web Key Set/);
    expect(await t.app.db.user.count({ where: { email: 'carol@corp.example' } })).toBe(0);
  });

  it('refuses a new identity whose email already belongs to another identity of the same issuer', async () => {
    const { error, row } = await rejected(corp.issuer, await corp.idToken('alice2'));
    expect(error?.message).toMatch(/linked to a different account/);
    const alice = await t.app.db.user.findUniqueOrThrow({ where: { email: 'alice@corp.example' } });
    expect(row.userId).toBe(alice.id);
    expect(await t.app.db.userIdentity.count({ where: { subject: 'alice2' } })).toBe(0);
  });

  it('refuses disabled and locked accounts', async () => {
    const first = await login(corp.issuer, await corp.idToken('dave'));
    expect(first.errors).toBeUndefined();
    const dave = await t.app.db.user.findUniqueOrThrow({ where: { email: 'dave@corp.example' } });

    await t.app.db.user.update({ where: { id: dave.id }, data: { lockedUntil: new Date(Date.now() + 60_000) } });
    const locked = await rejected(corp.issuer, await corp.idToken('dave'));
    expect(locked.error?.extensions?.code).toBe('ACCOUNT_LOCKED');
    expect(locked.row).toMatchObject({ userId: dave.id, errorMessage: 'account locked' });

    await t.app.db.user.update({ where: { id: dave.id }, data: { lockedUntil: null, disabledAt: new Date() } });
    const disabled = await rejected(corp.issuer, await corp.idToken('dave'));
    expect(disabled.error?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(disabled.row).toMatchObject({ userId: dave.id, errorMessage: 'account disabled' });
    expect(await t.app.db.session.count({ where: { userId: dave.id } })).toBe(1);
  });
});
