// Ends a subscription's event stream at a deadline (the expiry of the credential that opened it), after one last
// result saying why. Over graphql-ws the socket itself is closed at that moment (graphql-ws.ts); this is for the
// HTTP transports (SSE, multipart), where the stream is the only thing to end.
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

const MAX_TIMER_MS = 2 ** 31 - 1;
const DONE = { done: true, value: undefined } as const;

/**
 * `source` until `deadline`, then `last()` once, then the end. Ending early (return/throw, e.g. a client that goes
 * away) or at the deadline releases the source at once, even while it is waiting for its next event.
 */
export function untilDeadline<T>(source: AsyncIterable<T>, deadline: Date, last: () => T): AsyncIterableIterator<T> {
  const inner = source[Symbol.asyncIterator]();
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    const wait = () => {
      const ms = deadline.getTime() - Date.now();
      if (ms <= 0) return resolve('expired');
      timer = setTimeout(wait, Math.min(ms, MAX_TIMER_MS));
      timer.unref();
    };
    wait();
  });
  const finish = async () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    await inner.return?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      if (finished) return DONE;
      const pending = inner.next();
      // Once the deadline wins the race, nobody awaits `pending`: a later rejection must not go unhandled.
      pending.catch(() => undefined);
      const first = await Promise.race([pending, expired]);
      if (finished) return DONE;
      if (first === 'expired') {
        void finish().catch(() => undefined);
        return { done: false, value: last() };
      }
      if (first.done) {
        finished = true;
        clearTimeout(timer);
      }
      return first;
    },
    async return(): Promise<IteratorResult<T>> {
      await finish();
      return DONE;
    },
    async throw(err: unknown): Promise<IteratorResult<T>> {
      await finish();
      throw err;
    },
  };
}

/**
 * An envelop/yoga plugin: every subscription whose context has a deadline (`deadlineOf`) ends then, after the
 * result `expired()`.
 */
export function useSubscriptionDeadline<TContext extends object>(options: {
  deadlineOf: (context: TContext) => Date | null | undefined;
  expired: () => ExecutionResult;
}): Plugin<TContext> {
  return {
    onSubscribe({ args }) {
      const deadline = options.deadlineOf(args.contextValue);
      if (!deadline) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(untilDeadline(result, deadline, options.expired));
        },
      };
    },
  };
}
