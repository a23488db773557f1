// Wires the backup service's ports to the adapters the configuration asks for (used by `chimera backup` and
// `chimera restore`).
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { BackupDeps } from '../domain/operations/backup-ports.js';
import { createBackupCipher } from '../platform/backup/encryption.js';
import { createLocalStore, STAGING_DIR } from '../platform/backup/local.js';
import { createPostgresBackup } from '../platform/backup/pg-dump.js';
import { createRedisSnapshots, redisRdb } from '../platform/backup/redis-snapshot.js';
import { createS3Store } from '../platform/backup/s3.js';
import type { BackupStore } from '../platform/backup/target.js';
import { createLanceSnapshots } from '../platform/backup/vector-snapshot.js';
import { createWeaviateBackups } from '../platform/backup/weaviate-backup.js';

export function backupStoreOf(config: Config): BackupStore {
  const target = config.backup.target;
  return target.kind === 's3' ? createS3Store(target) : createLocalStore(config.backup.dir);
}

export function backupDepsOf(config: Config, progress?: (step: string, done: number) => void): BackupDeps {
  const store = config.memory.vectorStore;
  const redis = createRedisSnapshots({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    onKeys: (n) => progress?.('redis keys', n),
  });
  return {
    store: backupStoreOf(config),
    stagingDir: join(config.backup.dir, STAGING_DIR),
    postgres: createPostgresBackup({ databaseUrl: config.databaseUrl, binDir: config.backup.pgBinDir }),
    redis: { ...redis, rdb: (sink) => redisRdb(config.redisUrl, sink) },
    vectors:
      store.kind === 'weaviate'
        ? createWeaviateBackups({
            url: store.weaviateUrl ?? '',
            apiKey: store.weaviateApiKey,
            backend: config.backup.weaviateBackend,
          })
        : createLanceSnapshots({ dir: store.dir }),
    cipher: config.backup.encryptionKey ? createBackupCipher(config.backup.encryptionKey) : undefined,
    version: config.version,
    keep: config.backup.keep,
  };
}

/** 1234567 → "1.2 MB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
