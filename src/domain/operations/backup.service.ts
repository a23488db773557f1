// Backups and restores of Chimera's three stores (the spec's "Backup & Restore Strategy"): PostgreSQL (pg_dump, with
// integrity figures of the same snapshot), Redis (Chimera's keys, DUMP + PTTL; optionally the server's RDB file) and
// the vector store (a LanceDB snapshot archive, or Weaviate's backup module). Each part is staged locally (encrypted
// on the way when a key is configured), uploaded to the target, and described by a manifest written last. Restores
// follow the spec's order (backup-restore.ts); pruning keeps each kind for its period, and always the newest one.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Digest } from '../../platform/backup/tools.js';
import { asOperationsError, OperationsError } from './backup-errors.js';
import {
  BACKUP_ID,
  fileOf,
  MANIFEST_FORMAT,
  type Manifest,
  manifestKey,
  newBackupId,
  PART_KINDS,
  type PartFile,
  type PartKind,
  type PartName,
  parseManifest,
  signedText,
} from './backup-manifest.js';
import { openPart, partContext } from './backup-parts.js';
import type { BackupDeps, OnProgress, Sink } from './backup-ports.js';
import { executeRestore, planRestore, type RestorePlan, type RestoreReport } from './backup-restore.js';
import { planPrune } from './backup-retention.js';

export interface BackupOptions {
  /** The kinds to back up (default all three). */
  only?: readonly PartKind[];
  /** Also copy the whole Redis server's RDB file (disaster recovery of the server; restored by hand). */
  rdb?: boolean;
  onProgress?: OnProgress;
}

export interface BackupListing {
  /** Newest first. */
  backups: Manifest[];
  /** Manifests that could not be read. */
  problems: { id: string; error: string }[];
}

export interface PruneReport {
  removedParts: { id: string; part: PartName }[];
  removedBackups: string[];
  /** Files of backups that never got a manifest (crashed runs), older than a day. */
  removedOrphans: string[];
  dryRun: boolean;
}

/** The file of each part in a backup (`.enc` added when encrypted). */
const FILE_NAMES: Record<PartName, string> = {
  postgres: 'postgres.dump',
  redis: 'redis.snapshot',
  redis_rdb: 'redis.rdb',
  vectors: 'vectors.tar',
};
const ORPHAN_AGE_MS = 86_400_000;

