// The identity-and-access tables of migration 0006 in psql terms: CHECK, UNIQUE, FOREIGN KEY (with their ON DELETE
// behaviour) and NOT NULL each reject a bad row. Raw `pg` against a migrated database of this file's own.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useMigratedDatabaseClient } from '../helpers/db.js';
import { IDENTITY_TABLES, insertRow, pgFailure, type Values } from '../helpers/rows.js';

const fixture = useMigratedDatabaseClient();

const insert = (table: string, overrides: Values = {}) => insertRow(fixture.client, table, overrides);
const sql = (text: string, values: unknown[] = []) => fixture.client.query<Values>(text, values);
const count = async (table: string, where: string, values: unknown[]) =>
  Number((await sql(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, values)).rows[0]?.n);

/** Constraints of one kind (c, f, u) on the identity tables: name, and for foreign keys the ON DELETE/UPDATE. */
async function constraints(kind: 'c' | 'f' | 'u'): Promise<string[]> {
  const { rows } = await sql(
    `SELECT con.conname || CASE WHEN con.contype = 'f'
              THEN ' ' || con.confdeltype::text || con.confupdtype::text ELSE '' END AS name
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
     WHERE con.contype = $1 AND con.connamespace = 'public'::regnamespace AND c.relname = ANY($2)`,
    [kind, IDENTITY_TABLES],
  );
  return rows.map((r) => String(r.name)).sort();
}

const ROLES = ['super_admin', 'agent_operator', 'content_reviewer', 'analyst', 'api_user', 'cfo'];
const ROLE_CHECK = {
  // A two-dimensional array ({{cfo}}) is contained in ARRAY['cfo'] for PostgreSQL: the CHECK also demands one dimension.
  bad: [['admin'], ['api_user', 'root'], ['API_USER'], ['cfo '], [null], ['analyst', null], [['cfo']]],
  good: [[], ['cfo'], ['analyst', 'content_reviewer'], ROLES],
};

const CHECKS: { table: string; column: string; bad: unknown[]; good: unknown[] }[] = [
  {
    table: 'users',
    column: 'email',
    bad: ['Ada@example.com', 'ada@EXAMPLE.COM', 'ada.example.com', '@example.com', 'ada@', '@', ''],
    good: ['ada@example.com', 'a@b', "o'brien+chimera@mail.example.co.uk"],
  },
  { table: 'users', column: 'roles', ...ROLE_CHECK },
  { table: 'api_keys', column: 'roles', ...ROLE_CHECK },
  {
    table: 'sessions',
    column: 'auth_method',
    bad: ['api_key', 'webauthn', 'PASSWORD', ''],
    good: ['password', 'oidc'],
  },
  { table: 'signing_keys', column: 'algorithm', bad: ['HS256', 'RS512', 'none', 'rs256', ''], good: ['RS256'] },
  {
    table: 'security_alerts',
    column: 'severity',
    bad: ['info', 'urgent', 'HIGH', ''],
    good: ['low', 'medium', 'high', 'critical'],
  },
  // 0012: the escalation level of a system trigger's alert (spec escalation_procedures level_1 to level_3).
  { table: 'security_alerts', column: 'level', bad: [0, 4, -1], good: [1, 2, 3] },
];

