// `chimera rotate-keys`. The encryption key's rotation, on a database holding signing keys, users with authenticator
// apps (more than one batch of them) and a wallet key, all sealed under the old key: while the API runs with both
// keys, sign-ins work throughout; a dry run changes nothing; a run that dies half-way is simply run again; afterwards
// everything opens with the new key alone — an API with only the new key signs a TOTP user in and issues tokens, the
// wallet key (whose ciphertext was never rewritten) still signs for its address — and a value written meanwhile is
// never overwritten. Values no key opens are reported, not skipped silently. The JWT key rotation keeps the old key
// verifying. Each rotation leaves a security audit row.
import { randomBytes } from 'node:crypto';
import { type Hex, recoverTransactionAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import type { CliIo } from '../../src/cli/command.js';
import { runCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config.js';
import { createSigningKeys } from '../../src/domain/auth/signing-keys.js';
import { rotateEncryptionKey, verifyNewKeyOnly } from '../../src/domain/operations/key-rotation.js';
import { createSealedKey, withWalletKey } from '../../src/domain/wallets/keys.js';
import { signTransfer } from '../../src/platform/chain/evm.js';
import { localKek } from '../../src/platform/crypto/envelope.js';
import { createSecretBox } from '../../src/platform/crypto/secret-box.js';
import { totpAt } from '../../src/platform/crypto/totp.js';
import type { Database } from '../../src/platform/db/prisma.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { testRedisPrefix } from '../helpers/db.js';

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const PASSWORD = 'correct horse battery staple';
const LOGIN = `mutation ($i: LoginInput!) { login(input: $i) { accessToken } }`;
/** More users with an authenticator app than one batch (200) holds. */
const EXTRA_TOTP_USERS = 430;

/** The API as deployed during a rotation: ENCRYPTION_KEY is the new key, ENCRYPTION_KEY_PREVIOUS the old one. */
let t: TestApp;
let db: Database;
const apps: App[] = [];
beforeAll(async () => {
  t = await startTestApp({ ENCRYPTION_KEY: NEW.toString('base64'), ENCRYPTION_KEY_PREVIOUS: OLD.toString('base64') });
  db = t.app.db;
}, 60_000);
afterAll(async () => {
  for (const app of apps) await app.close();
  await t?.close();
});

/** Another API process on the same database, with only the new key. */
function apiWithNewKeyOnly(): App {
  const app = createApp(
    loadConfig({
      CHIMERA_ENV: 'test',
      CHIMERA_LOG_LEVEL: 'silent',
      DATABASE_URL: t.database.url,
      DATABASE_POOL_SIZE: '2',
      REDIS_KEY_PREFIX: testRedisPrefix(),
      PASSWORD_HASH_MEMORY_KIB: '1024',
      RESPONSE_CACHE: 'false',
      VECTOR_STORE_DIR: t.app.config.memory.vectorStore.dir,
      ENCRYPTION_KEY: NEW.toString('base64'),
    }),
  );
  apps.push(app);
  return app;
}

async function login(app: App, email: string, secret: Buffer) {
  const res = await app.yoga.fetch('http://chimera.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      query: LOGIN,
      variables: { i: { email, password: PASSWORD, totp: totpAt(secret, new Date()) } },
    }),
  });
  const body = (await res.json()) as { data?: { login: { accessToken: string } }; errors?: unknown[] };
  const token = body.data?.login.accessToken;
  if (!token) throw new Error(`login failed: ${JSON.stringify(body.errors)}`);
  const me = await app.yoga.fetch('http://chimera.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ me { email } }' }),
  });
  return ((await me.json()) as { data?: { me: { email: string } } }).data?.me.email;
}

function captured() {
  const lines: string[] = [];
  const progress: string[] = [];
  const io: CliIo = {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    progress: (label, done, total) => progress.push(`${label} ${done}/${total}`),
  };
  return { io, text: () => lines.join('\n'), progress };
}

const env = (extra: Record<string, string> = {}) => ({
  CHIMERA_ENV: 'test',
  DATABASE_URL: t.database.url,
  ENCRYPTION_KEY: NEW.toString('base64'),
  ENCRYPTION_KEY_PREVIOUS: OLD.toString('base64'),
  ...extra,
});

/** Every sealed column, for "nothing changed" comparisons. */
async function sealedState() {
  return {
    signing: await db.signingKey.findMany({
      select: { kid: true, privateKeyEncrypted: true },
      orderBy: { kid: 'asc' },
    }),
    totp: await db.user.findMany({
      where: { totpSecretEncrypted: { not: null } },
      select: { id: true, totpSecretEncrypted: true },
      orderBy: { id: 'asc' },
    }),
    wallets: await db.walletKey.findMany({ orderBy: { walletId: 'asc' } }),
  };
}

