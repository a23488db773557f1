// Raw-SQL row helpers for the database tests: the smallest valid row of each table, and error capture.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';

export type Values = Record<string, unknown>;

/** A column value made at each insert: a fresh value for a UNIQUE column, or the id of a new parent row. */
type Fresh = (client: pg.Client) => unknown;

const fresh = (make: () => unknown): Fresh => make;
/** Inserts the smallest valid row of `table` and uses its id (only when the insert does not override the column). */
const parent =
  (table: string): Fresh =>
  async (client) =>
    (await insertRow(client, table)).id;
const inAnHour = fresh(() => new Date(Date.now() + 3_600_000));

/**
 * The tables of migrations 0001–0005 (constraints.test.ts), of 0006, identity and access (constraints-identity), of
 * 0007, the swarm (constraints-swarm, which also covers the columns 0007 added to tasks: see SWARM_COLUMNS), of 0008,
 * publishing and webhooks (constraints-publishing), and of 0010, wallet keys and transfers (constraints-wallets, which
 * also covers the columns 0010 added to transactions: see WALLET_COLUMNS).
 */
export const CORE_TABLES = [
  'personas',
  'agents',
  'tasks',
  'content',
  'trends',
  'interactions',
  'wallets',
  'transactions',
  'audit_logs',
  'security_audit_logs',
] as const;
export const IDENTITY_TABLES = [
  'users',
  'user_identities',
  'recovery_codes',
  'webauthn_credentials',
  'sessions',
  'refresh_tokens',
  'api_keys',
  'signing_keys',
  'security_alerts',
] as const;
export const SWARM_TABLES = ['goals', 'outbox'] as const;
export const PUBLISHING_TABLES = ['publications', 'webhook_deliveries'] as const;
export const WALLET_TABLES = ['wallet_keys', 'transfers'] as const;
/** Columns migration 0008 added to older tables: tested with the publishing tables. */
export const PUBLISHING_COLUMNS: Readonly<Record<string, readonly string[]>> = { goals: ['context'] };
/** Columns migration 0007 added to older tables: their constraints are tested with the swarm tables. */
export const SWARM_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  tasks: ['goal_id', 'depends_on', 'attempts', 'version'],
};
/** Columns migration 0010 added to older tables: tested with the wallet tables. */
export const WALLET_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  transactions: [
    'transfer_id',
    'from_address',
    'to_address',
    'amount_base_units',
    'nonce',
    'raw_transaction',
    'block_number',
    'confirmations',
    'gas_used',
    'effective_gas_price',
    'fee_base_units',
    'error',
    'broadcast_at',
    'confirmed_at',
    'updated_at',
  ],
};

/** The constraint test file that covers a constraint (or NOT NULL) on `columns` of `table`. */
export type ConstraintFile = 'core' | 'identity' | 'swarm' | 'publishing' | 'wallets';

export function constraintFileOf(table: string, columns: readonly string[]): ConstraintFile | undefined {
  const added = SWARM_COLUMNS[table];
  const added8 = PUBLISHING_COLUMNS[table];
  const added10 = WALLET_COLUMNS[table];
  if (added10 !== undefined && columns.length > 0 && columns.every((c) => added10.includes(c))) return 'wallets';
  if ((WALLET_TABLES as readonly string[]).includes(table)) return 'wallets';
  if (added8 !== undefined && columns.length > 0 && columns.every((c) => added8.includes(c))) return 'publishing';
  if ((PUBLISHING_TABLES as readonly string[]).includes(table)) return 'publishing';
  if ((SWARM_TABLES as readonly string[]).includes(table)) return 'swarm';
  if (added !== undefined && columns.length > 0 && columns.every((c) => added.includes(c))) return 'swarm';
  if ((CORE_TABLES as readonly string[]).includes(table)) return 'core';
  if ((IDENTITY_TABLES as readonly string[]).includes(table)) return 'identity';
  return undefined;
}

/** The names of the constraints of one kind (c: CHECK, f: FOREIGN KEY, u: UNIQUE) that `file` covers. */
export async function constraintsCoveredBy(
  client: pg.Client,
  kind: 'c' | 'f' | 'u',
  file: ConstraintFile,
): Promise<string[]> {
  const { rows } = await client.query<{ name: string; table: string; columns: string[] }>(
    `SELECT con.conname AS name, c.relname AS table,
       ARRAY(SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = con.conrelid AND a.attnum = ANY(con.conkey))::text[] AS columns
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
     WHERE con.contype = $1 AND con.connamespace = 'public'::regnamespace`,
    [kind],
  );
  return rows.filter((r) => constraintFileOf(r.table, r.columns) === file).map((r) => r.name);
}

