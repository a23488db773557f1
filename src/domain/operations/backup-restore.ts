// Restores, in the spec's order: restore_postgresql → restore_redis → restore_vectors → rebuild_indexes →
// validate_data_integrity. Nothing is destroyed before every part has been fetched and checked (size, SHA-256, the
// manifest's signature, and for encrypted parts a full authenticated decryption): a tampered, truncated or wrongly
// keyed backup is refused with the stores untouched.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OperationsError } from './backup-errors.js';
import {
  BACKUP_ID,
  fileOf,
  liveParts,
  type Manifest,
  PART_KINDS,
  type PartKind,
  signedText,
} from './backup-manifest.js';
import { openPart, partContext } from './backup-parts.js';
import type { BackupDeps, OnProgress } from './backup-ports.js';

export interface RestoreItem {
  part: PartKind;
  manifest: Manifest;
}

export interface RestorePlan {
  items: RestoreItem[];
}

export interface Mismatch {
  part: PartKind;
  /** The table, collection or figure ("keys", "migrations"). */
  item: string;
  expected: string;
  actual: string;
}

export interface RestoreReport {
  restored: { part: PartKind; backupId: string }[];
  steps: { step: string; detail: string }[];
  /** Figures that differ from the manifest's: the restore did not reproduce the backup. */
  mismatches: Mismatch[];
  warnings: string[];
  ok: boolean;
}

const describe = (m: Manifest) => `backup ${m.id} (${m.created_at})`;

export function planRestore(
  deps: Pick<BackupDeps, 'vectors' | 'store'>,
  backups: readonly Manifest[],
  target: string,
  only?: readonly PartKind[],
): RestorePlan {
  const kinds = only ? PART_KINDS.filter((k) => only.includes(k)) : [...PART_KINDS];
  const items: RestoreItem[] = [];
  if (target === 'latest') {
    for (const part of kinds) {
      const manifest = backups.find((m) => liveParts(m).includes(part));
      if (manifest) items.push({ part, manifest });
      else if (only) {
        throw new OperationsError('BACKUP_NOT_FOUND', `No backup in ${deps.store.description} holds a ${part} part.`);
      }
    }
    if (items.length === 0)
      throw new OperationsError('BACKUP_NOT_FOUND', `There are no backups in ${deps.store.description}.`);
  } else {
    if (!BACKUP_ID.test(target)) {
      throw new OperationsError(
        'BACKUP_BAD_ID',
        `${JSON.stringify(target)} is not a backup id (like 20260314T093012Z-a1b2c3) or "latest".`,
      );
    }
    const manifest = backups.find((m) => m.id === target);
    if (!manifest)
      throw new OperationsError('BACKUP_NOT_FOUND', `There is no backup ${target} in ${deps.store.description}.`);
    const live = liveParts(manifest);
    for (const part of kinds) {
      if (live.includes(part)) items.push({ part, manifest });
      else if (only) {
        throw new OperationsError(
          'BACKUP_PART_MISSING',
          `Backup ${target} holds no ${part} part (it holds: ${live.join(', ') || 'nothing'}).`,
        );
      }
    }
    if (items.length === 0)
      throw new OperationsError('BACKUP_PART_MISSING', `Backup ${target} holds nothing to restore.`);
  }
  for (const { part, manifest } of items) {
    const vectors = manifest.parts.vectors;
    if (part === 'vectors' && vectors && vectors.store !== deps.vectors.kind) {
      throw new OperationsError(
        'BACKUP_STORE_MISMATCH',
        `${describe(manifest)} holds a ${vectors.store} vector store, but VECTOR_STORE is ${deps.vectors.kind}.`,
      );
    }
  }
  return { items };
}

