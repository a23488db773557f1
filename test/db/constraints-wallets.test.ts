// Migration 0010, wallet keys and transfers, in psql terms: the sealed keys (wallet_keys), the transfer requests a CFO
// decides (transfers), the columns it added to transactions for exactly-once sending, and the unique indexes on wallets
// (blockchain, address) and transactions (wallet_id, nonce). CHECK (with the decision and four-eyes rules), UNIQUE,
// FOREIGN KEY (NO ACTION) and NOT NULL each reject a bad row; the defaults fill in what the migration says; the
// updated_at triggers bump updated_at; and transactions_need_approval refuses a transaction no CFO approved. Raw `pg`
// against a migrated database of this file's own.
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
  type Values,
  WALLET_TABLES,
} from '../helpers/rows.js';

const fixture = useMigratedDatabaseClient();

const insert = (table: string, overrides: Values = {}) => insertRow(fixture.client, table, overrides);
const sql = (text: string, values: unknown[] = []) => fixture.client.query<Values>(text, values);
const count = async (table: string, where: string, values: unknown[]) =>
  Number((await sql(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, values)).rows[0]?.n);
const recent = (value: unknown): boolean => value instanceof Date && Math.abs(Date.now() - value.getTime()) < 60_000;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A new user's id, made at insert time (an override value that is a function is called by insertRow). */
const aUser = async (client: pg.Client) => (await insertRow(client, 'users')).id;
/** A decision on record: who decided (a new user) and when (now). */
const DECIDED: Values = { decided_by: aUser, decided_at: () => new Date() };
/** The statuses transfers_decision_recorded demands a decision for. */
const DECIDED_STATUSES = ['approved', 'submitted', 'confirmed', 'failed', 'rejected'];
/** The statuses a transfer may have without a decision. */
const UNDECIDED_STATUSES = ['awaiting_approval', 'expired', 'cancelled'];

/** A transfer a CFO (another user than the requester) approved. */
const approvedTransfer = (overrides: Values = {}) =>
  insert('transfers', { status: 'approved', requested_by_user_id: aUser, ...DECIDED, ...overrides });
/** A transactions row that matches `transfer` (its wallet, amount in base units and recipient), as the sender writes it. */
const matching = (transfer: Values): Values => ({
  transfer_id: transfer.id,
  wallet_id: transfer.wallet_id,
  amount: transfer.amount,
  amount_base_units: transfer.amount_base_units,
  currency: transfer.currency,
  to_address: transfer.recipient,
});

/** Runs `fn` with transactions_need_approval disabled, in a transaction that is rolled back. */
async function withoutApprovalTrigger<T>(fn: () => Promise<T>): Promise<T> {
  await sql('BEGIN');
  try {
    await sql('ALTER TABLE transactions DISABLE TRIGGER transactions_need_approval');
    return await fn();
  } finally {
    await sql('ROLLBACK');
  }
}

const CHECKS: { table: string; column: string; bad: unknown[]; good: unknown[]; with?: Values }[] = [
  { table: 'wallet_keys', column: 'kek_provider', bad: ['kms', 'Local', 'VAULT', ''], good: ['local', 'vault'] },
  { table: 'transfers', column: 'amount', bad: ['0', '-0.00000001', '-1'], good: ['0.00000001', '12.50000000'] },
  {
    table: 'transfers',
    column: 'amount_base_units',
    bad: ['0', '-1'],
    // Up to 2^256 - 1 (an EVM uint256), 78 digits.
    good: ['1', '115792089237316195423570985008687907853269984665640564039457584007913129639935'],
  },
  { table: 'transfers', column: 'reason', bad: ['', ' ', '    ', '\t', '\n \t'], good: ['x', ' Pay the illustrator '] },
  {
    table: 'transfers',
    column: 'status',
    bad: ['pending', 'Approved', 'sent', 'done', ''],
    good: [...UNDECIDED_STATUSES, ...DECIDED_STATUSES],
    // With a decision on record, so that transfers_decision_recorded accepts every good status.
    with: DECIDED,
  },
  { table: 'transfers', column: 'version', bad: [-1, -2_147_483_648], good: [0, 1, 2_147_483_647] },
  // BIGINT comes back from pg as a string.
  { table: 'transactions', column: 'nonce', bad: ['-1'], good: ['0', '1', '9223372036854775807'] },
  { table: 'transactions', column: 'confirmations', bad: [-1], good: [0, 12] },
  { table: 'transactions', column: 'amount_base_units', bad: ['0', '-1'], good: ['1', '10000000000000000'] },
  { table: 'transactions', column: 'block_number', bad: ['-1'], good: ['0', '19000000'] },
  { table: 'transactions', column: 'gas_used', bad: ['-1'], good: ['0', '21000'] },
  { table: 'transactions', column: 'effective_gas_price', bad: ['-1'], good: ['0', '2000000000'] },
  { table: 'transactions', column: 'fee_base_units', bad: ['-1'], good: ['0', '42000000000000'] },
];
/** The named CHECK constraints of transfers, tested with real rows below. */
const NAMED_CHECKS = ['transfers_decision_recorded', 'transfers_four_eyes'];

