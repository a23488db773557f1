// The swarm's tables of migration 0007 (goals, outbox) and the columns it added to tasks (goal_id, depends_on,
// attempts, version), in psql terms: CHECK, UNIQUE, FOREIGN KEY (NO ACTION) and NOT NULL each reject a bad row, the
// defaults fill in what the migration says, and the outbox's partial index holds the pending messages only.
// Raw `pg` against a migrated database of this file's own.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/platform/db/migrator.js';
import { createEmptyTestDatabase, useMigratedDatabaseClient } from '../helpers/db.js';
import { MIGRATIONS_DIR } from '../helpers/db-names.js';
import { ALL_MIGRATIONS } from '../helpers/migrations.js';
import {
  constraintsCoveredBy,
  insertRow,
  notNullColumnsCoveredBy,
  pgFailure,
  SWARM_TABLES,
  type Values,
} from '../helpers/rows.js';

const fixture = useMigratedDatabaseClient();

const insert = (table: string, overrides: Values = {}) => insertRow(fixture.client, table, overrides);
const sql = (text: string, values: unknown[] = []) => fixture.client.query<Values>(text, values);
const count = async (table: string, where: string, values: unknown[]) =>
  Number((await sql(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, values)).rows[0]?.n);
const recent = (value: unknown): boolean => value instanceof Date && Math.abs(Date.now() - value.getTime()) < 60_000;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const COUNTERS = { bad: [-1, -2_147_483_648], good: [0, 1, 2_147_483_647] };
const CHECKS: { table: string; column: string; bad: unknown[]; good: unknown[] }[] = [
  { table: 'goals', column: 'priority', bad: ['urgent', 'critical', 'High', ''], good: ['high', 'medium', 'low'] },
  {
    table: 'goals',
    column: 'status',
    bad: ['pending', 'in_progress', 'done', 'Planning', ''],
    good: ['planning', 'running', 'review', 'complete', 'failed'],
  },
  { table: 'tasks', column: 'attempts', ...COUNTERS },
  { table: 'tasks', column: 'version', ...COUNTERS },
];

describe('in psql, every CHECK constraint of the swarm rejects a bad row', () => {
  it('are exactly the ones this file tests', async () => {
    expect((await constraintsCoveredBy(fixture.client, 'c', 'swarm')).sort()).toEqual(
      CHECKS.map((c) => `${c.table}_${c.column}_check`).sort(),
    );
  });

  const cases = CHECKS.map((c) => ({ ...c, name: `${c.table}.${c.column}` }));
  it.each(cases)('$name rejects $bad and accepts $good', async ({ table, column, bad, good }) => {
    for (const value of bad) {
      const error = await pgFailure(insert(table, { [column]: value }));
      expect([value, error.code, error.constraint]).toEqual([value, '23514', `${table}_${column}_check`]);
    }
    for (const value of good) {
      expect((await insert(table, { [column]: value }))[column]).toEqual(value);
    }
  });

  it('an UPDATE is checked too: no unknown goal status, no task version or attempts below 0', async () => {
    const goal = await insert('goals');
    const status = await pgFailure(sql(`UPDATE goals SET status = 'cancelled' WHERE id = $1`, [goal.id]));
    expect([status.code, status.constraint]).toEqual(['23514', 'goals_status_check']);
    const task = await insert('tasks');
    for (const column of ['version', 'attempts']) {
      const error = await pgFailure(sql(`UPDATE tasks SET ${column} = ${column} - 1 WHERE id = $1`, [task.id]));
      expect([error.code, error.constraint]).toEqual(['23514', `tasks_${column}_check`]);
    }
    expect((await sql('SELECT version, attempts FROM tasks WHERE id = $1', [task.id])).rows).toEqual([
      { version: 0, attempts: 0 },
    ]);
    expect((await sql('SELECT status FROM goals WHERE id = $1', [goal.id])).rows).toEqual([{ status: 'planning' }]);
  });
});

