// prisma/schema.prisma and the database the migrations build agree: every model, field, relation and index of the
// schema exists in the database as described, and the database has nothing the schema does not describe.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { SCHEMA_PATH } from '../helpers/db-names.js';
import { databaseShape } from '../helpers/db-shape.js';
import { indexPredicates, loadDatamodel } from '../helpers/prisma-dmmf.js';
import { diffShapes, expectedShape, type SchemaShape } from '../helpers/schema-shape.js';

/**
 * Index predicates schema.prisma's DMMF does not carry: it has no `where` for indexes (even with the partialIndexes
 * preview feature). Each must be the `where: raw("…")` schema.prisma gives that index (checked below, from the
 * schema's text), and is checked in behaviour in schema-behaviour.test.ts, constraints-swarm.test.ts and
 * constraints-wallets.test.ts.
 */
const KNOWN_PREDICATES = {
  idx_trends_active: '(active = true)',
  idx_outbox_pending: '(dispatched_at IS NULL)',
  idx_transfers_open:
    "((status)::text = ANY ((ARRAY['awaiting_approval'::character varying, 'approved'::character varying, 'submitted'::character varying])::text[]))",
  transactions_wallet_nonce_key: "((nonce IS NOT NULL) AND ((status)::text <> 'failed'::text))",
};

let db: TestDatabase;
let client: pg.Client;
let schemaText: string;
let actual: SchemaShape;
let predicatesSeen: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  schemaText = await readFile(SCHEMA_PATH, 'utf8');
  ({ shape: actual, predicatesSeen } = await databaseShape(client, { knownPredicates: KNOWN_PREDICATES }));
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** Applies text replacements to schema.prisma, failing loudly if one no longer matches. */
function alter(text: string, edits: [string | RegExp, string][]): string {
  return edits.reduce((t, [from, to]) => {
    const next = t.replace(from, to);
    if (next === t) throw new Error(`schema edit no longer applies: ${String(from)}`);
    return next;
  }, text);
}