describe('in psql, every CHECK constraint of the wallet tables rejects a bad row', () => {
  it('are exactly the ones this file tests', async () => {
    expect((await constraintsCoveredBy(fixture.client, 'c', 'wallets')).sort()).toEqual(
      [...CHECKS.map((c) => `${c.table}_${c.column}_check`), ...NAMED_CHECKS].sort(),
    );
  });

  const cases = CHECKS.map((c) => ({ ...c, name: `${c.table}.${c.column}` }));
  it.each(cases)('$name rejects $bad and accepts $good', async ({ table, column, bad, good, with: extra }) => {
    for (const value of bad) {
      const error = await pgFailure(insert(table, { ...extra, [column]: value }));
      expect([value, error.code, error.constraint]).toEqual([value, '23514', `${table}_${column}_check`]);
    }
    for (const value of good) expect((await insert(table, { ...extra, [column]: value }))[column]).toEqual(value);
  });

  it('an UPDATE is checked too: no unknown transfer status, no version, nonce or confirmations below 0', async () => {
    const transfer = await insert('transfers');
    const status = await pgFailure(sql(`UPDATE transfers SET status = 'sent' WHERE id = $1`, [transfer.id]));
    expect([status.code, status.constraint]).toEqual(['23514', 'transfers_status_check']);
    const version = await pgFailure(sql('UPDATE transfers SET version = version - 1 WHERE id = $1', [transfer.id]));
    expect([version.code, version.constraint]).toEqual(['23514', 'transfers_version_check']);
    const transaction = await insert('transactions', { nonce: '0' });
    for (const column of ['nonce', 'confirmations']) {
      const error = await pgFailure(sql(`UPDATE transactions SET ${column} = -1 WHERE id = $1`, [transaction.id]));
      expect([error.code, error.constraint]).toEqual(['23514', `transactions_${column}_check`]);
    }
    expect((await sql('SELECT status, version FROM transfers WHERE id = $1', [transfer.id])).rows).toEqual([
      { status: 'awaiting_approval', version: 0 },
    ]);
    expect((await sql('SELECT nonce, confirmations FROM transactions WHERE id = $1', [transaction.id])).rows).toEqual([
      { nonce: '0', confirmations: 0 },
    ]);
  });
});

describe('transfers_decision_recorded: nothing leaves awaiting_approval towards the chain without a decision', () => {
  it.each(DECIDED_STATUSES)('%s needs both decided_by and decided_at', async (status) => {
    for (const missing of [
      { decided_by: null, decided_at: null },
      { decided_by: null, decided_at: new Date() },
      { decided_by: aUser, decided_at: null },
    ]) {
      const error = await pgFailure(insert('transfers', { status, ...missing }));
      expect([status, error.code, error.constraint]).toEqual([status, '23514', 'transfers_decision_recorded']);
    }
    const decided = await insert('transfers', { status, ...DECIDED });
    expect([decided.status, decided.decided_by, recent(decided.decided_at)]).toEqual([
      status,
      expect.stringMatching(UUID_V4),
      true,
    ]);
  });

  it.each(UNDECIDED_STATUSES)('%s needs no decision', async (status) => {
    expect(await insert('transfers', { status })).toMatchObject({ status, decided_by: null, decided_at: null });
  });

  it('an UPDATE is checked too: approving without a decision, or erasing the decision of one, is refused', async () => {
    const transfer = await insert('transfers');
    const undecided = await pgFailure(sql(`UPDATE transfers SET status = 'approved' WHERE id = $1`, [transfer.id]));
    expect([undecided.code, undecided.constraint]).toEqual(['23514', 'transfers_decision_recorded']);
    const cfo = await insert('users');
    await sql(`UPDATE transfers SET status = 'approved', decided_by = $2, decided_at = now() WHERE id = $1`, [
      transfer.id,
      cfo.id,
    ]);
    for (const column of ['decided_by', 'decided_at']) {
      const erased = await pgFailure(sql(`UPDATE transfers SET ${column} = NULL WHERE id = $1`, [transfer.id]));
      expect([column, erased.code, erased.constraint]).toEqual([column, '23514', 'transfers_decision_recorded']);
    }
    expect((await sql('SELECT status, decided_by FROM transfers WHERE id = $1', [transfer.id])).rows).toEqual([
      { status: 'approved', decided_by: cfo.id },
    ]);
  });
});

