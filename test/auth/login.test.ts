// Signing in over HTTP: passwords, lockout after repeated failures, the super_admin MFA policy, TOTP enrolment,
// recovery codes, and step-up for sensitive operations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totpAt } from '../../src/platform/crypto/totp.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid } from '../helpers/fixtures.js';

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await startTestApp();
  base = await t.app.listen();
});
afterAll(() => t?.close());

const LOGIN = `mutation ($i: LoginInput!) { login(input: $i) { accessToken refreshToken tokenType accessTokenExpiresAt } }`;
const PASSWORD = 'correct horse battery staple';
const STEP_MS = 30_000;

/** A valid code now (current step, else the next, else the previous) whose step none of `usedAt` took. */
function unusedCode(key: Buffer, usedAt: number[]): string {
  const used = new Set(usedAt.map((t) => Math.floor(t / STEP_MS)));
  const current = Math.floor(Date.now() / STEP_MS);
  const step = [current, current + 1, current - 1].find((s) => !used.has(s)) as number;
  return totpAt(key, new Date(step * STEP_MS));
}

/** A real HTTP call, as a browser or service would make it. */
async function http(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'login-test',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as {
    data?: Record<string, never>;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  return { status: res.status, ...body, codes: (body.errors ?? []).map((e) => e.extensions?.code) };
}

async function user(roles: string[], email: string) {
  return t.app.services.users.create({ email, password: PASSWORD, roles: roles as never }, null, {});
}

describe('password sign-in', () => {
  it('issues Bearer tokens for the right password, and one generic message for every wrong one', async () => {
    await user(['analyst'], 'ana@test.chimera');
    const ok = await http(LOGIN, { i: { email: ' ANA@test.chimera ', password: PASSWORD } });
    expect(ok.codes).toEqual([]);
    const login = (ok.data as unknown as { login: { accessToken: string; tokenType: string } }).login;
    expect(login.tokenType).toBe('Bearer');
    const me = await http('{ me { email roles } }', {}, login.accessToken);
    expect(me.data).toEqual({ me: { email: 'ana@test.chimera', roles: ['analyst'] } });

    const wrong = await http(LOGIN, { i: { email: 'ana@test.chimera', password: 'nope' } });
    const unknown = await http(LOGIN, { i: { email: 'nobody@test.chimera', password: 'nope' } });
    expect(wrong.codes).toEqual(['UNAUTHENTICATED']);
    expect(unknown.codes).toEqual(['UNAUTHENTICATED']);
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);

    const logs = await t.app.db.securityAuditLog.findMany({
      where: { action: 'auth.login' },
      orderBy: { timestamp: 'asc' },
    });
    expect(logs.map((l) => [l.success, l.errorMessage])).toEqual([
      [true, null],
      [false, 'wrong password'],
      [false, 'unknown email'],
    ]);
    expect(logs[0]?.userAgent).toBe('login-test');
    expect(logs[0]?.ipAddress).toMatch(/127\.0\.0\.1/);
  });
});

describe('lockout', () => {
  it('locks the account after more than 5 failures in 5 minutes, raises an alert, and an admin can unlock it', async () => {
    const victim = await user(['agent_operator'], 'victim@test.chimera');
    const attempts = [];
    for (let i = 0; i < 6; i++)
      attempts.push(await http(LOGIN, { i: { email: victim.email, password: `guess-${i}` } }));
    expect(attempts.map((a) => a.codes[0])).toEqual([...Array(5).fill('UNAUTHENTICATED'), 'ACCOUNT_LOCKED']);
    // Even the right password is refused now.
    const right = await http(LOGIN, { i: { email: victim.email, password: PASSWORD } });
    expect(right.codes).toEqual(['ACCOUNT_LOCKED']);
    const alert = await t.app.db.securityAlert.findFirstOrThrow({
      where: { kind: 'account_locked', userId: victim.id },
    });
    expect(alert.severity).toBe('high');
    expect(await t.app.db.securityAuditLog.count({ where: { action: 'auth.account_locked', userId: victim.id } })).toBe(
      1,
    );

    await t.ok('mutation ($id: ID!) { unlockUser(id: $id) { lockedUntil } }', { id: gid('User', victim.id) });
    expect((await http(LOGIN, { i: { email: victim.email, password: PASSWORD } })).codes).toEqual([]);
  });
});

