// An object type's rule answers once per object and request, whatever number of its fields a query selects: every
// field of an object shares the answer (the rule's work, its lookups, a denial). A nested read of a few hundred
// objects used to run the whole chain of rules for every field (bench/nested.ts: 3 req/s against bare yoga's 34).
import type { GraphQLResolveInfo } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { buildPrincipal } from '../../src/domain/auth/principal.js';
import { TYPE_RULES } from '../../src/graphql/permissions.js';

interface ShieldRule {
  resolve(parent: unknown, args: unknown, ctx: unknown, info: GraphQLResolveInfo, options: unknown): Promise<unknown>;
}

// What graphql-shield passes a rule (its field middleware also gives each request its `_shield` cache).
const OPTIONS = { debug: false, allowExternalErrors: true, hashFunction: () => 'unused' };
const infoOf = (type: string, field: string) =>
  ({ parentType: { name: type }, fieldName: field }) as unknown as GraphQLResolveInfo;
const ruleOf = (type: string) => TYPE_RULES[type] as unknown as ShieldRule;

function operator(personaIds: string[]) {
  return buildPrincipal({
    kind: 'user',
    id: '00000000-0000-4000-8000-000000000001',
    email: null,
    roles: ['agent_operator'],
    attributes: { agentIds: [], personaIds },
    session: { id: 's', amr: ['pwd'], stepUpAt: null, expiresAt: new Date(Date.now() + 60_000) },
    mfaEnrolled: false,
  });
}

const PERSONA_A = '00000000-0000-4000-8000-00000000000a';
const PERSONA_B = '00000000-0000-4000-8000-00000000000b';

describe('object-type rules', () => {
  it('run once per object, not once per selected field', async () => {
    const principal = operator([PERSONA_A, PERSONA_B]);
    const personaReachable = vi.fn(async (id: string) => principal.personaScope?.has(id) ?? true);
    const ctx = { principal, denials: new Set<string>(), access: { personaReachable }, _shield: { cache: {} } };
    const a = { id: PERSONA_A, name: 'A', backstory: 'a' };
    const b = { id: PERSONA_B, name: 'B', backstory: 'b' };
    const answers: unknown[] = [];
    for (const parent of [a, b])
      for (const field of ['id', 'name', 'backstory', 'traits', 'createdAt'])
        answers.push(await ruleOf('Persona').resolve(parent, {}, ctx, infoOf('Persona', field), OPTIONS));
    expect(answers).toEqual(Array(10).fill(true));
    expect(personaReachable.mock.calls.map(([id]) => id)).toEqual([PERSONA_A, PERSONA_B]);
  });

  it('refuse every field of an object out of scope, and record the denial once', async () => {
    const principal = operator([PERSONA_A]);
    const create = vi.fn(async () => ({}));
    const ctx = {
      principal,
      denials: new Set<string>(),
      access: { personaReachable: async (id: string) => principal.personaScope?.has(id) ?? false },
      db: { securityAuditLog: { create } },
      meta: {},
      _shield: { cache: {} },
    };
    const outOfScope = { id: PERSONA_B, name: 'B' };
    const inScope = { id: PERSONA_A, name: 'A' };
    const refused: unknown[] = [];
    for (const field of ['id', 'name', 'backstory'])
      refused.push(await ruleOf('Persona').resolve(outOfScope, {}, ctx, infoOf('Persona', field), OPTIONS));
    for (const answer of refused) {
      expect(answer).toBeInstanceOf(Error);
      expect((answer as { extensions?: { code?: string } }).extensions?.code).toBe('FORBIDDEN');
    }
    expect(await ruleOf('Persona').resolve(inScope, {}, ctx, infoOf('Persona', 'name'), OPTIONS)).toBe(true);
    expect(create).toHaveBeenCalledTimes(1);
  });
});
