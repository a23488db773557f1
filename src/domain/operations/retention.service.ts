// Retention (the spec's "Retention Policies"): what has passed its period leaves PostgreSQL, the vector store and
// Redis, in small batches (no long locks), with a dry run that counts instead. Periods are PostgreSQL intervals as the
// spec writes them ("2 years", "6 months"); cutoffs are computed by the database, so every process agrees on them.
//
// Rows still in use are kept however old: unfinished tasks (and the goals they serve), transactions still pending,
// transfers a transaction points at. What outlives a removed task (its content, its transfer) is detached, not lost.
// Audit rows are append-only; the migration 0011 trigger lets only this path delete them, and only rows older than
// the cutoff it declares for its transaction (never younger than a day).
import type { Redis } from 'ioredis';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import type { CollectionName, FilterOf, VectorStore } from '../../platform/vector/vector-store.js';
import { recordSecurityEvent } from '../security/security-audit.js';

export interface RetentionPeriods {
  auditLogs: string;
  tasks: string;
  interactions: string;
  transactions: string;
  trendAnalysis: string;
  contentEmbeddings: string;
  sessions: string;
}

type Tx = Prisma.TransactionClient;

/** A table's policy: which rows are past their period (`$1` is the cutoff), and which of those must stay. */
interface TablePolicy {
  table: string;
  period: keyof RetentionPeriods;
  /** Over the table's own columns: old enough, and free to go. */
  expired: string;
  /** Old enough, but still needed (counted and reported as held back). */
  held?: { where: string; reason: string };
  /** Declares the cutoff to the append-only trigger (audit tables). */
  audit?: boolean;
  /** Runs before the batch's rows are deleted (ids are the rows' `id`s). */
  detach?: (tx: Tx, ids: string[]) => Promise<void>;
}

const FINAL_TASK = `status IN ('complete', 'failed')`;
const FINAL_TRANSFER = `status IN ('rejected', 'expired', 'cancelled', 'confirmed', 'failed')`;

const TABLES: readonly TablePolicy[] = [
  {
    table: 'tasks',
    period: 'tasks',
    expired: `COALESCE(updated_at, created_at) < $1 AND ${FINAL_TASK}
      AND (goal_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM goals g WHERE g.id = goal_id AND g.status NOT IN ('complete', 'failed')))`,
    held: { where: `COALESCE(updated_at, created_at) < $1`, reason: 'not finished, or its goal is not' },
    detach: async (tx, ids) => {
      await tx.$executeRawUnsafe(`UPDATE content SET task_id = NULL WHERE task_id = ANY($1::uuid[])`, ids);
      await tx.$executeRawUnsafe(`UPDATE transfers SET task_id = NULL WHERE task_id = ANY($1::uuid[])`, ids);
    },
  },
  {
    table: 'goals',
    period: 'tasks',
    expired: `updated_at < $1 AND status IN ('complete', 'failed')
      AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.goal_id = goals.id)`,
    held: { where: `updated_at < $1`, reason: 'not finished, or tasks of it are kept' },
  },
  { table: 'outbox', period: 'tasks', expired: `dispatched_at < $1` },
  { table: 'interactions', period: 'interactions', expired: `created_at < $1` },
  { table: 'webhook_deliveries', period: 'interactions', expired: `received_at < $1` },
  {
    table: 'transactions',
    period: 'transactions',
    expired: `created_at < $1 AND status IN ('confirmed', 'failed')`,
    held: { where: `created_at < $1`, reason: 'still pending' },
  },
  {
    table: 'transfers',
    period: 'transactions',
    expired: `created_at < $1 AND ${FINAL_TRANSFER}
      AND NOT EXISTS (SELECT 1 FROM transactions x WHERE x.transfer_id = transfers.id)`,
    held: { where: `created_at < $1`, reason: 'not settled, or its transaction is kept' },
  },
  { table: 'audit_logs', period: 'auditLogs', expired: `created_at < $1`, audit: true },
  {
    table: 'security_audit_logs',
    period: 'auditLogs',
    expired: `COALESCE("timestamp", created_at) < $1`,
    audit: true,
  },
  { table: 'sessions', period: 'sessions', expired: `LEAST(COALESCE(revoked_at, expires_at), expires_at) < $1` },
];

/** The vector store's collections with a period (agent memory is kept indefinitely, as the spec says). */
const COLLECTIONS: readonly { collection: CollectionName; period: keyof RetentionPeriods }[] = [
  { collection: 'TrendAnalysis', period: 'trendAnalysis' },
  { collection: 'ContentEmbedding', period: 'contentEmbeddings' },
];