/** The manifest's encryption and signature agree with the configured key. */
function checkManifest(deps: BackupDeps, m: Manifest): void {
  if (!m.encryption) return;
  if (!deps.cipher) {
    throw new OperationsError(
      'BACKUP_KEY_REQUIRED',
      `${describe(m)} is encrypted (key id ${m.encryption.key_id}): set BACKUP_ENCRYPTION_KEY.`,
    );
  }
  if (m.encryption.key_id !== deps.cipher.keyId) {
    throw new OperationsError(
      'BACKUP_WRONG_KEY',
      `${describe(m)} was encrypted with the key of id ${m.encryption.key_id}; BACKUP_ENCRYPTION_KEY has id ${deps.cipher.keyId}.`,
    );
  }
  if (!m.mac || m.mac !== deps.cipher.mac(signedText(m))) {
    throw new OperationsError(
      'BACKUP_BAD_MANIFEST',
      `The manifest of ${describe(m)} was altered (its signature does not match).`,
    );
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const discard = () => new Writable({ write: (_c, _e, done) => done() });

/** Downloads and checks every part; returns where each staged file is. */
async function fetchParts(deps: BackupDeps, plan: RestorePlan, scratch: string, progress: OnProgress) {
  const staged = new Map<PartKind, string>();
  for (const m of new Set(plan.items.map((i) => i.manifest))) checkManifest(deps, m);
  for (const [n, { part, manifest }] of plan.items.entries()) {
    progress('verify_backup', n, plan.items.length);
    const file = fileOf(manifest, part);
    if (!file) continue;
    const path = join(scratch, `${manifest.id}-${file.file}`);
    await deps.store.getFile(`${manifest.id}/${file.file}`, path);
    const size = (await stat(path)).size;
    const sha256 = await sha256Of(path);
    if (size !== file.bytes || sha256 !== file.sha256) {
      throw new OperationsError(
        'BACKUP_CORRUPT',
        `The ${part} file of ${describe(manifest)} is damaged: ${size} bytes with SHA-256 ${sha256.slice(0, 16)}…, ` +
          `the manifest says ${file.bytes} bytes with ${file.sha256.slice(0, 16)}….`,
      );
    }
    if (manifest.encryption) {
      await pipeline(openPart(path, deps, partContext(manifest.id, part), true), discard());
    }
    staged.set(part, path);
  }
  progress('verify_backup', plan.items.length, plan.items.length);
  return staged;
}

function compareCounts(part: PartKind, expected: Record<string, number>, actual: Record<string, number>): Mismatch[] {
  const out: Mismatch[] = [];
  for (const name of [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort()) {
    const e = expected[name] ?? 0;
    const a = actual[name] ?? 0;
    if (e !== a) out.push({ part, item: name, expected: `${e} rows`, actual: `${a} rows` });
  }
  return out;
}

export async function executeRestore(
  deps: BackupDeps,
  plan: RestorePlan,
  scratch: string,
  progress: OnProgress,
): Promise<RestoreReport> {
  const report: RestoreReport = { restored: [], steps: [], mismatches: [], warnings: [], ok: false };
  const step = (name: string, detail: string) => report.steps.push({ step: name, detail });
  const item = (part: PartKind) => plan.items.find((i) => i.part === part);
  const staged = await fetchParts(deps, plan, scratch, progress);
  step('verify_backup', `${plan.items.length} part(s) fetched and checked`);
  const source = (part: PartKind, m: Manifest) =>
    openPart(staged.get(part) as string, deps, partContext(m.id, part), m.encryption !== null);
  let redisRestored: number | undefined;

  const pg = item('postgres');
  if (pg) {
    progress('restore_postgresql', 0, 1);
    await deps.postgres.restore(source('postgres', pg.manifest));
    step('restore_postgresql', `${deps.postgres.database} replaced from ${pg.manifest.id}`);
    report.restored.push({ part: 'postgres', backupId: pg.manifest.id });
    progress('restore_postgresql', 1, 1);
  }
  const redis = item('redis');
  if (redis) {
    progress('restore_redis', 0, redis.manifest.parts.redis?.keys);
    const r = await deps.redis.restore(source('redis', redis.manifest));
    redisRestored = r.restored;
    step(
      'restore_redis',
      `${r.removed} key(s) removed, ${r.restored} restored under ${deps.redis.keyPrefix} from ${redis.manifest.id}`,
    );
    if (redis.manifest.parts.redis?.key_prefix !== deps.redis.keyPrefix) {
      report.warnings.push(
        `Redis keys were backed up under ${redis.manifest.parts.redis?.key_prefix} and restored under ${deps.redis.keyPrefix}.`,
      );
    }
    report.restored.push({ part: 'redis', backupId: redis.manifest.id });
    progress('restore_redis', r.restored, r.restored);
  }
  const vec = item('vectors');
  if (vec) {
    progress('restore_vectors', 0, 1);
    const part = vec.manifest.parts.vectors;
    if (deps.vectors.kind === 'lancedb') {
      const { files } = await deps.vectors.restore(source('vectors', vec.manifest));
      step('restore_vectors', `LanceDB store replaced (${files} files) from ${vec.manifest.id}`);
    } else if (part?.store === 'weaviate') {
      await deps.vectors.restore({
        backend: part.backend,
        backupId: part.backup_id,
        classes: part.classes,
        path: part.path,
      });
      step(
        'restore_vectors',
        `Weaviate classes ${part.classes.join(', ') || '(none)'} restored from ${part.backend}/${part.backup_id}`,
      );
    }
    report.restored.push({ part: 'vectors', backupId: vec.manifest.id });
    progress('restore_vectors', 1, 1);
  }

  progress('rebuild_indexes', 0, 1);
  const rebuilt: string[] = [];
  if (pg) {
    await deps.postgres.reindex();
    rebuilt.push(`REINDEX DATABASE ${deps.postgres.database}`);
  }
  if (vec && deps.vectors.kind === 'lancedb')
    rebuilt.push(...(await deps.vectors.optimize()).map((a) => `vectors: ${a}`));
  step('rebuild_indexes', rebuilt.join('; ') || 'nothing to rebuild');
  progress('rebuild_indexes', 1, 1);

  progress('validate_data_integrity', 0, 1);
  if (pg) {
    const figures = await deps.postgres.figures();
    const expected = pg.manifest.integrity.postgres?.tables ?? {};
    for (const table of [...new Set([...Object.keys(expected), ...Object.keys(figures.tables)])].sort()) {
      const e = expected[table];
      const a = figures.tables[table];
      if (!e || !a || e.rows !== a.rows || e.checksum !== a.checksum) {
        report.mismatches.push({
          part: 'postgres',
          item: table,
          expected: e ? `${e.rows} rows, checksum ${e.checksum}` : 'no such table',
          actual: a ? `${a.rows} rows, checksum ${a.checksum}` : 'no such table',
        });
      }
    }
    const names = (ms: { name: string; checksum: string }[]) =>
      ms.map((x) => `${x.name}:${x.checksum.slice(0, 12)}`).join(', ');
    if (names(pg.manifest.migrations) !== names(figures.migrations)) {
      report.mismatches.push({
        part: 'postgres',
        item: 'migrations',
        expected: names(pg.manifest.migrations),
        actual: names(figures.migrations),
      });
    }
  }
  if (redis && redisRestored !== undefined) {
    const expected = redis.manifest.integrity.redis?.keys ?? 0;
    if (expected !== redisRestored) {
      report.mismatches.push({
        part: 'redis',
        item: 'keys',
        expected: `${expected} keys`,
        actual: `${redisRestored} keys`,
      });
    }
  }
  if (vec) {
    const figures = vec.manifest.integrity.vectors;
    const found = compareCounts('vectors', figures?.collections ?? {}, await deps.vectors.counts());
    if (figures?.exact) report.mismatches.push(...found);
    else {
      for (const f of found) {
        report.warnings.push(
          `${f.item}: ${f.actual} after the restore, ${f.expected} counted beside the backup (Weaviate's counts are not of its snapshot).`,
        );
      }
    }
  }
  for (const m of new Set(plan.items.map((i) => i.manifest))) {
    if (m.chimera_version !== deps.version) {
      report.warnings.push(`${describe(m)} was made by Chimera ${m.chimera_version}; this is ${deps.version}.`);
    }
    if (m.parts.redis_rdb) {
      report.warnings.push(
        `${describe(m)} also holds the Redis server's RDB file (redis_rdb): it is restored by hand (docs/backup.md).`,
      );
    }
  }
  step(
    'validate_data_integrity',
    report.mismatches.length === 0 ? 'every figure matches the manifest' : `${report.mismatches.length} mismatch(es)`,
  );
  progress('validate_data_integrity', 1, 1);
  report.ok = report.mismatches.length === 0;
  return report;
}
