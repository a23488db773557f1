// Retention against the real database, a real LanceDB store and Redis: rows, vectors and keys past their period go
// (in batches), what is still in use stays, a dry run counts and changes nothing, and audit rows leave only through
// this path — never by a plain DELETE, never younger than a day.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { applyRetention, type RetentionPeriods } from '../../src/domain/operations/retention.service.js';
import { createDatabase, type Database } from '../../src/platform/db/prisma.js';
import { createRedis } from '../../src/platform/redis/redis.js';
import { openLanceDbStore } from '../../src/platform/vector/lancedb.js';
import type { VectorStore } from '../../src/platform/vector/vector-store.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../helpers/db.js';
import { makeAgent } from '../helpers/fixtures.js';
import { content, direction, item, SYNTHETIC, trend } from '../vector/fixtures.js';

const PERIODS: RetentionPeriods = {
  auditLogs: '2 years',
  tasks: '6 months',
  interactions: '1 year',
  transactions: '7 years',
  trendAnalysis: '1 year',
  contentEmbeddings: '2 years',
  sessions: '7 days',
};
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

let database: TestDatabase;
let db: Database;
let sql: pg.Client;
let vectors: VectorStore;
let vectorDir: string;
const redis = createRedis(loadConfig().redisUrl, testRedisPrefix());

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolSize: 4 });
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  vectorDir = mkdtempSync(join(tmpdir(), 'chimera-retention-'));
  vectors = await openLanceDbStore({ dir: vectorDir, model: SYNTHETIC });
});
afterAll(async () => {
  await vectors?.close();
  rmSync(vectorDir, { recursive: true, force: true });
  await sql?.end();
  await db?.$disconnect();
  await database?.drop();
  const keys = await redis.keys(`${redis.options.keyPrefix}*`);
  if (keys.length) await redis.del(...keys.map((k) => k.slice(String(redis.options.keyPrefix).length)));
  redis.disconnect();
});

const n = async (table: string, where = 'true', params: unknown[] = []) =>
  (await sql.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)).rows[0].n as number;

async function world() {
  const agent = await makeAgent(db, `retention-${Math.random().toString(36).slice(2, 8)}`);
  const goal = async (status: string, days: number) =>
    (
      await sql.query(
        `INSERT INTO goals (agent_id, description, status, created_at, updated_at) VALUES ($1, 'g', $2, $3, $3) RETURNING id`,
        [agent.id, status, ago(days)],
      )
    ).rows[0].id as string;
  const task = async (status: string, days: number, goalId: string | null = null) =>
    (
      await sql.query(
        `INSERT INTO tasks (agent_id, task_type, priority, context, status, goal_id, created_at, updated_at)
         VALUES ($1, 'generate_content', 'medium', '{}', $2, $3, $4, $4) RETURNING id`,
        [agent.id, status, goalId, ago(days)],
      )
    ).rows[0].id as string;
  return { agent, goal, task };
}

