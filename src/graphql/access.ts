// Per-request access helpers for the rule tree: the caller's scope, and the few lookups a rule needs to learn which
// agent an object belongs to (memoised for the request).
import type { Principal } from '../domain/auth/principal.js';
import type { Database } from '../platform/db/prisma.js';

export interface Access {
  /** Agents the caller may reach; undefined: all. For list filters. */
  agentIds: string[] | undefined;
  agentOfTask(id: string): Promise<string | null | undefined>;
  agentOfContent(id: string): Promise<string | null | undefined>;
  /** Personas a scoped caller may reach: assigned ones and those of its agents. */
  personaReachable(personaId: string): Promise<boolean>;
}

export function createAccess(principal: Principal | null, db: Database): Access {
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load();
      memo.set(key, p);
    }
    return p;
  };
  const scope = principal?.agentScope ?? null;
  return {
    agentIds: scope ? [...scope] : undefined,
    agentOfTask: (id) =>
      once(`task:${id}`, async () => (await db.task.findUnique({ where: { id }, select: { agentId: true } }))?.agentId),
    agentOfContent: (id) =>
      once(
        `content:${id}`,
        async () => (await db.content.findUnique({ where: { id }, select: { agentId: true } }))?.agentId,
      ),
    personaReachable: (personaId) =>
      once(`persona:${personaId}`, async () => {
        if (!principal || principal.personaScope === null) return true;
        if (principal.personaScope.has(personaId)) return true;
        if (!scope?.size) return false;
        const agents = await db.agent.count({ where: { personaId, id: { in: [...scope] } } });
        return agents > 0;
      }),
  };
}
