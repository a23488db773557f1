// chimera rotate-keys --jwt | --encryption-key [--dry-run] (docs/secrets.md)
import { createSigningKeys } from '../../domain/auth/signing-keys.js';
import { rotateEncryptionKey, type SealedValueProblem } from '../../domain/operations/key-rotation.js';
import { createKek } from '../../platform/crypto/envelope.js';
import { createSecretBox } from '../../platform/crypto/secret-box.js';
import { createDatabase } from '../../platform/db/prisma.js';
import { type CliCommand, type CliIo, flag, UsageError } from '../command.js';

const USAGE = `Usage: chimera rotate-keys --jwt
       chimera rotate-keys --encryption-key [--dry-run]

  --jwt             sign new tokens with a fresh RS256 key; the old key stays in the JWKS and keeps verifying until
                    the tokens it signed have expired (REFRESH_TOKEN_TTL_SECONDS)
  --encryption-key  after setting ENCRYPTION_KEY to a new key and ENCRYPTION_KEY_PREVIOUS to the old one (and
                    restarting): re-encrypt private signing keys and TOTP secrets, re-wrap wallet keys' data keys,
                    then check that everything opens with the new key alone (then drop ENCRYPTION_KEY_PREVIOUS).
                    Safe to interrupt and run again; the running system keeps working throughout.
  --dry-run         count what would be re-encrypted, and check it opens; change nothing

Each rotation is recorded in security_audit_logs (keys.signing_key_rotated, keys.encryption_key_rotated).
Exit code 1 when a value could not be re-encrypted or does not open with the new key alone.`;

/** At most this many problem rows are listed (all are counted). */
const LISTED = 20;

function listProblems(io: CliIo, heading: string, problems: readonly SealedValueProblem[]): void {
  if (problems.length === 0) return;
  io.err(`${heading} (${problems.length}):`);
  for (const p of problems.slice(0, LISTED)) io.err(`  ${p.table} ${p.id}: ${p.reason}`);
  if (problems.length > LISTED) io.err(`  … and ${problems.length - LISTED} more`);
}

export const rotateKeysCommand: CliCommand = {
  name: 'rotate-keys',
  summary: 'rotate the JWT signing key, or re-encrypt everything under a new ENCRYPTION_KEY',
  usage: USAGE,
  options: { jwt: { type: 'boolean' }, 'encryption-key': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  async run({ values, config, io }) {
    const jwt = flag(values, 'jwt');
    const encryption = flag(values, 'encryption-key');
    const dryRun = flag(values, 'dry-run');
    if (jwt === encryption) throw new UsageError('Give exactly one of --jwt or --encryption-key.');
    if (jwt && dryRun) throw new UsageError('--dry-run goes with --encryption-key.');
    const c = await config();
    const db = createDatabase({ url: c.databaseUrl, poolSize: 2 });
    const box = createSecretBox(c.encryptionKey, c.previousEncryptionKeys);
    try {
      if (jwt) {
        const keys = createSigningKeys({ db, box, retiredKeyLifetimeSeconds: c.auth.refreshTokenTtlSeconds });
        const { kid, retired } = await keys.rotate({ via: 'cli', meta: { userAgent: 'chimera-cli' } });
        io.out(`Signing with key ${kid}.`);
        io.out(
          retired.length
            ? `Retired ${retired.join(', ')}: kept in the JWKS, verifying, until the tokens they signed expire (${c.auth.refreshTokenTtlSeconds} s).`
            : 'No key was retired (there was none).',
        );
        io.out('Running API processes pick the new key up within 30 s; until then they sign with the old one.');
        return 0;
      }
      if (c.encryptionKeyIsDevelopmentDefault && !dryRun) {
        io.err('ENCRYPTION_KEY is not set: set it to the new key (openssl rand -base64 32) before rotating.');
        return 1;
      }
      if (c.previousEncryptionKeys.length === 0) {
        io.err('Note: ENCRYPTION_KEY_PREVIOUS is not set, so only values already under ENCRYPTION_KEY can be read.');
      }
      const report = await rotateEncryptionKey(
        {
          db,
          box,
          kek: createKek(c.wallets.keys, c.encryptionKey, c.previousEncryptionKeys),
          newKeyOnly: { box: createSecretBox(c.encryptionKey), kek: createKek(c.wallets.keys, c.encryptionKey) },
          onProgress: (what, done, total) => io.progress(`rotate-keys: ${what}`, done, total),
        },
        { dryRun },
      );
      const line = (name: string, r: { total: number; stale: number; rotated: number; failed: number }) =>
        report.dryRun
          ? `  ${name.padEnd(14)} ${r.stale} of ${r.total} under an earlier key${r.failed ? `, ${r.failed} of them unreadable` : ''}`
          : `  ${name.padEnd(14)} re-encrypted ${r.rotated} (${r.stale} were under an earlier key, ${r.total} in all)`;
      io.out(
        report.dryRun
          ? `Encryption key rotation to key ${box.keyId} (dry run — nothing was changed):`
          : `Encryption key rotation to key ${box.keyId}:`,
      );
      io.out(line('signing keys', report.signingKeys));
      io.out(line('TOTP secrets', report.totpSecrets));
      io.out(line('wallet keys', report.walletKeys));
      listProblems(io, 'Not readable with ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS', report.failures);
      if (report.dryRun) return report.failures.length ? 1 : 0;
      listProblems(io, 'Do not open with the new key alone', report.unverified);
      io.out(
        report.verified
          ? 'Verified: everything opens with ENCRYPTION_KEY alone. ENCRYPTION_KEY_PREVIOUS can be removed.'
          : 'NOT verified: some values do not open with the new key alone. Keep ENCRYPTION_KEY_PREVIOUS, fix the rows above, run again.',
      );
      return report.verified ? 0 : 1;
    } finally {
      await db.$disconnect();
    }
  },
};
