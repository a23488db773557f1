// Migration 0008, publishing and webhooks, in psql terms: the publish ledger (publications), the accepted webhook
// events (webhook_deliveries) and goals.context. CHECK, UNIQUE, FOREIGN KEY (NO ACTION) and NOT NULL each reject a bad row; the
// defaults fill in what the migration says. Raw `pg` against a migrated database of this file's own.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useMigratedDatabaseClient } from '../helpers/db.js';
import {
  constraintsCoveredBy,
  insertRow,
  notNullColumnsCoveredBy,
  PUBLISHING_TABLES,
  pgFailure,
  type Values,
} from '../helpers/rows.js';

const fixture = useMigratedDatabaseClient();

const insert = (table: string, overrides: Values = {}) => insertRow(fixture.client, table, overrides);
const sql = (text: string, values: unknown[] = []) => fixture.client.query<Values>(text, values);
const count = async (table: string, where: string, values: unknown[]) =>
  Number((await sql(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, values)).rows[0]?.n);

const CHECKS: { table: string; column: string; bad: unknown[]; good: unknown[] }[] = [
  { table: 'publications', column: 'kind', bad: ['story', 'Post', ''], good: ['post', 'reply'] },
  {
    table: 'publications',
    column: 'status',
    bad: ['published', 'sent', 'Pending', ''],
    good: ['pending', 'posted', 'failed', 'deleted'],
  },
  { table: 'publications', column: 'attempts', bad: [-1], good: [0, 7] },
  { table: 'webhook_deliveries', column: 'interactions', bad: [-1], good: [0, 100] },
];

describe('in psql, every CHECK constraint of publishing rejects a bad row', () => {
  it('are exactly the ones this file tests', async () => {
    expect((await constraintsCoveredBy(fixture.client, 'c', 'publishing')).sort()).toEqual(
      CHECKS.map((c) => `${c.table}_${c.column}_check`).sort(),
    );
  });

  it.each(CHECKS.map((c) => ({ ...c, name: `${c.table}.${c.column}` })))(
    '$name rejects $bad and accepts $good',
    async ({ table, column, bad, good }) => {
      for (const value of bad) {
        const error = await pgFailure(insert(table, { [column]: value }));
        expect([value, error.code, error.constraint]).toEqual([value, '23514', `${table}_${column}_check`]);
      }
      for (const value of good) expect((await insert(table, { [column]: value }))[column]).toEqual(value);
    },
  );
});

describe('UNIQUE', () => {
  it('(content_id, platform) and (platform, platform_post_id) are the only UNIQUE constraints', async () => {
    expect((await constraintsCoveredBy(fixture.client, 'u', 'publishing')).sort()).toEqual([
      'publications_content_id_platform_key',
      'publications_platform_platform_post_id_key',
    ]);
  });

  it('one ledger row per piece of content and platform: a second publish of the same content is refused', async () => {
    const content = await insert('content');
    await insert('publications', { content_id: content.id, platform: 'social' });
    await insert('publications', { content_id: content.id, platform: 'mastodon' });
    const error = await pgFailure(insert('publications', { content_id: content.id, platform: 'social' }));
    expect([error.code, error.constraint]).toEqual(['23505', 'publications_content_id_platform_key']);
    expect(await count('publications', 'content_id = $1', [content.id])).toBe(2);
  });

  it('a platform post belongs to one row; rows not yet posted (NULL post id) never collide', async () => {
    await insert('publications', { platform: 'social', platform_post_id: 'post_1' });
    await insert('publications', { platform: 'other', platform_post_id: 'post_1' });
    const error = await pgFailure(insert('publications', { platform: 'social', platform_post_id: 'post_1' }));
    expect([error.code, error.constraint]).toEqual(['23505', 'publications_platform_platform_post_id_key']);
    await insert('publications', { platform: 'social', platform_post_id: null });
    await insert('publications', { platform: 'social', platform_post_id: null });
  });

  it('a webhook event is accepted once per platform (its primary key)', async () => {
    await insert('webhook_deliveries', { platform: 'social', event_id: 'evt_1' });
    await insert('webhook_deliveries', { platform: 'other', event_id: 'evt_1' });
    const error = await pgFailure(insert('webhook_deliveries', { platform: 'social', event_id: 'evt_1' }));
    expect([error.code, error.constraint]).toEqual(['23505', 'webhook_deliveries_pkey']);
  });
});