describe('transfers_four_eyes: whoever asked for a transfer cannot decide it', () => {
  it('an approval or rejection by the requester is refused; by another user it is accepted', async () => {
    const [requester, cfo] = [await insert('users'), await insert('users')];
    for (const status of ['approved', 'rejected']) {
      const own = { status, requested_by_user_id: requester.id, decided_by: requester.id, decided_at: new Date() };
      const error = await pgFailure(insert('transfers', own));
      expect([status, error.code, error.constraint]).toEqual([status, '23514', 'transfers_four_eyes']);
      const other = await insert('transfers', { ...own, decided_by: cfo.id });
      expect([other.requested_by_user_id, other.decided_by]).toEqual([requester.id, cfo.id]);
    }
    expect(await count('transfers', 'requested_by_user_id = $1 AND decided_by = $1', [requester.id])).toBe(0);
  });

  it('a transfer no user asked for (an agent, an API key) may be decided by any user', async () => {
    const transfer = await insert('transfers', { status: 'approved', requested_by_user_id: null, ...DECIDED });
    expect([transfer.requested_by_user_id, transfer.decided_by]).toEqual([null, expect.stringMatching(UUID_V4)]);
  });

  it('an UPDATE is checked too: the requester cannot be made the decider', async () => {
    const requester = await insert('users');
    const transfer = await insert('transfers', { requested_by_user_id: requester.id });
    const error = await pgFailure(
      sql(`UPDATE transfers SET status = 'approved', decided_by = $2, decided_at = now() WHERE id = $1`, [
        transfer.id,
        requester.id,
      ]),
    );
    expect([error.code, error.constraint]).toEqual(['23514', 'transfers_four_eyes']);
    expect((await sql('SELECT status, decided_by FROM transfers WHERE id = $1', [transfer.id])).rows).toEqual([
      { status: 'awaiting_approval', decided_by: null },
    ]);
  });
});

describe('UNIQUE', () => {
  it('transfers.task_id and transactions.transfer_id are the only UNIQUE constraints', async () => {
    expect((await constraintsCoveredBy(fixture.client, 'u', 'wallets')).sort()).toEqual([
      'transactions_transfer_id_key',
      'transfers_task_id_key',
    ]);
  });

  it('one transfer per execute_transaction task; transfers without a task never collide', async () => {
    const task = await insert('tasks', { task_type: 'execute_transaction' });
    await insert('transfers', { task_id: task.id });
    const error = await pgFailure(insert('transfers', { task_id: task.id }));
    expect([error.code, error.constraint]).toEqual(['23505', 'transfers_task_id_key']);
    expect(await count('transfers', 'task_id = $1', [task.id])).toBe(1);
    await insert('transfers', { task_id: null });
    await insert('transfers', { task_id: null });
  });

  it('one transaction per transfer; transactions without a transfer never collide', async () => {
    const transfer = await approvedTransfer();
    await insert('transactions', matching(transfer));
    const error = await pgFailure(insert('transactions', matching(transfer)));
    expect([error.code, error.constraint]).toEqual(['23505', 'transactions_transfer_id_key']);
    expect(await count('transactions', 'transfer_id = $1', [transfer.id])).toBe(1);
    await insert('transactions', { transfer_id: null });
    await insert('transactions', { transfer_id: null });
  });

  it('one key per wallet (its primary key)', async () => {
    const key = await insert('wallet_keys');
    const error = await pgFailure(insert('wallet_keys', { wallet_id: key.wallet_id }));
    expect([error.code, error.constraint]).toEqual(['23505', 'wallet_keys_pkey']);
  });
});

