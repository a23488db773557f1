// Migration 0009: every committed write to a served table is announced on chimera_changes (with the parent of child
// rows), once per distinct change of a transaction, and never for a rollback.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useMigratedDatabaseClient } from '../helpers/db.js';
import { insertRow } from '../helpers/rows.js';

const fixture = useMigratedDatabaseClient();
let listener: pg.Client;
const heard: { t: string; op: string; id: string; p: string | null }[] = [];

beforeAll(async () => {
  listener = new pg.Client({ connectionString: fixture.database.url });
  await listener.connect();
  listener.on('notification', (n) => {
    if (n.channel === 'chimera_changes' && n.payload) heard.push(JSON.parse(n.payload));
  });
  await listener.query('LISTEN chimera_changes');
});
afterAll(() => listener?.end());

const settle = () => new Promise((r) => setTimeout(r, 150));
const sql = (text: string, values: unknown[] = []) => fixture.client.query(text, values);

describe('change notifications', () => {
  it('announce inserts, updates and deletes, with the parent of a child row', async () => {
    heard.length = 0;
    const agent = await insertRow(fixture.client, 'agents');
    const task = await insertRow(fixture.client, 'tasks', { agent_id: agent.id });
    await sql(`UPDATE tasks SET priority = 'low' WHERE id = $1`, [task.id]);
    await sql('DELETE FROM tasks WHERE id = $1', [task.id]);
    const content = await insertRow(fixture.client, 'content', { agent_id: agent.id });
    const interaction = await insertRow(fixture.client, 'interactions', { content_id: content.id });
    await settle();
    expect(heard).toEqual([
      { t: 'agents', op: 'INSERT', id: agent.id, p: null },
      { t: 'tasks', op: 'INSERT', id: task.id, p: agent.id },
      { t: 'tasks', op: 'UPDATE', id: task.id, p: agent.id },
      { t: 'tasks', op: 'DELETE', id: task.id, p: agent.id },
      { t: 'content', op: 'INSERT', id: content.id, p: agent.id },
      { t: 'interactions', op: 'INSERT', id: interaction.id, p: content.id },
    ]);
  });

  it('say nothing for a rollback, and only at commit for a transaction', async () => {
    heard.length = 0;
    await sql('BEGIN');
    await insertRow(fixture.client, 'trends');
    await settle();
    expect(heard).toEqual([]);
    await sql('ROLLBACK');
    await settle();
    expect(heard).toEqual([]);
    await sql('BEGIN');
    const trend = await insertRow(fixture.client, 'trends');
    await sql(`UPDATE trends SET topic = 'x' WHERE id = $1`, [trend.id]);
    await sql(`UPDATE trends SET topic = 'y' WHERE id = $1`, [trend.id]);
    await settle();
    expect(heard).toEqual([]);
    await sql('COMMIT');
    await settle();
    // Identical notifications of one transaction arrive once.
    expect(heard).toEqual([
      { t: 'trends', op: 'INSERT', id: trend.id, p: null },
      { t: 'trends', op: 'UPDATE', id: trend.id, p: null },
    ]);
  });

  it('cover exactly the tables the API serves', async () => {
    const { rows } = await sql(
      `SELECT c.relname AS table FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE t.tgfoid = 'chimera_notify_change'::regproc ORDER BY 1`,
    );
    expect(rows.map((r: { table: string }) => r.table)).toEqual([
      'agents',
      'api_keys',
      'audit_logs',
      'content',
      'goals',
      'interactions',
      'personas',
      'publications',
      'tasks',
      'transactions',
      'transfers',
      'trends',
      'users',
      'wallets',
    ]);
  });
});
