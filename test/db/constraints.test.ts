// In psql terms: every CHECK constraint of the spec rejects a bad row, and audit rows cannot be updated or deleted.
// Raw `pg` against a migrated database of this file's own, so nothing here depends on the application code.
// The tables of migrations 0001–0005; those of 0006 (identity and access) are in constraints-identity.test.ts, those
// of 0007 (the swarm, with the columns it added to tasks) in constraints-swarm.test.ts, those of 0008 (publishing) in
// constraints-publishing.test.ts, and those of 0010 (wallet keys and transfers, with the columns it added to
// transactions and the unique index on wallets (blockchain, address)) in constraints-wallets.test.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useMigratedDatabaseClient } from '../helpers/db.js';
import {
  BASE_ROWS,
  CORE_TABLES,
  constraintsCoveredBy,
  IDENTITY_TABLES,
  insertRow,
  notNullColumnsCoveredBy,
  PUBLISHING_TABLES,
  pgFailure,
  SWARM_TABLES,
  type Values,
  WALLET_TABLES,
} from '../helpers/rows.js';

const fixture = useMigratedDatabaseClient();

const insert = (table: string, overrides: Values = {}) => insertRow(fixture.client, table, overrides);
const failure = pgFailure;

/** The constraints of one kind (c, f, u) this file covers (its tables, less 0007's task and 0010's transaction columns). */
const constraintNames = async (kind: 'c' | 'f' | 'u') =>
  (await constraintsCoveredBy(fixture.client, kind, 'core')).sort();

