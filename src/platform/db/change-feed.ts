// The database's change notifications (migration 0009: every committed write to a served table is NOTIFYed on
// chimera_changes), as batches. One dedicated connection LISTENs; it reconnects with backoff when the database goes
// away, and says so (onReconnect) so a cache can drop what it may have missed meanwhile.
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export interface RowChange {
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  id: string;
  /** The parent row a child belongs to (an interaction's content…), when the table names one. */
  parent: string | null;
}

export const CHANGE_CHANNEL = 'chimera_changes';

function barrierOf(payload: string | undefined): string | null {
  if (!payload?.startsWith('{"barrier"')) return null;
  try {
    const v = JSON.parse(payload) as { barrier?: unknown };
    return typeof v.barrier === 'string' ? v.barrier : null;
  } catch {
    return null;
  }
}

export interface ChangeFeedOptions {
  databaseUrl: string;
  onChanges: (changes: RowChange[]) => Promise<void> | void;
  /** After a lost connection came back: changes made meanwhile were not heard. */
  onReconnect?: () => Promise<void> | void;
  onError?: (err: unknown) => void;
  /** Notifications arriving within this many ms are handed over together. */
  batchMs?: number;
}

function parse(payload: string | undefined): RowChange | null {
  if (!payload) return null;
  try {
    const v = JSON.parse(payload) as { t?: unknown; op?: unknown; id?: unknown; p?: unknown };
    if (typeof v.t !== 'string' || typeof v.id !== 'string') return null;
    const op = v.op === 'INSERT' || v.op === 'UPDATE' || v.op === 'DELETE' ? v.op : 'UPDATE';
    return { table: v.t, op, id: v.id, parent: typeof v.p === 'string' ? v.p : null };
  } catch {
    return null;
  }
}

export function startChangeFeed(options: ChangeFeedOptions) {
  const batchMs = options.batchMs ?? 20;
  let client: pg.Client | null = null;
  let stopped = false;
  let pending: RowChange[] = [];
  let timer: NodeJS.Timeout | null = null;
  let delivering: Promise<void> = Promise.resolve();
  let connectedOnce = false;
  let backoff = 250;
  const barriers = new Map<string, () => void>();
  let ready: () => void = () => undefined;
  const listening = new Promise<void>((resolve) => {
    ready = resolve;
  });

  const flush = () => {
    timer = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    delivering = delivering.then(async () => {
      try {
        await options.onChanges(batch);
      } catch (err) {
        options.onError?.(err);
      }
    });
  };

  async function connect(): Promise<void> {
    while (!stopped) {
      const c = new pg.Client({ connectionString: options.databaseUrl });
      try {
        c.on('notification', (n) => {
          if (n.channel !== CHANGE_CHANNEL) return;
          const barrier = barrierOf(n.payload);
          if (barrier) {
            // Everything committed before the barrier has been heard: deliver it, then release the waiter.
            if (timer) clearTimeout(timer);
            flush();
            const release = barriers.get(barrier);
            barriers.delete(barrier);
            if (release) void delivering.then(release);
            return;
          }
          const change = parse(n.payload);
          if (!change) return;
          pending.push(change);
          timer ??= setTimeout(flush, batchMs);
        });
        c.on('error', (err) => {
          options.onError?.(err);
          void reconnect(c);
        });
        await c.connect();
        await c.query(`LISTEN ${CHANGE_CHANNEL}`);
        client = c;
        backoff = 250;
        if (connectedOnce) await options.onReconnect?.();
        connectedOnce = true;
        ready();
        return;
      } catch (err) {
        options.onError?.(err);
        await c.end().catch(() => undefined);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  async function reconnect(broken: pg.Client) {
    if (client !== broken || stopped) return;
    client = null;
    await broken.end().catch(() => undefined);
    await connect();
  }

  void connect();

  return {
    /** Resolves once the first LISTEN is in place. */
    listening,
    /**
     * Resolves once every change committed before this call has been delivered (NOTIFYs arrive in commit order, so
     * a notification sent now comes after them). A request that wrote waits for it, so its next read is fresh. Gives
     * up after `timeoutMs` when the feed is down.
     */
    async barrier(timeoutMs = 2_000): Promise<void> {
      const c = client;
      if (!c) return;
      const id = randomUUID();
      const heard = new Promise<void>((resolve) => barriers.set(id, resolve));
      let timeout: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, timeoutMs);
      });
      try {
        await c.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify({ barrier: id })]);
        await Promise.race([heard, gaveUp]);
      } catch (err) {
        options.onError?.(err);
      } finally {
        clearTimeout(timeout);
        barriers.delete(id);
      }
    },
    /** Delivers what has been heard so far now (tests), and waits for it. */
    async drain(): Promise<void> {
      if (timer) clearTimeout(timer);
      flush();
      await delivering;
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      flush();
      await delivering;
      await client?.end().catch(() => undefined);
      client = null;
    },
  };
}

export type ChangeFeed = ReturnType<typeof startChangeFeed>;
