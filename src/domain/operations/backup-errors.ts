// Errors of backups and restores, each with a stable code the CLI prints (`error [CODE]: message`). The adapters'
// codes (src/platform/backup/backup-error.ts) pass through unchanged; these add the rules' own.
import { BackupAdapterError, type BackupAdapterErrorCode } from '../../platform/backup/backup-error.js';

export type OperationsErrorCode =
  | BackupAdapterErrorCode
  /** No backup with that id, or none at all, or none holding the part asked for. */
  | 'BACKUP_NOT_FOUND'
  /** A backup id that is not of the form 20260314T093012Z-a1b2c3. */
  | 'BACKUP_BAD_ID'
  /** The backup lacks a part that was asked for (`--only`), or it was pruned. */
  | 'BACKUP_PART_MISSING'
  /** A manifest that cannot be read, or whose signature does not match (it was altered). */
  | 'BACKUP_BAD_MANIFEST'
  /** A stored file's size or SHA-256 differs from its manifest's. */
  | 'BACKUP_CORRUPT'
  /** The backup is encrypted and no BACKUP_ENCRYPTION_KEY is configured. */
  | 'BACKUP_KEY_REQUIRED'
  /** `--only` named something that is not postgres, redis or vectors. */
  | 'BACKUP_BAD_SELECTION'
  /** The backup's vector part is for another kind of store than the one configured. */
  | 'BACKUP_STORE_MISMATCH';

export class OperationsError extends Error {
  override name = 'OperationsError';
  constructor(
    readonly code: OperationsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Any failure as an OperationsError: adapter errors keep their code, others become `fallback`. */
export function asOperationsError(err: unknown, fallback: OperationsErrorCode, context: string): OperationsError {
  if (err instanceof OperationsError) return err;
  if (err instanceof BackupAdapterError) return new OperationsError(err.code, err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new OperationsError(fallback, `${context}: ${message}`, { cause: err });
}
