// Per-request access helpers for the rule tree: the caller's scope, and the few lookups a rule needs to learn which
// agent an object belongs to (memoised for the request).
import type { Assignee } from '../domain/auth/assignments.js';
import { can, type Principal } from '../domain/auth/principal.js';
import type { Permission } from '../domain/auth/roles.js';
import type { Database } from '../platform/db/prisma.js';

export interface Access {
  /** Agents the caller may reach; undefined: all. For list filters. */
  agentIds: string[] | undefined;
  /** Personas a scoped caller is assigned directly (with agentIds: what persona lists may show); undefined: all. */
  personaScope: { personaIds: string[]; agentIds: string[] } | undefined;
  /** content_sensitivity: only moderators see sensitive and prohibited content. */
  seesSensitiveContent: boolean;
  agentOfTask(id: string): Promise<string | null | undefined>;
  /** The task's priority, for task_priority rules on operations over an existing task. */
  priorityOfTask(id: string): Promise<string | null | undefined>;
  /** Grants the caller, for the rest of this request, reach over an agent or persona it has just created. */
  grant(scope: { agentId?: string; personaId?: string }): void;
  agentOfContent(id: string): Promise<string | null | undefined>;
  agentOfWallet(id: string): Promise<string | null | undefined>;
  agentOfTransfer(id: string): Promise<string | null | undefined>;
  /** Personas a scoped caller may reach: assigned ones and those of its agents. */
  personaReachable(personaId: string): Promise<boolean>;
}

/** A caller limited to assigned agents is assigned what it creates; unscoped callers need no assignment. */
export function assigneeOf(principal: Principal | null): Assignee | null {
  return principal && principal.agentScope !== null ? { kind: principal.kind, id: principal.id } : null;
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
  const taskRow = (id: string) =>
    once(`task:${id}`, () => db.task.findUnique({ where: { id }, select: { agentId: true, priority: true } }));
  return {
    agentIds: scope ? [...scope] : undefined,
    personaScope:
      principal?.personaScope != null
        ? { personaIds: [...principal.personaScope], agentIds: [...(scope ?? [])] }
        : undefined,
    seesSensitiveContent: ['content:moderate', 'content:approve', 'content:reject'].some((p) =>
      can(principal, p as Permission),
    ),
    agentOfTask: async (id) => (await taskRow(id))?.agentId,
    priorityOfTask: async (id) => (await taskRow(id))?.priority,
    grant({ agentId, personaId }) {
      // The principal's scope sets are this request's own; widen them so the new object can be read back.
      if (agentId && principal?.agentScope) (principal.agentScope as Set<string>).add(agentId);
      if (personaId && principal?.personaScope) (principal.personaScope as Set<string>).add(personaId);
      memo.delete(`persona:${personaId}`);
    },
    agentOfContent: (id) =>
      once(
        `content:${id}`,
        async () => (await db.content.findUnique({ where: { id }, select: { agentId: true } }))?.agentId,
      ),
    agentOfWallet: (id) =>
      once(
        `wallet:${id}`,
        async () => (await db.wallet.findUnique({ where: { id }, select: { agentId: true } }))?.agentId,
      ),
    agentOfTransfer: (id) =>
      once(
        `transfer:${id}`,
        async () => (await db.transfer.findUnique({ where: { id }, select: { agentId: true } }))?.agentId,
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
