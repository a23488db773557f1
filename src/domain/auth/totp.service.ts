// TOTP enrolment and verification, and single-use recovery codes (which replace the spec's SMS backup: no SMS
// gateway exists here). Secrets are sealed at rest; a code is accepted once (replays within its window are refused).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import { newTotpSecret, otpauthUri, verifyTotp } from '../../platform/crypto/totp.js';
import type { Database } from '../../platform/db/prisma.js';
import { ConflictError, ValidationError } from '../shared/errors.js';
import { sha256 } from './auth.service.js';

const RECOVERY_CODES = 10;

export interface TotpDeps {
  db: Database;
  redis: Redis;
  box: SecretBox;
  issuerName: string;
  now?: () => Date;
}

const normalizeRecovery = (code: string) => code.replace(/[\s-]/g, '').toLowerCase();

export function createTotpService({ db, redis, box, issuerName, now = () => new Date() }: TotpDeps) {
  /** True once per (user, step): the second use of the same code is a replay. */
  async function firstUse(userId: string, step: number): Promise<boolean> {
    const set = await redis.set(`totp:used:${userId}:${step}`, '1', 'EX', 120, 'NX');
    return set === 'OK';
  }

  async function checkCode(userId: string, sealed: string | null, code: string): Promise<boolean> {
    if (!sealed) return false;
    const step = verifyTotp(box.decrypt(sealed), code.trim(), now());
    return step !== null && (await firstUse(userId, step));
  }

  return {
    /** Starts (or restarts) enrolment: a new secret, pending until confirmed with a first code. */
    async beginEnrolment(userId: string) {
      const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
      if (user.mfaEnabledAt) throw new ConflictError('User', userId, 'already has an authenticator app enrolled.');
      const secret = newTotpSecret();
      await db.user.update({ where: { id: userId }, data: { totpSecretEncrypted: box.encrypt(secret) } });
      return { secret, otpauthUri: otpauthUri(secret, user.email, issuerName) };
    },

    /** Confirms enrolment with a first valid code; returns fresh recovery codes (shown once). */
    async confirmEnrolment(userId: string, code: string): Promise<string[]> {
      const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
      if (user.mfaEnabledAt) throw new ConflictError('User', userId, 'already has an authenticator app enrolled.');
      if (!user.totpSecretEncrypted) throw new ConflictError('User', userId, 'has not started enrolment.');
      if (!(await checkCode(userId, user.totpSecretEncrypted, code))) {
        throw new ValidationError('The code is not valid; check the time on your device and try the next code.', [
          { path: ['code'], message: 'invalid code' },
        ]);
      }
      const codes = Array.from({ length: RECOVERY_CODES }, () => randomBytes(5).toString('hex'));
      await db.$transaction([
        db.user.update({ where: { id: userId }, data: { mfaEnabledAt: now() } }),
        db.recoveryCode.deleteMany({ where: { userId } }),
        db.recoveryCode.createMany({ data: codes.map((c) => ({ userId, codeHash: sha256(c) })) }),
      ]);
      return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
    },

    /** Verifies a TOTP code for a user with TOTP enabled. */
    async verifyCode(userId: string, code: string): Promise<boolean> {
      const user = await db.user.findUnique({ where: { id: userId } });
      return user?.mfaEnabledAt != null && checkCode(userId, user.totpSecretEncrypted, code);
    },

    /** Spends a recovery code: true exactly once per code. */
    async useRecoveryCode(userId: string, code: string): Promise<boolean> {
      const used = await db.recoveryCode.updateMany({
        where: { userId, codeHash: sha256(normalizeRecovery(code)), usedAt: null },
        data: { usedAt: now() },
      });
      return used.count === 1;
    },

    /** For login: TOTP first, then a recovery code. */
    async verifySecondFactor(userId: string, input: { totp?: string | null; recoveryCode?: string | null }) {
      if (input.totp && (await this.verifyCode(userId, input.totp))) return 'otp' as const;
      if (input.recoveryCode && (await this.useRecoveryCode(userId, input.recoveryCode))) return 'rec' as const;
      return null;
    },
  };
}

export type TotpService = ReturnType<typeof createTotpService>;
