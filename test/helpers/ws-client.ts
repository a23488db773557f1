// Real subscription clients for tests against a listening API: graphql-ws over the `ws` package, and SSE over fetch.
// Every wait is bounded: a helper that times out rejects with what it was waiting for.
import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { takeSseEvents } from './sse.js';

/** Resolves with `promise`, or rejects after `ms` naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `probe` until it returns something other than undefined, null or false, for at most `ms`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export type Result<T = Record<string, unknown>> = FormattedExecutionResult<T, Record<string, unknown>>;

/** A queue of the results of one subscription, read with bounded waits. */
export interface ResultStream<T = Record<string, unknown>> {
  /** Every result received so far, in order (including those already read). */
  readonly received: Result<T>[];
  /** The next unread result. */
  next(ms: number): Promise<Result<T>>;
  /** The next unread result that matches, skipping (and consuming) the others. */
  nextMatching(match: (r: Result<T>) => boolean, ms: number, what: string): Promise<Result<T>>;
  /** Settles when the stream ends: 'complete', or the error (for graphql-ws, a close event or GraphQL errors). */
  readonly ended: Promise<{ complete: true } | { error: unknown }>;
  /** Stops the subscription. */
  close(): void;
}

function resultQueue<T>(): {
  stream: Omit<ResultStream<T>, 'close'>;
  push(r: Result<T>): void;
  end(outcome: { complete: true } | { error: unknown }): void;
} {
  const received: Result<T>[] = [];
  let read = 0;
  let wake: (() => void) | undefined;
  let endWith: (outcome: { complete: true } | { error: unknown }) => void = () => undefined;
  let isEnded = false;
  const ended = new Promise<{ complete: true } | { error: unknown }>((resolve) => {
    endWith = resolve;
  });
  const next = async (ms: number): Promise<Result<T>> => {
    const deadline = Date.now() + ms;
    while (read >= received.length) {
      if (isEnded) throw new Error('the stream ended before another result arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no result within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const r = received[read] as Result<T>;
    read += 1;
    return r;
  };
  return {
    stream: {
      received,
      next,
      async nextMatching(match, ms, what) {
        const deadline = Date.now() + ms;
        for (;;) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
          const r = await next(left).catch((err: unknown) => {
            throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
          });
          if (match(r)) return r;
        }
      },
      ended,
    },
    push(r) {
      received.push(r);
      wake?.();
    },
    end(outcome) {
      isEnded = true;
      endWith(outcome);
      wake?.();
    },
  };
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface WsConnection {
  client: Client;
  /** Resolves when the server acknowledges the connection (connection_ack). */
  readonly connected: Promise<void>;
  /** Resolves with the first close of the socket, whoever closed it. */
  readonly closed: Promise<CloseInfo>;
  subscribe<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): ResultStream<T>;
  dispose(): Promise<void>;
}

/**
 * A graphql-ws client connected at once (not lazy), never retrying, so the test sees exactly what the server did.
 * `headers` go on the HTTP upgrade request.
 */
export function connectWs(
  url: string,
  connectionParams?: Record<string, unknown>,
  opts: { headers?: Record<string, string> } = {},
): WsConnection {
  let onConnected: () => void = () => undefined;
  let onClosed: (info: CloseInfo) => void = () => undefined;
  const connected = new Promise<void>((resolve) => {
    onConnected = resolve;
  });
  const closed = new Promise<CloseInfo>((resolve) => {
    onClosed = resolve;
  });
  const headers = opts.headers;
  class WebSocketWithHeaders extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createClient({
    url,
    webSocketImpl: WebSocketWithHeaders,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    // A refused connection is what some tests expect; `closed` reports it.
    onNonLazyError: () => undefined,
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const e = event as { code?: number; reason?: unknown };
        onClosed({ code: e.code ?? 0, reason: String(e.reason ?? '') });
      },
    },
  });
  return {
    client,
    connected,
    closed,
    subscribe<T>(query: string, variables?: Record<string, unknown>) {
      const q = resultQueue<T>();
      const unsubscribe = client.subscribe<T, Record<string, unknown>>(
        { query, variables },
        {
          next: (r) => q.push(r),
          error: (error) => q.end({ error }),
          complete: () => q.end({ complete: true }),
        },
      );
      return { ...q.stream, close: unsubscribe };
    },
    dispose: () => Promise.resolve(client.dispose()),
  };
}

export interface SseStream<T = Record<string, unknown>> extends ResultStream<T> {
  status: number;
  contentType: string | null;
}

/**
 * A subscription over Server-Sent Events (yoga's GraphQL over SSE, "distinct connections" mode): POST with
 * `Accept: text/event-stream`; `next` events carry results, `complete` ends the stream.
 */
export async function subscribeSse<T = Record<string, unknown>>(
  url: string,
  query: string,
  headers: Record<string, string> = {},
  ms = 5_000,
): Promise<SseStream<T>> {
  const abort = new AbortController();
  const res = await within(
    fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query }),
      signal: abort.signal,
    }),
    ms,
    'the SSE response headers',
  );
  const q = resultQueue<T>();
  const body = res.body;
  void (async () => {
    if (!body) return q.end({ error: new Error('no response body') });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        const { events, rest } = takeSseEvents(buffer + decoder.decode(chunk.value, { stream: true }));
        buffer = rest;
        for (const { event, data } of events) {
          if (event === 'next' && data) q.push(JSON.parse(data) as Result<T>);
          if (event === 'complete') q.end({ complete: true });
        }
      }
      q.end({ complete: true });
    } catch (error) {
      q.end({ error });
    }
  })();
  return {
    ...q.stream,
    status: res.status,
    contentType: res.headers.get('content-type'),
    close: () => abort.abort(),
  };
}
