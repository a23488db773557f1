// A Redis-backed event target for graphql-yoga's createPubSub: an event published by any process (API node or
// worker) reaches the subscribers of every API node. Channels carry the configured key prefix (ioredis does not
// prefix channels), so test runs and deployments sharing a Redis never hear each other.
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import type { Redis } from 'ioredis';

type Listener = EventListener | EventListenerObject;

export function createRedisEventTarget(opts: {
  publisher: Redis;
  subscriber: Redis;
  channelPrefix: string;
  /** A Redis command that failed (Redis down, or the connection already closed at shutdown); never thrown. */
  onError?: (err: unknown, command: 'subscribe' | 'unsubscribe' | 'publish') => void;
}): TypedEventTarget<CustomEvent> {
  const { publisher, subscriber, channelPrefix } = opts;
  // These calls are fire-and-forget: an unhandled rejection would take the process down.
  const report = (command: 'subscribe' | 'unsubscribe' | 'publish') => (err: unknown) => opts.onError?.(err, command);
  const listeners = new Map<string, Set<Listener>>();

  subscriber.on('message', (channel: string, message: string) => {
    if (!channel.startsWith(channelPrefix)) return;
    const topic = channel.slice(channelPrefix.length);
    const set = listeners.get(topic);
    if (!set) return;
    let detail: unknown;
    try {
      detail = JSON.parse(message);
    } catch {
      return;
    }
    const event = new CustomEvent(topic, { detail });
    for (const l of set) {
      if (typeof l === 'function') l(event);
      else l.handleEvent(event);
    }
  });

  return {
    addEventListener(topic: string, listener: Listener | null) {
      if (!listener) return;
      let set = listeners.get(topic);
      if (!set) {
        set = new Set();
        listeners.set(topic, set);
        subscriber.subscribe(channelPrefix + topic).catch(report('subscribe'));
      }
      set.add(listener);
    },
    removeEventListener(topic: string, listener: Listener | null) {
      const set = listeners.get(topic);
      if (!set || !listener) return;
      set.delete(listener);
      if (set.size === 0) {
        listeners.delete(topic);
        subscriber.unsubscribe(channelPrefix + topic).catch(report('unsubscribe'));
      }
    },
    dispatchEvent(event: CustomEvent) {
      publisher.publish(channelPrefix + event.type, JSON.stringify(event.detail ?? null)).catch(report('publish'));
      return true;
    },
  } as TypedEventTarget<CustomEvent>;
}
