// Global ids (src/graphql/ids.ts), the where-clause builders (src/domain/shared/filters.ts) and the principal that
// roles and attributes make (src/domain/auth/principal.ts, roles.ts): round trips, coded refusals, and scope rules
// that can never widen what a caller reaches.
import { encodeGlobalID } from '@pothos/plugin-relay';
import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import {
  accessAttributesSchema,
  buildPrincipal,
  canReachAgent,
  hasClearance,
  mayExecutePriority,
  readAttributes,
} from '../../../src/domain/auth/principal.js';
import {
  CFO_ONLY,
  CLASSIFICATIONS,
  classificationRank,
  PERMISSIONS,
  permissionsOf,
  ROLE_CLEARANCE,
  ROLE_PERMISSIONS,
  ROLES,
  type Role,
} from '../../../src/domain/auth/roles.js';
import { agentIdWithin, oneOf, statusIn, timeRange } from '../../../src/domain/shared/filters.js';
import { decodeId, idOf } from '../../../src/graphql/ids.js';
import { check, PROPERTY_TIMEOUT_MS } from '../lib/mode.js';

/** Full mode runs thousands of cases per property: the default 30 s is not enough. */
vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const typeName = fc.stringMatching(/^[A-Z][A-Za-z]{0,20}$/);

/** decodeId's outcome: the decoded id, or the GraphQLError's code; anything else is thrown. */
function decoded(globalId: string): { typename: string; id: string } | { code: unknown } {
  try {
    return decodeId(globalId);
  } catch (err) {
    if (err instanceof GraphQLError) return { code: err.extensions.code };
    throw err;
  }
}

describe.concurrent('global ids', () => {
  it('encode → decode is the identity for every type and UUID', () =>
    check(
      401,
      fc.property(typeName, fc.uuid(), (type, id) => {
        expect(decodeId(encodeGlobalID(type, id))).toEqual({ typename: type, id });
        expect(idOf(decodeId(encodeGlobalID(type, id)), type)).toBe(id);
      }),
    ));

  it('anything else is refused with BAD_USER_INPUT, never another error, and never yields a non-UUID id', () =>
    check(
      402,
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 80 }),
          fc.string({ unit: 'binary', maxLength: 80 }),
          fc
            .tuple(typeName, fc.string({ maxLength: 40 }))
            .map(([t, id]) => Buffer.from(`${t}:${id}`).toString('base64')),
          fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('base64')),
          fc.tuple(typeName, fc.uuid()).map(([t, id]) => `${encodeGlobalID(t, id)}\u0000`),
          fc.uuid(),
        ),
        (s) => {
          const out = decoded(s);
          if ('code' in out) {
            expect(out.code).toBe('BAD_USER_INPUT');
          } else {
            expect(out.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
          }
        },
      ),
    ));

  it('an id of another type is refused with BAD_USER_INPUT', () =>
    check(
      403,
      fc.property(typeName, typeName, fc.uuid(), (a, b, id) => {
        fc.pre(a !== b);
        let code: unknown = null;
        try {
          idOf(decodeId(encodeGlobalID(a, id)), b);
        } catch (err) {
          code = err instanceof GraphQLError ? err.extensions.code : err;
        }
        expect(code).toBe('BAD_USER_INPUT');
      }),
    ));
});

