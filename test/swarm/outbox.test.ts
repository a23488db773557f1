// The transactional outbox and its relay, against real PostgreSQL and real BullMQ queues: nothing is enqueued for a
// rolled-back transaction, everything committed reaches its queue exactly once (even when sent twice), a failed
// send keeps the message for the next run, and concurrent relays never send a message twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createOutboxRelay, enqueue, type OutboxMessage } from '../../src/domain/swarm/outbox.js';
import { createDatabase, type Database } from '../../src/platform/db/prisma.js';
import { createQueues, jobIdOf, type QueueName, type Queues } from '../../src/platform/queue/queues.js';
import { createTestDatabase, type TestDatabase, testRedisPrefix } from '../helpers/db.js';

let database: TestDatabase;
let db: Database;
let queues: Queues;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolSize: 6 });
  queues = createQueues(loadConfig().redisUrl, testRedisPrefix());
});
afterAll(async () => {
  await Promise.all(
    Object.values(queues?.queues ?? {}).map((q) => q.obliterate({ force: true }).catch(() => undefined)),
  );
  await queues?.close();
  await db?.$disconnect();
  await database?.drop();
});

/** The production send: the topic is the queue, the dedupe key the job id. */
const toQueue = (m: OutboxMessage) =>
  queues.add(m.topic as QueueName, { id: m.dedupeKey, data: m.payload as Record<string, unknown> });

async function jobCount(name: QueueName) {
  const counts = await queues.queues[name].getJobCounts('waiting', 'prioritized', 'delayed', 'active');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('outbox', () => {
  it('enqueues nothing for a transaction that rolls back, and dispatches what commits', async () => {
    await db
      .$transaction(async (tx) => {
        await enqueue(tx, { topic: 'planner', payload: { goalId: 'rolled-back' }, dedupeKey: 'plan:rolled-back' });
        throw new Error('abort');
      })
      .catch(() => undefined);
    await db.$transaction((tx) => enqueue(tx, { topic: 'planner', payload: { goalId: 'g1' }, dedupeKey: 'plan:g1' }));
    const relay = createOutboxRelay({ db, send: toQueue });
    expect(await relay.runOnce()).toBe(1);
    expect(await relay.pending()).toBe(0);
    const job = await queues.queues.planner.getJob(jobIdOf('plan:g1'));
    expect(job?.data).toEqual({ goalId: 'g1' });
    expect(await queues.queues.planner.getJob(jobIdOf('plan:rolled-back'))).toBeUndefined();
  });

  it('sending the same message twice (a crash after send, before marking) adds one job', async () => {
    await db.$transaction((tx) => enqueue(tx, { topic: 'worker', payload: { taskId: 't1' }, dedupeKey: 'work:t1' }));
    const [row] = await db.outboxMessage.findMany({ where: { dedupeKey: 'work:t1' } });
    const message = { id: row!.id, topic: row!.topic, payload: row!.payload, dedupeKey: row!.dedupeKey };
    await toQueue(message);
    await createOutboxRelay({ db, send: toQueue }).runOnce();
    expect(await jobCount('worker')).toBe(1);
  });

  it('keeps a message whose send failed, with the error, and sends it on the next run', async () => {
    await db.$transaction((tx) => enqueue(tx, { topic: 'judge', payload: { taskId: 't2' }, dedupeKey: 'judge:t2' }));
    const failing = createOutboxRelay({
      db,
      send: async () => {
        throw new Error('Redis is down');
      },
    });
    expect(await failing.runOnce()).toBe(0);
    const row = await db.outboxMessage.findFirstOrThrow({ where: { dedupeKey: 'judge:t2' } });
    expect(row).toMatchObject({ dispatchedAt: null, attempts: 1, lastError: 'Redis is down' });
    expect(await createOutboxRelay({ db, send: toQueue }).runOnce()).toBe(1);
    expect(await queues.queues.judge.getJob(jobIdOf('judge:t2'))).toBeDefined();
  });

  it('concurrent relays each send a message at most once', async () => {
    await db.$transaction(async (tx) => {
      for (let i = 0; i < 40; i++) await enqueue(tx, { topic: 'publish', payload: { n: i }, dedupeKey: `pub:${i}` });
    });
    const sent: string[] = [];
    const recording = (m: OutboxMessage) => {
      sent.push(m.dedupeKey);
      return toQueue(m);
    };
    const relays = Array.from({ length: 4 }, () => createOutboxRelay({ db, send: recording, batchSize: 7 }));
    for (let round = 0; round < 4; round++) await Promise.all(relays.map((r) => r.runOnce()));
    expect(sent.length).toBe(40);
    expect(new Set(sent).size).toBe(40);
    expect(await jobCount('publish')).toBe(40);
    expect(await createOutboxRelay({ db, send: toQueue }).pending()).toBe(0);
  });
});
