// RS256 signing keys, shared by every API process through the database. The newest unretired key signs; retired
// keys keep verifying, and stay in the published JWKS, until every token they signed has expired.
import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type JWK } from 'jose';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import type { Database } from '../../platform/db/prisma.js';
import { type RequestMeta, recordSecurityEvent } from '../security/security-audit.js';

const ALG = 'RS256';
/** How long a process trusts its cached view of the keys before reading the table again. */
const CACHE_MS = 30_000;
/** Floor between reloads triggered by an unknown kid (a flood of forged kids must not hammer the database). */
const UNKNOWN_KID_RELOAD_MS = 5_000;

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey;
  sealedPrivateKey: string;
  retired: boolean;
  createdAt: Date;
}

export interface SigningKeysDeps {
  db: Database;
  box: SecretBox;
  /** Retired keys verify for this long: the longest token lifetime (the refresh token's). */
  retiredKeyLifetimeSeconds: number;
  now?: () => Date;
}

export function createSigningKeys({ db, box, retiredKeyLifetimeSeconds, now = () => new Date() }: SigningKeysDeps) {
  let keys: LoadedKey[] = [];
  let loadedAt = 0;
  let signer: { kid: string; key: CryptoKey } | null = null;

  async function load(): Promise<void> {
    const rows = await db.signingKey.findMany({
      where: { OR: [{ expiresAt: null }, { expiresAt: { gt: now() } }] },
      orderBy: { createdAt: 'desc' },
    });
    keys = await Promise.all(
      rows.map(async (r) => ({
        kid: r.kid,
        publicJwk: r.publicJwk as JWK,
        publicKey: (await importJWK(r.publicJwk as JWK, ALG)) as CryptoKey,
        sealedPrivateKey: r.privateKeyEncrypted,
        retired: r.retiredAt !== null,
        createdAt: r.createdAt,
      })),
    );
    loadedAt = Date.now();
    signer = null;
  }

  async function fresh(): Promise<void> {
    if (Date.now() - loadedAt > CACHE_MS) await load();
  }

  /** Generates a key pair (slow, CPU-bound: never inside a database transaction) as the row to insert. */
  async function newKeyRow() {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
    const kid = `k-${now().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    return { kid, publicJwk, privateKeyEncrypted: box.encrypt(await exportPKCS8(privateKey)) };
  }

  return {
    /** The key new tokens are signed with; creates the first key on a fresh database. */
    async signingKey(): Promise<{ kid: string; key: CryptoKey }> {
      await fresh();
      if (signer) return signer;
      let active = keys.find((k) => !k.retired);
      if (!active) {
        // Several processes may start on an empty table at once: serialise, then re-read.
        const row = await newKeyRow();
        await db.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('chimera.signing_keys'))`;
          const existing = await tx.signingKey.count({ where: { retiredAt: null } });
          if (existing === 0) await tx.signingKey.create({ data: row });
        });
        await load();
        active = keys.find((k) => !k.retired);
        if (!active) throw new Error('No active signing key after creating one.');
      }
      const pem = box.decrypt(active.sealedPrivateKey).toString('utf8');
      signer = { kid: active.kid, key: (await importPKCS8(pem, ALG)) as CryptoKey };
      return signer;
    },

    /** The public key for a kid, or null when no unexpired key has that kid. */
    async verificationKey(kid: string): Promise<CryptoKey | null> {
      await fresh();
      let key = keys.find((k) => k.kid === kid);
      if (!key && Date.now() - loadedAt > UNKNOWN_KID_RELOAD_MS) {
        await load();
        key = keys.find((k) => k.kid === kid);
      }
      return key?.publicKey ?? null;
    },

    /** The JSON Web Key Set published at /.well-known/jwks.json: public parameters only. */
    async jwks(): Promise<{ keys: JWK[] }> {
      await fresh();
      return {
        keys: keys.map(({ publicJwk: { kid, kty, n, e, alg, use } }) => ({ kid, kty, n, e, alg, use })),
      };
    },

    /**
     * Starts signing with a new key; the old one keeps verifying until the tokens it signed have expired. The
     * rotation is recorded in security_audit_logs (keys.signing_key_rotated) in the same transaction.
     */
    async rotate(
      by: { userId?: string | null; via: 'api' | 'cli'; meta?: RequestMeta } = { via: 'api' },
    ): Promise<{ kid: string; retired: string[] }> {
      const retiredAt = now();
      const expiresAt = new Date(retiredAt.getTime() + (retiredKeyLifetimeSeconds + 60) * 1000);
      const row = await newKeyRow();
      const retired = await db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('chimera.signing_keys'))`;
        const current = await tx.signingKey.findMany({ where: { retiredAt: null }, select: { kid: true } });
        await tx.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt, expiresAt } });
        await tx.signingKey.create({ data: row });
        await recordSecurityEvent(tx, {
          action: 'keys.signing_key_rotated',
          success: true,
          riskScore: 5,
          userId: by.userId ?? null,
          resourceType: 'signing_key',
          metadata: {
            kid: row.kid,
            retired: current.map((k) => k.kid),
            expiresAt: expiresAt.toISOString(),
            via: by.via,
          },
          meta: by.meta,
        });
        return current.map((k) => k.kid);
      });
      await load();
      return { kid: row.kid, retired };
    },

    /** Forget the cache (tests, and after a rotation made by another process is known). */
    invalidate(): void {
      loadedAt = 0;
      signer = null;
    },
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
