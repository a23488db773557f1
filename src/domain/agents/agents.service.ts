// Agents: an active instance of a persona. Created, renamed, re-personaed, deactivated and reactivated here.
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Actor, type Tx, writeAudit } from '../audit/audit.service.js';
import { type Assignee, assignTo } from '../auth/assignments.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { containsInsensitive, orUndefined } from '../shared/filters.js';
import { jsonColumn } from '../shared/json.js';
import { jsonObject, nonBlank, parseInput, uuid } from '../shared/validation.js';

const createSchema = z.object({
  name: nonBlank(255),
  personaId: uuid.nullish(),
  metadata: jsonObject.nullish(),
});

const updateSchema = z.object({
  name: nonBlank(255)
    .nullish()
    .refine((v) => v !== null, 'cannot be null; leave it out to keep the current name'),
  personaId: uuid.nullish(),
  metadata: jsonObject.nullish(),
});

export type CreateAgentInput = z.input<typeof createSchema>;
export type UpdateAgentInput = z.input<typeof updateSchema>;

export interface AgentFilter {
  /** Access scope: only rows of these agents (set for callers limited to assigned agents). */
  withinAgentIds?: string[];
  personaId?: string | null;
  active?: boolean | null;
  nameContains?: string | null;
}

type Query = Pick<Prisma.AgentFindUniqueArgs, 'include' | 'select'>;
type Page = Pick<Prisma.AgentFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;

async function requirePersona(tx: Tx, personaId: string | null | undefined): Promise<void> {
  if (!personaId) return;
  const persona = await tx.persona.findUnique({ where: { id: personaId }, select: { id: true } });
  if (!persona) throw new NotFoundError('Persona', personaId);
}

export async function requireAgent(tx: Tx, id: string) {
  const agent = await tx.agent.findUnique({ where: { id }, select: { id: true, active: true } });
  if (!agent) throw new NotFoundError('Agent', id);
  return agent;
}

export function createAgentService({ db }: { db: Database }) {
  const where = (f: AgentFilter = {}): Prisma.AgentWhereInput => ({
    id: f.withinAgentIds ? { in: f.withinAgentIds } : undefined,
    personaId: orUndefined(f.personaId),
    // The column is nullable (spec DDL); NULL means the default, true.
    ...(f.active == null ? {} : f.active ? { OR: [{ active: true }, { active: null }] } : { active: false }),
    name: containsInsensitive(f.nameContains),
  });

  async function setActive(id: string, active: boolean, actor: Actor, query: Query) {
    return db.$transaction(async (tx) => {
      const agent = await requireAgent(tx, id);
      const isActive = agent.active !== false;
      if (isActive === active) {
        throw new ConflictError('Agent', id, `is already ${active ? 'active' : 'deactivated'}.`);
      }
      const updated = await tx.agent.update({ ...query, where: { id }, data: { active } });
      await writeAudit(tx, {
        agentId: id,
        action: active ? 'agent.activated' : 'agent.deactivated',
        actor,
        details: {},
      });
      return updated;
    });
  }

  return {
    get: (id: string, query: Query = {}) => db.agent.findUnique({ ...query, where: { id } }),
    list: (filter: AgentFilter | undefined, page: Page) =>
      db.agent.findMany({ ...page, where: where(filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    count: (filter?: AgentFilter) => db.agent.count({ where: where(filter) }),

    /** `assignee`: a scoped creator, who is assigned the new agent (see domain/auth/assignments.ts). */
    async create(input: CreateAgentInput, actor: Actor, query: Query = {}, assignee: Assignee | null = null) {
      const data = parseInput(createSchema, input);
      return db.$transaction(async (tx) => {
        await requirePersona(tx, data.personaId);
        const agent = await tx.agent.create({
          ...query,
          data: { name: data.name, personaId: data.personaId ?? null, metadata: jsonColumn(data.metadata ?? null) },
        });
        if (assignee) await assignTo(tx, assignee, { agentId: agent.id });
        await writeAudit(tx, {
          agentId: agent.id,
          action: 'agent.created',
          actor,
          details: { name: data.name, personaId: data.personaId ?? null, assignedTo: assignee },
        });
        return agent;
      });
    },

    async update(id: string, input: UpdateAgentInput, actor: Actor, query: Query = {}) {
      const data = parseInput(updateSchema, input);
      return db.$transaction(async (tx) => {
        await requireAgent(tx, id);
        await requirePersona(tx, data.personaId);
        const agent = await tx.agent.update({
          ...query,
          where: { id },
          data: { name: data.name ?? undefined, personaId: data.personaId, metadata: jsonColumn(data.metadata) },
        });
        await writeAudit(tx, { agentId: id, action: 'agent.updated', actor, details: { changed: Object.keys(data) } });
        return agent;
      });
    },

    deactivate: (id: string, actor: Actor, query: Query = {}) => setActive(id, false, actor, query),
    activate: (id: string, actor: Actor, query: Query = {}) => setActive(id, true, actor, query),
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
