// `chimera rotate-keys`: the encryption key's rotation re-seals signing keys and TOTP secrets and re-wraps wallet
// keys, so that afterwards everything opens with the new key alone (a TOTP sign-in verifies, the wallet key still
// makes the same address's signatures, tokens still sign); a dry run changes nothing; an interrupted run is simply
// run again; the JWT key rotation keeps the old key verifying. Each rotation leaves an audit row.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/command.js';
import { runCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config.js';
import { createSigningKeys } from '../../src/domain/auth/signing-keys.js';
import { createTotpService } from '../../src/domain/auth/totp.service.js';
import { createSealedKey, withWalletKey } from '../../src/domain/wallets/keys.js';
import { addressOf } from '../../src/platform/chain/evm.js';
import { localKek } from '../../src/platform/crypto/envelope.js';
import { createSecretBox } from '../../src/platform/crypto/secret-box.js';
import { totpAt } from '../../src/platform/crypto/totp.js';
import { createDatabase, type Database } from '../../src/platform/db/prisma.js';
import { createRedis } from '../../src/platform/redis/redis.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../helpers/db.js';

const OLD = randomBytes(32);
const NEW = randomBytes(32);
let database: TestDatabase;
let db: Database;
const redis = createRedis(loadConfig().redisUrl, testRedisPrefix());

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolSize: 2 });
});
afterAll(async () => {
  redis.disconnect();
  await db?.$disconnect();
  await database?.drop();
});

function captured() {
  const out: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => out.push(l), progress: () => undefined };
  return { io, text: () => out.join('\n') };
}
const env = (extra: Record<string, string> = {}) => ({
  CHIMERA_ENV: 'test',
  DATABASE_URL: database.url,
  ENCRYPTION_KEY: NEW.toString('base64'),
  ENCRYPTION_KEY_PREVIOUS: OLD.toString('base64'),
  ...extra,
});

