// What the database does by itself: defaults, the updated_at trigger, the v1.1 backfill, and the special indexes.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/platform/db/migrator.js';
import { createEmptyTestDatabase, useMigratedDatabaseClient } from '../helpers/db.js';
import { MIGRATIONS_DIR } from '../helpers/db-names.js';
import { ALL_MIGRATIONS } from '../helpers/migrations.js';
import { BASE_ROWS, insertRow, pgFailure } from '../helpers/rows.js';

const fixture = useMigratedDatabaseClient();

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const recent = (value: unknown): boolean => value instanceof Date && Math.abs(Date.now() - value.getTime()) < 60_000;

/**
 * Primary keys without a default: a refresh token's id is its JWT's jti, a signing key's is its JWK's kid, a webhook
 * delivery's is the platform's event id, a wallet key's is its wallet's id.
 */
const SUPPLIED_KEYS: Record<string, string> = {
  refresh_tokens: 'jti',
  signing_keys: 'kid',
  webhook_deliveries: 'event_id',
  wallet_keys: 'wallet_id',
};
/** Primary keys from a sequence (BIGSERIAL), so the outbox relays messages in the order they were written. */
const SEQUENCE_KEYS = new Set(['outbox']);

describe('defaults', () => {
  it.each(Object.keys(BASE_ROWS))(
    '%s gets a gen_random_uuid() id (a sequence number for the outbox, none if supplied) and its timestamps',
    async (table) => {
      const [a, b] = [await insertRow(fixture.client, table), await insertRow(fixture.client, table)];
      const key = SUPPLIED_KEYS[table];
      if (SEQUENCE_KEYS.has(table)) {
        // BIGINT comes back from pg as a string.
        expect(a.id).toMatch(/^[1-9]\d*$/);
        expect(BigInt(String(b.id))).toBeGreaterThan(BigInt(String(a.id)));
      } else if (key === undefined) {
        expect(a.id).toMatch(UUID_V4);
        expect(b.id).not.toBe(a.id);
      } else {
        expect(a).not.toHaveProperty('id');
        const missing = await pgFailure(insertRow(fixture.client, table, { [key]: undefined }));
        expect([missing.code, missing.column]).toEqual(['23502', key]);
      }
      const stamped = [
        'created_at',
        'updated_at',
        'detected_at',
        'timestamp',
        'issued_at',
        'last_seen_at',
        'received_at',
      ].filter((c) => c in a);
      expect(stamped.length).toBeGreaterThan(0);
      for (const column of stamped) expect(recent(a[column]), `${table}.${column} = ${String(a[column])}`).toBe(true);
    },
  );

  it('status, active and nothing else are filled in', async () => {
    expect(await insertRow(fixture.client, 'tasks')).toMatchObject({
      status: 'pending',
      result: null,
      execution_time_ms: null,
    });
    expect(await insertRow(fixture.client, 'content')).toMatchObject({ status: 'draft', published_at: null });
    expect(await insertRow(fixture.client, 'transactions')).toMatchObject({
      status: 'pending',
      transaction_hash: null,
    });
    expect(await insertRow(fixture.client, 'agents')).toMatchObject({ active: true, performance_score: null });
    expect(await insertRow(fixture.client, 'trends')).toMatchObject({ active: true, expires_at: null });
    expect(await insertRow(fixture.client, 'security_audit_logs')).toMatchObject({ success: null, risk_score: null });
  });

  it('identity rows get no roles (a key: api_user), empty attributes, counter 0, RS256, and nothing else', async () => {
    const insert = (table: string) => insertRow(fixture.client, table);
    expect(await insert('users')).toMatchObject({
      roles: [],
      attributes: {},
      display_name: null,
      password_hash: null,
      totp_secret_encrypted: null,
      mfa_enabled_at: null,
      locked_until: null,
      disabled_at: null,
    });
    expect(await insert('api_keys')).toMatchObject({
      roles: ['api_user'],
      attributes: {},
      created_by: null,
      last_used_at: null,
      expires_at: null,
      revoked_at: null,
    });
    // BIGINT comes back from pg as a string.
    expect(await insert('webauthn_credentials')).toMatchObject({
      counter: '0',
      transports: [],
      name: null,
      last_used_at: null,
    });
    expect(await insert('sessions')).toMatchObject({
      amr: [],
      ip_address: null,
      user_agent: null,
      step_up_at: null,
      revoked_at: null,
      revoked_reason: null,
    });
    expect(await insert('refresh_tokens')).toMatchObject({ used_at: null, replaced_by: null });
    expect(await insert('signing_keys')).toMatchObject({ algorithm: 'RS256', retired_at: null, expires_at: null });
    expect(await insert('security_alerts')).toMatchObject({
      details: {},
      user_id: null,
      acknowledged_at: null,
      acknowledged_by: null,
    });
    expect(await insert('recovery_codes')).toMatchObject({ used_at: null });
    expect(await insert('user_identities')).toMatchObject({ email: null, last_login_at: null });
  });
});

