// Re-encrypting what the previous ENCRYPTION_KEY sealed (the spec's rotation_policy: encryption keys every 730 days).
// SecretBox values (signing_keys.private_key_encrypted, users.totp_secret_encrypted) are re-sealed; wallet keys
// (wallet_keys) keep their ciphertext and only their data key is re-wrapped, never the private key decrypted. Tables
// are read in batches; each row is changed by one statement of its own, and only if it still holds what was read, so
// a run may be interrupted, re-run, or overlap the API writing new values; rows already under the new key are
// skipped. The run ends by opening every value with the new key alone, and leaves a security_audit_logs row.
import {
  type Envelope,
  EnvelopeError,
  type KekProvider,
  type KeyEncryptionKey,
  rewrap,
} from '../../platform/crypto/envelope.js';
import { type SecretBox, SecretBoxError } from '../../platform/crypto/secret-box.js';
import type { Database } from '../../platform/db/prisma.js';
import { recordSecurityEvent } from '../security/security-audit.js';
import { withWalletKey } from '../wallets/keys.js';

/** Rows read per query. */
const BATCH = 200;

export type SealedTable = 'signing_keys' | 'users' | 'wallet_keys';

export interface RotationCounts {
  /** Rows holding a sealed value. */
  total: number;
  /** Rows found under an earlier key (what a dry run reports as to be re-encrypted). */
  stale: number;
  /** Rows re-encrypted by this run. */
  rotated: number;
  /** Stale rows no configured key opens (listed in `failures`). */
  failed: number;
}

/** A row that could not be re-encrypted or verified: which, and why (never a value). */
export interface SealedValueProblem {
  table: SealedTable;
  /** The row's key: a signing key's kid, a user's or a wallet's id. */
  id: string;
  reason: string;
}

export interface EncryptionRotationReport {
  dryRun: boolean;
  signingKeys: RotationCounts;
  totpSecrets: RotationCounts;
  walletKeys: RotationCounts;
  /** Rows this run could not re-encrypt (or, in a dry run, could not open). */
  failures: SealedValueProblem[];
  /** After a real run: rows that do not open with the new key alone (empty: verified). */
  unverified: SealedValueProblem[];
  /** After a real run: every sealed value opens with the new key alone. */
  verified: boolean;
}

export interface RotationDeps {
  db: Database;
  /** Seals with the new key; opens with the new and the previous ones. */
  box: SecretBox;
  /** Wraps with the new KEK; unwraps with it and the previous ones (kek.previous). */
  kek: KeyEncryptionKey;
  /** The same keys without any previous one: what the verification opens every value with. */
  newKeyOnly: { box: SecretBox; kek: KeyEncryptionKey };
  /** After each batch: rows looked at so far of the table's total. */
  onProgress?: (what: string, done: number, total: number) => void;
}

/** A failure of the keys themselves (a row to report); anything else (the database) stops the run. */
const isKeyFailure = (err: unknown): err is Error => err instanceof SecretBoxError || err instanceof EnvelopeError;

/** Reads a table in primary-key order, BATCH rows at a time, handing each batch to `use`. */
async function forEachBatch<R>(
  read: (after: string | undefined) => Promise<R[]>,
  idOf: (r: R) => string,
  use: (rows: R[]) => Promise<void>,
): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const rows = await read(after);
    if (rows.length === 0) return;
    await use(rows);
    if (rows.length < BATCH) return;
    after = idOf(rows[rows.length - 1] as R);
  }
}

interface SealedSource<R> {
  table: SealedTable;
  label: string;
  count(): Promise<number>;
  read(after: string | undefined): Promise<R[]>;
  idOf(r: R): string;
  stale(r: R): boolean;
  /** Opens the stale value without writing (the dry run's check). */
  check(r: R): Promise<void>;
  /** Re-encrypts it if the row still holds what was read; false when it changed meanwhile. */
  rotate(r: R): Promise<boolean>;
}