describe('schema.prisma ↔ migrated database', () => {
  it('agree on every table, column, type, nullability, default, foreign key and index, both ways', () => {
    const expected = expectedShape(loadDatamodel(schemaText));
    const differences = diffShapes(expected, actual);
    expect(differences, `schema.prisma and the migrations disagree:\n${differences.join('\n')}`).toEqual([]);
    expect(predicatesSeen).toEqual(KNOWN_PREDICATES);
    // schema.prisma declares exactly these partial indexes, each with the predicate the database has (as PostgreSQL
    // prints it, without the outer parentheses).
    const declared = Object.entries(indexPredicates(schemaText)).map(([name, where]) => [name, `(${where})`]);
    expect(Object.fromEntries(declared)).toEqual(KNOWN_PREDICATES);
    // Not vacuous: the comparison covered the whole model.
    expect([...expected.tables.keys()].sort()).toEqual([
      'agents',
      'api_keys',
      'audit_logs',
      'content',
      'goals',
      'interactions',
      'outbox',
      'personas',
      'publications',
      'recovery_codes',
      'refresh_tokens',
      'security_alerts',
      'security_audit_logs',
      'sessions',
      'signing_keys',
      'tasks',
      'transactions',
      'transfers',
      'trends',
      'user_identities',
      'users',
      'wallet_keys',
      'wallets',
      'webauthn_credentials',
      'webhook_deliveries',
    ]);
    const columnCount = [...expected.tables.values()].reduce((n, t) => n + t.columns.size, 0);
    // 0001–0005: 83 columns, 8 foreign keys, 30 indexes; 0006: 78, 6 and 19 (9 primary keys, 4 UNIQUE, 6 indexes);
    // 0007: 23 (goals 11, outbox 8, tasks 4), 2 and 6 (2 primary keys, 1 UNIQUE, 3 indexes); 0008: 20 (publications
    // 15, webhook_deliveries 4, goals 1), 2 and 7 (2 primary keys, 2 UNIQUE, 3 indexes); 0010: 42 (transfers 21,
    // wallet_keys 6, transactions 15), 7 and 10 (2 primary keys, 4 UNIQUE, 4 indexes); 0011: 4 indexes for retention;
    // 0012: 2 columns (security_alerts level and resolved_at).
    expect([columnCount, expected.foreignKeys.size, expected.indexes.size]).toEqual([248, 25, 76]);
  });

  it('reports each difference of a deliberately altered schema precisely', () => {
    const altered = alter(schemaText, [
      ['name       String    @db.VarChar(255)\n  backstory  String?\n', 'name       String?   @db.VarChar(200)\n'],
      [
        '  active           Boolean?  @default(true)\n',
        '  active           Boolean?  @default(false)\n  nickname String?\n',
      ],
      ['@default("pending") @db.VarChar(50)\n  result', '@default("queued") @db.VarChar(50)\n  result'],
      ['@@index([status], map: "idx_tasks_status")', '@@index([status, priority], map: "idx_tasks_status")'],
      ['map: "idx_content_engagement", type: Gin', 'map: "idx_content_engagement"'],
      [
        '@@index([relevanceScore(sort: Desc)], map: "idx_trends_relevance")',
        '@@index([relevanceScore], map: "idx_trends_relevance")',
      ],
      [
        /agent +Agent\? +@relation\(fields: \[agentId\], references: \[id\], onDelete: NoAction, onUpdate: NoAction\)\n {2}transactions/,
        'agent        Agent?        @relation(fields: [agentId], references: [id], onDelete: Cascade, onUpdate: NoAction)\n  transactions',
      ],
      [/model SecurityAuditLog \{[^}]*\}\n/, ''],
      ['@@map("audit_logs")', '@@unique([agentId, action])\n  @@map("audit_logs")'],
      ['@default(["api_user"]) @db.VarChar(32)', '@default(["api_user", "read only"]) @db.VarChar(32)'],
      ['counter      BigInt    @default(0)', 'counter      BigInt    @default(1)'],
      ['amr           String[]  @default([])', 'amr           String[]'],
      [
        'session Session @relation(fields: [sessionId], references: [id], onDelete: Cascade, onUpdate: NoAction)',
        'session Session @relation(fields: [sessionId], references: [id])',
      ],
      ['@@unique([issuer, subject])', '@@unique([subject, issuer])'],
      ['String[]  @default([]) @map("depends_on")', 'String[]  @map("depends_on")'],
      ['personaConstraints Json     @default("[]")', 'personaConstraints Json     @default("{}")'],
      ['id           BigInt    @id @default(autoincrement())', 'id           Int       @id'],
      [', where: raw("dispatched_at IS NULL")', ''],
    ]);
    const { idx_outbox_pending: _removed, ...kept } = indexPredicates(schemaText);
    expect(indexPredicates(altered)).toEqual(kept);
    expect(Object.keys(kept).sort()).toEqual([
      'idx_transfers_open',
      'idx_trends_active',
      'transactions_wallet_nonce_key',
    ]);
    expect(diffShapes(expectedShape(loadDatamodel(altered)), actual)).toEqual([
      'Persona.name (personas.name): type is character varying(200) in schema.prisma, character varying(255) in the database',
      'Persona.name (personas.name): nullable in schema.prisma, NOT NULL in the database',
      'column personas.backstory: in the database, but no field of model Persona maps to it',
      'Agent.active (agents.active): default false in schema.prisma, default true in the database',
      'Agent.nickname: column agents.nickname is missing from the database',
      "Task.status (tasks.status): default 'queued' in schema.prisma, default 'pending' in the database",
      "Task.dependsOn (tasks.depends_on): no default in schema.prisma, default '{}' in the database",
      'WebauthnCredential.counter (webauthn_credentials.counter): default 1 in schema.prisma, default 0 in the database',
      "Session.amr (sessions.amr): no default in schema.prisma, default '{}' in the database",
      `ApiKey.roles (api_keys.roles): default '{api_user,"read only"}' in schema.prisma, default '{api_user}' in the database`,
      "Goal.personaConstraints (goals.persona_constraints): default '{}' in schema.prisma, default '[]' in the database",
      'OutboxMessage.id (outbox.id): type is integer in schema.prisma, bigint in the database',
      'OutboxMessage.id (outbox.id): no default in schema.prisma, default autoincrement() in the database',
      'table "security_audit_logs": in the database, but no model in schema.prisma maps to it',
      'Wallet.agent: foreign key wallets(agent_id) differs:\n' +
        '    schema.prisma: FOREIGN KEY wallets(agent_id) REFERENCES agents(id) ON DELETE CASCADE ON UPDATE NO ACTION\n' +
        '    database:      FOREIGN KEY wallets(agent_id) REFERENCES agents(id) ON DELETE NO ACTION ON UPDATE NO ACTION',
      'RefreshToken.session: foreign key refresh_tokens(session_id) differs:\n' +
        '    schema.prisma: FOREIGN KEY refresh_tokens(session_id) REFERENCES sessions(id) ON DELETE RESTRICT ON UPDATE CASCADE\n' +
        '    database:      FOREIGN KEY refresh_tokens(session_id) REFERENCES sessions(id) ON DELETE CASCADE ON UPDATE NO ACTION',
      'Task INDEX: index idx_tasks_status differs:\n' +
        '    schema.prisma: INDEX ON tasks USING btree (status, priority)\n' +
        '    database:      INDEX ON tasks USING btree (status)',
      'Content INDEX: index idx_content_engagement differs:\n' +
        '    schema.prisma: INDEX ON content USING btree (engagement_metrics)\n' +
        '    database:      INDEX ON content USING gin (engagement_metrics)',
      'Trend INDEX: index idx_trends_relevance differs:\n' +
        '    schema.prisma: INDEX ON trends USING btree (relevance_score)\n' +
        '    database:      INDEX ON trends USING btree (relevance_score DESC)',
      'AuditLog UNIQUE: index audit_logs_agent_id_action_key is missing from the database (expected UNIQUE ON audit_logs USING btree (agent_id, action))',
      'UserIdentity UNIQUE: index user_identities_subject_issuer_key is missing from the database (expected UNIQUE ON user_identities USING btree (subject, issuer))',
      'index idx_security_audit_action: in the database (INDEX ON security_audit_logs USING btree (action)), but not in schema.prisma',
      'index idx_security_audit_risk_score: in the database (INDEX ON security_audit_logs USING btree (risk_score DESC)), but not in schema.prisma',
      'index idx_security_audit_timestamp: in the database (INDEX ON security_audit_logs USING btree (timestamp DESC)), but not in schema.prisma',
      'index idx_security_audit_user_id: in the database (INDEX ON security_audit_logs USING btree (user_id)), but not in schema.prisma',
      'index security_audit_logs_pkey: in the database (PRIMARY KEY ON security_audit_logs USING btree (id)), but not in schema.prisma',
      'index user_identities_issuer_subject_key: in the database (UNIQUE ON user_identities USING btree (issuer, subject)), but not in schema.prisma',
    ]);
  });

  it('matches list defaults as PostgreSQL stores them: an array literal, or ARRAY[…] as Prisma Migrate writes it', async () => {
    await client.query('BEGIN');
    try {
      await client.query('ALTER TABLE sessions ALTER COLUMN amr SET DEFAULT ARRAY[]::VARCHAR(16)[]');
      await client.query(`ALTER TABLE api_keys ALTER COLUMN roles SET DEFAULT ARRAY['api_user', 'cfo']::VARCHAR(32)[]`);
      await client.query(
        `ALTER TABLE webauthn_credentials ALTER COLUMN transports SET DEFAULT '{usb,"hybrid transport",it''s}'`,
      );
      const { shape } = await databaseShape(client, { knownPredicates: KNOWN_PREDICATES });
      const altered = alter(schemaText, [
        ['@default(["api_user"]) @db.VarChar(32)', '@default(["api_user", "cfo"]) @db.VarChar(32)'],
        ['transports   String[]  @default([])', `transports   String[]  @default(["usb", "hybrid transport", "it's"])`],
      ]);
      expect(diffShapes(expectedShape(loadDatamodel(altered)), shape)).toEqual([]);
      expect(diffShapes(expectedShape(loadDatamodel(schemaText)), shape)).toEqual([
        `WebauthnCredential.transports (webauthn_credentials.transports): default '{}' in schema.prisma, default '{usb,"hybrid transport",it''s}' in the database`,
        "ApiKey.roles (api_keys.roles): default '{api_user}' in schema.prisma, default '{api_user,cfo}' in the database",
      ]);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('reports what only the database has: an extra column, foreign key, index or partial predicate', async () => {
    await client.query(`ALTER TABLE wallets ADD COLUMN label TEXT DEFAULT 'main'`);
    await client.query(
      'ALTER TABLE content ADD CONSTRAINT content_task_again FOREIGN KEY (task_id) REFERENCES tasks(id)',
    );
    await client.query('ALTER TABLE security_audit_logs ADD FOREIGN KEY (agent_id) REFERENCES agents(id)');
    await client.query('CREATE INDEX idx_tasks_result ON tasks USING gin (result jsonb_path_ops)');
    await client.query("CREATE INDEX idx_partial ON tasks (priority) WHERE priority = 'high'");
    try {
      const { shape } = await databaseShape(client, { knownPredicates: KNOWN_PREDICATES });
      expect(diffShapes(expectedShape(loadDatamodel(schemaText)), shape)).toEqual([
        'column wallets.label: in the database, but no field of model Wallet maps to it',
        'foreign key content(task_id) [content_task_again]: in the database (FOREIGN KEY content(task_id) REFERENCES tasks(id) ON DELETE NO ACTION ON UPDATE NO ACTION), but not in schema.prisma',
        'foreign key security_audit_logs(agent_id): in the database (FOREIGN KEY security_audit_logs(agent_id) REFERENCES agents(id) ON DELETE NO ACTION ON UPDATE NO ACTION), but not in schema.prisma',
        "index idx_partial: in the database (INDEX ON tasks USING btree (priority) WHERE ((priority)::text = 'high'::text)), but not in schema.prisma",
        'index idx_tasks_result: in the database (INDEX ON tasks USING gin (result jsonb_path_ops)), but not in schema.prisma',
      ]);
    } finally {
      await client.query('ALTER TABLE wallets DROP COLUMN label');
      await client.query('ALTER TABLE content DROP CONSTRAINT content_task_again');
      await client.query('ALTER TABLE security_audit_logs DROP CONSTRAINT security_audit_logs_agent_id_fkey');
      await client.query('DROP INDEX idx_tasks_result');
      await client.query('DROP INDEX idx_partial');
    }
  });
});
