// The first-run path: the seeded demo sign-ins work for every role, and the CLI creates the first super_admin.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT_ID, DEMO_PERSONA_ID, seedDemo } from '../../prisma/seed.js';
import { demoUsers, seedDemoUsers } from '../../prisma/seed-users.js';
import { createPasswordHasher } from '../../src/platform/crypto/password.js';
import { createSecretBox } from '../../src/platform/crypto/secret-box.js';
import { base32Decode, totpAt } from '../../src/platform/crypto/totp.js';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';

const run = promisify(execFile);
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await seedDemo(t.app.db);
  await seedDemoUsers(
    t.app.db,
    { hasher: createPasswordHasher(1024), box: createSecretBox(t.app.config.encryptionKey) },
    demoUsers(DEMO_AGENT_ID, DEMO_PERSONA_ID),
  );
});
afterAll(() => t?.close());

const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }';

describe('demo sign-ins', () => {
  it('every role can sign in; super_admin and cfo with their TOTP; the operator reaches the demo agent', async () => {
    for (const u of demoUsers(DEMO_AGENT_ID, DEMO_PERSONA_ID)) {
      const totp = u.totpSecret ? totpAt(base32Decode(u.totpSecret), new Date()) : undefined;
      if (u.totpSecret) {
        expect(codes(await t.gql(LOGIN, { i: { email: u.email, password: u.password } }, {}))).toEqual([
          'MFA_REQUIRED',
        ]);
      }
      const res = await t.gql<{ login: { accessToken: string } }>(
        LOGIN,
        { i: { email: u.email, password: u.password, totp } },
        {},
      );
      expect(codes(res), u.email).toEqual([]);
      const me = await t.ok<{ me: { roles: string[] } }>(
        '{ me { roles } }',
        {},
        { authorization: `Bearer ${res.data?.login.accessToken}` },
      );
      expect(me.me.roles).toEqual(u.roles);
      if (u.roles.includes('agent_operator')) {
        const agents = await t.ok<{ agents: { edges: { node: { name: string } }[] } }>(
          '{ agents { edges { node { name } } } }',
          {},
          { authorization: `Bearer ${res.data?.login.accessToken}` },
        );
        expect(agents.agents.edges.map((e) => e.node.name)).toEqual(['juno-main']);
      }
    }
  });
});

describe('npm run user:create', () => {
  it('creates the first super_admin, prints a one-time password, and refuses a duplicate or bad input', {
    timeout: 120_000,
  }, async () => {
    const env = { ...process.env, DATABASE_URL: t.database.url, PASSWORD_HASH_MEMORY_KIB: '1024' };
    const args = ['tsx', 'scripts/create-user.ts', '--email', 'Founder@Example.com', '--role', 'super_admin'];
    const { stdout } = await run('npx', args, { env });
    expect(stdout).toMatch(/Created founder@example\.com \(super_admin\)/);
    const password = /Password \(shown once\): (\S+)/.exec(stdout)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    const login = await t.gql(LOGIN, { i: { email: 'founder@example.com', password } }, {});
    expect(codes(login)).toEqual([]);
    await expect(run('npx', args, { env })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/already exists/),
    });
    await expect(
      run('npx', ['tsx', 'scripts/create-user.ts', '--email', 'x@y.z', '--role', 'root'], { env }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/roles/),
    });
  });
});
