// Backup retention (BACKUP_KEEP_POSTGRES / _REDIS / _VECTORS, the spec's 30 days / 7 days / 12 weeks): which parts of
// which backups to remove. Each kind has its own period; the newest backup holding a kind always keeps it, however
// old. A backup whose every part is gone is removed whole.
import { OperationsError } from './backup-errors.js';
import { liveParts, type Manifest, type PartName } from './backup-manifest.js';

const PERIOD = /^(\d{1,5}) (minute|hour|day|week|month|year)s?$/;

/** `now` minus a PostgreSQL-style period ("30 days", "12 weeks", "6 months"); months and years by the calendar (UTC). */
export function cutoffOf(period: string, now: Date): Date {
  const m = PERIOD.exec(period.trim());
  if (!m)
    throw new OperationsError('BACKUP_BAD_SELECTION', `Not a period: ${JSON.stringify(period)} (e.g. "30 days").`);
  const n = Number(m[1]);
  const d = new Date(now.getTime());
  switch (m[2]) {
    case 'minute':
      return new Date(d.getTime() - n * 60_000);
    case 'hour':
      return new Date(d.getTime() - n * 3_600_000);
    case 'day':
      return new Date(d.getTime() - n * 86_400_000);
    case 'week':
      return new Date(d.getTime() - n * 7 * 86_400_000);
    case 'month':
      d.setUTCMonth(d.getUTCMonth() - n);
      return d;
    default:
      d.setUTCFullYear(d.getUTCFullYear() - n);
      return d;
  }
}

export interface KeepPeriods {
  postgres: string;
  redis: string;
  vectors: string;
}

export const periodOf = (keep: KeepPeriods, part: PartName): string => (part === 'redis_rdb' ? keep.redis : keep[part]);

export interface PrunePlan {
  /** Parts to remove, by backup. */
  parts: { id: string; part: PartName }[];
  /** Backups left with no part: removed whole. */
  backups: string[];
}

export function planPrune(manifests: readonly Manifest[], keep: KeepPeriods, now: Date): PrunePlan {
  const newestFirst = [...manifests].sort(
    (a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id),
  );
  const parts: PrunePlan['parts'] = [];
  const kinds: PartName[] = ['postgres', 'redis', 'redis_rdb', 'vectors'];
  for (const kind of kinds) {
    const cutoff = cutoffOf(periodOf(keep, kind), now).getTime();
    const holding = newestFirst.filter((m) => liveParts(m).includes(kind));
    for (const m of holding.slice(1)) {
      if (new Date(m.created_at).getTime() < cutoff) parts.push({ id: m.id, part: kind });
    }
  }
  const backups = newestFirst
    .filter((m) => {
      const live = liveParts(m);
      return live.length === 0 || live.every((p) => parts.some((x) => x.id === m.id && x.part === p));
    })
    .map((m) => m.id);
  return { parts, backups };
}
