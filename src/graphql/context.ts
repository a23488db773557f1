// What every resolver receives.
import type { Actor } from '../domain/audit/audit.service.js';
import type { Services } from '../domain/services.js';
import type { Database } from '../platform/db/prisma.js';
import type { Logger } from '../platform/log/logger.js';

export interface Context {
  /** Used by @pothos/plugin-prisma to load nodes and relations; resolvers go through `services`. */
  db: Database;
  services: Services;
  actor: Actor;
  requestId: string;
  logger: Logger;
}