describe.concurrent('filters', () => {
  it('agentIdWithin never matches an agent outside the scope', () =>
    check(
      404,
      fc.property(
        fc.option(fc.uuid(), { nil: null }),
        fc.option(fc.uniqueArray(fc.uuid(), { maxLength: 5 }), { nil: undefined }),
        fc.uuid(),
        (agentId, within, probe) => {
          const where = agentIdWithin(agentId, within);
          const matches = (id: string) =>
            where === undefined ? true : typeof where === 'string' ? where === id : where.in.includes(id);
          if (within !== undefined && !within.includes(probe)) expect(matches(probe)).toBe(false);
          if (agentId !== null && probe !== agentId) expect(matches(probe)).toBe(false);
          if (agentId !== null && (within === undefined || within.includes(agentId)))
            expect(matches(agentId)).toBe(true);
        },
      ),
    ));

  it('oneOf, timeRange and statusIn add a condition only when given one, and match what they were given', () =>
    check(
      405,
      fc.property(
        fc.option(fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }), { nil: null }),
        fc.option(fc.date({ noInvalidDate: true }), { nil: null }),
        fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
        fc.constantFrom('draft', 'pending'),
        (values, after, before, dflt) => {
          const o = oneOf(values);
          expect(o === undefined).toBe(!values?.length);
          if (o) expect(o.in).toEqual(values);
          const r = timeRange(after, before);
          expect(r === undefined).toBe(!after && !before);
          if (r) {
            expect(r.gte).toBe(after ?? undefined);
            expect(r.lt).toBe(before ?? undefined);
          }
          const s = statusIn(values, dflt);
          if (!values?.length) expect(s).toEqual({});
          else {
            const or = (s as { OR: unknown[] }).OR;
            expect(or[0]).toEqual({ status: { in: values } });
            // NULL reads as the column default: matched exactly when the default is asked for.
            expect(or.some((c) => JSON.stringify(c) === '{"status":null}')).toBe(values.includes(dflt));
          }
        },
      ),
    ));
});

const role = fc.constantFrom(...ROLES);
const roles = fc.uniqueArray(fc.oneof(role, fc.string({ maxLength: 12 })), { maxLength: 4 });
const attributes = fc.oneof(
  fc.record(
    {
      agentIds: fc.array(fc.uuid(), { maxLength: 3 }),
      personaIds: fc.array(fc.uuid(), { maxLength: 3 }),
      clearance: fc.constantFrom(...CLASSIFICATIONS),
      maxTaskPriority: fc.constantFrom('low', 'medium', 'high' as const),
      boundAgentId: fc.uuid(),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

describe.concurrent('principals', () => {
  it('roles and attributes never widen access: permissions, clearance, scope and priority follow the roles', () =>
    check(
      406,
      fc.property(roles, attributes, fc.uuid(), (given, attrs, probe) => {
        const p = buildPrincipal({
          kind: 'user',
          id: probe,
          email: null,
          roles: given,
          attributes: attrs,
          session: null,
          mfaEnrolled: false,
        });
        const known = given.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
        expect([...p.roles]).toEqual(known);
        // Permissions: exactly the union of the known roles' grants; transaction:approve only with cfo.
        expect([...p.permissions].sort()).toEqual([...permissionsOf(known)].sort());
        for (const perm of p.permissions) {
          expect(known.some((r) => ROLE_PERMISSIONS[r] === '*' || ROLE_PERMISSIONS[r].includes(perm))).toBe(true);
        }
        for (const perm of CFO_ONLY) expect(p.permissions.has(perm)).toBe(known.includes('cfo'));
        // Clearance: never above the best role's; an attribute may only lower it.
        const best = Math.max(classificationRank('public'), ...known.map((r) => classificationRank(ROLE_CLEARANCE[r])));
        expect(classificationRank(p.clearance)).toBeLessThanOrEqual(best);
        for (const c of CLASSIFICATIONS)
          expect(hasClearance(p, c)).toBe(classificationRank(c) <= classificationRank(p.clearance));
        // Scope: a principal whose roles are all scoped reaches its assigned agents only (malformed attributes: none).
        const scoped = known.length > 0 && known.every((r) => r === 'agent_operator' || r === 'api_user');
        const assigned = readAttributes(attrs).agentIds ?? [];
        expect(canReachAgent(p, probe)).toBe(!scoped || assigned.includes(probe));
        expect(canReachAgent(p, null)).toBe(!scoped);
        // Priority: nobody without task:execute executes anything.
        if (!p.permissions.has('task:execute')) expect(mayExecutePriority(p, 'low')).toBe(false);
      }),
    ));

  it('attributes that do not match the schema read as none, never as a partial set or a crash', () =>
    check(
      407,
      fc.property(fc.anything({ withBigInt: true, withNullPrototype: true }), (value) => {
        const read = readAttributes(value);
        const parsed = accessAttributesSchema.safeParse(value ?? {});
        expect(read).toEqual(parsed.success ? parsed.data : {});
      }),
    ));

  it('every role grants only known permissions', () => {
    for (const r of ROLES) for (const perm of permissionsOf([r])) expect(PERMISSIONS).toContain(perm);
  });
});
