// Where backups are kept: a local directory (local.ts) or an S3-compatible bucket (s3.ts). Keys are relative,
// '/'-separated paths: `<backup id>/manifest.json`, `<backup id>/postgres.dump.enc`, …
import { BackupAdapterError } from './backup-error.js';

export interface StoredObject {
  key: string;
  size: number;
  modified: Date;
}

export interface BackupStore {
  /** For messages: "directory /srv/backups", "s3://bucket/prefix at https://…" (never a credential). */
  readonly description: string;
  /** Stores a file under `key` (replacing what was there; readers never see half of it). */
  putFile(key: string, file: string): Promise<void>;
  putData(key: string, data: Buffer): Promise<void>;
  /** Writes the object to `file`; BACKUP_OBJECT_NOT_FOUND when there is none. */
  getFile(key: string, file: string): Promise<void>;
  getData(key: string): Promise<Buffer>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix?: string): Promise<StoredObject[]>;
  /** Removes the object (no error when it is already gone). */
  delete(key: string): Promise<void>;
}

/** Refuses keys that are not plain relative paths (a key is joined to a directory or a bucket prefix). */
export function checkKey(key: string): string {
  const parts = key.split('/');
  if (!key || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || key.includes('\\')) {
    throw new BackupAdapterError('BACKUP_BAD_FORMAT', `Not a valid backup object key: ${JSON.stringify(key)}`);
  }
  return key;
}
