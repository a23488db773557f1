// How the migrator reads and classifies migration scripts (no database needed).
import { describe, expect, it } from 'vitest';
import {
  checksumOf,
  readMigrations,
  scriptMatchesChecksum,
  splitStatements,
} from '../../src/platform/db/migration-files.js';
import { MIGRATIONS_DIR } from '../helpers/db-names.js';

describe('splitStatements', () => {
  it('splits on semicolons outside comments, quotes, dollar quotes and BEGIN ATOMIC bodies', () => {
    const script = `-- a comment; with a semicolon
CREATE TABLE "we;ird" (v TEXT DEFAULT 'it''s; fine' CHECK (v <> E'\\'; no'));
/* block; /* nested; */ still comment; */
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN RETURN NEW; END; $body$;
CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;
SELECT $$a;b$$, a$b FROM t;
`;
    expect(splitStatements(script).map((s) => s.sql.slice(0, 22))).toEqual([
      'CREATE TABLE "we;ird" ',
      'CREATE FUNCTION f() RE',
      'CREATE FUNCTION g() RE',
      'SELECT $$a;b$$, a$b FR',
    ]);
  });

  it('ignores CONCURRENTLY in comments and strings when classifying', async () => {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    expect(migrations.map((m) => [m.name, m.transactional, m.statements.length, m.problem])).toEqual([
      ['0001_init', true, 26, undefined],
      ['0002_v1_1_tracking_columns', true, 4, undefined],
      ['0003_v1_1_idx_tasks_execution_time', false, 1, undefined],
      ['0004_v1_1_idx_content_engagement', false, 1, undefined],
      ['0005_append_only_audit_and_updated_at', true, 9, undefined],
      ['0006_identity_and_access', true, 16, undefined],
      ['0007_swarm_goals_and_outbox', true, 10, undefined],
      ['0008_publishing_and_webhooks', true, 7, undefined],
      ['0009_change_notifications', true, 14, undefined],
      ['0010_wallet_keys_and_transfers', true, 14, undefined],
      ['0011_retention', true, 5, undefined],
      ['0012_system_alerts', true, 2, undefined],
    ]);
  });
});

describe('checksums', () => {
  it('are the sha256 hex of the bytes, matching across LF/CRLF and the old unpadded format', () => {
    expect(checksumOf('hello')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(scriptMatchesChecksum('a\r\nb\r\n', checksumOf('a\nb\n'))).toBe(true);
    expect(scriptMatchesChecksum('a\nb\n', checksumOf('a\r\nb\r\n'))).toBe(true);
    expect(scriptMatchesChecksum('a\nb\n', checksumOf('a\nb'))).toBe(false);
    const unpadded = [...Buffer.from(checksumOf('abcd'), 'hex')].map((b) => b.toString(16)).join('');
    expect(unpadded.length).toBeLessThan(64);
    expect(scriptMatchesChecksum('abcd', unpadded)).toBe(true);
  });
});
