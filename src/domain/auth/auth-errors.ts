// Authentication and authorization failures, each with the code the API faces report.
import { DomainError } from '../shared/errors.js';

export type AuthErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'ACCOUNT_LOCKED' | 'MFA_REQUIRED' | 'STEP_UP_REQUIRED';

export class AuthError extends DomainError {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    override readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