describe('UNIQUE(agent_id, idempotency_key) on goals', () => {
  it('is the only UNIQUE constraint of the swarm', async () => {
    expect(await constraintsCoveredBy(fixture.client, 'u', 'swarm')).toEqual(['goals_agent_id_idempotency_key_key']);
  });

  it('rejects a second goal with the same key for the same agent only', async () => {
    const [agent, other] = [await insert('agents'), await insert('agents')];
    await insert('goals', { agent_id: agent.id, idempotency_key: 'req-1' });
    await insert('goals', { agent_id: agent.id, idempotency_key: 'req-2' });
    await insert('goals', { agent_id: other.id, idempotency_key: 'req-1' });
    const error = await pgFailure(
      insert('goals', { agent_id: agent.id, idempotency_key: 'req-1', description: 'the same request, retried' }),
    );
    expect([error.code, error.constraint]).toEqual(['23505', 'goals_agent_id_idempotency_key_key']);
    expect(await count('goals', 'agent_id = $1 AND idempotency_key = $2', [agent.id, 'req-1'])).toBe(1);
  });

  it('goals without a key never collide: two NULL keys for one agent are both allowed', async () => {
    const agent = await insert('agents');
    await insert('goals', { agent_id: agent.id, idempotency_key: null });
    await insert('goals', { agent_id: agent.id, idempotency_key: null });
    expect(await count('goals', 'agent_id = $1 AND idempotency_key IS NULL', [agent.id])).toBe(2);
  });
});

