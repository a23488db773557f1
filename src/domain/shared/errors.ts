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
  | 'RATE_LIMITED';

export interface FieldIssue {
  /** Path of the offending input field, e.g. ['input', 'voiceTone', 'formality']. */
  path: (string | number)[];
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
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
