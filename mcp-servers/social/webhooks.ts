// Webhook delivery: interactions are batched (250 ms apart at most, ≤100 per event) into signed `interactions`
// events kept in the persisted outbox until delivered, retried with exponential backoff on network errors, timeouts,
// 5xx, 408 and 429, with the same event id and body on every attempt (and after a restart); other answers (4xx,
// 3xx) end delivery.
import { createHmac } from 'node:crypto';
import type { OutboxEvent, StateStore, WebhookInteraction } from './state.js';
import { randomId } from './state.js';

export interface WebhookOptions {
  url: string | null;
  secret: string;
  log: (message: string) => void;
  batchMs?: number;
  /** A batch is sent at the latest this long after its first interaction, however busy the stream. */
  maxBatchAgeMs?: number;
  maxBatch?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
}

/** The signature header value for one attempt: `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function sign(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

type Outcome = 'delivered' | 'retry' | 'rejected';

export class WebhookDispatcher {
  private batchTimer: NodeJS.Timeout | undefined;
  private batchStartedAt: number | null = null;
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<string>();
  private readonly aborts = new Set<AbortController>();
  private stopped = false;
  private readonly batchMs: number;
  private readonly maxBatchAgeMs: number;
  private readonly maxBatch: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly store: StateStore,
    private readonly options: WebhookOptions,
  ) {
    this.batchMs = options.batchMs ?? 250;
    this.maxBatchAgeMs = options.maxBatchAgeMs ?? 1000;
    this.maxBatch = options.maxBatch ?? 100;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  get enabled(): boolean {
    return this.options.url !== null;
  }

  /** Queues one interaction; the caller persists the state right after. */
  enqueue(interaction: WebhookInteraction): void {
    if (!this.enabled || this.stopped) return;
    const pending = this.store.state.outbox.pending;
    pending.push(interaction);
    const now = Date.now();
    this.batchStartedAt ??= now;
    const full = pending.length >= this.maxBatch;
    const old = now - this.batchStartedAt >= this.maxBatchAgeMs;
    const wait = full || old ? 0 : Math.min(this.batchMs, this.batchStartedAt + this.maxBatchAgeMs - now);
    clearTimeout(this.batchTimer);
    this.batchTimer = setTimeout(() => this.flush(), wait).unref();
  }

  /** Sends what a previous run left: pending interactions and undelivered events. */
  start(): void {
    if (!this.enabled) {
      const left = this.store.state.outbox.events.length + this.store.state.outbox.pending.length;
      if (left > 0) this.options.log(`SOCIAL_WEBHOOK_URL is not set: ${left} undelivered webhook item(s) kept`);
      return;
    }
    if (this.store.state.outbox.pending.length > 0) this.flush();
    for (const event of this.store.state.outbox.events) void this.attempt(event);
  }

  /** Stops timers and aborts requests in flight; undelivered events stay in the state for the next run. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.batchTimer);
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    for (const controller of this.aborts) controller.abort();
  }

  /** Turns pending interactions into events (≤ maxBatch each), persists them, and sends them. */
  private flush(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.batchStartedAt = null;
    const { outbox } = this.store.state;
    const created: OutboxEvent[] = [];
    while (outbox.pending.length > 0) {
      const interactions = outbox.pending.splice(0, this.maxBatch);
      const id = randomId('evt_', 8);
      const createdAt = new Date().toISOString();
      const body = JSON.stringify({ id, platform: 'social', type: 'interactions', createdAt, interactions });
      created.push({ id, body, attempts: 0, createdAt });
    }
    outbox.events.push(...created);
    this.save();
    for (const event of created) void this.attempt(event);
  }

  private async attempt(event: OutboxEvent): Promise<void> {
    const url = this.options.url;
    if (url === null || this.stopped || this.inFlight.has(event.id)) return;
    this.inFlight.add(event.id);
    const controller = new AbortController();
    this.aborts.add(controller);
    const timeout = setTimeout(() => controller.abort(), this.timeoutMs).unref();
    let outcome: Outcome;
    let detail: string;
    try {
      const timestamp = Math.floor(Date.now() / 1000).toString();
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-chimera-event-id': event.id,
          'x-chimera-timestamp': timestamp,
          'x-chimera-signature': sign(this.options.secret, timestamp, event.body),
        },
        body: event.body,
        redirect: 'manual',
        signal: controller.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      const status = response.status;
      detail = `HTTP ${status}`;
      if (status >= 200 && status < 300) outcome = 'delivered';
      else if (status >= 500 || status === 408 || status === 429) outcome = 'retry';
      else outcome = 'rejected'; // other 4xx, and redirects (a POST must not silently turn into a GET)
    } catch (error) {
      outcome = 'retry';
      detail = controller.signal.aborted ? 'timed out or aborted' : String((error as Error).cause ?? error);
    } finally {
      clearTimeout(timeout);
      this.aborts.delete(controller);
      this.inFlight.delete(event.id);
    }
    if (this.stopped) return;
    event.attempts += 1;
    if (outcome === 'retry' && event.attempts < this.maxAttempts) {
      const delay = this.baseDelayMs * 2 ** (event.attempts - 1);
      this.options.log(`webhook ${event.id}: attempt ${event.attempts} failed (${detail}), retrying in ${delay} ms`);
      this.save();
      this.retryTimers.set(
        event.id,
        setTimeout(() => {
          this.retryTimers.delete(event.id);
          void this.attempt(event);
        }, delay).unref(),
      );
      return;
    }
    if (outcome === 'rejected') this.options.log(`webhook ${event.id}: rejected (${detail}), not retried`);
    if (outcome === 'retry')
      this.options.log(`webhook ${event.id}: giving up after ${event.attempts} attempts (${detail})`);
    const events = this.store.state.outbox.events;
    const index = events.findIndex((e) => e.id === event.id);
    if (index >= 0) events.splice(index, 1);
    this.save();
  }

  private save(): void {
    try {
      this.store.save();
    } catch (error) {
      this.options.log(`cannot save the state: ${(error as Error).message}`);
    }
  }
}