/**
 * Redis: keys of these families must expire within their maximum (caches 1–24 h, rate limits 1 h). Keys written
 * without a TTL, or with a longer one, are given the maximum.
 */
export const REDIS_TTL_CEILINGS: readonly { pattern: string; maxSeconds: number }[] = [
  { pattern: 'cache:*', maxSeconds: 24 * 3600 },
  { pattern: 'rc:entry:*', maxSeconds: 24 * 3600 },
  { pattern: 'rate_limit:*', maxSeconds: 3600 },
];

export const RETENTION_TARGETS = [
  ...TABLES.map((t) => t.table),
  ...COLLECTIONS.map((c) => `vectors:${c.collection}`),
  'redis:ttl',
] as const;

export interface RetentionLine {
  target: string;
  /** The period, or for Redis the ceiling enforced. */
  period: string;
  /** Rows older than this went (or would go); undefined for Redis. */
  cutoff?: Date;
  /** Past the period and free to go: what a dry run reports, what a run removes. */
  due: number;
  removed: number;
  /** Past the period but still in use, with why. */
  held?: { count: number; reason: string };
  /** The target could not be processed (the run goes on with the others). */
  error?: string;
}

export interface RetentionReport {
  dryRun: boolean;
  lines: RetentionLine[];
}

export interface RetentionDeps {
  db: Database;
  periods: RetentionPeriods;
  vectors?: Pick<VectorStore, 'count' | 'deleteWhere'> | undefined;
  redis?: Redis | undefined;
  /** Rows per transaction (default 1,000). */
  batchSize?: number;
  onProgress?: (target: string, removed: number, due: number) => void;
}

export interface RetentionOptions {
  dryRun?: boolean;
  /** Only these targets (names from RETENTION_TARGETS). */
  only?: readonly string[];
}

export class RetentionError extends Error {
  override name = 'RetentionError';
  constructor(
    readonly code: 'UNKNOWN_TARGET' | 'BAD_PERIOD',
    message: string,
  ) {
    super(message);
  }
}