describe('FOREIGN KEY', () => {
  // [table, column, parent table]; both are ON DELETE NO ACTION ON UPDATE NO ACTION, like the spec's REFERENCES.
  const FKS = [
    ['goals', 'agent_id', 'agents'],
    ['tasks', 'goal_id', 'goals'],
  ] as const;

  it('the foreign keys, all NO ACTION on delete and on update, are exactly the ones this file tests', async () => {
    const names = await constraintsCoveredBy(fixture.client, 'f', 'swarm');
    const { rows } = await sql(
      `SELECT conname || ' ' || confdeltype::text || confupdtype::text AS fk FROM pg_constraint
       WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conname = ANY($1)`,
      [names],
    );
    expect(rows.map((r) => String(r.fk)).sort()).toEqual(FKS.map(([t, c]) => `${t}_${c}_fkey aa`).sort());
  });

  it.each(FKS)(
    '%s.%s rejects an unknown id, accepts a real %s, and blocks deleting it or changing its id while referenced',
    async (table, column, target) => {
      const unknown = await pgFailure(insert(table, { [column]: randomUUID() }));
      expect([unknown.code, unknown.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
      const parent = await insert(target);
      const child = await insert(table, { [column]: parent.id });
      const deleted = await pgFailure(sql(`DELETE FROM ${target} WHERE id = $1`, [parent.id]));
      expect([deleted.code, deleted.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
      const moved = await pgFailure(sql(`UPDATE ${target} SET id = gen_random_uuid() WHERE id = $1`, [parent.id]));
      expect([moved.code, moved.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
      expect(await count(table, `id = $1 AND ${column} = $2`, [child.id, parent.id])).toBe(1);
      // Once nothing refers to it, it can go.
      await sql(`DELETE FROM ${table} WHERE id = $1`, [child.id]);
      await sql(`DELETE FROM ${target} WHERE id = $1`, [parent.id]);
      expect(await count(target, 'id = $1', [parent.id])).toBe(0);
    },
  );

  it('goals.created_by is a plain UUID, and tasks.depends_on a uuid[] without foreign keys', async () => {
    expect((await insert('goals', { created_by: randomUUID() })).created_by).toMatch(UUID_V4);
    const waitsFor = [randomUUID(), randomUUID()];
    expect((await insert('tasks', { depends_on: waitsFor })).depends_on).toEqual(waitsFor);
    const notUuid = await pgFailure(insert('tasks', { depends_on: ['task-1'] }));
    expect(notUuid.code).toBe('22P02');
  });
});

describe('NOT NULL', () => {
  const NOT_NULL = [
    ...['agent_id', 'description', 'persona_constraints', 'required_resources', 'priority', 'status'].map((c) => [
      'goals',
      c,
    ]),
    ['goals', 'created_at'],
    ['goals', 'updated_at'],
    ...['depends_on', 'attempts', 'version'].map((c) => ['tasks', c]),
    ...['topic', 'payload', 'dedupe_key', 'created_at', 'attempts'].map((c) => ['outbox', c]),
  ] as [string, string][];

  it('the NOT NULL columns (besides the primary keys) are exactly the ones this file tests', async () => {
    expect((await notNullColumnsCoveredBy(fixture.client, 'swarm')).sort()).toEqual(
      NOT_NULL.map(([t, c]) => `${t}.${c}`).sort(),
    );
  });

  it.each(NOT_NULL)('%s.%s rejects NULL, even where it has a default', async (table, column) => {
    const error = await pgFailure(insert(table, { [column]: null }));
    expect([error.code, error.column]).toEqual(['23502', column]);
  });

  it('the primary keys, goals.id (a random UUID) and outbox.id (a BIGSERIAL), reject NULL', async () => {
    const { rows } = await sql(
      `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
              pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE i.indisprimary AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) ORDER BY 1`,
      [SWARM_TABLES],
    );
    expect(rows).toEqual([
      { table: 'goals', column: 'id', type: 'uuid', default: 'gen_random_uuid()' },
      { table: 'outbox', column: 'id', type: 'bigint', default: "nextval('outbox_id_seq'::regclass)" },
    ]);
    for (const table of SWARM_TABLES) {
      const error = await pgFailure(insert(table, { id: null }));
      expect([table, error.code, error.column]).toEqual([table, '23502', 'id']);
    }
  });
});

describe('defaults', () => {
  it("a goal: no persona constraints or resources ('[]'), medium priority, planning, no key or creator", async () => {
    const goal = await insert('goals');
    expect(goal).toMatchObject({
      persona_constraints: [],
      required_resources: [],
      priority: 'medium',
      status: 'planning',
      idempotency_key: null,
      created_by: null,
    });
    expect(goal.id).toMatch(UUID_V4);
    expect([recent(goal.created_at), recent(goal.updated_at)]).toEqual([true, true]);
    // JSON arrays, not objects or strings.
    const { rows } = await sql(
      'SELECT jsonb_typeof(persona_constraints) AS a, jsonb_typeof(required_resources) AS b FROM goals WHERE id = $1',
      [goal.id],
    );
    expect(rows).toEqual([{ a: 'array', b: 'array' }]);
  });

  it("a task: no goal, no dependencies ('{}'), 0 attempts, version 0", async () => {
    expect(await insert('tasks')).toMatchObject({ goal_id: null, depends_on: [], attempts: 0, version: 0 });
  });

  it('an outbox message: the next id of its sequence, created now, not dispatched, 0 attempts, no error', async () => {
    const [a, b] = [await insert('outbox'), await insert('outbox')];
    // BIGINT comes back from pg as a string.
    expect([a.id, b.id]).toEqual([expect.stringMatching(/^[1-9]\d*$/), expect.stringMatching(/^[1-9]\d*$/)]);
    expect(BigInt(String(b.id))).toBeGreaterThan(BigInt(String(a.id)));
    expect(a).toMatchObject({ dispatched_at: null, attempts: 0, last_error: null });
    expect(recent(a.created_at)).toBe(true);
  });

  it('tasks that existed before migration 0007 get the same defaults when it adds the columns', async () => {
    const swarm = ALL_MIGRATIONS.indexOf('0007_swarm_goals_and_outbox');
    expect(swarm).toBeGreaterThan(0);
    const old = await createEmptyTestDatabase();
    const c = new pg.Client({ connectionString: old.url });
    try {
      await migrate({ databaseUrl: old.url, migrationsDir: MIGRATIONS_DIR, target: ALL_MIGRATIONS[swarm - 1] });
      await c.connect();
      const before = await insertRow(c, 'tasks');
      await migrate({ databaseUrl: old.url, migrationsDir: MIGRATIONS_DIR });
      const { rows } = await c.query('SELECT goal_id, depends_on, attempts, version FROM tasks WHERE id = $1', [
        before.id,
      ]);
      expect(rows).toEqual([{ goal_id: null, depends_on: [], attempts: 0, version: 0 }]);
    } finally {
      await c.end().catch(() => undefined);
      await old.drop();
    }
  });
});

describe('idx_outbox_pending', () => {
  it('is a btree on outbox(id), partial: WHERE dispatched_at IS NULL', async () => {
    const { rows } = await sql(
      `SELECT pg_get_expr(i.indpred, i.indrelid) AS predicate, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'idx_outbox_pending'`,
    );
    expect(rows).toEqual([
      {
        predicate: '(dispatched_at IS NULL)',
        def: 'CREATE INDEX idx_outbox_pending ON public.outbox USING btree (id) WHERE (dispatched_at IS NULL)',
      },
    ]);
  });

  it('serves the query for pending messages, and cannot serve one for dispatched messages', async () => {
    await sql('BEGIN');
    try {
      for (let i = 0; i < 20; i++) await insert('outbox', { dispatched_at: i % 2 === 0 ? new Date() : null });
      await sql('ANALYZE outbox');
      await sql('SET LOCAL enable_seqscan = off');
      const plan = async (where: string) =>
        (await sql(`EXPLAIN (COSTS OFF) SELECT id FROM outbox WHERE ${where} ORDER BY id LIMIT 5`)).rows
          .map((r) => String(r['QUERY PLAN']))
          .join('\n');
      expect(await plan('dispatched_at IS NULL')).toContain('idx_outbox_pending');
      expect(await plan('dispatched_at IS NOT NULL')).not.toContain('idx_outbox_pending');
    } finally {
      await sql('ROLLBACK');
    }
  });
});