describe('FOREIGN KEY', () => {
  const FKS = [
    ['publications', 'content_id', 'content'],
    ['publications', 'agent_id', 'agents'],
  ] as const;

  it('the foreign keys, all NO ACTION on delete and on update, are exactly the ones this file tests', async () => {
    const names = await constraintsCoveredBy(fixture.client, 'f', 'publishing');
    const { rows } = await sql(
      `SELECT conname || ' ' || confdeltype::text || confupdtype::text AS fk FROM pg_constraint
       WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conname = ANY($1)`,
      [names],
    );
    expect(rows.map((r) => String(r.fk)).sort()).toEqual(FKS.map(([t, c]) => `${t}_${c}_fkey aa`).sort());
  });

  it.each(FKS)('%s.%s rejects an unknown id and blocks deleting a referenced %s', async (table, column, target) => {
    const unknown = await pgFailure(insert(table, { [column]: randomUUID() }));
    expect([unknown.code, unknown.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
    const parent = await insert(target);
    const child = await insert(table, { [column]: parent.id });
    const deleted = await pgFailure(sql(`DELETE FROM ${target} WHERE id = $1`, [parent.id]));
    expect([deleted.code, deleted.constraint]).toEqual(['23503', `${table}_${column}_fkey`]);
    expect(await count(table, `id = $1 AND ${column} = $2`, [child.id, parent.id])).toBe(1);
  });
});

describe('NOT NULL', () => {
  const NOT_NULL = [
    ...['content_id', 'platform', 'account', 'kind', 'status', 'attempts', 'created_at', 'updated_at'].map((c) => [
      'publications',
      c,
    ]),
    ['webhook_deliveries', 'received_at'],
    ['webhook_deliveries', 'interactions'],
    ['goals', 'context'],
  ] as [string, string][];

  it('the NOT NULL columns (besides the primary keys) are exactly the ones this file tests', async () => {
    expect((await notNullColumnsCoveredBy(fixture.client, 'publishing')).sort()).toEqual(
      NOT_NULL.map(([t, c]) => `${t}.${c}`).sort(),
    );
  });

  it.each(NOT_NULL)('%s.%s rejects NULL, even where it has a default', async (table, column) => {
    const error = await pgFailure(insert(table, { [column]: null }));
    expect([error.code, error.column]).toEqual(['23502', column]);
  });

  it('the primary keys reject NULL', async () => {
    for (const [table, column] of [
      ['publications', 'id'],
      ['webhook_deliveries', 'platform'],
      ['webhook_deliveries', 'event_id'],
    ] as const) {
      const error = await pgFailure(insert(table, { [column]: null }));
      expect([table, error.code, error.column]).toEqual([table, '23502', column]);
    }
    expect(PUBLISHING_TABLES).toEqual(['publications', 'webhook_deliveries']);
  });
});

describe('defaults', () => {
  it('a publication: a post, pending, never tried, not posted', async () => {
    const row = await insert('publications');
    expect(row).toMatchObject({
      kind: 'post',
      status: 'pending',
      attempts: 0,
      platform_post_id: null,
      url: null,
      posted_at: null,
      last_error: null,
      reply_to: null,
      agent_id: null,
    });
  });

  it("a goal passes nothing extra to its tasks by default ('{}')", async () => {
    expect((await insert('goals')).context).toEqual({});
  });

  it('a webhook delivery is stamped when received', async () => {
    const row = await insert('webhook_deliveries');
    expect(Math.abs(Date.now() - (row.received_at as Date).getTime())).toBeLessThan(60_000);
  });
});
