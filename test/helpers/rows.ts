// Raw-SQL row helpers for the database tests: the smallest valid row of each table, and error capture.
import pg from 'pg';
import { expect } from 'vitest';

export type Values = Record<string, unknown>;

/** The smallest valid row of each table. */
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
};

/** INSERTs BASE_ROWS[table] with `overrides` and returns the row as stored (RETURNING *). */
export async function insertRow(client: pg.Client, table: string, overrides: Values = {}): Promise<Values> {
  const row = { ...BASE_ROWS[table], ...overrides };
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
