// ioredis connection with the configured key prefix (every key Chimera writes starts with it).
import { Redis } from 'ioredis';

export type { Redis };

export function createRedis(url: string, keyPrefix: string): Redis {
  return new Redis(url, { keyPrefix, lazyConnect: false, maxRetriesPerRequest: 3, enableOfflineQueue: true });
}
