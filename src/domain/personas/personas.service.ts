// Personas: who an agent is. Validates the voice/beliefs/directives documents and audits every change.
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Actor, writeAudit } from '../audit/audit.service.js';
import { type Assignee, assignTo } from '../auth/assignments.js';
import { NotFoundError } from '../shared/errors.js';
import { containsInsensitive } from '../shared/filters.js';
import { jsonColumn } from '../shared/json.js';
import { longText, nonBlank, parseInput } from '../shared/validation.js';
import { beliefsSchema, directivesSchema, voiceToneSchema } from './persona.schema.js';

const createSchema = z.object({
  name: nonBlank(255),
  backstory: longText.nullish(),
  voiceTone: voiceToneSchema.nullish(),
  beliefs: beliefsSchema.nullish(),
  directives: directivesSchema.nullish(),
});

const updateSchema = z.object({
  name: nonBlank(255)
    .nullish()
    .refine((v) => v !== null, 'cannot be null; leave it out to keep the current name'),
  backstory: longText.nullish(),
  voiceTone: voiceToneSchema.nullish(),
  beliefs: beliefsSchema.nullish(),
  directives: directivesSchema.nullish(),
});

export type CreatePersonaInput = z.input<typeof createSchema>;
/** Absent fields are left as they are; `null` clears an optional field. */
export type UpdatePersonaInput = z.input<typeof updateSchema>;

export interface PersonaFilter {
  nameContains?: string | null;
  /** Access scope: personas assigned directly, or acting through one of these agents. */
  within?: { personaIds: string[]; agentIds: string[] };
}

type Query = Pick<Prisma.PersonaFindUniqueArgs, 'include' | 'select'>;
type Page = Pick<Prisma.PersonaFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;

export function createPersonaService({ db }: { db: Database }) {
  const where = (f: PersonaFilter = {}): Prisma.PersonaWhereInput => ({
    name: containsInsensitive(f.nameContains),
    ...(f.within
      ? { OR: [{ id: { in: f.within.personaIds } }, { agents: { some: { id: { in: f.within.agentIds } } } }] }
      : {}),
  });

  return {
    get: (id: string, query: Query = {}) => db.persona.findUnique({ ...query, where: { id } }),
    list: (filter: PersonaFilter | undefined, page: Page) =>
      db.persona.findMany({ ...page, where: where(filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    count: (filter?: PersonaFilter) => db.persona.count({ where: where(filter) }),

    /** `assignee`: a scoped creator, who is assigned the new persona (see domain/auth/assignments.ts). */
    async create(input: CreatePersonaInput, actor: Actor, query: Query = {}, assignee: Assignee | null = null) {
      const data = parseInput(createSchema, input);
      return db.$transaction(async (tx) => {
        const persona = await tx.persona.create({
          ...query,
          data: {
            name: data.name,
            backstory: data.backstory ?? null,
            voiceTone: jsonColumn(data.voiceTone ?? null),
            beliefs: jsonColumn(data.beliefs ?? null),
            directives: jsonColumn(data.directives ?? null),
          },
        });
        if (assignee) await assignTo(tx, assignee, { personaId: persona.id });
        await writeAudit(tx, {
          action: 'persona.created',
          actor,
          details: { personaId: persona.id, name: data.name, assignedTo: assignee },
        });
        return persona;
      });
    },

    async update(id: string, input: UpdatePersonaInput, actor: Actor, query: Query = {}) {
      const data = parseInput(updateSchema, input);
      return db.$transaction(async (tx) => {
        const exists = await tx.persona.findUnique({ where: { id }, select: { id: true } });
        if (!exists) throw new NotFoundError('Persona', id);
        const persona = await tx.persona.update({
          ...query,
          where: { id },
          data: {
            name: data.name ?? undefined,
            backstory: data.backstory,
            voiceTone: jsonColumn(data.voiceTone),
            beliefs: jsonColumn(data.beliefs),
            directives: jsonColumn(data.directives),
          },
        });
        await writeAudit(tx, {
          action: 'persona.updated',
          actor,
          details: { personaId: id, changed: Object.keys(data) },
        });
        return persona;
      });
    },
  };
}

export type PersonaService = ReturnType<typeof createPersonaService>;
