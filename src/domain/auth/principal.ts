// Who is calling, and what they may reach: roles → permissions (RBAC) and attributes → scope (ABAC).
import { z } from 'zod';
import {
  CLASSIFICATIONS,
  type Classification,
  classificationRank,
  type Permission,
  type PriorityLevel,
  permissionsOf,
  ROLE_CLEARANCE,
  ROLE_MAX_TASK_PRIORITY,
  ROLES,
  type Role,
  SCOPED_ROLES,
  TASK_PRIORITY_RANK,
} from './roles.js';

/** The ABAC attributes stored on a user or an API key. */
export const accessAttributesSchema = z
  .object({
    /** Agents the principal is assigned to (agent_operator, api_user). */
    agentIds: z.array(z.uuid()).max(1000).optional(),
    /** Personas the principal is assigned to, besides those of its agents. */
    personaIds: z.array(z.uuid()).max(1000).optional(),
    /** Lowers the clearance the roles bring. */
    clearance: z.enum(CLASSIFICATIONS).optional(),
    /** The highest task priority the principal may execute. */
    maxTaskPriority: z.enum(['low', 'medium', 'high']).optional(),
    /** An API key that an agent itself uses: it may never change that agent's persona (spec: no self-modification). */
    boundAgentId: z.uuid().optional(),
  })
  .strict();
export type AccessAttributes = z.output<typeof accessAttributesSchema>;

export function readAttributes(value: unknown): AccessAttributes {
  const parsed = accessAttributesSchema.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
}

export function readRoles(value: readonly string[]): Role[] {
  return value.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
}

export interface Principal {
  kind: 'user' | 'api_key';
  /** The user id or API key id. */
  id: string;
  /** What rate limits and audit rows are keyed by: one user is one subject, whatever token it presents. */
  subject: string;
  email: string | null;
  roles: readonly Role[];
  permissions: ReadonlySet<Permission>;
  attributes: AccessAttributes;
  /** Agents this principal may reach; null: all of them. */
  agentScope: ReadonlySet<string> | null;
  /** Personas this principal is assigned to directly; null: all of them. */
  personaScope: ReadonlySet<string> | null;
  clearance: Classification;
  maxTaskPriority: PriorityLevel | null;
  session: {
    id: string;
    /** RFC 8176 methods used at sign-in: pwd, otp, hwk, rec, fed. */
    amr: readonly string[];
    stepUpAt: Date | null;
    expiresAt: Date;
  } | null;
  /** MFA enrolled (TOTP confirmed or a WebAuthn credential registered). */
  mfaEnrolled: boolean;
}

export function buildPrincipal(input: {
  kind: Principal['kind'];
  id: string;
  email: string | null;
  roles: readonly string[];
  attributes: unknown;
  session: Principal['session'];
  mfaEnrolled: boolean;
}): Principal {
  const roles = readRoles(input.roles);
  const attributes = readAttributes(input.attributes);
  const scoped = roles.length > 0 && roles.every((r) => SCOPED_ROLES.has(r));
  const roleClearance = roles.reduce<Classification>(
    (best, r) => (classificationRank(ROLE_CLEARANCE[r]) > classificationRank(best) ? ROLE_CLEARANCE[r] : best),
    'public',
  );
  const clearance =
    attributes.clearance && classificationRank(attributes.clearance) < classificationRank(roleClearance)
      ? attributes.clearance
      : roleClearance;
  const rolePriority = roles.reduce<PriorityLevel | null>((best, r) => {
    const p = ROLE_MAX_TASK_PRIORITY[r];
    if (p === null) return best;
    return best === null || TASK_PRIORITY_RANK[p] > TASK_PRIORITY_RANK[best] ? p : best;
  }, null);
  const permissions = permissionsOf(roles);
  return {
    kind: input.kind,
    id: input.id,
    subject: `${input.kind}:${input.id}`,
    email: input.email,
    roles,
    permissions,
    attributes,
    agentScope: scoped ? new Set(attributes.agentIds ?? []) : null,
    personaScope: scoped ? new Set(attributes.personaIds ?? []) : null,
    clearance,
    // Only principals that may execute tasks at all get a priority ceiling; the attribute sets it explicitly.
    maxTaskPriority: permissions.has('task:execute') ? (attributes.maxTaskPriority ?? rolePriority ?? 'low') : null,
    session: input.session,
    mfaEnrolled: input.mfaEnrolled,
  };
}

export function hasRole(principal: Principal | null, role: Role): boolean {
  return principal?.roles.includes(role) ?? false;
}

export function can(principal: Principal | null, permission: Permission): boolean {
  return principal?.permissions.has(permission) ?? false;
}

export function canReachAgent(principal: Principal, agentId: string | null): boolean {
  if (principal.agentScope === null) return true;
  return agentId !== null && principal.agentScope.has(agentId);
}

export function hasClearance(principal: Principal, classification: Classification): boolean {
  return classificationRank(principal.clearance) >= classificationRank(classification);
}

export function mayExecutePriority(principal: Principal, priority: PriorityLevel): boolean {
  return (
    principal.maxTaskPriority !== null && TASK_PRIORITY_RANK[priority] <= TASK_PRIORITY_RANK[principal.maxTaskPriority]
  );
}

/** The session's last step-up (TOTP or WebAuthn) is recent enough for a sensitive operation. */
export function hasRecentStepUp(principal: Principal, windowSeconds: number, now = new Date()): boolean {
  const at = principal.session?.stepUpAt;
  return at != null && now.getTime() - at.getTime() <= windowSeconds * 1000;
}

/** super_admin must have MFA enrolled and have used it to sign in before acting. */
export function satisfiesMfaPolicy(principal: Principal): boolean {
  if (!hasRole(principal, 'super_admin') || principal.kind !== 'user') return true;
  const amr = principal.session?.amr ?? [];
  return principal.mfaEnrolled && (amr.includes('otp') || amr.includes('hwk') || amr.includes('rec'));
}