describe('updated_at trigger', () => {
  const TOUCHED = [
    ['personas', 'name', 'renamed'],
    ['agents', 'name', 'renamed'],
    ['tasks', 'priority', 'low'],
    ['users', 'display_name', 'Ada Lovelace'],
    ['goals', 'status', 'running'],
    ['publications', 'status', 'posted'],
    ['transfers', 'status', 'expired'],
    ['transactions', 'status', 'confirmed'],
  ] as const;

  it('is on exactly the tables with an updated_at column', async () => {
    const { rows } = await fixture.client.query<{ table: string; touched: boolean }>(
      `SELECT c.relname AS table, EXISTS (
         SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal
           AND t.tgfoid = 'chimera_touch_updated_at'::regproc) AS touched
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attname = 'updated_at'
         AND NOT a.attisdropped ORDER BY 1`,
    );
    expect(rows).toEqual(
      TOUCHED.map(([table]) => ({ table, touched: true })).sort((a, b) => a.table.localeCompare(b.table)),
    );
  });

  it.each(TOUCHED)('%s: an UPDATE bumps updated_at unless it sets updated_at itself', async (table, column, value) => {
    const row = await insertRow(fixture.client, table);
    const explicit = await fixture.client.query(
      `UPDATE ${table} SET updated_at = '2001-02-03T04:05:06Z' WHERE id = $1 RETURNING updated_at, created_at`,
      [row.id],
    );
    expect(explicit.rows[0]?.updated_at).toEqual(new Date('2001-02-03T04:05:06Z'));
    expect(explicit.rows[0]?.created_at).toEqual(row.created_at);
    const bumped = await fixture.client.query(`UPDATE ${table} SET ${column} = $2 WHERE id = $1 RETURNING updated_at`, [
      row.id,
      value,
    ]);
    expect(recent(bumped.rows[0]?.updated_at)).toBe(true);
  });
});

describe('v1.1 migration', () => {
  it('backfills tasks.execution_time_ms from rows that existed before it', async () => {
    const old = await createEmptyTestDatabase();
    const c = new pg.Client({ connectionString: old.url });
    try {
      await migrate({ databaseUrl: old.url, migrationsDir: MIGRATIONS_DIR, target: '0001_init' });
      await c.connect();
      const cases: [string, string | null, number | null][] = [
        ['2024-01-01T00:00:00Z', '2024-01-01T00:00:01.5Z', 1500],
        ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 0],
        ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 86_400_000],
        ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.0015Z', 2], // 1.5 ms: numeric → integer rounds half away from 0
        ['2024-01-01T00:00:00Z', null, null],
        // Longer than an INTEGER of milliseconds holds (~24.8 days): clamped, instead of failing the upgrade.
        ['2024-01-01T00:00:00Z', '2024-03-01T00:00:00Z', 2_147_483_647],
      ];
      const ids: string[] = [];
      for (const [createdAt, updatedAt] of cases) {
        const row = await insertRow(c, 'tasks', { created_at: createdAt, updated_at: updatedAt });
        ids.push(String(row.id));
      }
      await c.end();
      expect((await migrate({ databaseUrl: old.url, migrationsDir: MIGRATIONS_DIR })).applied).toEqual(
        ALL_MIGRATIONS.slice(1),
      );
      const after = new pg.Client({ connectionString: old.url });
      await after.connect();
      const { rows } = await after.query<{ id: string; ms: number | null }>(
        'SELECT id, execution_time_ms AS ms FROM tasks',
      );
      await after.end();
      const byId = new Map(rows.map((r) => [r.id, r.ms]));
      expect(ids.map((id) => byId.get(id))).toEqual(cases.map(([, , ms]) => ms));
    } finally {
      await c.end().catch(() => undefined);
      await old.drop();
    }
  });
});

describe('indexes', () => {
  it('idx_trends_active is partial (active = true), idx_trends_relevance is DESC, idx_content_engagement is GIN', async () => {
    const { rows } = await fixture.client.query<{
      name: string;
      method: string;
      predicate: string | null;
      def: string;
    }>(
      `SELECT c.relname AS name, am.amname AS method, pg_get_expr(i.indpred, i.indrelid) AS predicate,
              pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
       WHERE c.relname IN ('idx_trends_active', 'idx_trends_relevance', 'idx_content_engagement')
       ORDER BY 1`,
    );
    expect(rows).toEqual([
      {
        name: 'idx_content_engagement',
        method: 'gin',
        predicate: null,
        def: 'CREATE INDEX idx_content_engagement ON public.content USING gin (engagement_metrics)',
      },
      {
        name: 'idx_trends_active',
        method: 'btree',
        predicate: '(active = true)',
        def: 'CREATE INDEX idx_trends_active ON public.trends USING btree (active) WHERE (active = true)',
      },
      {
        name: 'idx_trends_relevance',
        method: 'btree',
        predicate: null,
        def: 'CREATE INDEX idx_trends_relevance ON public.trends USING btree (relevance_score DESC)',
      },
    ]);
  });
});