// A CREATE UNIQUE INDEX makes no pg_constraint row, so constraintsCoveredBy never sees it: this file lists every such
// index of the database (0010 made the first two), so that a later one without a test fails here.
describe('unique indexes (no constraint of their own)', () => {
  it('are exactly wallets (blockchain, address) and the partial transactions (wallet_id, nonce)', async () => {
    const { rows } = await sql(
      `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indisunique AND NOT i.indisprimary AND c.relnamespace = 'public'::regnamespace
         AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
       ORDER BY 1`,
    );
    expect(rows).toEqual([
      {
        name: 'transactions_wallet_nonce_key',
        def:
          'CREATE UNIQUE INDEX transactions_wallet_nonce_key ON public.transactions USING btree (wallet_id, nonce)' +
          " WHERE ((nonce IS NOT NULL) AND ((status)::text <> 'failed'::text))",
      },
      {
        name: 'wallets_blockchain_address_key',
        def: 'CREATE UNIQUE INDEX wallets_blockchain_address_key ON public.wallets USING btree (blockchain, address)',
      },
    ]);
  });

  it('wallets (blockchain, address): an address is one wallet per chain, and may recur on another chain', async () => {
    const address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    await insert('wallets', { blockchain: 'eip155:1', address });
    await insert('wallets', { blockchain: 'eip155:31337', address });
    const error = await pgFailure(insert('wallets', { blockchain: 'eip155:1', address }));
    expect([error.code, error.constraint]).toEqual(['23505', 'wallets_blockchain_address_key']);
    expect(await count('wallets', 'address = $1', [address])).toBe(2);
    // The index compares addresses as stored (the application stores them EIP-55 checksummed).
    await insert('wallets', { blockchain: 'eip155:1', address: address.toLowerCase() });
  });

  it('transactions (wallet_id, nonce): one live transaction per nonce of a wallet', async () => {
    const [wallet, other] = [await insert('wallets'), await insert('wallets')];
    await insert('transactions', { wallet_id: wallet.id, nonce: '5' });
    await insert('transactions', { wallet_id: wallet.id, nonce: '6' });
    await insert('transactions', { wallet_id: other.id, nonce: '5' });
    for (const status of ['pending', 'confirmed']) {
      const error = await pgFailure(insert('transactions', { wallet_id: wallet.id, nonce: '5', status }));
      expect([status, error.code, error.constraint]).toEqual([status, '23505', 'transactions_wallet_nonce_key']);
    }
    // Rows without a nonce (recorded before 0010, or never signed) never collide.
    await insert('transactions', { wallet_id: wallet.id, nonce: null });
    await insert('transactions', { wallet_id: wallet.id, nonce: null });
    expect(await count('transactions', 'wallet_id = $1', [wallet.id])).toBe(4);
  });

  it('a failed transaction frees its nonce, and cannot come back to life while another holds it', async () => {
    const wallet = await insert('wallets');
    const first = await insert('transactions', { wallet_id: wallet.id, nonce: '0' });
    await sql(`UPDATE transactions SET status = 'failed' WHERE id = $1`, [first.id]);
    await insert('transactions', { wallet_id: wallet.id, nonce: '0', status: 'failed' });
    const retry = await insert('transactions', { wallet_id: wallet.id, nonce: '0' });
    const again = await pgFailure(insert('transactions', { wallet_id: wallet.id, nonce: '0' }));
    expect([again.code, again.constraint]).toEqual(['23505', 'transactions_wallet_nonce_key']);
    const revived = await pgFailure(sql(`UPDATE transactions SET status = 'pending' WHERE id = $1`, [first.id]));
    expect([revived.code, revived.constraint]).toEqual(['23505', 'transactions_wallet_nonce_key']);
    expect(
      (await sql('SELECT id, status FROM transactions WHERE wallet_id = $1 ORDER BY status', [wallet.id])).rows.map(
        (r) => r.status,
      ),
    ).toEqual(['failed', 'failed', 'pending']);
    expect(await count('transactions', `id = $1 AND status = 'pending'`, [retry.id])).toBe(1);
  });
});

