// Step-up: a fresh proof of presence (TOTP now; WebAuthn assertions too) that opens sensitive operations — role
// changes, transaction approval, agent deactivation, key rotation — for a short window.

import { ValidationError } from '../shared/errors.js';
import type { AuthService } from './auth.service.js';
import { AuthError } from './auth-errors.js';
import type { Principal } from './principal.js';
import type { TotpService } from './totp.service.js';

export interface StepUpDeps {
  auth: Pick<AuthService, 'markStepUp'>;
  totp: Pick<TotpService, 'verifyCode'>;
  windowSeconds: number;
  now?: () => Date;
}

export function requireUserSession(principal: Principal | null): { userId: string; sessionId: string } {
  if (principal?.kind !== 'user' || !principal.session) {
    throw new AuthError('FORBIDDEN', 'Only a signed-in user (not an API key) can do this.');
  }
  return { userId: principal.id, sessionId: principal.session.id };
}

export function createStepUpService({ auth, totp, windowSeconds, now = () => new Date() }: StepUpDeps) {
  async function opened(sessionId: string, method: 'otp' | 'hwk') {
    await auth.markStepUp(sessionId, method);
    const stepUpAt = now();
    return { stepUpAt, validUntil: new Date(stepUpAt.getTime() + windowSeconds * 1000) };
  }
  return {
    opened,
    async withTotp(principal: Principal | null, code: string) {
      const { userId, sessionId } = requireUserSession(principal);
      if (!(await totp.verifyCode(userId, code))) {
        throw new ValidationError('The code is not valid.', [
          { path: ['code'], message: 'invalid or already used code' },
        ]);
      }
      return opened(sessionId, 'otp');
    },
  };
}

export type StepUpService = ReturnType<typeof createStepUpService>;