const count = async (db: Database | Tx, sql: string, cutoff: Date): Promise<number> => {
  const rows = await db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${sql}`, cutoff);
  return rows[0]?.n ?? 0;
};

async function cutoffOf(db: Database, period: string): Promise<Date> {
  try {
    const rows = await db.$queryRawUnsafe<{ cutoff: Date }[]>(`SELECT now() - $1::interval AS cutoff`, period);
    return rows[0]?.cutoff as Date;
  } catch {
    throw new RetentionError('BAD_PERIOD', `"${period}" is not a period PostgreSQL understands (e.g. "6 months").`);
  }
}

async function applyTable(deps: RetentionDeps, policy: TablePolicy, cutoff: Date, dryRun: boolean) {
  const { db } = deps;
  const line: RetentionLine = {
    target: policy.table,
    period: deps.periods[policy.period],
    cutoff,
    due: await count(db, `${policy.table} WHERE ${policy.expired}`, cutoff),
    removed: 0,
  };
  if (policy.held) {
    const held = (await count(db, `${policy.table} WHERE ${policy.held.where}`, cutoff)) - line.due;
    if (held > 0) line.held = { count: held, reason: policy.held.reason };
  }
  if (dryRun || line.due === 0) return line;
  const batch = deps.batchSize ?? 1_000;
  const key = policy.table === 'webhook_deliveries' ? 'ctid' : 'id';
  for (;;) {
    const removed = await db.$transaction(async (tx) => {
      if (policy.audit) {
        await tx.$executeRawUnsafe(`SELECT set_config('chimera.retention_cutoff', $1, true)`, cutoff.toISOString());
      }
      const rows = await tx.$queryRawUnsafe<{ k: string }[]>(
        `SELECT ${key}::text AS k FROM ${policy.table} WHERE ${policy.expired}
         ORDER BY ${key} LIMIT ${batch} FOR UPDATE SKIP LOCKED`,
        cutoff,
      );
      const keys = rows.map((r) => r.k);
      if (keys.length === 0) return 0;
      await policy.detach?.(tx, keys);
      const type = key === 'ctid' ? 'tid' : policy.table === 'outbox' ? 'bigint' : 'uuid';
      return tx.$executeRawUnsafe(`DELETE FROM ${policy.table} WHERE ${key} = ANY($1::${type}[])`, keys);
    });
    line.removed += removed;
    deps.onProgress?.(policy.table, line.removed, line.due);
    if (removed < batch) break;
  }
  return line;
}

async function applyCollection(
  deps: RetentionDeps,
  collection: CollectionName,
  period: string,
  cutoff: Date,
  dryRun: boolean,
): Promise<RetentionLine> {
  const target = `vectors:${collection}`;
  const filter = { before: new Date(cutoff.getTime() - 1) } as FilterOf[typeof collection];
  const vectors = deps.vectors;
  if (!vectors) return { target, period, cutoff, due: 0, removed: 0 };
  const due = await vectors.count(collection, filter);
  const removed = dryRun || due === 0 ? 0 : await vectors.deleteWhere(collection, filter);
  deps.onProgress?.(target, removed, due);
  return { target, period, cutoff, due, removed };
}

/** Gives every key of a ceiling's family that would outlive the ceiling (or never expire) the ceiling as its TTL. */
async function applyRedisCeilings(redis: Redis, dryRun: boolean): Promise<RetentionLine> {
  const prefix = redis.options.keyPrefix ?? '';
  let due = 0;
  let removed = 0;
  for (const { pattern, maxSeconds } of REDIS_TTL_CEILINGS) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      // SCAN returns full names; commands through this client add the prefix again.
      const own = keys.map((k) => k.slice(prefix.length));
      const ttls = await Promise.all(own.map((k) => redis.pttl(k)));
      const over = own.filter((_, i) => {
        const ttl = ttls[i] as number;
        return ttl === -1 || ttl > maxSeconds * 1000;
      });
      due += over.length;
      if (!dryRun && over.length) {
        const multi = redis.multi();
        for (const k of over) multi.pexpire(k, maxSeconds * 1000);
        await multi.exec();
        removed += over.length;
      }
    } while (cursor !== '0');
  }
  return {
    target: 'redis:ttl',
    period: REDIS_TTL_CEILINGS.map((c) => `${c.pattern} ≤ ${c.maxSeconds} s`).join(', '),
    due,
    removed,
  };
}

/** Applies every policy (or `only` some); one failing target is reported and the others still run. */
export async function applyRetention(deps: RetentionDeps, options: RetentionOptions = {}): Promise<RetentionReport> {
  const dryRun = options.dryRun ?? false;
  const only = options.only?.length ? new Set(options.only) : null;
  for (const name of only ?? []) {
    if (!(RETENTION_TARGETS as readonly string[]).includes(name)) {
      throw new RetentionError(
        'UNKNOWN_TARGET',
        `Unknown retention target "${name}" (known: ${RETENTION_TARGETS.join(', ')}).`,
      );
    }
  }
  const wanted = (name: string) => !only || only.has(name);
  const lines: RetentionLine[] = [];
  const guarded = async (target: string, period: string, work: () => Promise<RetentionLine>) => {
    try {
      lines.push(await work());
    } catch (err) {
      if (err instanceof RetentionError && err.code === 'BAD_PERIOD') throw err;
      lines.push({ target, period, due: 0, removed: 0, error: err instanceof Error ? err.message : String(err) });
    }
  };
  const cutoffs = new Map<string, Date>();
  for (const period of new Set(Object.values(deps.periods))) cutoffs.set(period, await cutoffOf(deps.db, period));
  for (const policy of TABLES) {
    if (!wanted(policy.table)) continue;
    const period = deps.periods[policy.period];
    await guarded(policy.table, period, () => applyTable(deps, policy, cutoffs.get(period) as Date, dryRun));
  }
  for (const { collection, period } of COLLECTIONS) {
    if (!wanted(`vectors:${collection}`)) continue;
    const p = deps.periods[period];
    await guarded(`vectors:${collection}`, p, () =>
      applyCollection(deps, collection, p, cutoffs.get(p) as Date, dryRun),
    );
  }
  if (deps.redis && wanted('redis:ttl')) {
    const redis = deps.redis;
    await guarded('redis:ttl', '', () => applyRedisCeilings(redis, dryRun));
  }
  const removed = lines.reduce((n, l) => n + l.removed, 0);
  if (!dryRun && removed > 0) {
    await recordSecurityEvent(deps.db, {
      action: 'retention.applied',
      success: lines.every((l) => !l.error),
      riskScore: 3,
      metadata: { removed: Object.fromEntries(lines.filter((l) => l.removed).map((l) => [l.target, l.removed])) },
    });
  }
  return { dryRun, lines };
}
