// The enums the API exposes are the database's CHECK constraints: if one changes without the other, this fails.
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../src/domain/auth/roles.js';
import { CONTENT_STATUSES, CONTENT_TYPES } from '../../src/domain/content/content.model.js';
import { INTERACTION_TYPES } from '../../src/domain/interactions/interactions.service.js';
import { ALERT_SEVERITIES } from '../../src/domain/security/alerts.service.js';
import { TASK_PRIORITIES, TASK_STATUSES, TASK_TYPES } from '../../src/domain/tasks/task.model.js';
import { TRANSACTION_STATUSES } from '../../src/domain/wallets/wallets.service.js';
import { useMigratedDatabaseClient } from '../helpers/db.js';

const fixture = useMigratedDatabaseClient();

/** The string literals of the list (IN (...), or <@ ARRAY[...] for an array) of the CHECK on table.column. */
async function allowedValues(table: string, column: string): Promise<string[]> {
  const { rows } = await fixture.client.query<{ def: string }>(
    `SELECT pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
      WHERE c.contype = 'c' AND r.relname = $1 AND c.conname = $2
        AND pg_get_constraintdef(c.oid) LIKE '%ARRAY[%'`,
    [table, `${table}_${column}_check`],
  );
  expect(rows, `one list CHECK on ${table}.${column}`).toHaveLength(1);
  return [...(rows[0]?.def.matchAll(/'([^']+)'::character varying/g) ?? [])].map((m) => m[1] as string);
}

describe('domain vocabularies match the CHECK constraints', () => {
  it.each([
    ['tasks', 'task_type', TASK_TYPES],
    ['tasks', 'priority', TASK_PRIORITIES],
    ['tasks', 'status', TASK_STATUSES],
    ['content', 'content_type', CONTENT_TYPES],
    ['content', 'status', CONTENT_STATUSES],
    ['interactions', 'interaction_type', INTERACTION_TYPES],
    ['transactions', 'status', TRANSACTION_STATUSES],
    ['users', 'roles', ROLES],
    ['api_keys', 'roles', ROLES],
    ['security_alerts', 'severity', ALERT_SEVERITIES],
  ])('%s.%s', async (table, column, values) => {
    expect((await allowedValues(table, column)).sort()).toEqual([...values].sort());
  });
});
