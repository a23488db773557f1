// What every resolver receives.
import type { PubSub } from 'graphql-yoga';
import type { Actor } from '../domain/audit/audit.service.js';
import type { Principal } from '../domain/auth/principal.js';
import type { RequestMeta } from '../domain/security/security-audit.js';
import type { Services } from '../domain/services.js';
import type { Database } from '../platform/db/prisma.js';
import type { Logger } from '../platform/log/logger.js';
import type { Access } from './access.js';

/** Pub/sub topics carry the id of what changed; subscribers load it with their own permissions. */
export type Topics = Record<string, [payload: { id: string }]>;

export interface Context {
  /** Used by @pothos/plugin-prisma to load nodes and relations; resolvers go through `services`. */
  db: Database;
  services: Services;
  pubsub: PubSub<Topics>;
  /** The authenticated caller, or null for an anonymous request. */
  principal: Principal | null;
  actor: Actor;
  /** Scope and ownership lookups for the rule tree (permissions.ts). */
  access: Access;
  /** Denials already recorded in this request (one security log row per denied field, not per list item). */
  denials: Set<string>;
  meta: RequestMeta;
  requestId: string;
  logger: Logger;
  /**
   * Cache tags a resolver adds for rows its result depends on but does not show as an `id` (a public post shows its
   * agent's name: `Agent:<uuid>`); the response cache tags the result with them.
   */
  cacheTags: Set<string>;
}
