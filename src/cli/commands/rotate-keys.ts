// chimera rotate-keys --jwt | --encryption-key [--dry-run]
import { createSigningKeys } from '../../domain/auth/signing-keys.js';
import { rotateEncryptionKey } from '../../domain/operations/key-rotation.js';
import { recordSecurityEvent } from '../../domain/security/security-audit.js';
import { createKek } from '../../platform/crypto/envelope.js';
import { createSecretBox } from '../../platform/crypto/secret-box.js';
import { createDatabase } from '../../platform/db/prisma.js';
import { type CliCommand, flag, UsageError } from '../command.js';

const USAGE = `Usage: chimera rotate-keys --jwt
       chimera rotate-keys --encryption-key [--dry-run]

  --jwt             sign new tokens with a fresh RS256 key; the old key stays in the JWKS until the tokens it
                    signed have expired (REFRESH_TOKEN_TTL_SECONDS)
  --encryption-key  after setting ENCRYPTION_KEY to a new key and ENCRYPTION_KEY_PREVIOUS to the old one:
                    re-encrypt private signing keys and TOTP secrets, re-wrap wallet keys' data keys, then check
                    that everything opens with the new key alone (then drop ENCRYPTION_KEY_PREVIOUS). Safe to
                    interrupt and run again; the running system keeps working throughout.
  --dry-run         count what would be re-encrypted`;

export const rotateKeysCommand: CliCommand = {
  name: 'rotate-keys',
  summary: 'rotate the JWT signing key or the encryption key (re-encrypting what it sealed)',
  usage: USAGE,
  options: { jwt: { type: 'boolean' }, 'encryption-key': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  async run({ values, config, io }) {
    const jwt = flag(values, 'jwt');
    const encryption = flag(values, 'encryption-key');
    if (jwt === encryption) throw new UsageError('Give exactly one of --jwt or --encryption-key.');
    if (jwt && flag(values, 'dry-run')) throw new UsageError('--dry-run goes with --encryption-key.');
    const c = await config();
    const db = createDatabase({ url: c.databaseUrl, poolSize: 2 });
    const box = createSecretBox(c.encryptionKey, c.previousEncryptionKeys);
    try {
      if (jwt) {
        const keys = createSigningKeys({ db, box, retiredKeyLifetimeSeconds: c.auth.refreshTokenTtlSeconds });
        const { kid, retired } = await keys.rotate();
        await recordSecurityEvent(db, {
          action: 'keys.signing_key_rotated',
          success: true,
          riskScore: 5,
          metadata: { kid, retired, via: 'cli' },
          meta: { userAgent: 'chimera-cli' },
        });
        io.out(
          `Signing with key ${kid}; retired ${retired.length ? retired.join(', ') : 'none'} (kept in the JWKS until their tokens expire).`,
        );
        return 0;
      }
      if (c.previousEncryptionKeys.length === 0) {
        io.err('Note: ENCRYPTION_KEY_PREVIOUS is not set, so only values already under ENCRYPTION_KEY can be read.');
      }
      const report = await rotateEncryptionKey(
        {
          db,
          box,
          kek: createKek(c.wallets.keys, c.encryptionKey, c.previousEncryptionKeys),
          onProgress: (what, done, total) => io.progress(`rotate-keys: ${what}`, done, total),
        },
        { dryRun: flag(values, 'dry-run') },
      );
      const line = (name: string, r: { total: number; stale: number; rotated: number }) =>
        report.dryRun
          ? `  ${name.padEnd(14)} ${r.stale} of ${r.total} under an earlier key`
          : `  ${name.padEnd(14)} re-encrypted ${r.rotated} (${r.stale} were under an earlier key, ${r.total} in all)`;
      io.out(report.dryRun ? 'Encryption key rotation (dry run — nothing was changed):' : 'Encryption key rotation:');
      io.out(line('signing keys', report.signingKeys));
      io.out(line('TOTP secrets', report.totpSecrets));
      io.out(line('wallet keys', report.walletKeys));
      if (report.dryRun) return 0;
      io.out(
        report.verified
          ? 'Verified: everything opens with ENCRYPTION_KEY alone. ENCRYPTION_KEY_PREVIOUS can be removed.'
          : 'NOT verified: some values do not open with the new key alone. Run again; keep ENCRYPTION_KEY_PREVIOUS.',
      );
      return report.verified ? 0 : 1;
    } finally {
      await db.$disconnect();
    }
  },
};
