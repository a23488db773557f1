// Publishing from processes that have no GraphQL server (the swarm's workers), in the wire format of
// redis-event-target.ts: channel = key prefix + topic, message = the JSON payload.
import type { Redis } from 'ioredis';

export function createRedisPublisher(redis: Redis, channelPrefix: string, onError?: (err: unknown) => void) {
  return (topic: string, payload: unknown): void => {
    redis.publish(channelPrefix + topic, JSON.stringify(payload)).catch((err: unknown) => onError?.(err));
  };
}
