// The task state machine: moves only along the spec's transitions, only from the state and version the writer saw,
// so concurrent writers can never both move a task; finishing fills execution_time_ms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveTask } from '../../src/domain/tasks/task-state.js';
import { createDatabase, type Database } from '../../src/platform/db/prisma.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { makeAgent, makeTask } from '../helpers/fixtures.js';

let database: TestDatabase;
let db: Database;
let agentId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolSize: 8 });
  agentId = (await makeAgent(db, 'stateful')).id;
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('moveTask', () => {
  it('moves along a legal transition, bumping the version, counting attempts when asked', async () => {
    const task = await makeTask(db, agentId);
    expect(
      await moveTask(db, { id: task.id, from: 'pending', to: 'in_progress', expectedVersion: 0, newAttempt: true }),
    ).toBe(1);
    const row = await db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(row).toMatchObject({ status: 'in_progress', version: 1, attempts: 1, executionTimeMs: null });
  });

  it('refuses a stale version or a state that changed, changing nothing', async () => {
    const task = await makeTask(db, agentId);
    await moveTask(db, { id: task.id, from: 'pending', to: 'in_progress', expectedVersion: 0 });
    expect(await moveTask(db, { id: task.id, from: 'in_progress', to: 'review', expectedVersion: 0 })).toBeNull();
    expect(await moveTask(db, { id: task.id, from: 'pending', to: 'in_progress', expectedVersion: 1 })).toBeNull();
    expect((await db.task.findUniqueOrThrow({ where: { id: task.id } })).status).toBe('in_progress');
  });

  it('refuses an illegal transition outright', async () => {
    const task = await makeTask(db, agentId);
    await expect(
      moveTask(db, { id: task.id, from: 'pending', to: 'complete', expectedVersion: 0 }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(
      moveTask(db, { id: task.id, from: 'complete', to: 'pending', expectedVersion: 0 }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('lets exactly one of many concurrent writers move a task', async () => {
    const task = await makeTask(db, agentId);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        moveTask(db, { id: task.id, from: 'pending', to: 'in_progress', expectedVersion: 0 }),
      ),
    );
    expect(outcomes.filter((v) => v !== null)).toEqual([1]);
    expect((await db.task.findUniqueOrThrow({ where: { id: task.id } })).version).toBe(1);
  });

  it('fills execution_time_ms and stores the result when a task finishes', async () => {
    const task = await makeTask(db, agentId, { createdAt: new Date(Date.now() - 1_500) });
    await moveTask(db, { id: task.id, from: 'pending', to: 'in_progress', expectedVersion: 0 });
    await moveTask(db, { id: task.id, from: 'in_progress', to: 'review', expectedVersion: 1 });
    expect(
      await moveTask(db, { id: task.id, from: 'review', to: 'complete', expectedVersion: 2, result: { ok: 1 } }),
    ).toBe(3);
    const row = await db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(row.result).toEqual({ ok: 1 });
    expect(row.executionTimeMs).toBeGreaterThanOrEqual(1_500);
    expect(row.executionTimeMs).toBeLessThan(60_000);
  });

  it('treats a NULL status (the spec leaves the column nullable) as pending', async () => {
    const task = await makeTask(db, agentId, { status: null });
    expect(await moveTask(db, { id: task.id, from: 'pending', to: 'in_progress', expectedVersion: 0 })).toBe(1);
  });
});