const oldBox = createSecretBox(OLD);
const newBoxAlone = createSecretBox(NEW);
const rotationDeps = (extra: Partial<Parameters<typeof rotateEncryptionKey>[0]> = {}) => ({
  db,
  box: createSecretBox(NEW, [OLD]),
  kek: { ...localKek(NEW), previous: [localKek(OLD)] },
  newKeyOnly: { box: newBoxAlone, kek: localKek(NEW) },
  ...extra,
});

/** A user with a password and an enrolled authenticator app whose secret is sealed under `box`. */
async function totpUser(name: string, box = oldBox) {
  const email = `${name}-${randomBytes(3).toString('hex')}@test.chimera`;
  const user = await t.app.services.users.create({ email, password: PASSWORD, roles: ['analyst'] }, null, {});
  const secret = randomBytes(20);
  await db.user.update({
    where: { id: user.id },
    data: { totpSecretEncrypted: box.encrypt(secret), mfaEnabledAt: new Date() },
  });
  return { id: user.id, email, secret };
}

describe('rotate-keys --encryption-key', () => {
  it('re-encrypts everything under the new key, surviving an interruption, while sign-ins keep working', async () => {
    // Signing keys made (and sealed) by a process that had only the old key: the first one, then a rotation.
    const oldSigning = createSigningKeys({ db, box: oldBox, retiredKeyLifetimeSeconds: 60 });
    await oldSigning.signingKey();
    await oldSigning.rotate({ via: 'cli' });
    const [alice, bob, carol] = [await totpUser('alice'), await totpUser('bob'), await totpUser('carol')];
    await db.user.createMany({
      data: Array.from({ length: EXTRA_TOTP_USERS }, (_, i) => ({
        email: `bulk-${i}-${randomBytes(3).toString('hex')}@test.chimera`,
        totpSecretEncrypted: oldBox.encrypt(randomBytes(20)),
      })),
    });
    const { address, envelope } = await createSealedKey(localKek(OLD));
    const wallet = await db.wallet.create({
      data: { blockchain: 'eip155:31337', address },
      select: { id: true, address: true },
    });
    await db.walletKey.create({
      data: {
        walletId: wallet.id,
        kekProvider: envelope.provider,
        kekRef: envelope.keyRef,
        wrappedKey: envelope.wrappedKey,
        ciphertext: envelope.ciphertext,
      },
    });
    const totpRows = EXTRA_TOTP_USERS + 3;

    // The API with both keys signs a TOTP user in while everything is still under the old key.
    expect(await login(t.app, alice.email, alice.secret)).toBe(alice.email);

    const before = await sealedState();
    const dry = captured();
    expect(await runCli(['rotate-keys', '--encryption-key', '--dry-run'], dry.io, env())).toBe(0);
    expect(dry.text()).toContain('dry run — nothing was changed');
    expect(dry.text()).toMatch(/signing keys\s+2 of 2 under an earlier key\n/);
    expect(dry.text()).toMatch(new RegExp(`TOTP secrets\\s+${totpRows} of ${totpRows} under an earlier key\\n`));
    expect(dry.text()).toMatch(/wallet keys\s+1 of 1 under an earlier key$/m);
    expect(await sealedState()).toEqual(before);
    expect(await db.securityAuditLog.count({ where: { action: 'keys.encryption_key_rotated' } })).toBe(0);

    // A run that dies after the first batch of TOTP secrets: the signing keys and 200 secrets are done.
    const crash = new Error('killed half-way');
    await expect(
      rotateEncryptionKey(
        rotationDeps({
          onProgress: (what) => {
            if (what === 'TOTP secrets') throw crash;
          },
        }),
      ),
    ).rejects.toBe(crash);
    const half = await sealedState();
    expect(half.signing.every((s) => createSecretBox(NEW).sealedWithCurrentKey(s.privateKeyEncrypted))).toBe(true);
    const newCount = half.totp.filter((u) => newBoxAlone.sealedWithCurrentKey(u.totpSecretEncrypted as string)).length;
    expect(newCount).toBe(200);
    expect(half.wallets).toEqual(before.wallets);
    // Mid-rotation the API still signs in users under either key.
    expect(await login(t.app, bob.email, bob.secret)).toBe(bob.email);

    const run = captured();
    expect(await runCli(['rotate-keys', '--encryption-key'], run.io, env())).toBe(0);
    expect(run.text()).toMatch(/signing keys\s+re-encrypted 0 \(0 were under an earlier key, 2 in all\)/);
    expect(run.text()).toMatch(
      new RegExp(
        `TOTP secrets\\s+re-encrypted ${totpRows - 200} \\(${totpRows - 200} were under an earlier key, ${totpRows} in all\\)`,
      ),
    );
    expect(run.text()).toMatch(/wallet keys\s+re-encrypted 1 \(1 were under an earlier key, 1 in all\)/);
    expect(run.text()).toContain('Verified: everything opens with ENCRYPTION_KEY alone');
    expect(run.progress).toContain(`rotate-keys: TOTP secrets ${totpRows}/${totpRows}`);
    expect(run.progress).toContain(`rotate-keys: verify wallet keys 1/1`);

    // With the new key alone: every value opens, a TOTP user signs in (tokens are signed by a re-sealed key).
    const after = await sealedState();
    for (const s of after.signing) expect(newBoxAlone.decrypt(s.privateKeyEncrypted).length).toBeGreaterThan(1000);
    for (const u of after.totp) expect(newBoxAlone.decrypt(u.totpSecretEncrypted as string)).toHaveLength(20);
    expect(after.totp.find((u) => u.id === carol.id)?.totpSecretEncrypted).not.toBe(
      before.totp.find((u) => u.id === carol.id)?.totpSecretEncrypted,
    );
    expect(() => oldBox.decrypt(after.totp[0]?.totpSecretEncrypted as string)).toThrow(/Sealed with key/);
    expect(await verifyNewKeyOnly({ db, box: newBoxAlone, kek: localKek(NEW) })).toEqual([]);
    expect(await login(apiWithNewKeyOnly(), carol.email, carol.secret)).toBe(carol.email);

    // The wallet key: same ciphertext, data key re-wrapped; it opens with the new KEK alone and signs for its address.
    const [walletKey] = after.wallets;
    expect(walletKey?.ciphertext).toBe(before.wallets[0]?.ciphertext);
    expect(walletKey?.wrappedKey).not.toBe(before.wallets[0]?.wrappedKey);
    expect(walletKey?.kekRef).toBe(localKek(NEW).keyRef);
    const signed = await withWalletKey(db, localKek(NEW), wallet, (key: Hex) =>
      signTransfer(key, {
        chainId: 31337,
        to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        value: 1n,
        nonce: 0,
        gas: 21_000n,
        maxFeePerGas: 2_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      }),
    );
    expect(await recoverTransactionAddress({ serializedTransaction: signed.raw as `0x02${string}` })).toBe(address);
    await expect(withWalletKey(db, localKek(OLD), wallet, async () => 'opened')).rejects.toMatchObject({
      code: 'WALLET_KEY_UNAVAILABLE',
    });

    const audit = await db.securityAuditLog.findMany({ where: { action: 'keys.encryption_key_rotated' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ success: true, resourceType: 'encryption_key' });
    expect(audit[0]?.metadata).toMatchObject({
      signingKeys: 0,
      totpSecrets: totpRows - 200,
      walletKeys: 1,
      keyId: newBoxAlone.keyId,
      failed: 0,
      verified: true,
    });

    // Running it again finds nothing to do (and says so).
    const again = captured();
    expect(await runCli(['rotate-keys', '--encryption-key'], again.io, env())).toBe(0);
    expect(again.text()).toMatch(/TOTP secrets\s+re-encrypted 0 \(0 were under an earlier key/);
    expect(await sealedState()).toEqual(after);
  }, 120_000);

  it('never overwrites a value written between its read and its write (a re-enrolment meanwhile)', async () => {
    const dave = await totpUser('dave');
    const fresh = randomBytes(20);
    const freshSealed = newBoxAlone.encrypt(fresh);
    // A database whose user.updateMany is preceded by another writer re-enrolling dave.
    const racing = new Proxy(db, {
      get(target, prop) {
        if (prop !== 'user') return Reflect.get(target, prop);
        return new Proxy(target.user, {
          get(users, p) {
            if (p !== 'updateMany') return Reflect.get(users, p);
            return async (args: { where: { id?: string } }) => {
              if (args.where.id === dave.id) {
                await target.user.update({ where: { id: dave.id }, data: { totpSecretEncrypted: freshSealed } });
              }
              return users.updateMany(args as Parameters<typeof users.updateMany>[0]);
            };
          },
        });
      },
    });
    const report = await rotateEncryptionKey(rotationDeps({ db: racing }));
    expect(report.totpSecrets).toMatchObject({ stale: 1, rotated: 0, failed: 0 });
    expect(report.verified).toBe(true);
    const row = await db.user.findUniqueOrThrow({ where: { id: dave.id } });
    expect(row.totpSecretEncrypted).toBe(freshSealed);
    expect(newBoxAlone.decrypt(row.totpSecretEncrypted as string)).toEqual(fresh);
  });

  it('reports a value no configured key opens, by row, and refuses to call the rotation verified', async () => {
    const stranger = await totpUser('stranger', createSecretBox(randomBytes(32)));
    const dry = captured();
    expect(await runCli(['rotate-keys', '--encryption-key', '--dry-run'], dry.io, env())).toBe(1);
    expect(dry.text()).toMatch(/TOTP secrets\s+1 of \d+ under an earlier key, 1 of them unreadable/);
    const run = captured();
    expect(await runCli(['rotate-keys', '--encryption-key'], run.io, env())).toBe(1);
    expect(run.text()).toContain('Not readable with ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS (1):');
    expect(run.text()).toMatch(new RegExp(`users ${stranger.id}: Sealed with key \\S+, but the configured key is`));
    expect(run.text()).toContain(`Do not open with the new key alone (1):`);
    expect(run.text()).toContain('NOT verified');
    const audit = await db.securityAuditLog.findFirstOrThrow({
      where: { action: 'keys.encryption_key_rotated', success: false },
    });
    expect(audit.errorMessage).toBe('1 sealed value(s) do not open with the new key alone');
    expect(audit.metadata).toMatchObject({ failed: 1, unverified: [{ table: 'users', id: stranger.id }] });
    // Without the previous key, nothing under it can be read either: the same report, and a note.
    const noPrevious = captured();
    expect(await runCli(['rotate-keys', '--encryption-key'], noPrevious.io, env({ ENCRYPTION_KEY_PREVIOUS: '' }))).toBe(
      1,
    );
    expect(noPrevious.text()).toContain('Note: ENCRYPTION_KEY_PREVIOUS is not set');
    await db.user.update({ where: { id: stranger.id }, data: { totpSecretEncrypted: null, mfaEnabledAt: null } });
  });

  it('refuses a wrong invocation with exit code 2, and rotating to the built-in development key', async () => {
    for (const args of [
      ['rotate-keys'],
      ['rotate-keys', '--jwt', '--encryption-key'],
      ['rotate-keys', '--jwt', '--dry-run'],
      ['rotate-keys', '--encryption-key', 'extra'],
    ]) {
      const c = captured();
      expect(await runCli(args, c.io, env())).toBe(2);
      expect(c.text()).toContain('Usage: chimera rotate-keys');
    }
    const c = captured();
    const withoutKey = Object.fromEntries(Object.entries(env()).filter(([name]) => name !== 'ENCRYPTION_KEY'));
    expect(await runCli(['rotate-keys', '--encryption-key'], c.io, withoutKey)).toBe(1);
    expect(c.text()).toContain('ENCRYPTION_KEY is not set');
  });
});

describe('rotate-keys --jwt', () => {
  it('signs with a new key, keeps the old one verifying and in the JWKS, and audits it', async () => {
    const signingKeys = t.app.services.signingKeys;
    signingKeys.invalidate();
    const before = (await signingKeys.signingKey()).kid;
    const c = captured();
    expect(await runCli(['rotate-keys', '--jwt'], c.io, env())).toBe(0);
    expect(c.text()).toMatch(new RegExp(`Retired ${before}: kept in the JWKS`));
    signingKeys.invalidate();
    const after = (await signingKeys.signingKey()).kid;
    expect(after).not.toBe(before);
    expect(c.text()).toContain(`Signing with key ${after}.`);
    expect(await signingKeys.verificationKey(before)).not.toBeNull();
    expect((await signingKeys.jwks()).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([before, after]));
    const row = await db.securityAuditLog.findFirstOrThrow({
      where: { action: 'keys.signing_key_rotated', metadata: { path: ['kid'], equals: after } },
    });
    expect(row.metadata).toMatchObject({ kid: after, retired: [before], via: 'cli' });
    expect(row.userAgent).toBe('chimera-cli');
  });

  it('the rotateSigningKey mutation is audited too, with the admin who asked', async () => {
    const admin = await t.admin();
    const res = await t.ok<{ rotateSigningKey: { kid: string } }>('mutation { rotateSigningKey { kid } }');
    const row = await db.securityAuditLog.findFirstOrThrow({
      where: { action: 'keys.signing_key_rotated', metadata: { path: ['kid'], equals: res.rotateSigningKey.kid } },
    });
    expect(row).toMatchObject({ userId: admin.userId, success: true });
    expect(row.metadata).toMatchObject({ via: 'api' });
  });
});
