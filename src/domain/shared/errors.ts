// Errors the core raises. Each carries a stable code that the API faces turn into `extensions.code`
// (GraphQL) or a status (HTTP). The core never imports GraphQL.

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'ACCOUNT_LOCKED'
  | 'MFA_REQUIRED'
  | 'STEP_UP_REQUIRED'
  | 'RATE_LIMITED'
  | 'SPEND_POLICY_VIOLATION'
  | 'INSUFFICIENT_FUNDS'
  | 'CHAIN_UNAVAILABLE'
  | 'WALLET_KEY_UNAVAILABLE';

export interface FieldIssue {
  /** Path of the offending input field, e.g. ['input', 'voiceTone', 'formality']. */
  path: (string | number)[];
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  /** What a client needs besides the code and message (the faces put it in `extensions`). */
  readonly details?: Record<string, unknown>;
}

/** The input is malformed or out of range. `issues` names every offending field. */
export class ValidationError extends DomainError {
  readonly code = 'BAD_USER_INPUT' as const;
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} does not exist.`);
  }
}

/** The input is valid, but the entity's current state does not allow the operation. */
export class ConflictError extends DomainError {
  readonly code = 'CONFLICT' as const;
  /** `detail` continues a sentence that starts with the entity and its id: "is complete; it cannot …". */
  constructor(
    readonly entity: string,
    readonly id: string,
    readonly detail: string,
  ) {
    super(`${entity} ${id} ${detail}`);
  }
}

/** A quota is used up for now: try again after `retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED' as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    /** Which limit, e.g. tasksPerAgentPerHour. */
    readonly limit: string,
  ) {
    super(message);
  }
}

/** One rule of a spend policy that a transfer breaks. */
export interface PolicyViolation {
  rule: 'per_transaction_cap' | 'daily_cap' | 'recipient_allowlist' | 'currency_allowlist' | 'balance';
  message: string;
  /** The limit in force and what the transfer would make of it, where the rule has numbers. */
  limit?: string;
  actual?: string;
}

/** A transfer the spend policy refuses: nothing is written but the refusal's audit row. */
export class PolicyViolationError extends DomainError {
  readonly code = 'SPEND_POLICY_VIOLATION' as const;
  override readonly details: { violations: PolicyViolation[] };
  constructor(readonly violations: PolicyViolation[]) {
    super(`The transfer breaks the spend policy: ${violations.map((v) => v.message).join(' ')}`);
    this.details = { violations };
  }
}

/** The chain (or the key service) is needed for this and cannot be reached, or cannot pay. */
export class WalletError extends DomainError {
  constructor(
    readonly code: 'INSUFFICIENT_FUNDS' | 'CHAIN_UNAVAILABLE' | 'WALLET_KEY_UNAVAILABLE',
    message: string,
  ) {
    super(message);
  }
}
