// Step-up: a fresh proof of presence (TOTP now; WebAuthn assertions too) that opens sensitive operations — role
// changes, transaction approval, agent deactivation, key rotation — for a short window.

import type { Database } from '../../platform/db/prisma.js';
import { type RequestMeta, recordSecurityEvent } from '../security/security-audit.js';
import { ValidationError } from '../shared/errors.js';
import type { AuthService } from './auth.service.js';
import { AuthError } from './auth-errors.js';
import type { Principal } from './principal.js';
import type { TotpService } from './totp.service.js';
import type { WebAuthnService } from './webauthn.service.js';

export interface StepUpDeps {
  auth: Pick<AuthService, 'markStepUp'>;
  totp: Pick<TotpService, 'verifyCode'>;
  webauthn: Pick<WebAuthnService, 'verifyAuthentication'>;
  /** Every step-up attempt is a security_audit_logs row. */
  db: Pick<Database, 'securityAuditLog'>;
  windowSeconds: number;
  now?: () => Date;
}

export function requireUserSession(principal: Principal | null): { userId: string; sessionId: string } {
  if (principal?.kind !== 'user' || !principal.session) {
    throw new AuthError('FORBIDDEN', 'Only a signed-in user (not an API key) can do this.');
  }
  return { userId: principal.id, sessionId: principal.session.id };
}

export function createStepUpService({ auth, totp, webauthn, db, windowSeconds, now = () => new Date() }: StepUpDeps) {
  async function opened(sessionId: string, method: 'otp' | 'hwk') {
    await auth.markStepUp(sessionId, method);
    const stepUpAt = now();
    return { stepUpAt, validUntil: new Date(stepUpAt.getTime() + windowSeconds * 1000) };
  }
  return {
    opened,
    async withTotp(principal: Principal | null, code: string, meta: RequestMeta = {}) {
      const { userId, sessionId } = requireUserSession(principal);
      const valid = await totp.verifyCode(userId, code);
      await recordSecurityEvent(db, {
        action: 'auth.step_up',
        success: valid,
        riskScore: valid ? 2 : 4,
        userId,
        metadata: { method: 'otp', sessionId },
        meta,
      });
      if (!valid) {
        throw new ValidationError('The code is not valid.', [
          { path: ['code'], message: 'invalid or already used code' },
        ]);
      }
      return opened(sessionId, 'otp');
    },
    /** Answers beginWebAuthnStepUp's challenge with an assertion; each attempt is a row in security_audit_logs. */
    async withWebAuthn(principal: Principal | null, response: unknown, meta: RequestMeta = {}) {
      const { userId, sessionId } = requireUserSession(principal);
      let credentialId: string;
      try {
        ({ credentialId } = await webauthn.verifyAuthentication(userId, response));
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        await recordSecurityEvent(db, {
          action: 'auth.step_up',
          success: false,
          // A signature counter that went backwards points at a cloned authenticator.
          riskScore: err instanceof AuthError ? 8 : 4,
          userId,
          errorMessage: err instanceof Error ? err.message : 'refused',
          metadata: { method: 'hwk', sessionId, code: typeof code === 'string' ? code : null },
          meta,
        });
        throw err;
      }
      const result = await opened(sessionId, 'hwk');
      await recordSecurityEvent(db, {
        action: 'auth.step_up',
        success: true,
        riskScore: 2,
        userId,
        metadata: { method: 'hwk', sessionId, credentialId },
        meta,
      });
      return result;
    },
  };
}

export type StepUpService = ReturnType<typeof createStepUpService>;
