// chimera backup [--only postgres,redis,vectors] [--rdb] [--prune] | --list | --prune-only [--dry-run]: backs up the
// stores (the spec's backup_strategy) to BACKUP_TARGET, lists the backups there, or prunes them (BACKUP_KEEP_*).

import { createBackupService, type PruneReport } from '../../domain/operations/backup.service.js';
import { OperationsError } from '../../domain/operations/backup-errors.js';
import { liveParts, type Manifest, parseSelection } from '../../domain/operations/backup-manifest.js';
import { backupDepsOf, bytes } from '../backup-deps.js';
import { type CliCommand, type CliIo, flag, stringValue, UsageError } from '../command.js';

const USAGE = `Usage: chimera backup [--only <postgres,redis,vectors>] [--rdb] [--prune] [--json]
       chimera backup --list [--json]
       chimera backup --prune-only [--dry-run]

Backs up PostgreSQL (pg_dump --format=custom, with row counts and checksums per table taken in the same snapshot),
Chimera's Redis keys (those under REDIS_KEY_PREFIX, DUMP + TTL) and the vector store (a LanceDB snapshot, or
Weaviate's backup module) to BACKUP_TARGET (local: BACKUP_DIR; s3: BACKUP_S3_*). Each file is encrypted with
BACKUP_ENCRYPTION_KEY when it is set. A manifest per backup records what it holds (docs/backup.md).

  --only        back up only these stores (default all three; e.g. hourly: --only redis)
  --rdb         also copy the whole Redis server's dump.rdb (disaster recovery of the server; restored by hand)
  --prune       after the backup, remove backups past BACKUP_KEEP_POSTGRES/_REDIS/_VECTORS (never the newest)
  --prune-only  prune without backing up (--dry-run: only say what would go)
  --list        list the backups in the target, newest first
  --json        print the manifest (or the listing) as JSON`;

export function describeBackup(m: Manifest): string {
  const live = liveParts(m);
  const parts = live.map((p) => {
    const part = m.parts[p];
    if (!part) return p;
    if ('store' in part && part.store === 'weaviate') return `vectors (weaviate ${part.backend}/${part.backup_id})`;
    const size = 'bytes' in part ? bytes(part.bytes) : '';
    if (p === 'redis' && 'keys' in part) return `redis (${part.keys} keys, ${size})`;
    return `${p} (${size})`;
  });
  return `${m.id}  ${m.created_at}  ${m.encryption ? 'encrypted' : 'plain'}  ${parts.join(', ') || 'nothing left'}`;
}

function printPrune(io: CliIo, r: PruneReport) {
  const verb = r.dryRun ? 'would remove' : 'removed';
  if (!r.removedParts.length && !r.removedOrphans.length) io.out('Prune: nothing is past its period.');
  for (const p of r.removedParts) io.out(`Prune: ${verb} the ${p.part} part of ${p.id}`);
  for (const id of r.removedBackups) io.out(`Prune: ${verb} backup ${id} (nothing left in it)`);
  for (const k of r.removedOrphans) io.out(`Prune: ${verb} ${k} (left by an unfinished backup)`);
}

export const backupCommand: CliCommand = {
  name: 'backup',
  summary: 'back up PostgreSQL, Redis and the vector store (--list, --prune)',
  usage: USAGE,
  options: {
    only: { type: 'string' },
    rdb: { type: 'boolean' },
    list: { type: 'boolean' },
    prune: { type: 'boolean' },
    'prune-only': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, config, io }) {
    const list = flag(values, 'list');
    const pruneOnly = flag(values, 'prune-only');
    if (list && (pruneOnly || flag(values, 'prune'))) throw new UsageError('--list cannot be combined with pruning.');
    if (flag(values, 'dry-run') && !pruneOnly) throw new UsageError('--dry-run goes with --prune-only.');
    let only: ReturnType<typeof parseSelection>;
    try {
      only = parseSelection(stringValue(values, 'only'));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const c = await config();
    const service = createBackupService(backupDepsOf(c, (step, done) => io.progress(`backup: ${step}`, done)));
    try {
      if (list) {
        const { backups, problems } = await service.list();
        if (flag(values, 'json')) io.out(JSON.stringify({ backups, problems }, null, 2));
        else {
          if (backups.length === 0) io.out('No backups.');
          for (const m of backups) io.out(describeBackup(m));
          for (const p of problems) io.err(`unreadable backup ${p.id}: ${p.error}`);
        }
        return problems.length ? 1 : 0;
      }
      if (pruneOnly) {
        printPrune(io, await service.prune({ dryRun: flag(values, 'dry-run') }));
        return 0;
      }
      const manifest = await service.backup({
        only,
        rdb: flag(values, 'rdb'),
        onProgress: (step, done, total) => io.progress(`backup: ${step}`, done, total),
      });
      if (flag(values, 'json')) io.out(JSON.stringify(manifest, null, 2));
      else io.out(`Backup ${describeBackup(manifest)}`);
      if (flag(values, 'prune')) printPrune(io, await service.prune());
      return 0;
    } catch (err) {
      if (err instanceof OperationsError) {
        io.err(`${err.message} (${err.code})`);
        return 1;
      }
      throw err;
    }
  },
};
