// What the backup service needs, passed in by the face that runs it (src/cli/backup-deps.ts wires the adapters of
// src/platform/backup/). The service knows the order and the rules; the ports know the tools.
import type { Readable, Transform } from 'node:stream';
import type { MigrationRecord, PostgresFigures, TableFigures } from '../../platform/backup/pg-dump.js';
import type { BackupStore } from '../../platform/backup/target.js';
import type { WeaviateBackupRef } from '../../platform/backup/weaviate-backup.js';

export type { BackupStore, MigrationRecord, PostgresFigures, TableFigures, WeaviateBackupRef };

/** Takes a stream of a part's bytes and stores it; may be called again (a retried snapshot starts over). */
export type Sink = (data: Readable) => Promise<void>;

export interface PostgresPort {
  readonly database: string;
  dump(sink: Sink): Promise<PostgresFigures & { database: string; serverVersion: string }>;
  restore(source: Readable): Promise<void>;
  reindex(): Promise<void>;
  figures(): Promise<PostgresFigures>;
  migrations(): Promise<MigrationRecord[]>;
}

export interface RedisPort {
  readonly keyPrefix: string;
  snapshot(sink: Sink): Promise<{ keys: number }>;
  restore(source: Readable): Promise<{ restored: number; removed: number }>;
  count(): Promise<number>;
  /** The whole server's RDB file (`--rdb`), when supported. */
  rdb?(sink: Sink): Promise<void>;
}

export interface LanceVectorPort {
  readonly kind: 'lancedb';
  snapshot(sink: Sink): Promise<void>;
  /** Unpacks an archive in a scratch directory under `scratchParent` and counts its collections. */
  inspect(source: Readable, scratchParent: string): Promise<Record<string, number>>;
  restore(source: Readable): Promise<{ files: number }>;
  counts(): Promise<Record<string, number>>;
  optimize(): Promise<string[]>;
}

export interface WeaviateVectorPort {
  readonly kind: 'weaviate';
  create(backupId: string): Promise<WeaviateBackupRef>;
  restore(ref: WeaviateBackupRef): Promise<void>;
  counts(): Promise<Record<string, number>>;
}

export type VectorPort = LanceVectorPort | WeaviateVectorPort;

export interface CipherPort {
  readonly keyId: string;
  encrypt(context: string): Transform;
  decrypt(context: string): Transform;
  mac(text: string): string;
}

export interface BackupDeps {
  store: BackupStore;
  /** A local directory for files in flight (backups being made, parts being checked before a restore). */
  stagingDir: string;
  postgres: PostgresPort;
  redis: RedisPort;
  vectors: VectorPort;
  /** Present when BACKUP_ENCRYPTION_KEY is set. */
  cipher?: CipherPort | undefined;
  /** The running Chimera's version (recorded in manifests). */
  version: string;
  keep: { postgres: string; redis: string; vectors: string };
  now?: () => Date;
}

/** Progress: a step ("postgres", "upload", …) and how far it is (total undefined when unknown). */
export type OnProgress = (step: string, done: number, total?: number) => void;