describe('rotate-keys --encryption-key', () => {
  it('re-encrypts everything the old key sealed, resumably, and leaves it opening with the new key alone', async () => {
    const oldBox = createSecretBox(OLD);
    // Two signing keys, a user with an authenticator app, and a wallet key — all under the old key.
    const signing = createSigningKeys({ db, box: oldBox, retiredKeyLifetimeSeconds: 60 });
    await signing.rotate();
    await signing.rotate();
    const user = await db.user.create({ data: { email: `rot-${Date.now()}@test.chimera`, roles: ['cfo'] } });
    const secret = randomBytes(20);
    await db.user.update({ where: { id: user.id }, data: { totpSecretEncrypted: oldBox.encrypt(secret) } });
    const agent = await db.agent.create({ data: { name: 'rotation' } });
    const { address, envelope } = await createSealedKey(localKek(OLD));
    const wallet = await db.wallet.create({ data: { agentId: agent.id, blockchain: 'eip155:31337', address } });
    await db.walletKey.create({
      data: {
        walletId: wallet.id,
        kekProvider: envelope.provider,
        kekRef: envelope.keyRef,
        wrappedKey: envelope.wrappedKey,
        ciphertext: envelope.ciphertext,
      },
    });
    const before = await db.walletKey.findUniqueOrThrow({ where: { walletId: wallet.id } });

    const dry = captured();
    expect(await runCli(['rotate-keys', '--encryption-key', '--dry-run'], dry.io, env())).toBe(0);
    expect(dry.text()).toMatch(/signing keys\s+2 of 2 under an earlier key/);
    expect(dry.text()).toMatch(/TOTP secrets\s+1 of 1/);
    expect(dry.text()).toMatch(/wallet keys\s+1 of 1/);
    expect(await db.walletKey.findUniqueOrThrow({ where: { walletId: wallet.id } })).toEqual(before);

    // An earlier run was interrupted after one signing key: that one is skipped now.
    const newBox = createSecretBox(NEW);
    const [first] = await db.signingKey.findMany({ orderBy: { createdAt: 'asc' } });
    await db.signingKey.update({
      where: { kid: first?.kid },
      data: { privateKeyEncrypted: newBox.encrypt(oldBox.decrypt(first?.privateKeyEncrypted ?? '')) },
    });
    const run = captured();
    expect(await runCli(['rotate-keys', '--encryption-key'], run.io, env())).toBe(0);
    expect(run.text()).toMatch(/signing keys\s+re-encrypted 1 \(1 were under an earlier key, 2 in all\)/);
    expect(run.text()).toContain('Verified: everything opens with ENCRYPTION_KEY alone');

    // With the new key alone: TOTP codes verify, tokens sign, the wallet key is the same key, its ciphertext untouched.
    const totp = createTotpService({ db, redis, box: newBox, issuerName: 'Chimera' });
    await db.user.update({ where: { id: user.id }, data: { mfaEnabledAt: new Date() } });
    expect(await totp.verifyCode(user.id, totpAt(secret, new Date()))).toBe(true);
    const signer = await createSigningKeys({ db, box: newBox, retiredKeyLifetimeSeconds: 60 }).signingKey();
    expect(signer.kid).toBeTruthy();
    const after = await db.walletKey.findUniqueOrThrow({ where: { walletId: wallet.id } });
    expect(after.ciphertext).toBe(before.ciphertext);
    expect(after.kekRef).toBe(localKek(NEW).keyRef);
    expect(await withWalletKey(db, localKek(NEW), wallet, async (key) => addressOf(key))).toBe(address);
    await expect(withWalletKey(db, localKek(OLD), wallet, async () => 'opened')).rejects.toMatchObject({
      code: 'WALLET_KEY_UNAVAILABLE',
    });
    const audit = await db.securityAuditLog.findFirstOrThrow({ where: { action: 'keys.encryption_key_rotated' } });
    expect(audit.metadata).toMatchObject({ signingKeys: 1, totpSecrets: 1, walletKeys: 1, verified: true });

    // Running it again finds nothing to do.
    const again = captured();
    expect(await runCli(['rotate-keys', '--encryption-key'], again.io, env())).toBe(0);
    expect(again.text()).toMatch(/signing keys\s+re-encrypted 0 \(0 were/);
  });

  it('without the previous key it cannot read what that key sealed, and says it is not verified', async () => {
    const other = randomBytes(32);
    await db.user.create({
      data: {
        email: `stale-${Date.now()}@test.chimera`,
        roles: ['analyst'],
        totpSecretEncrypted: createSecretBox(other).encrypt(randomBytes(20)),
      },
    });
    const c = captured();
    expect(await runCli(['rotate-keys', '--encryption-key'], c.io, env())).toBe(1);
    expect(c.text()).toMatch(/Sealed with key \S+, but the configured key is/);
  });

  it('refuses a wrong invocation with exit code 2', async () => {
    for (const args of [
      ['rotate-keys'],
      ['rotate-keys', '--jwt', '--encryption-key'],
      ['rotate-keys', '--jwt', '--dry-run'],
    ]) {
      const c = captured();
      expect(await runCli(args, c.io, env())).toBe(2);
      expect(c.text()).toContain('Usage: chimera rotate-keys');
    }
  });
});

describe('rotate-keys --jwt', () => {
  it('signs with a new key and keeps the old one verifying', async () => {
    const box = createSecretBox(NEW, [OLD]);
    const keys = createSigningKeys({ db, box, retiredKeyLifetimeSeconds: 60 });
    const before = (await keys.signingKey()).kid;
    const c = captured();
    expect(await runCli(['rotate-keys', '--jwt'], c.io, env())).toBe(0);
    expect(c.text()).toMatch(new RegExp(`retired .*${before}`));
    keys.invalidate();
    expect((await keys.signingKey()).kid).not.toBe(before);
    expect(await keys.verificationKey(before)).not.toBeNull();
    expect(await db.securityAuditLog.count({ where: { action: 'keys.signing_key_rotated' } })).toBe(1);
  });
});