async function rotateSource<R>(
  source: SealedSource<R>,
  dryRun: boolean,
  failures: SealedValueProblem[],
  onProgress: RotationDeps['onProgress'],
): Promise<RotationCounts> {
  const counts: RotationCounts = { total: 0, stale: 0, rotated: 0, failed: 0 };
  const total = await source.count();
  await forEachBatch(source.read, source.idOf, async (rows) => {
    for (const row of rows) {
      counts.total++;
      if (!source.stale(row)) continue;
      counts.stale++;
      try {
        if (dryRun) await source.check(row);
        else if (await source.rotate(row)) counts.rotated++;
      } catch (err) {
        if (!isKeyFailure(err)) throw err;
        counts.failed++;
        failures.push({ table: source.table, id: source.idOf(row), reason: err.message });
      }
    }
    onProgress?.(source.label, counts.total, Math.max(total, counts.total));
  });
  return counts;
}

type SigningRow = { kid: string; privateKeyEncrypted: string };
type TotpRow = { id: string; totpSecretEncrypted: string | null };
type WalletKeyRow = { walletId: string; kekProvider: string; kekRef: string; wrappedKey: string; ciphertext: string };

const envelopeOf = (w: WalletKeyRow): Envelope => ({
  provider: w.kekProvider as KekProvider,
  keyRef: w.kekRef,
  wrappedKey: w.wrappedKey,
  ciphertext: w.ciphertext,
});

function signingKeySource(db: Database, box: SecretBox): SealedSource<SigningRow> {
  return {
    table: 'signing_keys',
    label: 'signing keys',
    count: () => db.signingKey.count(),
    read: (after) =>
      db.signingKey.findMany({
        select: { kid: true, privateKeyEncrypted: true },
        where: after ? { kid: { gt: after } } : {},
        orderBy: { kid: 'asc' },
        take: BATCH,
      }),
    idOf: (r) => r.kid,
    stale: (r) => !box.sealedWithCurrentKey(r.privateKeyEncrypted),
    check: async (r) => void box.decrypt(r.privateKeyEncrypted).fill(0),
    async rotate(r) {
      const plain = box.decrypt(r.privateKeyEncrypted);
      try {
        const { count } = await db.signingKey.updateMany({
          where: { kid: r.kid, privateKeyEncrypted: r.privateKeyEncrypted },
          data: { privateKeyEncrypted: box.encrypt(plain) },
        });
        return count === 1;
      } finally {
        plain.fill(0);
      }
    },
  };
}

function totpSource(db: Database, box: SecretBox): SealedSource<TotpRow> {
  const sealed = { totpSecretEncrypted: { not: null } };
  return {
    table: 'users',
    label: 'TOTP secrets',
    count: () => db.user.count({ where: sealed }),
    read: (after) =>
      db.user.findMany({
        select: { id: true, totpSecretEncrypted: true },
        where: after ? { ...sealed, id: { gt: after } } : sealed,
        orderBy: { id: 'asc' },
        take: BATCH,
      }),
    idOf: (r) => r.id,
    stale: (r) => !box.sealedWithCurrentKey(r.totpSecretEncrypted as string),
    check: async (r) => void box.decrypt(r.totpSecretEncrypted as string).fill(0),
    async rotate(r) {
      const old = r.totpSecretEncrypted as string;
      const plain = box.decrypt(old);
      try {
        // Re-enrolment meanwhile (a new secret) leaves the row alone: it is under the new key already.
        const { count } = await db.user.updateMany({
          where: { id: r.id, totpSecretEncrypted: old },
          data: { totpSecretEncrypted: box.encrypt(plain) },
        });
        return count === 1;
      } finally {
        plain.fill(0);
      }
    },
  };
}

function walletKeySource(db: Database, kek: KeyEncryptionKey): SealedSource<WalletKeyRow> {
  const select = { walletId: true, kekProvider: true, kekRef: true, wrappedKey: true, ciphertext: true };
  return {
    table: 'wallet_keys',
    label: 'wallet keys',
    count: () => db.walletKey.count(),
    read: (after) =>
      db.walletKey.findMany({
        select,
        where: after ? { walletId: { gt: after } } : {},
        orderBy: { walletId: 'asc' },
        take: BATCH,
      }),
    idOf: (r) => r.walletId,
    stale: (r) => r.kekProvider !== kek.provider || r.kekRef !== kek.keyRef,
    // Re-wrapping to nowhere: unwraps the data key (and wipes it), never touches the private key.
    check: async (r) => void (await rewrap({ ...kek, wrap: async () => 'dry-run' }, envelopeOf(r))),
    async rotate(r) {
      const next = await rewrap(kek, envelopeOf(r));
      const { count } = await db.walletKey.updateMany({
        where: { walletId: r.walletId, kekProvider: r.kekProvider, kekRef: r.kekRef, wrappedKey: r.wrappedKey },
        data: { kekProvider: next.provider, kekRef: next.keyRef, wrappedKey: next.wrappedKey },
      });
      return count === 1;
    },
  };
}