/** The NOT NULL columns (`table.column`, primary keys left out) that `file` covers. */
export async function notNullColumnsCoveredBy(client: pg.Client, file: ConstraintFile): Promise<string[]> {
  const { rows } = await client.query<{ table: string; column: string }>(
    `SELECT c.relname AS table, a.attname AS column FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0
       AND NOT a.attisdropped AND a.attnotnull
       AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey))`,
  );
  return rows.filter((r) => constraintFileOf(r.table, [r.column]) === file).map((r) => `${r.table}.${r.column}`);
}

/**
 * The smallest valid row of each table. A function value is called at each insert (see `Fresh`), so inserting the
 * same table twice never collides on a UNIQUE column, and a required parent row is made on the way.
 */
export const BASE_ROWS: Record<string, Values> = {
  personas: { name: 'Ada' },
  agents: { name: 'agent-1' },
  tasks: { task_type: 'generate_content', priority: 'high', context: {} },
  content: { content_type: 'text', content_data: 'hello' },
  trends: { topic: 'rust' },
  interactions: { platform: 'x', interaction_type: 'like' },
  // wallets(blockchain, address) is UNIQUE (0010): a fresh 20-byte address each time.
  wallets: { address: fresh(() => `0x${randomBytes(20).toString('hex')}`), blockchain: 'ethereum' },
  transactions: { amount: '1.5', currency: 'ETH' },
  audit_logs: { action: 'login' },
  security_audit_logs: { action: 'login' },
  users: { email: fresh(() => `user-${randomUUID()}@example.com`) },
  user_identities: { user_id: parent('users'), issuer: 'https://idp.example.com', subject: fresh(randomUUID) },
  recovery_codes: { user_id: parent('users'), code_hash: 'sha256:code' },
  webauthn_credentials: {
    user_id: parent('users'),
    credential_id: fresh(() => randomBytes(16).toString('base64url')),
    public_key: Buffer.from([0xa5, 0x01, 0x02]),
  },
  sessions: { user_id: parent('users'), auth_method: 'password', expires_at: inAnHour },
  refresh_tokens: { jti: fresh(randomUUID), session_id: parent('sessions'), expires_at: inAnHour },
  api_keys: { name: 'ci', prefix: fresh(() => `ck_${randomBytes(8).toString('hex')}`), secret_hash: 'sha256:secret' },
  signing_keys: {
    kid: fresh(randomUUID),
    public_jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
    private_key_encrypted: 'ciphertext',
  },
  security_alerts: { kind: 'account_locked', severity: 'high', message: 'Account locked after failed sign-ins' },
  goals: { agent_id: parent('agents'), description: 'Grow the audience for the spring collection' },
  outbox: { topic: 'work', payload: { taskId: 't-1' }, dedupe_key: fresh(() => `work:${randomUUID()}`) },
  publications: { content_id: parent('content'), platform: 'social', account: 'juno' },
  webhook_deliveries: { platform: 'social', event_id: fresh(() => `evt_${randomUUID()}`), interactions: 1 },
  wallet_keys: {
    wallet_id: parent('wallets'),
    kek_provider: 'local',
    kek_ref: 'ENCRYPTION_KEY',
    wrapped_key: 'wrapped-data-key',
    ciphertext: 'sealed-private-key',
  },
  transfers: {
    wallet_id: parent('wallets'),
    amount: '0.50000000',
    amount_base_units: '500000000000000000',
    currency: 'ETH',
    recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    reason: 'Pay the illustrator',
    policy_check: { verdict: 'allowed' },
    requested_by: { kind: 'operator' },
    expires_at: inAnHour,
  },
};

/**
 * INSERTs BASE_ROWS[table] with `overrides` and returns the row as stored (RETURNING *). An override of `undefined`
 * leaves the column out of the INSERT (so its default applies), `null` inserts NULL.
 */
export async function insertRow(client: pg.Client, table: string, overrides: Values = {}): Promise<Values> {
  const row: Values = {};
  for (const [column, value] of Object.entries({ ...BASE_ROWS[table], ...overrides })) {
    if (value !== undefined) row[column] = typeof value === 'function' ? await (value as Fresh)(client) : value;
  }
  const columns = Object.keys(row);
  const params = columns.map((_, i) => `$${i + 1}`).join(', ');
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${params}) RETURNING *`;
  const { rows } = await client.query<Values>(sql, Object.values(row));
  return rows[0] as Values;
}

/** The PostgreSQL error a statement must fail with. */
export async function pgFailure(promise: Promise<unknown>): Promise<pg.DatabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the statement to be rejected').toBeInstanceOf(pg.DatabaseError);
  return error as pg.DatabaseError;
}
