// The one error type the migrator throws on purpose. Its message is written for the person running the command:
// what is wrong, and exactly what to do about it. Anything else thrown is an unexpected bug or a connection error.

export type MigrationErrorCode =
  /** An applied migration's migration.sql no longer matches the checksum recorded when it was applied. */
  | 'CHECKSUM_MISMATCH'
  /** A migration failed earlier and was not rolled back by the database: nothing more is applied until resolved. */
  | 'FAILED_MIGRATION'
  /** A migration failed during this run. */
  | 'MIGRATION_FAILED'
  /** A migration file is unusable as written (e.g. CONCURRENTLY mixed with other statements). */
  | 'INVALID_MIGRATION'
  /** The migrations directory is missing or holds no migration. */
  | 'NO_MIGRATIONS'
  /** A name given by the caller (target, resolve) is not a known migration. */
  | 'UNKNOWN_MIGRATION'
  /** `resolve --rolled-back` was asked for a migration that is not in the failed state. */
  | 'NOT_FAILED'
  /** The target database does not exist (and createDatabase was not requested). */
  | 'DATABASE_MISSING'
  /** Another migrator held the migration lock for longer than the lock timeout. */
  | 'LOCK_TIMEOUT';

export class MigrationError extends Error {
  override name = 'MigrationError';
  readonly code: MigrationErrorCode;
  /** The migration concerned, when there is one. */
  readonly migration: string | undefined;

  constructor(code: MigrationErrorCode, message: string, options: { migration?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.migration = options.migration;
  }
}

export function isMigrationError(error: unknown, code?: MigrationErrorCode): error is MigrationError {
  return error instanceof MigrationError && (code === undefined || error.code === code);
}