describe('in psql, every CHECK constraint of the identity tables rejects a bad row', () => {
  it('are exactly the ones this file tests', async () => {
    expect(await constraints('c')).toEqual(CHECKS.map((c) => `${c.table}_${c.column}_check`).sort());
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

  it('an UPDATE is checked too: a user cannot be given an unknown role or an upper-case email', async () => {
    const user = await insert('users', { roles: ['analyst'] });
    const role = await pgFailure(sql(`UPDATE users SET roles = array_append(roles, 'root') WHERE id = $1`, [user.id]));
    expect([role.code, role.constraint]).toEqual(['23514', 'users_roles_check']);
    const email = await pgFailure(sql('UPDATE users SET email = upper(email) WHERE id = $1', [user.id]));
    expect([email.code, email.constraint]).toEqual(['23514', 'users_email_check']);
    expect((await sql('SELECT email, roles FROM users WHERE id = $1', [user.id])).rows).toEqual([
      { email: user.email, roles: ['analyst'] },
    ]);
  });
});

describe('UNIQUE', () => {
  it('the UNIQUE constraints are exactly the ones this file tests', async () => {
    expect(await constraints('u')).toEqual([
      'api_keys_prefix_key',
      'user_identities_issuer_subject_key',
      'users_email_key',
      'webauthn_credentials_credential_id_key',
    ]);
  });

  it.each([
    ['users', 'email', 'dup@example.com'],
    ['webauthn_credentials', 'credential_id', 'AAECAwQFBgcICQoLDA0ODw'],
    ['api_keys', 'prefix', 'ck_duplicate'],
  ])('%s.%s rejects a duplicate', async (table, column, value) => {
    await insert(table, { [column]: value });
    const error = await pgFailure(insert(table, { [column]: value }));
    expect([error.code, error.constraint]).toEqual(['23505', `${table}_${column}_key`]);
  });

  it('users.email: one account per address, whatever its case (the CHECK keeps emails lower-case)', async () => {
    await insert('users', { email: 'grace@example.com' });
    const error = await pgFailure(insert('users', { email: 'Grace@example.com' }));
    expect([error.code, error.constraint]).toEqual(['23514', 'users_email_check']);
  });

  it('user_identities(issuer, subject) rejects a duplicate pair only, whichever user it would belong to', async () => {
    const issuer = 'https://accounts.example.com';
    await insert('user_identities', { issuer, subject: 'sub-1' });
    await insert('user_identities', { issuer, subject: 'sub-2' });
    await insert('user_identities', { issuer: 'https://login.example.org', subject: 'sub-1' });
    const error = await pgFailure(insert('user_identities', { issuer, subject: 'sub-1' }));
    expect([error.code, error.constraint]).toEqual(['23505', 'user_identities_issuer_subject_key']);
  });

  it.each([
    ['refresh_tokens', 'jti'],
    ['signing_keys', 'kid'],
  ])('%s.%s, a key the application supplies, rejects a duplicate', async (table, column) => {
    const row = await insert(table);
    const error = await pgFailure(insert(table, { [column]: row[column] }));
    expect([error.code, error.constraint]).toEqual(['23505', `${table}_pkey`]);
  });
});

describe('FOREIGN KEY', () => {
  // [table, column, parent table, ON DELETE]; every one is ON UPDATE NO ACTION.
  const FKS = [
    ['user_identities', 'user_id', 'users', 'CASCADE'],
    ['recovery_codes', 'user_id', 'users', 'CASCADE'],
    ['webauthn_credentials', 'user_id', 'users', 'CASCADE'],
    ['sessions', 'user_id', 'users', 'CASCADE'],
    ['refresh_tokens', 'session_id', 'sessions', 'CASCADE'],
    ['api_keys', 'created_by', 'users', 'NO ACTION'],
  ] as const;
  const CASCADES = FKS.filter(([, , , onDelete]) => onDelete === 'CASCADE');

  it('the foreign keys, with their ON DELETE and ON UPDATE, are exactly the ones this file tests', async () => {
    const action = { CASCADE: 'c', 'NO ACTION': 'a' };
    expect(await constraints('f')).toEqual(FKS.map(([t, c, , d]) => `${t}_${c}_fkey ${action[d]}a`).sort());
  });

  it.each(FKS)('%s.%s rejects an unknown id', async (table, column) => {
    const error = await pgFailure(insert(table, { [column]: randomUUID() }));
    expect([error.code, error.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
  });

  it.each(CASCADES)(
    '%s.%s: deleting a %s row deletes its rows, and only those; changing its id is blocked',
    async (table, column, target) => {
      const [doomed, kept] = [await insert(target), await insert(target)];
      for (const owner of [doomed, kept, doomed]) await insert(table, { [column]: owner.id });
      expect(await count(table, `${column} = ANY($1)`, [[doomed.id, kept.id]])).toBe(3);
      await sql(`DELETE FROM ${target} WHERE id = $1`, [doomed.id]);
      expect(await count(table, `${column} = $1`, [doomed.id])).toBe(0);
      expect(await count(table, `${column} = $1`, [kept.id])).toBe(1);
      expect(await count(target, 'id = $1', [kept.id])).toBe(1);
      const moved = await pgFailure(sql(`UPDATE ${target} SET id = gen_random_uuid() WHERE id = $1`, [kept.id]));
      expect([moved.code, moved.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
    },
  );

  it('deleting a user deletes its identities, recovery codes, credentials, sessions and their refresh tokens', async () => {
    const user = await insert('users');
    const session = await insert('sessions', { user_id: user.id });
    await insert('refresh_tokens', { session_id: session.id });
    await insert('refresh_tokens', { session_id: session.id });
    for (const table of ['user_identities', 'recovery_codes', 'webauthn_credentials']) {
      await insert(table, { user_id: user.id });
    }
    const alert = await insert('security_alerts', { user_id: user.id, acknowledged_by: user.id });
    await sql('DELETE FROM users WHERE id = $1', [user.id]);
    expect(await count('refresh_tokens', 'session_id = $1', [session.id])).toBe(0);
    for (const table of ['user_identities', 'recovery_codes', 'webauthn_credentials', 'sessions']) {
      expect([table, await count(table, 'user_id = $1', [user.id])]).toEqual([table, 0]);
    }
    // Alerts name users by plain UUID (no foreign key): they outlive the user, like the security audit log.
    expect(await count('security_alerts', 'id = $1 AND user_id = $2', [alert.id, user.id])).toBe(1);
  });

  it('api_keys.created_by (NO ACTION): a user who created a key cannot be deleted until the key is gone', async () => {
    const creator = await insert('users');
    const key = await insert('api_keys', { created_by: creator.id });
    const blocked = await pgFailure(sql('DELETE FROM users WHERE id = $1', [creator.id]));
    expect([blocked.code, blocked.constraint]).toEqual(['23503', 'api_keys_created_by_fkey']);
    expect(await count('api_keys', 'id = $1 AND created_by = $2', [key.id, creator.id])).toBe(1);
    expect(await count('users', 'id = $1', [creator.id])).toBe(1);
    await sql('DELETE FROM api_keys WHERE id = $1', [key.id]);
    await sql('DELETE FROM users WHERE id = $1', [creator.id]);
    expect(await count('users', 'id = $1', [creator.id])).toBe(0);
    // A key needs no creator (keys made by a bootstrap script).
    expect((await insert('api_keys', { created_by: null })).created_by).toBeNull();
  });

  it('security_alerts.user_id / acknowledged_by and refresh_tokens.replaced_by are plain UUIDs', async () => {
    await insert('security_alerts', { user_id: randomUUID(), acknowledged_by: randomUUID() });
    await insert('refresh_tokens', { replaced_by: randomUUID() });
  });
});

describe('NOT NULL', () => {
  const NOT_NULL = [
    ...['email', 'roles', 'attributes', 'created_at', 'updated_at'].map((c) => ['users', c]),
    ...['user_id', 'issuer', 'subject', 'created_at'].map((c) => ['user_identities', c]),
    ...['user_id', 'code_hash', 'created_at'].map((c) => ['recovery_codes', c]),
    ...['user_id', 'credential_id', 'public_key', 'counter', 'transports', 'created_at'].map((c) => [
      'webauthn_credentials',
      c,
    ]),
    ...['user_id', 'auth_method', 'amr', 'created_at', 'last_seen_at', 'expires_at'].map((c) => ['sessions', c]),
    ...['session_id', 'issued_at', 'expires_at'].map((c) => ['refresh_tokens', c]),
    ...['name', 'prefix', 'secret_hash', 'roles', 'attributes', 'created_at'].map((c) => ['api_keys', c]),
    ...['algorithm', 'public_jwk', 'private_key_encrypted', 'created_at'].map((c) => ['signing_keys', c]),
    ...['kind', 'severity', 'message', 'details', 'created_at'].map((c) => ['security_alerts', c]),
  ] as [string, string][];

  it('the NOT NULL columns (besides the primary keys) are exactly the ones this file tests', async () => {
    const { rows } = await sql(
      `SELECT c.relname || '.' || a.attname AS col FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) AND a.attnum > 0
         AND NOT a.attisdropped AND a.attnotnull
         AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey))`,
      [IDENTITY_TABLES],
    );
    expect(rows.map((r) => String(r.col)).sort()).toEqual(NOT_NULL.map(([t, c]) => `${t}.${c}`).sort());
  });

  it.each(NOT_NULL)('%s.%s rejects NULL, even where it has a default', async (table, column) => {
    const error = await pgFailure(insert(table, { [column]: null }));
    expect([error.code, error.column]).toEqual(['23502', column]);
  });

  it('every primary key rejects NULL, and refresh_tokens.jti and signing_keys.kid have no default', async () => {
    const { rows } = await sql(
      `SELECT c.relname AS table, a.attname AS column, a.atthasdef AS has_default
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
       WHERE i.indisprimary AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) ORDER BY 1`,
      [IDENTITY_TABLES],
    );
    const supplied: Record<string, string> = { refresh_tokens: 'jti (no default)', signing_keys: 'kid (no default)' };
    expect(rows.map((r) => `${r.table}.${r.column}${r.has_default ? '' : ' (no default)'}`)).toEqual(
      [...IDENTITY_TABLES].sort().map((t) => `${t}.${supplied[t] ?? 'id'}`),
    );
    for (const { table, column } of rows) {
      const error = await pgFailure(insert(String(table), { [String(column)]: null }));
      expect([table, error.code, error.column]).toEqual([table, '23502', column]);
    }
  });
});
