// The state machines (tasks: src/domain/tasks/task.model.ts + task-state.ts; content: content.model.ts +
// content.service.ts; dead letters: src/domain/swarm/dead-letter.ts) under random event sequences, against the real
// database: only moves the table allows ever happen, final states have no exits, illegal moves are refused with a
// coded error and change nothing, a stale writer changes nothing.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  allowedContentTransitions,
  CONTENT_STATUSES,
  type ContentStatus,
  contentStatusOf,
} from '../../../src/domain/content/content.model.js';
import { ConflictError, DomainError } from '../../../src/domain/shared/errors.js';
import { deadLetter } from '../../../src/domain/swarm/dead-letter.js';
import {
  canTransition,
  isFinal,
  TASK_STATUSES,
  type TaskStatus,
  taskStatusOf,
} from '../../../src/domain/tasks/task.model.js';
import { moveTask } from '../../../src/domain/tasks/task-state.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { makeTask } from '../../helpers/fixtures.js';
import { check, FULL, PROPERTY_TIMEOUT_MS } from '../lib/mode.js';

/** Full mode runs thousands of cases per property: the default 30 s is not enough. */
vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

/** Database-backed properties do real round trips: fewer runs than the pure ones. */
const DB_RUNS = FULL ? 400 : 25;
const SYSTEM = { kind: 'system', id: 'fuzz' } as const;

let t: TestApp;
let agentId: string;
beforeAll(async () => {
  t = await startTestApp();
  const persona = await t.app.db.persona.create({ data: { name: 'fuzz persona' } });
  agentId = (await t.app.db.agent.create({ data: { name: 'fuzz agent', personaId: persona.id } })).id;
});
afterAll(() => t?.close());

const taskStatus = fc.constantFrom(...TASK_STATUSES);
const contentStatus = fc.constantFrom(...CONTENT_STATUSES);

/** States reachable from `start` by the transition relation. */
function reachable<S extends string>(start: S, all: readonly S[], next: (s: S) => readonly S[]): Set<S> {
  const seen = new Set<S>([start]);
  const queue = [start];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    for (const n of next(s)) {
      expect(all).toContain(n);
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

describe('task state machine (pure)', () => {
  const exits = (s: TaskStatus) => TASK_STATUSES.filter((to) => canTransition(s, to));

  it('a state is final exactly when it has no exits; no state moves to itself', () => {
    for (const s of TASK_STATUSES) {
      expect(isFinal(s)).toBe(exits(s).length === 0);
      expect(canTransition(s, s)).toBe(false);
    }
  });

  it('every state is reachable from pending, both final states included, and every live state can fail', () => {
    expect([...reachable<TaskStatus>('pending', TASK_STATUSES, exits)].sort()).toEqual([...TASK_STATUSES].sort());
    for (const s of TASK_STATUSES.filter((x) => !isFinal(x))) expect(canTransition(s, 'failed')).toBe(true);
    expect(TASK_STATUSES.filter(isFinal).sort()).toEqual(['complete', 'failed']);
  });

  it('a NULL status reads as pending; a stored status reads as itself', () => {
    expect(taskStatusOf(null)).toBe('pending');
    for (const s of TASK_STATUSES) expect(taskStatusOf(s)).toBe(s);
  });

  it('a random walk never leaves the vocabulary, and once final it never moves again', () =>
    check(
      101,
      fc.property(fc.array(taskStatus, { maxLength: 40 }), (events) => {
        let state: TaskStatus = 'pending';
        let final = false;
        for (const to of events) {
          if (canTransition(state, to)) {
            expect(final).toBe(false);
            state = to;
          }
          expect(TASK_STATUSES).toContain(state);
          final = isFinal(state);
        }
      }),
    ));
});

/** One event of a writer: where it wants the task, and whether it read the task before someone else moved it. */
const taskEvent = fc.record({
  to: taskStatus,
  staleFrom: fc.option(taskStatus, { nil: null }),
  staleVersion: fc.boolean(),
});

describe('moveTask against the database', () => {
  it(
    'applies exactly the allowed moves of a writer that saw the current state and version; anything else changes nothing',
    () =>
      check(
        102,
        fc.asyncProperty(fc.array(taskEvent, { minLength: 1, maxLength: 12 }), async (events) => {
          const task = await makeTask(t.app.db, agentId);
          let state: TaskStatus = 'pending';
          let version = task.version;
          for (const e of events) {
            const from: TaskStatus = e.staleFrom ?? state;
            const expectedVersion = e.staleVersion ? version - 1 : version;
            const before = await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } });
            let outcome: number | null | ConflictError;
            try {
              outcome = await moveTask(t.app.db, { id: task.id, from, to: e.to, expectedVersion });
            } catch (err) {
              expect(err).toBeInstanceOf(ConflictError);
              outcome = err as ConflictError;
            }
            const after = await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } });
            if (!canTransition(from, e.to)) {
              expect(outcome).toBeInstanceOf(ConflictError);
              expect((outcome as ConflictError).code).toBe('CONFLICT');
              expect(after).toEqual(before);
            } else if (from === state && expectedVersion === version) {
              expect(outcome).toBe(version + 1);
              expect(after.status).toBe(e.to);
              expect(after.version).toBe(version + 1);
              if (isFinal(e.to)) expect(after.executionTimeMs).not.toBeNull();
              state = e.to;
              version += 1;
            } else {
              expect(outcome).toBeNull();
              expect(after).toEqual(before);
            }
            expect(TASK_STATUSES).toContain(taskStatusOf(after.status));
          }
        }),
        DB_RUNS,
      ),
    PROPERTY_TIMEOUT_MS,
  );
});

