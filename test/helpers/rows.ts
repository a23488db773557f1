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

/** The tables of migrations 0001–0005 (constraints.test.ts) and of 0006, identity and access (constraints-identity). */
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
  wallets: { address: '0xabc', blockchain: 'ethereum' },
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