describe('super_admin and MFA', () => {
  it('cannot act before enrolling TOTP; enrolment, TOTP sign-in, recovery codes and step-up all work', async () => {
    await user(['super_admin'], 'root@test.chimera');
    const first = await http(LOGIN, { i: { email: 'root@test.chimera', password: PASSWORD } });
    const token = (first.data as unknown as { login: { accessToken: string } }).login.accessToken;
    // Signed in, but every operation but enrolment is closed.
    expect((await http('{ agents { totalCount } }', {}, token)).codes).toEqual(['MFA_REQUIRED']);
    expect((await http('{ me { mfaEnrolled } }', {}, token)).data).toEqual({ me: { mfaEnrolled: false } });

    const begun = await http('mutation { beginTotpEnrolment { secret otpauthUri } }', {}, token);
    const { secret, otpauthUri } = (
      begun.data as unknown as { beginTotpEnrolment: { secret: string; otpauthUri: string } }
    ).beginTotpEnrolment;
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Chimera(:|%3A)root%40test\.chimera\?secret=/);
    const key = base32Decode(secret);
    const now = Date.now();
    expect(
      (await http('mutation ($c: String!) { confirmTotpEnrolment(code: $c) }', { c: '000000' }, token)).codes,
    ).toEqual(['BAD_USER_INPUT']);
    const confirmed = await http(
      'mutation ($c: String!) { confirmTotpEnrolment(code: $c) }',
      { c: totpAt(key, new Date(now)) },
      token,
    );
    const recovery = (confirmed.data as unknown as { confirmTotpEnrolment: string[] }).confirmTotpEnrolment;
    expect(recovery).toHaveLength(10);
    // Enrolling proved possession: this session may act now.
    expect((await http('{ agents { totalCount } }', {}, token)).codes).toEqual([]);

    // A new sign-in needs the second factor…
    expect((await http(LOGIN, { i: { email: 'root@test.chimera', password: PASSWORD } })).codes).toEqual([
      'MFA_REQUIRED',
    ]);
    // …accepts the next TOTP code (the one used for enrolment cannot be replayed)…
    const replay = await http(LOGIN, {
      i: { email: 'root@test.chimera', password: PASSWORD, totp: totpAt(key, new Date(now)) },
    });
    expect(replay.codes).toEqual(['UNAUTHENTICATED']);
    const viaTotp = await http(LOGIN, {
      i: { email: 'root@test.chimera', password: PASSWORD, totp: totpAt(key, new Date(now + 30_000)) },
    });
    expect(viaTotp.codes).toEqual([]);
    // …or a recovery code, once.
    const viaRecovery = await http(LOGIN, {
      i: { email: 'root@test.chimera', password: PASSWORD, recoveryCode: recovery[0] },
    });
    expect(viaRecovery.codes).toEqual([]);
    expect(
      (await http(LOGIN, { i: { email: 'root@test.chimera', password: PASSWORD, recoveryCode: recovery[0] } })).codes,
    ).toEqual(['UNAUTHENTICATED']);

    // Step-up: a role change needs a TOTP within the last 5 minutes.
    const session = (viaRecovery.data as unknown as { login: { accessToken: string } }).login.accessToken;
    const target = await user(['analyst'], 'promote-me@test.chimera');
    const promote = `mutation ($id: ID!) { setUserRoles(id: $id, roles: [ANALYST, CFO]) { roles } }`;
    expect((await http(promote, { id: gid('User', target.id) }, session)).codes).toEqual(['STEP_UP_REQUIRED']);
    const stepped = await http(
      'mutation ($c: String!) { stepUpWithTotp(code: $c) { validUntil } }',
      // A code of the current window ±1 step that neither enrolment nor sign-in used (the test may have crossed a
      // 30 s boundary by now, on a slow machine).
      { c: unusedCode(key, [now, now + 30_000]) },
      session,
    );
    expect(stepped.codes).toEqual([]);
    expect((await http(promote, { id: gid('User', target.id) }, session)).data).toEqual({
      setUserRoles: { roles: ['ANALYST', 'CFO'] },
    });
    const change = await t.app.db.securityAuditLog.findFirstOrThrow({
      where: { action: 'user.roles_changed', resourceId: target.id },
    });
    expect(change.metadata).toMatchObject({ before: ['analyst'], after: ['analyst', 'cfo'] });
  });
});

describe('privilege escalation attempts', () => {
  it('are refused, logged and raise an alert', async () => {
    const op = await t.signIn(['agent_operator']);
    const res = await t.gql(
      `mutation ($id: ID!) { setUserRoles(id: $id, roles: [SUPER_ADMIN]) { roles } }`,
      { id: gid('User', op.userId) },
      op.headers,
    );
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect((await t.app.db.user.findUniqueOrThrow({ where: { id: op.userId } })).roles).toEqual(['agent_operator']);
    const alert = await t.app.db.securityAlert.findFirstOrThrow({
      where: { kind: 'privilege_escalation_attempt', userId: op.userId },
    });
    expect(alert.message).toMatch(/Mutation\.setUserRoles/);
    expect(
      await t.app.db.securityAuditLog.count({
        where: { action: 'access.denied', userId: op.userId, resourceType: 'Mutation.setUserRoles' },
      }),
    ).toBe(1);
  });
});