describe('dead letters', () => {
  it(
    'fail a task from any live state (code DEAD_LETTER), leave a final task untouched, and never throw',
    () =>
      check(
        103,
        fc.asyncProperty(
          taskStatus,
          fc.string({ maxLength: 200 }),
          fc.nat(20),
          fc.constantFrom('planner', 'worker', 'judge' as const),
          async (status, reason, attempts, stage) => {
            const task = await makeTask(t.app.db, agentId, { status });
            await deadLetter({ db: t.app.db }, { stage, taskId: task.id, reason, attempts });
            const after = await t.app.db.task.findUniqueOrThrow({ where: { id: task.id } });
            if (isFinal(status)) {
              expect(after).toEqual(task);
            } else {
              expect(after.status).toBe('failed');
              expect(after.version).toBe(task.version + 1);
              const error = (after.result as { error?: { code?: unknown; message?: unknown } }).error;
              expect(error?.code).toBe('DEAD_LETTER');
              expect(error?.message).toBe(reason);
            }
          },
        ),
        DB_RUNS,
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'fail a goal only while it is planning',
    () =>
      check(
        104,
        fc.asyncProperty(fc.constantFrom('planning', 'running', 'review', 'complete', 'failed'), async (status) => {
          const goal = await t.app.db.goal.create({ data: { agentId, description: 'fuzz goal', status } });
          await deadLetter({ db: t.app.db }, { stage: 'planner', goalId: goal.id, reason: 'fuzz', attempts: 3 });
          const after = await t.app.db.goal.findUniqueOrThrow({ where: { id: goal.id } });
          expect(after.status).toBe(status === 'planning' ? 'failed' : status);
        }),
        Math.min(DB_RUNS, 40),
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it('a dead letter for a task that does not exist is a no-op', async () => {
    await expect(
      deadLetter(
        { db: t.app.db },
        { stage: 'worker', taskId: '00000000-0000-4000-8000-000000000000', reason: 'x', attempts: 1 },
      ),
    ).resolves.toBeUndefined();
  });
});

describe('content state machine (pure)', () => {
  it('published is the only final state; no state moves to itself; everything is reachable from draft', () => {
    for (const s of CONTENT_STATUSES) expect(allowedContentTransitions(s)).not.toContain(s);
    expect(CONTENT_STATUSES.filter((s) => allowedContentTransitions(s).length === 0)).toEqual(['published']);
    expect([...reachable<ContentStatus>('draft', CONTENT_STATUSES, allowedContentTransitions)].sort()).toEqual(
      [...CONTENT_STATUSES].sort(),
    );
    expect(contentStatusOf(null)).toBe('draft');
  });
});

describe('content status through the service, against the database', () => {
  it(
    'a random sequence of status changes applies exactly the allowed ones; refusals are CONFLICT and change nothing',
    () =>
      check(
        105,
        fc.asyncProperty(fc.array(contentStatus, { minLength: 1, maxLength: 8 }), async (events) => {
          const content = await t.app.db.content.create({
            data: { agentId, contentType: 'text', contentData: 'fuzz', status: 'draft' },
          });
          let state: ContentStatus = 'draft';
          for (const to of events) {
            const allowed = allowedContentTransitions(state).includes(to);
            const result = await t.app.services.content.setStatus(content.id, { status: to }, SYSTEM).then(
              () => null,
              (err: unknown) => err,
            );
            const row = await t.app.db.content.findUniqueOrThrow({ where: { id: content.id } });
            if (allowed) {
              expect(result).toBeNull();
              state = to;
            } else {
              expect(result).toBeInstanceOf(ConflictError);
            }
            expect(contentStatusOf(row.status)).toBe(state);
          }
        }),
        DB_RUNS,
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it('an arbitrary status or reason is refused as BAD_USER_INPUT (a DomainError), never anything else', () =>
    check(
      106,
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 20 }), fc.anything()),
        fc.oneof(fc.constant(undefined), fc.string({ maxLength: 1100 }), fc.anything()),
        async (status, reason) => {
          fc.pre(!(CONTENT_STATUSES as readonly unknown[]).includes(status));
          const err = await t.app.services.content
            .setStatus('00000000-0000-4000-8000-000000000000', { status, reason } as never, SYSTEM)
            .then(
              () => null,
              (e: unknown) => e,
            );
          expect(err).toBeInstanceOf(DomainError);
          expect((err as DomainError).code).toBe('BAD_USER_INPUT');
        },
      ),
      DB_RUNS,
    ));
});
