// Re-encrypting what the previous ENCRYPTION_KEY sealed (the spec's rotation_policy: encryption keys every 730 days).
// SecretBox values (private signing keys, TOTP secrets) are re-sealed; wallet keys keep their ciphertext and only
// their data key is re-wrapped. Each row is changed on its own, and only if it still holds what was read, so the run
// may be interrupted, re-run, or overlap the API writing new values; rows already under the new key are skipped.
import type { KeyEncryptionKey } from '../../platform/crypto/envelope.js';
import { rewrap } from '../../platform/crypto/envelope.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import type { Database } from '../../platform/db/prisma.js';
import { recordSecurityEvent } from '../security/security-audit.js';

export interface RotationCounts {
  /** Rows holding a sealed value. */
  total: number;
  /** Rows still under an earlier key (what a dry run reports). */
  stale: number;
  /** Rows re-encrypted by this run. */
  rotated: number;
}

export interface EncryptionRotationReport {
  dryRun: boolean;
  signingKeys: RotationCounts;
  totpSecrets: RotationCounts;
  walletKeys: RotationCounts;
  /** After a real run: every value opens with the new key alone. */
  verified: boolean;
}

export interface RotationDeps {
  db: Database;
  /** Seals with the new key, opens with the new and the previous ones. */
  box: SecretBox;
  /** Wraps with the new KEK, unwraps with it and the previous ones (kek.previous). */
  kek: KeyEncryptionKey;
  onProgress?: (what: string, done: number, total: number) => void;
}

async function rotateRows<R>(
  label: string,
  rows: R[],
  stale: (r: R) => boolean,
  rotate: (r: R) => Promise<boolean>,
  dryRun: boolean,
  onProgress?: RotationDeps['onProgress'],
): Promise<RotationCounts> {
  const due = rows.filter(stale);
  const counts: RotationCounts = { total: rows.length, stale: due.length, rotated: 0 };
  if (dryRun) return counts;
  for (const row of due) {
    if (await rotate(row)) counts.rotated++;
    onProgress?.(label, counts.rotated, due.length);
  }
  return counts;
}

export async function rotateEncryptionKey(
  deps: RotationDeps,
  { dryRun = false }: { dryRun?: boolean } = {},
): Promise<EncryptionRotationReport> {
  const { db, box, kek } = deps;
  const signing = await db.signingKey.findMany({ select: { kid: true, privateKeyEncrypted: true } });
  const signingKeys = await rotateRows(
    'signing keys',
    signing,
    (r) => !box.sealedWithCurrentKey(r.privateKeyEncrypted),
    async (r) => {
      const resealed = box.encrypt(box.decrypt(r.privateKeyEncrypted));
      const { count } = await db.signingKey.updateMany({
        where: { kid: r.kid, privateKeyEncrypted: r.privateKeyEncrypted },
        data: { privateKeyEncrypted: resealed },
      });
      return count === 1;
    },
    dryRun,
    deps.onProgress,
  );
  const users = await db.user.findMany({
    where: { totpSecretEncrypted: { not: null } },
    select: { id: true, totpSecretEncrypted: true },
  });
  const totpSecrets = await rotateRows(
    'TOTP secrets',
    users,
    (u) => !box.sealedWithCurrentKey(u.totpSecretEncrypted as string),
    async (u) => {
      const old = u.totpSecretEncrypted as string;
      const { count } = await db.user.updateMany({
        where: { id: u.id, totpSecretEncrypted: old },
        data: { totpSecretEncrypted: box.encrypt(box.decrypt(old)) },
      });
      return count === 1;
    },
    dryRun,
    deps.onProgress,
  );
  const wallets = await db.walletKey.findMany();
  const walletKeys = await rotateRows(
    'wallet keys',
    wallets,
    (w) => w.kekProvider !== kek.provider || w.kekRef !== kek.keyRef,
    async (w) => {
      const envelope = {
        provider: w.kekProvider as KeyEncryptionKey['provider'],
        keyRef: w.kekRef,
        wrappedKey: w.wrappedKey,
        ciphertext: w.ciphertext,
      };
      const next = await rewrap(kek, envelope);
      const { count } = await db.walletKey.updateMany({
        where: { walletId: w.walletId, kekRef: w.kekRef, wrappedKey: w.wrappedKey },
        data: { kekProvider: next.provider, kekRef: next.keyRef, wrappedKey: next.wrappedKey },
      });
      return count === 1;
    },
    dryRun,
    deps.onProgress,
  );
  const verified = dryRun ? false : await verifyCurrentKey(deps);
  if (!dryRun) {
    await recordSecurityEvent(db, {
      action: 'keys.encryption_key_rotated',
      success: verified,
      riskScore: 6,
      metadata: {
        keyId: box.keyId,
        kekRef: kek.keyRef,
        signingKeys: signingKeys.rotated,
        totpSecrets: totpSecrets.rotated,
        walletKeys: walletKeys.rotated,
        verified,
      },
    });
  }
  return { dryRun, signingKeys, totpSecrets, walletKeys, verified };
}

/** True when every sealed value is under the current key and opens with it (without any previous key). */
export async function verifyCurrentKey({ db, box, kek }: Pick<RotationDeps, 'db' | 'box' | 'kek'>): Promise<boolean> {
  const current = { ...kek, previous: [] };
  const sealed = [
    ...(await db.signingKey.findMany({ select: { privateKeyEncrypted: true } })).map((r) => r.privateKeyEncrypted),
    ...(
      await db.user.findMany({ where: { totpSecretEncrypted: { not: null } }, select: { totpSecretEncrypted: true } })
    ).map((u) => u.totpSecretEncrypted as string),
  ];
  try {
    for (const s of sealed) {
      if (!box.sealedWithCurrentKey(s)) return false;
      box.decrypt(s);
    }
    for (const w of await db.walletKey.findMany()) {
      if (w.kekProvider !== kek.provider || w.kekRef !== kek.keyRef) return false;
      (await current.unwrap(w.wrappedKey)).fill(0);
    }
    return true;
  } catch {
    return false;
  }
}