describe('FOREIGN KEY', () => {
  // [table, column, parent table]; all are ON DELETE NO ACTION ON UPDATE NO ACTION, like the spec's REFERENCES.
  const FKS = [
    ['wallet_keys', 'wallet_id', 'wallets'],
    ['transfers', 'wallet_id', 'wallets'],
    ['transfers', 'agent_id', 'agents'],
    ['transfers', 'task_id', 'tasks'],
    ['transfers', 'requested_by_user_id', 'users'],
    ['transfers', 'decided_by', 'users'],
    ['transactions', 'transfer_id', 'transfers'],
  ] as const;
  /** The primary key of each table (a wallet key's is its wallet's id). */
  const keyOf = (table: string) => (table === 'wallet_keys' ? 'wallet_id' : 'id');

  it('the foreign keys, all NO ACTION on delete and on update, are exactly the ones this file tests', async () => {
    const names = await constraintsCoveredBy(fixture.client, 'f', 'wallets');
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
      // transactions_need_approval refuses an unknown transfer (on INSERT and UPDATE) before the foreign key is
      // checked (see below): with the trigger off, in a rolled-back transaction, the foreign key refuses it too.
      const unknown =
        table === 'transactions'
          ? await withoutApprovalTrigger(() => pgFailure(insert(table, { [column]: randomUUID() })))
          : await pgFailure(insert(table, { [column]: randomUUID() }));
      expect([unknown.code, unknown.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
      const parent = target === 'transfers' ? await approvedTransfer() : await insert(target);
      const child = await insert(table, table === 'transactions' ? matching(parent) : { [column]: parent.id });
      const key = keyOf(table);
      const deleted = await pgFailure(sql(`DELETE FROM ${target} WHERE id = $1`, [parent.id]));
      expect([deleted.code, deleted.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
      const moved = await pgFailure(sql(`UPDATE ${target} SET id = gen_random_uuid() WHERE id = $1`, [parent.id]));
      expect([moved.code, moved.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
      expect(await count(table, `${key} = $1 AND ${column} = $2`, [child[key], parent.id])).toBe(1);
      // Once nothing refers to it, it can go.
      await sql(`DELETE FROM ${table} WHERE ${key} = $1`, [child[key]]);
      await sql(`DELETE FROM ${target} WHERE id = $1`, [parent.id]);
      expect(await count(target, 'id = $1', [parent.id])).toBe(0);
    },
  );

  it('transfers.requested_by (who asked: a user, an agent, an API key) is JSON, not a reference', async () => {
    const requestedBy = { kind: 'agent', agentId: randomUUID(), taskId: randomUUID() };
    expect((await insert('transfers', { requested_by: requestedBy })).requested_by).toEqual(requestedBy);
  });
});

describe('NOT NULL', () => {
  const NOT_NULL = [
    ...['kek_provider', 'kek_ref', 'wrapped_key', 'ciphertext', 'created_at'].map((c) => ['wallet_keys', c]),
    ...[
      'wallet_id',
      'amount',
      'amount_base_units',
      'currency',
      'recipient',
      'reason',
      'status',
      'policy_check',
      'requested_by',
      'expires_at',
      'created_at',
      'updated_at',
      'version',
    ].map((c) => ['transfers', c]),
    ['transactions', 'confirmations'],
    ['transactions', 'updated_at'],
  ] as [string, string][];

  it('the NOT NULL columns (besides the primary keys) are exactly the ones this file tests', async () => {
    expect((await notNullColumnsCoveredBy(fixture.client, 'wallets')).sort()).toEqual(
      NOT_NULL.map(([t, c]) => `${t}.${c}`).sort(),
    );
  });

  it.each(NOT_NULL)('%s.%s rejects NULL, even where it has a default', async (table, column) => {
    const error = await pgFailure(insert(table, { [column]: null }));
    expect([error.code, error.column]).toEqual(['23502', column]);
  });

  it('the primary keys, transfers.id (a random UUID) and wallet_keys.wallet_id (no default), reject NULL', async () => {
    const { rows } = await sql(
      `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
              pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE i.indisprimary AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) ORDER BY 1`,
      [WALLET_TABLES],
    );
    expect(rows).toEqual([
      { table: 'transfers', column: 'id', type: 'uuid', default: 'gen_random_uuid()' },
      { table: 'wallet_keys', column: 'wallet_id', type: 'uuid', default: null },
    ]);
    for (const { table, column } of rows) {
      const error = await pgFailure(insert(String(table), { [String(column)]: null }));
      expect([table, error.code, error.column]).toEqual([table, '23502', column]);
    }
    expect(WALLET_TABLES).toEqual(['wallet_keys', 'transfers']);
  });
});

describe('defaults', () => {
  it('a transfer: awaiting approval, version 0, no agent, task, requesting user, decision or error', async () => {
    const transfer = await insert('transfers');
    expect(transfer).toMatchObject({
      status: 'awaiting_approval',
      version: 0,
      agent_id: null,
      task_id: null,
      requested_by_user_id: null,
      decided_by: null,
      decided_at: null,
      decision_note: null,
      error: null,
    });
    expect(transfer.id).toMatch(UUID_V4);
    expect([recent(transfer.created_at), recent(transfer.updated_at)]).toEqual([true, true]);
  });

  it('a wallet key is stamped when made', async () => {
    expect(recent((await insert('wallet_keys')).created_at)).toBe(true);
  });

  it('a transaction: no transfer, nothing signed, sent or mined yet, 0 confirmations, updated now', async () => {
    const transaction = await insert('transactions');
    expect(transaction).toMatchObject({
      transfer_id: null,
      from_address: null,
      to_address: null,
      amount_base_units: null,
      nonce: null,
      raw_transaction: null,
      block_number: null,
      confirmations: 0,
      gas_used: null,
      effective_gas_price: null,
      fee_base_units: null,
      error: null,
      broadcast_at: null,
      confirmed_at: null,
    });
    expect(recent(transaction.updated_at)).toBe(true);
  });

  it('transactions that existed before migration 0010 get the same defaults when it adds the columns', async () => {
    const wallets = ALL_MIGRATIONS.indexOf('0010_wallet_keys_and_transfers');
    expect(wallets).toBeGreaterThan(0);
    const old = await createEmptyTestDatabase();
    const c = new pg.Client({ connectionString: old.url });
    try {
      await migrate({ databaseUrl: old.url, migrationsDir: MIGRATIONS_DIR, target: ALL_MIGRATIONS[wallets - 1] });
      await c.connect();
      const before = await insertRow(c, 'transactions', { status: 'confirmed', transaction_hash: '0xmined' });
      await migrate({ databaseUrl: old.url, migrationsDir: MIGRATIONS_DIR });
      const { rows } = await c.query(
        'SELECT transfer_id, nonce, confirmations, updated_at FROM transactions WHERE id = $1',
        [before.id],
      );
      expect(rows).toEqual([{ transfer_id: null, nonce: null, confirmations: 0, updated_at: expect.any(Date) }]);
      expect(recent(rows[0]?.updated_at)).toBe(true);
    } finally {
      await c.end().catch(() => undefined);
      await old.drop();
    }
  });
});

describe('triggers', () => {
  it('transfers and transactions have exactly these triggers (wallet_keys none)', async () => {
    const { rows } = await sql(
      `SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) ORDER BY t.tgname`,
      [[...WALLET_TABLES, 'transactions']],
    );
    const each = 'FOR EACH ROW EXECUTE FUNCTION';
    expect(rows.map((r) => r.def)).toEqual([
      `CREATE TRIGGER transactions_need_approval BEFORE INSERT OR UPDATE ON public.transactions ${each} chimera_transaction_needs_approval()`,
      // Migration 0009's, tested in change-notifications.test.ts.
      `CREATE TRIGGER transactions_notify_change AFTER INSERT OR DELETE OR UPDATE ON public.transactions ${each} chimera_notify_change('wallet_id')`,
      `CREATE TRIGGER transactions_touch_updated_at BEFORE UPDATE ON public.transactions ${each} chimera_touch_updated_at()`,
      `CREATE TRIGGER transfers_notify_change AFTER INSERT OR DELETE OR UPDATE ON public.transfers ${each} chimera_notify_change('wallet_id')`,
      `CREATE TRIGGER transfers_touch_updated_at BEFORE UPDATE ON public.transfers ${each} chimera_touch_updated_at()`,
    ]);
  });

  it('transfers_touch_updated_at: a decision bumps updated_at, and leaves created_at alone', async () => {
    const transfer = await insert('transfers');
    await sql(`UPDATE transfers SET updated_at = '2001-02-03T04:05:06Z' WHERE id = $1`, [transfer.id]);
    const cfo = await insert('users');
    const { rows } = await sql(
      `UPDATE transfers SET status = 'approved', decided_by = $2, decided_at = now(), version = version + 1
       WHERE id = $1 RETURNING created_at, updated_at`,
      [transfer.id, cfo.id],
    );
    expect(rows[0]?.created_at).toEqual(transfer.created_at);
    expect(recent(rows[0]?.updated_at)).toBe(true);
  });

  it('transactions_touch_updated_at: a confirmation bumps updated_at, and leaves created_at alone', async () => {
    const transaction = await insert('transactions', { nonce: '0' });
    const set = await sql(`UPDATE transactions SET updated_at = '2001-02-03T04:05:06Z' WHERE id = $1 RETURNING *`, [
      transaction.id,
    ]);
    expect(set.rows[0]?.updated_at).toEqual(new Date('2001-02-03T04:05:06Z'));
    const { rows } = await sql(
      `UPDATE transactions SET status = 'confirmed', block_number = 7, confirmations = 1, confirmed_at = now()
       WHERE id = $1 RETURNING created_at, updated_at`,
      [transaction.id],
    );
    expect(rows[0]?.created_at).toEqual(transaction.created_at);
    expect(recent(rows[0]?.updated_at)).toBe(true);
  });
});

describe('transactions_need_approval: no transaction is recorded for a transfer no CFO approved', () => {
  const notApproved = (transfer: Values, status: string) =>
    `transfer ${String(transfer.id)} is not approved (status ${status}): no transaction may be recorded for it`;
  const mismatch = (transfer: Values) =>
    `the transaction does not match transfer ${String(transfer.id)} (wallet, amount, currency or recipient)`;

  it.each(['awaiting_approval', 'rejected', 'expired', 'cancelled', 'submitted', 'confirmed', 'failed'])(
    'refuses one for a transfer that is %s',
    async (status) => {
      const transfer = await insert('transfers', { status, requested_by_user_id: aUser, ...DECIDED });
      const error = await pgFailure(insert('transactions', matching(transfer)));
      expect([error.code, error.message]).toEqual(['23514', notApproved(transfer, status)]);
      expect(await count('transactions', 'transfer_id = $1', [transfer.id])).toBe(0);
    },
  );

  it('refuses one for a transfer that does not exist (before the foreign key would)', async () => {
    const ghost = { id: randomUUID() };
    const error = await pgFailure(insert('transactions', { transfer_id: ghost.id }));
    expect([error.code, error.message]).toEqual(['23514', notApproved(ghost, '<NULL>')]);
  });

  it('refuses one that does not match the approved transfer: another wallet, amount, currency or recipient', async () => {
    const transfer = await approvedTransfer();
    const otherWallet = await insert('wallets');
    for (const wrong of [
      { wallet_id: otherWallet.id },
      { wallet_id: null },
      { amount_base_units: '500000000000000001' },
      { amount_base_units: null },
      { amount: '9.99000000' },
      { currency: 'DAI' },
      { to_address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' },
      { to_address: null },
    ]) {
      const error = await pgFailure(insert('transactions', { ...matching(transfer), ...wrong }));
      expect([wrong, error.code, error.message]).toEqual([wrong, '23514', mismatch(transfer)]);
    }
    expect(await count('transactions', 'transfer_id = $1', [transfer.id])).toBe(0);
  });

  it('allows the matching one for an approved transfer with a decided_by user (the recipient in any case)', async () => {
    const transfer = await approvedTransfer();
    expect(transfer.decided_by).toMatch(UUID_V4);
    const recipient = String(transfer.recipient);
    const row = await insert('transactions', { ...matching(transfer), to_address: recipient.toLowerCase() });
    expect(row).toMatchObject({
      transfer_id: transfer.id,
      wallet_id: transfer.wallet_id,
      amount_base_units: transfer.amount_base_units,
      to_address: recipient.toLowerCase(),
      status: 'pending',
    });
    const upper = await approvedTransfer();
    await insert('transactions', { ...matching(upper), to_address: `0x${recipient.slice(2).toUpperCase()}` });
    expect(await count('transactions', 'transfer_id = ANY($1)', [[transfer.id, upper.id]])).toBe(2);
  });

  it('refuses one for an "approved" transfer without a decider, should transfers_decision_recorded ever go', async () => {
    await sql('BEGIN');
    try {
      await sql('ALTER TABLE transfers DROP CONSTRAINT transfers_decision_recorded');
      const transfer = await insert('transfers', { status: 'approved' });
      const error = await pgFailure(insert('transactions', matching(transfer)));
      expect([error.code, error.message]).toEqual(['23514', notApproved(transfer, 'approved')]);
    } finally {
      await sql('ROLLBACK');
    }
    expect(await count('pg_constraint', `conname = 'transfers_decision_recorded'`, [])).toBe(1);
  });

  it('on UPDATE: nothing can re-point or change what an approved transaction sends; status and receipts may change', async () => {
    const transfer = await approvedTransfer();
    const row = await insert('transactions', matching(transfer));
    await sql(`UPDATE transfers SET status = 'submitted' WHERE id = $1`, [transfer.id]);
    for (const change of [
      `amount_base_units = amount_base_units + 1`,
      `to_address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'`,
      `currency = 'DAI'`,
    ]) {
      const error = await pgFailure(sql(`UPDATE transactions SET ${change} WHERE id = $1`, [row.id]));
      expect([change, error.code, error.message]).toEqual([change, '23514', mismatch(transfer)]);
    }
    // What the sender writes as the transaction goes on: no check needed, none made.
    await sql(`UPDATE transfers SET status = 'confirmed' WHERE id = $1`, [transfer.id]);
    const { rows } = await sql(
      `UPDATE transactions SET status = 'confirmed', confirmations = 3, block_number = 9 WHERE id = $1 RETURNING status`,
      [row.id],
    );
    expect(rows[0]?.status).toBe('confirmed');
    // A row without a transfer cannot be attached to one that is not being sent.
    const waiting = await insert('transfers', { requested_by_user_id: aUser });
    const loose = await insert('transactions', { ...matching(waiting), transfer_id: null });
    const error = await pgFailure(
      sql(`UPDATE transactions SET transfer_id = $2 WHERE id = $1`, [loose.id, waiting.id]),
    );
    expect([error.code, error.message]).toEqual([
      '23514',
      `transfer ${String(waiting.id)} is awaiting_approval: its transaction cannot be re-pointed or changed`,
    ]);
    // Unlinking (a failed attempt whose transfer is signed again) is allowed.
    await sql(`UPDATE transactions SET transfer_id = NULL WHERE id = $1`, [row.id]);
  });

  it('allows rows with no transfer_id, whatever their wallet, amount or recipient', async () => {
    const wallet = await insert('wallets');
    const row = await insert('transactions', {
      wallet_id: wallet.id,
      transfer_id: null,
      amount_base_units: '1',
      to_address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    });
    expect(row).toMatchObject({ transfer_id: null, wallet_id: wallet.id, amount_base_units: '1' });
  });
});

describe('idx_transfers_open', () => {
  it('is a btree on transfers(status, expires_at), partial: the transfers still open', async () => {
    const { rows } = await sql(
      `SELECT pg_get_expr(i.indpred, i.indrelid) AS predicate, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'idx_transfers_open'`,
    );
    const predicate =
      "((status)::text = ANY ((ARRAY['awaiting_approval'::character varying, 'approved'::character varying, " +
      "'submitted'::character varying])::text[]))";
    expect(rows).toEqual([
      {
        predicate,
        def: `CREATE INDEX idx_transfers_open ON public.transfers USING btree (status, expires_at) WHERE ${predicate}`,
      },
    ]);
  });

  it('serves the query for open transfers past their expiry, and cannot serve one for closed transfers', async () => {
    await sql('BEGIN');
    try {
      const statuses = ['awaiting_approval', 'expired', 'cancelled', 'approved'];
      for (let i = 0; i < 20; i++) {
        const status = statuses[i % statuses.length] as string;
        await insert('transfers', { status, ...(status === 'approved' ? DECIDED : {}) });
      }
      await sql('ANALYZE transfers');
      await sql('SET LOCAL enable_seqscan = off');
      const plan = async (where: string) =>
        (await sql(`EXPLAIN (COSTS OFF) SELECT id FROM transfers WHERE ${where}`)).rows
          .map((r) => String(r['QUERY PLAN']))
          .join('\n');
      expect(await plan(`status = 'awaiting_approval' AND expires_at < now()`)).toContain('idx_transfers_open');
      expect(await plan(`status = 'expired' AND expires_at < now()`)).not.toContain('idx_transfers_open');
    } finally {
      await sql('ROLLBACK');
    }
  });
});
