// What a committed write invalidates. Every cacheable response is tagged with the entities it shows
// (`Task:<uuid>`), the lists it shows (`list:Task`), the caller's scope for private results (`scope:user:<uuid>`),
// and `chimera`. A changed row (from the change feed: any writer, API or worker) drops:
//   its entity, every list of its type (a new, changed or removed row can change any list's membership), its parent
//   entity where the parent shows it (an interaction's content: engagement; a transaction's wallet: balance), and
//   for users and API keys, everything cached for them (their permissions may have changed).
import type { ResponseStore } from '../../platform/cache/response-store.js';
import type { RowChange } from '../../platform/db/change-feed.js';
import type { EdgePurger } from '../../platform/edge/purge.js';

interface TableTags {
  type: string;
  parent?: string;
  scope?: string;
}

export const TABLE_TAGS: Readonly<Record<string, TableTags>> = {
  personas: { type: 'Persona' },
  agents: { type: 'Agent' },
  tasks: { type: 'Task' },
  content: { type: 'Content' },
  trends: { type: 'Trend' },
  interactions: { type: 'Interaction', parent: 'Content' },
  wallets: { type: 'Wallet' },
  transactions: { type: 'Transaction', parent: 'Wallet' },
  transfers: { type: 'Transfer', parent: 'Wallet' },
  goals: { type: 'Goal' },
  publications: { type: 'Publication', parent: 'Content' },
  audit_logs: { type: 'AuditLog' },
  users: { type: 'User', scope: 'user' },
  api_keys: { type: 'ApiKey', scope: 'api_key' },
};

/** The tag every cacheable response carries: invalidating it drops everything. */
export const ALL_TAG = 'chimera';

export const entityTag = (type: string, id: string) => `${type}:${id}`;
export const listTag = (type: string) => `list:${type}`;
export const scopeTag = (subject: string) => `scope:${subject}`;

export function tagsOfChanges(changes: readonly RowChange[]): string[] {
  const tags = new Set<string>();
  for (const c of changes) {
    const t = TABLE_TAGS[c.table];
    if (!t) continue;
    tags.add(entityTag(t.type, c.id));
    tags.add(listTag(t.type));
    if (t.parent && c.parent) tags.add(entityTag(t.parent, c.parent));
    if (t.scope) tags.add(scopeTag(`${t.scope}:${c.id}`));
  }
  return [...tags];
}

export function createCacheInvalidator(deps: {
  store: ResponseStore;
  purger?: EdgePurger | null;
  onError?: (err: unknown, what: string) => void;
}) {
  const purge = async (tags: readonly string[]) => {
    if (!deps.purger || tags.length === 0) return;
    await deps.purger.purge(tags).catch((err: unknown) => deps.onError?.(err, `purge the edge (${deps.purger?.name})`));
  };
  return {
    /** Drops what these changes invalidate, in the response cache and at the edge. */
    async apply(changes: readonly RowChange[]): Promise<{ tags: string[]; dropped: number }> {
      const tags = tagsOfChanges(changes);
      const dropped = await deps.store.invalidate(tags);
      await purge(tags);
      return { tags, dropped };
    },
    /** Drops everything: the change feed was interrupted, and what changed meanwhile is unknown. */
    async reset(): Promise<void> {
      await deps.store.clear();
      await purge([ALL_TAG]);
    },
  };
}

export type CacheInvalidator = ReturnType<typeof createCacheInvalidator>;
