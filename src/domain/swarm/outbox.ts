// The transactional outbox: work for the queues is written in the same transaction as the rows it concerns, then a
// relay hands it to the queue. PostgreSQL stays the source of truth — a crash between commit and enqueue, or a Redis
// that lost its data, loses nothing: the row is still there, and the queue's job id (dedupe_key) makes re-sending
// harmless.
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import type { Tx } from '../audit/audit.service.js';

export interface OutboxMessage {
  id: bigint;
  topic: string;
  payload: Prisma.JsonValue;
  dedupeKey: string;
}

/** The job-data key that carries the enqueuer's trace context (W3C traceparent/tracestate) to the process running it. */
export const TRACE_KEY = '_trace';

/** W3C trace context. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

let traceContext: () => TraceContext | undefined = () => undefined;

/**
 * Where enqueue reads the active trace context from (the process's tracing, when traces are on): each message
 * written inside a traced operation or job carries it, so the job continues the same trace.
 */
export function useTraceContext(read: () => TraceContext | undefined): void {
  traceContext = read;
}

export async function enqueue(
  tx: Pick<Tx, 'outboxMessage'>,
  message: { topic: string; payload: Prisma.InputJsonValue; dedupeKey: string },
): Promise<void> {
  const trace = traceContext();
  const payload =
    trace && message.payload && typeof message.payload === 'object' && !Array.isArray(message.payload)
      ? {
          ...(message.payload as Prisma.InputJsonObject),
          [TRACE_KEY]: {
            traceparent: trace.traceparent,
            ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
          },
        }
      : message.payload;
  await tx.outboxMessage.create({ data: { ...message, payload }, select: { id: true } });
}

export interface RelayDeps {
  db: Database;
  /** Hands one message to the queue; must be idempotent for a given dedupeKey. */
  send: (message: OutboxMessage) => Promise<void>;
  batchSize?: number;
  onError?: (err: unknown, message: OutboxMessage) => void;
}

export function createOutboxRelay({ db, send, batchSize = 100, onError }: RelayDeps) {
  return {
    /**
     * Dispatches up to one batch of pending messages, oldest first; returns how many were dispatched. The batch is
     * sent at once (the queue pipelines the adds) and marked dispatched in one statement. Concurrent relays skip each
     * other's rows (FOR UPDATE SKIP LOCKED). A message that cannot be sent stays pending, with its error recorded,
     * for the next run.
     */
    async runOnce(): Promise<number> {
      return db.$transaction(async (tx) => {
        const batch = await tx.$queryRaw<
          { id: bigint; topic: string; payload: Prisma.JsonValue; dedupe_key: string }[]
        >`
          SELECT id, topic, payload, dedupe_key FROM outbox
           WHERE dispatched_at IS NULL
           ORDER BY id
           LIMIT ${batchSize}
           FOR UPDATE SKIP LOCKED`;
        const messages = batch.map((row) => ({
          id: row.id,
          topic: row.topic,
          payload: row.payload,
          dedupeKey: row.dedupe_key,
        }));
        const outcomes = await Promise.allSettled(messages.map((m) => send(m)));
        const sent: bigint[] = [];
        for (const [i, outcome] of outcomes.entries()) {
          const message = messages[i] as OutboxMessage;
          if (outcome.status === 'fulfilled') {
            sent.push(message.id);
            continue;
          }
          const err: unknown = outcome.reason;
          onError?.(err, message);
          await tx.outboxMessage.update({
            where: { id: message.id },
            data: { attempts: { increment: 1 }, lastError: err instanceof Error ? err.message : String(err) },
          });
        }
        if (sent.length > 0) {
          await tx.outboxMessage.updateMany({
            where: { id: { in: sent } },
            data: { dispatchedAt: new Date(), attempts: { increment: 1 } },
          });
        }
        return sent.length;
      });
    },

    /** Messages not yet handed to the queue. */
    pending: () => db.outboxMessage.count({ where: { dispatchedAt: null } }),
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
