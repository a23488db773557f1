// Roles and permissions, exactly as the spec's "Authorization Model" lists them, plus `cfo` (the spec forbids
// crypto transfers without CFO approval, so one role alone holds transaction:approve).

export const ROLES = ['super_admin', 'agent_operator', 'content_reviewer', 'analyst', 'api_user', 'cfo'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'agent:read',
  'agent:write',
  'agent:delete',
  'task:read',
  'task:write',
  'task:execute',
  'content:read',
  'content:moderate',
  'content:approve',
  'content:reject',
  'audit:read',
  'analytics:read',
  'reports:read',
  'trends:read',
  'metrics:read',
  'transaction:read',
  'transaction:approve',
  // Asking for a transfer (which then waits for a CFO): operators, for the agents assigned to them.
  'transaction:request',
  // Held by no role but super_admin ("*"): the security and administration surface.
  'security:read',
  'users:manage',
  'keys:manage',
  'data:export',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Held by one role alone, never by super_admin's "*": the spec forbids transfers without CFO approval. */
export const CFO_ONLY: readonly Permission[] = ['transaction:approve'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[] | '*'> = {
  // "*": every permission except those reserved to another role (CFO_ONLY).
  super_admin: '*',
  agent_operator: [
    'agent:read',
    'agent:write',
    'agent:delete',
    'task:read',
    'task:write',
    'task:execute',
    'content:read',
    'content:moderate',
    'transaction:request',
  ],
  content_reviewer: ['content:read', 'content:approve', 'content:reject', 'audit:read'],
  analyst: ['analytics:read', 'reports:read', 'trends:read', 'metrics:read'],
  api_user: ['agent:read', 'task:read', 'content:read'],
  cfo: ['transaction:read', 'transaction:approve', 'audit:read'],
};

export function permissionsOf(roles: readonly Role[]): ReadonlySet<Permission> {
  const set = new Set<Permission>();
  for (const role of roles) {
    const granted = ROLE_PERMISSIONS[role];
    for (const p of granted === '*' ? PERMISSIONS.filter((q) => !CFO_ONLY.includes(q)) : granted) set.add(p);
  }
  return set;
}

/** Data classification (the spec's `data_classification` attribute), lowest to highest. */
export const CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** The clearance a role brings; a user's `clearance` attribute can lower it (never raise it). */
export const ROLE_CLEARANCE: Record<Role, Classification> = {
  super_admin: 'restricted',
  cfo: 'confidential',
  content_reviewer: 'confidential',
  agent_operator: 'internal',
  analyst: 'internal',
  api_user: 'internal',
};

export const TASK_PRIORITY_RANK = { low: 0, medium: 1, high: 2 } as const;
export type PriorityLevel = keyof typeof TASK_PRIORITY_RANK;

/** The highest task priority a role may execute by default; a user's `maxTaskPriority` attribute can change it. */
export const ROLE_MAX_TASK_PRIORITY: Record<Role, PriorityLevel | null> = {
  super_admin: 'high',
  agent_operator: 'medium',
  api_user: null,
  content_reviewer: null,
  analyst: null,
  cfo: null,
};

/** Roles whose reach is limited to the agents and personas assigned to the principal (spec: resource attributes). */
export const SCOPED_ROLES: ReadonlySet<Role> = new Set(['agent_operator', 'api_user']);

export const classificationRank = (c: Classification): number => CLASSIFICATIONS.indexOf(c);
