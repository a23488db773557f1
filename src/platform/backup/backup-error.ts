// Errors of the backup adapters (tools, archives, encryption, targets). Each carries a stable code; the operations
// service passes them on (src/domain/operations/backup-errors.ts) and the CLI prints `error [CODE]: message`.
// Messages never contain a password, a key or a secret: URLs are redacted and tool output is scrubbed.

export type BackupAdapterErrorCode =
  /** pg_dump, pg_restore or redis-cli is not installed (or not where BACKUP_PG_BIN_DIR says). */
  | 'BACKUP_TOOL_MISSING'
  /** A tool ran and failed; the message summarises its stderr. */
  | 'BACKUP_TOOL_FAILED'
  /** The target (S3 endpoint, directory) or a service (Weaviate) cannot be reached. */
  | 'BACKUP_TARGET_UNAVAILABLE'
  /** The target answered, but refused (credentials, signature, bucket, permissions). */
  | 'BACKUP_TARGET_REJECTED'
  /** No such object in the target. */
  | 'BACKUP_OBJECT_NOT_FOUND'
  /** The encrypted file was made with another key. */
  | 'BACKUP_WRONG_KEY'
  /** The encrypted file was changed after it was written (an authentication tag does not match). */
  | 'BACKUP_TAMPERED'
  /** The encrypted file ends before its last frame. */
  | 'BACKUP_TRUNCATED'
  /** A file is not in the format it claims (snapshot, archive, encryption header). */
  | 'BACKUP_BAD_FORMAT'
  /** The vector store kept changing under the snapshot (files vanished) through every attempt. */
  | 'BACKUP_UNSTABLE_SOURCE'
  /** Weaviate's backup module reported a failure. */
  | 'BACKUP_REMOTE_FAILED'
  /** Redis refused a command of the snapshot or the restore. */
  | 'BACKUP_REDIS_FAILED'
  /** PostgreSQL refused a query of the backup or restore (integrity figures, database swap). */
  | 'BACKUP_DATABASE_FAILED';

export class BackupAdapterError extends Error {
  override name = 'BackupAdapterError';
  constructor(
    readonly code: BackupAdapterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The Node error code (ENOENT, ECONNREFUSED, …) of an error or its cause. */
export function systemCodeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
    e = typeof e === 'object' && e !== null && 'cause' in e ? e.cause : undefined;
  }
  return undefined;
}