describe('the tables', () => {
  it('are exactly those of this file, constraints-identity, -swarm, -publishing and -wallets, each with a smallest valid row', async () => {
    const { rows } = await fixture.client.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class
       WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND relname <> '_prisma_migrations'`,
    );
    const tables = [...CORE_TABLES, ...IDENTITY_TABLES, ...SWARM_TABLES, ...PUBLISHING_TABLES, ...WALLET_TABLES].sort();
    expect(rows.map((r) => r.name).sort()).toEqual(tables);
    expect(Object.keys(BASE_ROWS).sort()).toEqual(tables);
  });
});

const CHECKS: { table: string; column: string; bad: unknown[]; good: unknown[] }[] = [
  {
    table: 'tasks',
    column: 'task_type',
    bad: ['dance', 'GENERATE_CONTENT', ''],
    good: ['generate_content', 'reply_comment', 'execute_transaction', 'fetch_trends'],
  },
  { table: 'tasks', column: 'priority', bad: ['urgent', 'High'], good: ['high', 'medium', 'low'] },
  { table: 'tasks', column: 'relevance_score', bad: ['-0.01', '1.01'], good: ['0', '0.5', '1'] },
  {
    table: 'tasks',
    column: 'status',
    bad: ['done', 'cancelled'],
    good: ['pending', 'in_progress', 'review', 'complete', 'failed'],
  },
  { table: 'content', column: 'content_type', bad: ['gif'], good: ['text', 'image', 'video', 'audio'] },
  { table: 'content', column: 'confidence_score', bad: ['-0.01', '1.01'], good: ['0', '1'] },
  { table: 'content', column: 'status', bad: ['deleted'], good: ['draft', 'approved', 'published', 'rejected'] },
  { table: 'trends', column: 'relevance_score', bad: ['-0.5', '1.5'], good: ['0', '1'] },
  {
    table: 'interactions',
    column: 'interaction_type',
    bad: ['dislike'],
    good: ['like', 'comment', 'share', 'view', 'click'],
  },
  { table: 'transactions', column: 'status', bad: ['reverted'], good: ['pending', 'confirmed', 'failed'] },
  { table: 'security_audit_logs', column: 'risk_score', bad: [0, 11, -1], good: [1, 5, 10] },
];

describe('in psql, every CHECK constraint of the spec rejects a bad row', () => {
  it('are exactly the ones this file tests', async () => {
    expect(await constraintNames('c')).toEqual(CHECKS.map((c) => `${c.table}_${c.column}_check`).sort());
  });

  const cases = CHECKS.map((c) => ({ ...c, name: `${c.table}.${c.column}` }));
  it.each(cases)('$name rejects $bad and accepts $good', async ({ table, column, bad, good }) => {
    for (const value of bad) {
      const error = await failure(insert(table, { [column]: value }));
      expect([value, error.code, error.constraint]).toEqual([value, '23514', `${table}_${column}_check`]);
    }
    for (const value of good) {
      const row = await insert(table, { [column]: value });
      expect(String(Number(row[column])) === String(Number(value)) || row[column] === value).toBe(true);
    }
  });
});

describe('UNIQUE, FOREIGN KEY and NOT NULL', () => {
  it('the UNIQUE constraints are exactly the ones this file tests', async () => {
    expect(await constraintNames('u')).toEqual([
      'transactions_transaction_hash_key',
      'wallets_agent_id_blockchain_key',
    ]);
  });

  it('UNIQUE(agent_id, blockchain) on wallets rejects a duplicate pair only', async () => {
    const agent = await insert('agents');
    await insert('wallets', { agent_id: agent.id, blockchain: 'ethereum' });
    await insert('wallets', { agent_id: agent.id, blockchain: 'solana' });
    const error = await failure(insert('wallets', { agent_id: agent.id, blockchain: 'ethereum', address: '0xdef' }));
    expect([error.code, error.constraint]).toEqual(['23505', 'wallets_agent_id_blockchain_key']);
    // As in any SQL UNIQUE, NULLs are distinct: wallets without an agent do not collide.
    await insert('wallets', { agent_id: null });
    await insert('wallets', { agent_id: null });
  });

  it('UNIQUE(transaction_hash) rejects a duplicate hash', async () => {
    await insert('transactions', { transaction_hash: '0xhash' });
    const error = await failure(insert('transactions', { transaction_hash: '0xhash' }));
    expect([error.code, error.constraint]).toEqual(['23505', 'transactions_transaction_hash_key']);
    await insert('transactions', { transaction_hash: null });
    await insert('transactions', { transaction_hash: null });
  });

  const FKS = [
    ['agents', 'persona_id', 'personas'],
    ['tasks', 'agent_id', 'agents'],
    ['content', 'task_id', 'tasks'],
    ['content', 'agent_id', 'agents'],
    ['interactions', 'content_id', 'content'],
    ['wallets', 'agent_id', 'agents'],
    ['transactions', 'wallet_id', 'wallets'],
    ['audit_logs', 'agent_id', 'agents'],
  ] as const;

  it('the foreign keys are exactly the ones this file tests', async () => {
    expect(await constraintNames('f')).toEqual(FKS.map(([t, c]) => `${t}_${c}_fkey`).sort());
  });

  it.each(FKS)(
    '%s.%s rejects an unknown id, accepts a real %s, and blocks deleting it',
    async (table, column, target) => {
      const error = await failure(insert(table, { [column]: randomUUID() }));
      expect([error.code, error.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
      const parent = await insert(target);
      await insert(table, { [column]: parent.id, ...(table === 'wallets' ? { blockchain: randomUUID() } : {}) });
      const blocked = await failure(fixture.client.query(`DELETE FROM ${target} WHERE id = $1`, [parent.id]));
      expect(blocked.code).toBe('23503');
    },
  );

  it('security_audit_logs.user_id and agent_id are plain UUIDs without foreign keys', async () => {
    await insert('security_audit_logs', { user_id: randomUUID(), agent_id: randomUUID(), resource_id: randomUUID() });
  });

  const NOT_NULL = [
    ['personas', 'name'],
    ['agents', 'name'],
    ['tasks', 'task_type'],
    ['tasks', 'priority'],
    ['tasks', 'context'],
    ['content', 'content_type'],
    ['content', 'content_data'],
    ['trends', 'topic'],
    ['interactions', 'platform'],
    ['interactions', 'interaction_type'],
    ['wallets', 'address'],
    ['wallets', 'blockchain'],
    ['transactions', 'amount'],
    ['transactions', 'currency'],
    ['audit_logs', 'action'],
    ['security_audit_logs', 'action'],
  ] as const;

  it('the NOT NULL columns (besides the ids) are exactly the ones this file tests', async () => {
    const columns = await notNullColumnsCoveredBy(fixture.client, 'core');
    expect(columns.sort()).toEqual(NOT_NULL.map(([t, c]) => `${t}.${c}`).sort());
  });

  it.each(NOT_NULL)('%s.%s rejects NULL', async (table, column) => {
    const error = await failure(insert(table, { [column]: null }));
    expect([error.code, error.column]).toEqual(['23502', column]);
  });

  it('every id rejects NULL', async () => {
    for (const table of CORE_TABLES) {
      expect((await failure(insert(table, { id: null }))).code).toBe('23502');
    }
  });
});

describe('audit rows cannot be updated or deleted', () => {
  it.each(['audit_logs', 'security_audit_logs'])(
    '%s rejects UPDATE, DELETE and TRUNCATE, leaving the row as it was',
    async (table) => {
      const row = await insertRow(fixture.client, table, { action: 'original' });
      const attempts = [
        [`UPDATE ${table} SET action = 'tampered' WHERE id = $1`, 'UPDATE'],
        [`DELETE FROM ${table} WHERE id = $1`, 'DELETE'],
        [`TRUNCATE ${table}`, 'TRUNCATE'],
      ] as const;
      for (const [sql, op] of attempts) {
        const error = await failure(fixture.client.query(sql, sql.includes('$1') ? [row.id] : []));
        expect([error.code, error.message]).toEqual(['42501', `${table} is append-only: ${op} is not allowed`]);
      }
      const { rows } = await fixture.client.query(`SELECT * FROM ${table} WHERE id = $1`, [row.id]);
      expect(rows).toEqual([row]);
    },
  );

  it('also when reached through TRUNCATE … CASCADE or in a transaction that tries to hide it', async () => {
    await insertRow(fixture.client, 'audit_logs', { agent_id: (await insertRow(fixture.client, 'agents')).id });
    const before = await fixture.client.query('SELECT count(*)::int AS n FROM audit_logs');
    expect((await failure(fixture.client.query('TRUNCATE agents CASCADE'))).code).toBe('42501');
    await fixture.client.query('BEGIN');
    expect((await failure(fixture.client.query('DELETE FROM audit_logs'))).code).toBe('42501');
    await fixture.client.query('ROLLBACK');
    expect((await fixture.client.query('SELECT count(*)::int AS n FROM audit_logs')).rows).toEqual(before.rows);
  });
});
