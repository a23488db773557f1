// The fan-out baseline (bench/fanout.ts): a bare graphql-ws server (graphql-ws useServer over `ws`) with a trivial
// in-memory pub/sub, fed from the same Redis channel the swarm publishes task changes on. No auth, no limits, no
// database: each event's payload is the answer.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { useServer } from 'graphql-ws/use/ws';
import { createSchema } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';

interface TaskEvent {
  id: string;
}

/** A topic's subscribers, each an async iterator fed by publish(). */
class TrivialPubSub {
  private readonly topics = new Map<string, Set<(e: TaskEvent) => void>>();
  publish(topic: string, event: TaskEvent): void {
    for (const push of this.topics.get(topic) ?? []) push(event);
  }
  subscribe(topic: string): AsyncIterableIterator<TaskEvent> {
    const queue: TaskEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const push = (e: TaskEvent) => {
      queue.push(e);
      wake?.();
    };
    let set = this.topics.get(topic);
    if (!set) {
      set = new Set();
      this.topics.set(topic, set);
    }
    set.add(push);
    const stop = () => {
      done = true;
      this.topics.get(topic)?.delete(push);
      wake?.();
    };
    const iterator: AsyncIterableIterator<TaskEvent> = {
      async next() {
        while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        const value = queue.shift();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      async return() {
        stop();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}

const prefix = process.env.CHANNEL_PREFIX ?? '';
const pubsub = new TrivialPubSub();
const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
subscriber.on('error', () => undefined);
await subscriber.psubscribe(`${prefix}agent:*:tasks`);
subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
  pubsub.publish(channel.slice(prefix.length), JSON.parse(message) as TaskEvent);
});

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Task { id: ID! status: String! }
    type Query { ok: Boolean! }
    type Subscription { taskUpdated(agentId: ID!): Task! }
  `,
  resolvers: {
    Query: { ok: () => true },
    Subscription: {
      taskUpdated: {
        subscribe: (_root: unknown, args: { agentId: string }) => pubsub.subscribe(`agent:${args.agentId}:tasks`),
        resolve: (e: TaskEvent) => ({ id: encodeGlobalID('Task', e.id), status: 'IN_PROGRESS' }),
      },
    },
  },
});

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/graphql' });
useServer({ schema }, wss);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}/graphql` })}\n`);
});
process.on('SIGTERM', () => {
  for (const c of wss.clients) c.terminate();
  server.close(() => void subscriber.quit().finally(() => process.exit(0)));
});