describe('retention', () => {
  it('removes finished tasks past six months, detaching their content; keeps unfinished ones and live goals', async () => {
    const { agent, goal, task } = await world();
    const oldDone = await task('complete', 200);
    const oldFailed = await task('failed', 190);
    const oldPending = await task('pending', 200);
    const recentDone = await task('complete', 10);
    const liveGoal = await goal('running', 200);
    const inLiveGoal = await task('complete', 200, liveGoal);
    const doneGoal = await goal('complete', 200);
    const inDoneGoal = await task('complete', 200, doneGoal);
    const post = await db.content.create({
      data: { agentId: agent.id, taskId: oldDone, contentType: 'text', contentData: 'kept', status: 'published' },
    });

    const dry = await applyRetention({ db, periods: PERIODS }, { dryRun: true, only: ['tasks', 'goals'] });
    const tasksLine = dry.lines.find((l) => l.target === 'tasks');
    expect(tasksLine?.due).toBeGreaterThanOrEqual(3);
    expect(tasksLine?.removed).toBe(0);
    expect(tasksLine?.held?.count).toBeGreaterThanOrEqual(2);
    expect(await n('tasks', 'id = ANY($1)', [[oldDone, oldFailed, inDoneGoal]])).toBe(3);

    const report = await applyRetention({ db, periods: PERIODS, batchSize: 2 }, { only: ['tasks', 'goals'] });
    expect(report.lines.find((l) => l.target === 'tasks')?.removed).toBe(tasksLine?.due);
    const left = (await sql.query(`SELECT id FROM tasks WHERE agent_id = $1`, [agent.id])).rows.map((r) => r.id);
    expect(left.sort()).toEqual([oldPending, recentDone, inLiveGoal].sort());
    // The content outlives its task; the finished goal went once its last task had gone.
    expect((await db.content.findUniqueOrThrow({ where: { id: post.id } })).taskId).toBeNull();
    expect(await n('goals', 'id = $1', [doneGoal])).toBe(0);
    expect(await n('goals', 'id = $1', [liveGoal])).toBe(1);
    // Running it again finds nothing more of these.
    const again = await applyRetention({ db, periods: PERIODS }, { only: ['tasks'] });
    expect(again.lines[0]?.removed).toBe(0);
  });

  it('removes interactions past a year, settled transactions past seven years, and nothing younger', async () => {
    const { agent } = await world();
    const post = await db.content.create({ data: { agentId: agent.id, contentType: 'text', contentData: 'x' } });
    for (const days of [400, 366, 300, 1]) {
      await sql.query(
        `INSERT INTO interactions (content_id, platform, interaction_type, created_at) VALUES ($1, 'social', 'like', $2)`,
        [post.id, ago(days)],
      );
    }
    const wallet = await db.wallet.create({
      data: {
        agentId: agent.id,
        blockchain: 'eip155:31337',
        address: `0x${'ab'.repeat(19)}${Math.floor(Math.random() * 90 + 10)}`,
      },
    });
    for (const [days, status] of [
      [2600, 'confirmed'],
      [2600, 'pending'],
      [2000, 'confirmed'],
    ] as const) {
      await sql.query(
        `INSERT INTO transactions (wallet_id, amount, currency, status, created_at) VALUES ($1, 0.1, 'ETH', $2, $3)`,
        [wallet.id, status, ago(days)],
      );
    }
    const report = await applyRetention({ db, periods: PERIODS }, { only: ['interactions', 'transactions'] });
    expect(await n('interactions', 'content_id = $1', [post.id])).toBe(2);
    expect(report.lines.find((l) => l.target === 'interactions')?.removed).toBe(2);
    const tx = report.lines.find((l) => l.target === 'transactions');
    expect([tx?.removed, tx?.held]).toEqual([1, { count: 1, reason: 'still pending' }]);
    expect(
      (await sql.query(`SELECT status FROM transactions WHERE wallet_id = $1 ORDER BY created_at`, [wallet.id])).rows,
    ).toEqual([{ status: 'pending' }, { status: 'confirmed' }]);
  });

  it('audit rows leave only through retention, only past their period, and the run is itself audited', async () => {
    const old = ago(800);
    const recent = ago(100);
    for (const at of [old, recent]) {
      await sql.query(`INSERT INTO audit_logs (action, created_at) VALUES ('old-or-new', $1)`, [at]);
      await sql.query(
        `INSERT INTO security_audit_logs (action, success, risk_score, "timestamp", created_at) VALUES ('old-or-new', true, 1, $1, $1)`,
        [at],
      );
    }
    // A plain DELETE is refused, even of an old row, and so is one claiming a cutoff younger than a day.
    await expect(sql.query(`DELETE FROM audit_logs WHERE created_at < now() - interval '700 days'`)).rejects.toThrow(
      /append-only/,
    );
    await sql.query('BEGIN');
    await sql.query(`SELECT set_config('chimera.retention_cutoff', now()::text, true)`);
    await expect(
      sql.query(`DELETE FROM security_audit_logs WHERE "timestamp" < now() - interval '50 days'`),
    ).rejects.toThrow(/append-only/);
    await sql.query('ROLLBACK');
    // UPDATE stays forbidden inside the retention path too.
    await sql.query('BEGIN');
    await sql.query(`SELECT set_config('chimera.retention_cutoff', (now() - interval '2 days')::text, true)`);
    await expect(
      sql.query(`UPDATE audit_logs SET action = 'x' WHERE created_at < now() - interval '700 days'`),
    ).rejects.toThrow(/append-only/);
    await sql.query('ROLLBACK');

    const report = await applyRetention({ db, periods: PERIODS }, { only: ['audit_logs', 'security_audit_logs'] });
    expect(report.lines.map((l) => [l.target, l.removed])).toEqual([
      ['audit_logs', 1],
      ['security_audit_logs', 1],
    ]);
    expect(await n('audit_logs', `action = 'old-or-new'`)).toBe(1);
    expect(await n('security_audit_logs', `action = 'old-or-new'`)).toBe(1);
    const run = await db.securityAuditLog.findFirstOrThrow({
      where: { action: 'retention.applied' },
      orderBy: { createdAt: 'desc' },
    });
    expect(run.metadata).toMatchObject({ removed: { audit_logs: 1, security_audit_logs: 1 } });
  });

  it('removes sessions a week after they expired or were revoked', async () => {
    const user = await db.user.create({ data: { email: `ret-${Date.now()}@test.chimera`, roles: ['analyst'] } });
    const session = (expires: Date, revoked: Date | null) =>
      db.session.create({ data: { userId: user.id, authMethod: 'password', expiresAt: expires, revokedAt: revoked } });
    const expiredLongAgo = await session(ago(10), null);
    const revokedLongAgo = await session(ago(-5), ago(9));
    const expiredYesterday = await session(ago(1), null);
    const live = await session(ago(-3), null);
    await applyRetention({ db, periods: PERIODS }, { only: ['sessions'] });
    const left = (await db.session.findMany({ where: { userId: user.id }, select: { id: true } })).map((s) => s.id);
    expect(left.sort()).toEqual([expiredYesterday.id, live.id].sort());
    expect(left).not.toContain(expiredLongAgo.id);
    expect(left).not.toContain(revokedLongAgo.id);
  });

  it('removes trend analyses past a year and content embeddings past two years from the vector store', async () => {
    const oldTrend = trend({ detectedAt: ago(400) });
    const newTrend = trend({ detectedAt: ago(30) });
    const oldPost = content({ createdAt: ago(800) });
    const newPost = content({ createdAt: ago(500) });
    await vectors.upsert('TrendAnalysis', [item(oldTrend, direction(0.1)), item(newTrend, direction(0.2))]);
    await vectors.upsert('ContentEmbedding', [item(oldPost, direction(0.3)), item(newPost, direction(0.4))]);
    const dry = await applyRetention(
      { db, periods: PERIODS, vectors },
      { dryRun: true, only: ['vectors:TrendAnalysis', 'vectors:ContentEmbedding'] },
    );
    expect(dry.lines.map((l) => [l.target, l.due, l.removed])).toEqual([
      ['vectors:TrendAnalysis', 1, 0],
      ['vectors:ContentEmbedding', 1, 0],
    ]);
    expect(await vectors.count('TrendAnalysis')).toBe(2);
    await applyRetention(
      { db, periods: PERIODS, vectors },
      { only: ['vectors:TrendAnalysis', 'vectors:ContentEmbedding'] },
    );
    expect(await vectors.get('TrendAnalysis', oldTrend.id)).toBeNull();
    expect(await vectors.get('TrendAnalysis', newTrend.id)).not.toBeNull();
    expect(await vectors.get('ContentEmbedding', oldPost.id)).toBeNull();
    expect(await vectors.get('ContentEmbedding', newPost.id)).not.toBeNull();
  });

  it('gives cache and rate-limit keys without a TTL (or a longer one) their ceiling, and leaves other keys alone', async () => {
    await redis.set('cache:trends:abc', '{}');
    await redis.set('cache:persona:p', '{}', 'EX', 3 * 86_400);
    await redis.set('cache:content:c', '{}', 'EX', 60);
    await redis.zadd('rate_limit:user:u:minute', 1, 'a');
    await redis.set('bull:planner:meta', 'queue state, not ours to expire');
    const dry = await applyRetention({ db, periods: PERIODS, redis }, { dryRun: true, only: ['redis:ttl'] });
    expect(dry.lines[0]?.due).toBe(3);
    expect(await redis.pttl('cache:trends:abc')).toBe(-1);
    await applyRetention({ db, periods: PERIODS, redis }, { only: ['redis:ttl'] });
    expect(await redis.ttl('cache:trends:abc')).toBeGreaterThan(86_000);
    expect(await redis.ttl('cache:persona:p')).toBeLessThanOrEqual(86_400);
    expect(await redis.ttl('cache:content:c')).toBeLessThanOrEqual(60);
    expect(await redis.ttl('rate_limit:user:u:minute')).toBeLessThanOrEqual(3600);
    expect(await redis.ttl('rate_limit:user:u:minute')).toBeGreaterThan(0);
    expect(await redis.pttl('bull:planner:meta')).toBe(-1);
  });

  it('refuses an unknown target or a period PostgreSQL cannot read, and reports a failing target without stopping', async () => {
    await expect(applyRetention({ db, periods: PERIODS }, { only: ['taks'] })).rejects.toMatchObject({
      code: 'UNKNOWN_TARGET',
    });
    await expect(applyRetention({ db, periods: { ...PERIODS, tasks: 'six months' } })).rejects.toMatchObject({
      code: 'BAD_PERIOD',
    });
    // A store that fails: its line carries the error, the tables are still processed.
    const broken = {
      count: () => Promise.reject(new Error('store offline')),
      deleteWhere: () => Promise.reject(new Error('store offline')),
    };
    const report = await applyRetention({ db, periods: PERIODS, vectors: broken }, { dryRun: true });
    expect(report.lines.find((l) => l.target === 'vectors:TrendAnalysis')?.error).toBe('store offline');
    expect(report.lines.find((l) => l.target === 'interactions')?.error).toBeUndefined();
  });
});