export function createBackupService(deps: BackupDeps) {
  const now = () => deps.now?.() ?? new Date();

  /** Runs `produce` with a sink writing the part (encrypted when a key is set) to the staging directory. */
  async function writePart<T>(
    staging: string,
    id: string,
    part: PartName,
    produce: (sink: Sink) => Promise<T>,
  ): Promise<{ file: PartFile; path: string; result: T }> {
    const name = `${FILE_NAMES[part]}${deps.cipher ? '.enc' : ''}`;
    const path = join(staging, name);
    let file: PartFile | undefined;
    const sink: Sink = async (data) => {
      const plain = new Digest();
      const stored = new Digest();
      const steps = deps.cipher ? [plain, deps.cipher.encrypt(partContext(id, part)), stored] : [plain, stored];
      await pipeline([data, ...steps, createWriteStream(path)]);
      file = { file: name, bytes: stored.bytes, sha256: stored.sha256(), plain_bytes: plain.bytes };
    };
    const result = await produce(sink);
    if (!file) throw new OperationsError('BACKUP_TOOL_FAILED', `The ${part} backup wrote nothing.`);
    return { file, path, result };
  }

  async function list(): Promise<BackupListing> {
    const objects = await deps.store.list().catch((err: unknown) => {
      throw asOperationsError(err, 'BACKUP_TARGET_UNAVAILABLE', `Listing ${deps.store.description}`);
    });
    const ids = objects
      .map((o) => /^([^/]+)\/manifest\.json$/.exec(o.key)?.[1])
      .filter((id): id is string => id !== undefined && BACKUP_ID.test(id));
    const backups: Manifest[] = [];
    const problems: BackupListing['problems'] = [];
    for (const id of ids) {
      try {
        backups.push(parseManifest(await deps.store.getData(manifestKey(id)), id));
      } catch (err) {
        problems.push({ id, error: asOperationsError(err, 'BACKUP_BAD_MANIFEST', `Reading backup ${id}`).message });
      }
    }
    backups.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
    return { backups, problems };
  }

  async function backup(opts: BackupOptions = {}): Promise<Manifest> {
    const only = PART_KINDS.filter((k) => (opts.only ?? PART_KINDS).includes(k));
    const progress = opts.onProgress ?? (() => undefined);
    const started = now();
    const id = newBackupId(started);
    const staging = join(deps.stagingDir, id);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id,
      created_at: started.toISOString(),
      chimera_version: deps.version,
      migrations: [],
      encryption: deps.cipher ? { algorithm: 'AES-256-GCM-STREAM', key_id: deps.cipher.keyId } : null,
      parts: {},
      integrity: {},
    };
    const files: { key: string; path: string }[] = [];
    const uploaded: string[] = [];
    await mkdir(staging, { recursive: true });
    try {
      if (only.includes('postgres')) {
        progress('postgres', 0, 1);
        const { file, path, result } = await writePart(staging, id, 'postgres', (sink) => deps.postgres.dump(sink));
        manifest.parts.postgres = { ...file, database: result.database, server_version: result.serverVersion };
        manifest.integrity.postgres = { tables: result.tables };
        manifest.migrations = result.migrations;
        files.push({ key: `${id}/${file.file}`, path });
        progress('postgres', 1, 1);
      } else {
        manifest.migrations = await deps.postgres.migrations();
      }
      if (only.includes('redis')) {
        progress('redis', 0);
        const { file, path, result } = await writePart(staging, id, 'redis', (sink) => deps.redis.snapshot(sink));
        manifest.parts.redis = { ...file, key_prefix: deps.redis.keyPrefix, keys: result.keys };
        manifest.integrity.redis = { keys: result.keys };
        files.push({ key: `${id}/${file.file}`, path });
        progress('redis', result.keys, result.keys);
      }
      if (opts.rdb) {
        const rdb = deps.redis.rdb?.bind(deps.redis);
        if (!rdb) throw new OperationsError('BACKUP_TOOL_MISSING', 'This Redis adapter cannot copy the RDB file.');
        progress('redis_rdb', 0, 1);
        const { file, path } = await writePart(staging, id, 'redis_rdb', rdb);
        manifest.parts.redis_rdb = file;
        files.push({ key: `${id}/${file.file}`, path });
        progress('redis_rdb', 1, 1);
      }
      if (only.includes('vectors')) {
        progress('vectors', 0, 1);
        const vectors = deps.vectors;
        if (vectors.kind === 'lancedb') {
          const { file, path } = await writePart(staging, id, 'vectors', (sink) => vectors.snapshot(sink));
          // The copy is opened and counted: a snapshot that does not open fails the backup now, not the restore.
          const source = openPart(path, deps, partContext(id, 'vectors'), deps.cipher !== undefined);
          const collections = await vectors.inspect(source, staging);
          manifest.parts.vectors = { ...file, store: 'lancedb' };
          manifest.integrity.vectors = { collections, exact: true };
          files.push({ key: `${id}/${file.file}`, path });
        } else {
          const ref = await vectors.create(id);
          manifest.parts.vectors = {
            store: 'weaviate',
            backend: ref.backend,
            backup_id: ref.backupId,
            classes: ref.classes,
          };
          if (ref.path) manifest.parts.vectors.path = ref.path;
          manifest.integrity.vectors = { collections: await vectors.counts(), exact: false };
        }
        progress('vectors', 1, 1);
      }
      for (const [i, f] of files.entries()) {
        progress('upload', i, files.length + 1);
        await deps.store.putFile(f.key, f.path);
        uploaded.push(f.key);
      }
      if (deps.cipher) manifest.mac = deps.cipher.mac(signedText(manifest));
      await deps.store.putData(manifestKey(id), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
      progress('upload', files.length + 1, files.length + 1);
      return manifest;
    } catch (err) {
      for (const key of uploaded) await deps.store.delete(key).catch(() => undefined);
      throw asOperationsError(err, 'BACKUP_TOOL_FAILED', `Backup ${id}`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async function prune(opts: { dryRun?: boolean } = {}): Promise<PruneReport> {
    const at = now();
    const { backups } = await list();
    const plan = planPrune(backups, deps.keep, at);
    const report: PruneReport = {
      removedParts: plan.parts,
      removedBackups: plan.backups,
      removedOrphans: [],
      dryRun: !!opts.dryRun,
    };
    const objects = await deps.store.list();
    const withManifest = new Set(backups.map((b) => b.id));
    const orphans = objects.filter((o) => {
      const id = o.key.split('/')[0] ?? '';
      return (
        BACKUP_ID.test(id) &&
        !withManifest.has(id) &&
        !o.key.endsWith('/manifest.json') &&
        at.getTime() - o.modified.getTime() > ORPHAN_AGE_MS
      );
    });
    report.removedOrphans = orphans.map((o) => o.key);
    if (opts.dryRun) return report;
    const byId = new Map(backups.map((b) => [b.id, b]));
    for (const { id, part } of plan.parts) {
      const m = byId.get(id) as Manifest;
      const file = fileOf(m, part);
      if (file) await deps.store.delete(`${id}/${file.file}`);
      m.pruned = [...(m.pruned ?? []), { part, at: at.toISOString() }];
    }
    for (const id of new Set(plan.parts.map((p) => p.id))) {
      if (plan.backups.includes(id)) continue;
      await deps.store.putData(manifestKey(id), Buffer.from(`${JSON.stringify(byId.get(id), null, 2)}\n`));
    }
    for (const id of plan.backups) {
      const keys = objects.filter((o) => o.key.startsWith(`${id}/`)).map((o) => o.key);
      for (const key of keys.filter((k) => k !== manifestKey(id))) await deps.store.delete(key);
      await deps.store.delete(manifestKey(id));
    }
    for (const o of orphans) await deps.store.delete(o.key);
    return report;
  }

  return {
    backup,
    list,
    prune,
    /** Which backup each part comes from: `latest` takes each kind from the newest backup holding it. */
    async planRestore(target: string, only?: readonly PartKind[]): Promise<RestorePlan> {
      return planRestore(deps, (await list()).backups, target, only);
    },
    /** Restores the plan in the spec's order, rebuilds indexes and validates against the manifests. */
    async restore(plan: RestorePlan, opts: { onProgress?: OnProgress } = {}): Promise<RestoreReport> {
      const scratch = join(deps.stagingDir, `restore-${randomBytes(4).toString('hex')}`);
      await mkdir(scratch, { recursive: true });
      try {
        return await executeRestore(deps, plan, scratch, opts.onProgress ?? (() => undefined));
      } catch (err) {
        throw asOperationsError(err, 'BACKUP_TOOL_FAILED', 'Restore');
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
  };
}

export type BackupService = ReturnType<typeof createBackupService>;