/** Re-encrypts every value sealed under an earlier key (`dryRun`: only counts them and checks they open). */
export async function rotateEncryptionKey(
  deps: RotationDeps,
  { dryRun = false }: { dryRun?: boolean } = {},
): Promise<EncryptionRotationReport> {
  const { db, box, kek, onProgress } = deps;
  const failures: SealedValueProblem[] = [];
  const signingKeys = await rotateSource(signingKeySource(db, box), dryRun, failures, onProgress);
  const totpSecrets = await rotateSource(totpSource(db, box), dryRun, failures, onProgress);
  const walletKeys = await rotateSource(walletKeySource(db, kek), dryRun, failures, onProgress);
  if (dryRun) return { dryRun, signingKeys, totpSecrets, walletKeys, failures, unverified: [], verified: false };
  const unverified = await verifyNewKeyOnly({ db, ...deps.newKeyOnly, onProgress });
  const verified = unverified.length === 0;
  await recordSecurityEvent(db, {
    action: 'keys.encryption_key_rotated',
    success: verified,
    riskScore: verified ? 6 : 8,
    resourceType: 'encryption_key',
    errorMessage: verified ? null : `${unverified.length} sealed value(s) do not open with the new key alone`,
    metadata: {
      keyId: box.keyId,
      kekRef: kek.keyRef,
      signingKeys: signingKeys.rotated,
      totpSecrets: totpSecrets.rotated,
      walletKeys: walletKeys.rotated,
      failed: failures.length,
      unverified: unverified.map(({ table, id }) => ({ table, id })).slice(0, 50),
      verified,
    },
    meta: { userAgent: 'chimera-cli' },
  });
  return { dryRun, signingKeys, totpSecrets, walletKeys, failures, unverified, verified };
}

/**
 * Opens every sealed value with the new key alone (a box and KEK without previous keys): signing keys and TOTP
 * secrets decrypt, and each wallet key opens for its wallet and still controls the wallet's address. Returns the
 * rows that do not.
 */
export async function verifyNewKeyOnly({
  db,
  box,
  kek,
  onProgress,
}: Pick<RotationDeps, 'db' | 'onProgress'> & RotationDeps['newKeyOnly']): Promise<SealedValueProblem[]> {
  const current: KeyEncryptionKey = { ...kek, previous: [] };
  const problems: SealedValueProblem[] = [];
  const attempt = async (table: SealedTable, id: string, open: () => Promise<void>) => {
    try {
      await open();
    } catch (err) {
      problems.push({ table, id, reason: err instanceof Error ? err.message : String(err) });
    }
  };
  const check = async <R>(source: SealedSource<R>, open: (r: R) => Promise<void>) => {
    const total = await source.count();
    let done = 0;
    await forEachBatch(source.read, source.idOf, async (rows) => {
      for (const row of rows) await attempt(source.table, source.idOf(row), () => open(row));
      done += rows.length;
      onProgress?.(`verify ${source.label}`, done, Math.max(total, done));
    });
  };
  await check(signingKeySource(db, box), async (r) => void box.decrypt(r.privateKeyEncrypted).fill(0));
  await check(totpSource(db, box), async (r) => void box.decrypt(r.totpSecretEncrypted as string).fill(0));
  await check(walletKeySource(db, current), async (r) => {
    const wallet = await db.wallet.findUniqueOrThrow({
      where: { id: r.walletId },
      select: { id: true, address: true },
    });
    // Opens the key for its own wallet (the envelope is bound to the address) and checks it controls that address.
    await withWalletKey(db, current, wallet, async () => undefined);
  });
  return problems;
}
