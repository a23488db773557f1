// THE RULE TREE: who may do what, in one place. Every Query, Mutation and Subscription field is listed; anything
// not listed is denied (fallbackRule). Object types guard their own fields, so an object reached through a nested
// relation or node(id:) is as protected as one fetched directly. docs/permissions.md is the same matrix in prose,
// and test/auth/permissions-matrix.test.ts checks every cell against the running API.
import { GraphQLError, type GraphQLResolveInfo, type GraphQLSchema, isObjectType } from 'graphql';
import { allow, and, chain, deny, rule, shield } from 'graphql-shield';
import { sensitivityOf, TYPE_CLASSIFICATION } from '../domain/auth/classification.js';
import {
  can,
  canReachAgent,
  hasClearance,
  hasRecentStepUp,
  mayExecutePriority,
  type Principal,
  satisfiesMfaPolicy,
} from '../domain/auth/principal.js';
import type { Permission } from '../domain/auth/roles.js';
import { recordSecurityEvent } from '../domain/security/security-audit.js';
import type { Context } from './context.js';
import { decodeId } from './ids.js';

type Ctx = Context & { principal: Principal };
/** A rule or a combination of rules (graphql-shield's ShieldRule, which its index does not export). */
type IRule = Parameters<typeof chain>[number];
const MAX_PAGE_WITHOUT_EXPORT = 100;

const coded = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, ...extra } });

/** Records a denial once per field per request; privilege-escalation and restricted-data attempts raise alerts. */
async function denied(
  ctx: Context,
  info: GraphQLResolveInfo,
  reason: string,
  opts: { code?: string; alert?: 'privilege_escalation_attempt' | 'restricted_resource_access'; risk?: number } = {},
): Promise<GraphQLError> {
  const where = `${info.parentType.name}.${info.fieldName}`;
  const code = opts.code ?? 'FORBIDDEN';
  if (!ctx.denials.has(where)) {
    ctx.denials.add(where);
    const userId = ctx.principal?.kind === 'user' ? ctx.principal.id : null;
    await recordSecurityEvent(ctx.db, {
      action: 'access.denied',
      success: false,
      riskScore: opts.risk ?? (opts.alert ? 8 : 4),
      userId,
      resourceType: where,
      errorMessage: reason,
      metadata: { code, principal: ctx.principal?.subject ?? 'anonymous', roles: ctx.principal?.roles ?? [] },
      meta: ctx.meta,
    });
    if (opts.alert && ctx.principal) {
      await ctx.services.alerts.raise({
        kind: opts.alert,
        severity: opts.alert === 'privilege_escalation_attempt' ? 'high' : 'medium',
        userId,
        message: `${ctx.principal.subject} (${ctx.principal.roles.join(', ') || 'no role'}) was refused ${where}: ${reason}`,
        details: { field: where, reason, ip: ctx.meta.ip ?? null },
      });
    }
  }
  return coded(code, code === 'FORBIDDEN' ? `Not allowed: ${reason}.` : reason);
}

// ─── Building blocks ────────────────────────────────────────────────────────────────────────────────────────

/** A condition's answer: allowed, or the coded refusal. */
type Verdict = true | GraphQLError;
/**
 * One condition as a plain function of the object and the request. Operation rules wrap each in a shield rule;
 * an object-type rule runs its conditions in one rule, once per object (objectRule).
 */
type Check<P = never> = (parent: P, ctx: Ctx, info: GraphQLResolveInfo) => Verdict | Promise<Verdict>;

/** A check as a shield rule, cached for the request (its answer does not depend on the parent or the arguments). */
const contextual = (check: Check, name?: string): IRule =>
  (name ? rule(name, { cache: 'contextual' }) : rule({ cache: 'contextual' }))((p, _a, ctx: Ctx, info) =>
    check(p as never, ctx, info),
  );

const authenticated: Check = (_p, ctx: Context, info) =>
  ctx.principal
    ? true
    : denied(ctx, info, 'Sign in first: this needs an access token or an API key', {
        code: 'UNAUTHENTICATED',
        risk: 2,
      });

/** super_admin may not act until MFA is enrolled and used (spec: TOTP for admin users). */
const mfaSatisfied: Check = (_p, ctx, info) =>
  satisfiesMfaPolicy(ctx.principal)
    ? true
    : denied(ctx, info, 'super_admin must enrol an authenticator and sign in with it (or step up) before acting', {
        code: 'MFA_REQUIRED',
      });

const isAuthenticated = contextual(authenticated);
const mfaPolicy = contextual(mfaSatisfied);

/** Authenticated, and compliant with the MFA policy. */
const signedIn = chain(isAuthenticated, mfaPolicy);

/** graphql-shield requires a named rule to be one object: build each once. */
const named = new Map<string, IRule>();
function once(name: string, build: () => IRule): IRule {
  let r = named.get(name);
  if (!r) {
    r = build();
    named.set(name, r);
  }
  return r;
}

/** Any one of the permissions. */
const holdsAny =
  (permissions: readonly Permission[]): Check =>
  (_p, ctx, info) =>
    permissions.some((p) => can(ctx.principal, p)) ? true : denied(ctx, info, `requires ${permissions.join(' or ')}`);

function needs(...permissions: Permission[]): IRule {
  const name = `needs:${permissions.join('|')}`;
  return once(name, () => chain(signedIn, contextual(holdsAny(permissions), name)));
}

/** Administration: a refusal here is a privilege-escalation attempt. */
function administers(permission: Permission): IRule {
  const name = `administers:${permission}`;
  const check: Check = (_p, ctx, info) =>
    can(ctx.principal, permission)
      ? true
      : denied(ctx, info, `requires ${permission}`, { alert: 'privilege_escalation_attempt' });
  return once(name, () => chain(signedIn, contextual(check, name)));
}

/** Security data: refusing it to someone is a restricted-resource access attempt, and raises an alert. */
function restricted(permission: Permission): IRule {
  const check: Check = (_p, ctx, info) =>
    can(ctx.principal, permission)
      ? true
      : denied(ctx, info, `requires ${permission}`, { alert: 'restricted_resource_access' });
  return once(`restricted:${permission}`, () => chain(signedIn, contextual(check, `restricted-check:${permission}`)));
}

/** Sensitive operations need a TOTP or WebAuthn step-up within the window (5 minutes by default). */
const steppedUp = rule({ cache: 'contextual' })(async (_p, _a, ctx: Ctx, info) =>
  hasRecentStepUp(ctx.principal, ctx.services.authSettings.stepUpWindowSeconds)
    ? true
    : denied(ctx, info, 'This operation needs a fresh step-up: call stepUpWithTotp (or WebAuthn) first', {
        code: 'STEP_UP_REQUIRED',
        risk: 3,
      }),
);

/** Bulk export: pages above 100 need data:export. */
const pageSize = rule({ cache: 'strict' })(
  async (_p, args: { first?: number | null; last?: number | null }, ctx: Ctx, info) => {
    const size = Math.max(args.first ?? 0, args.last ?? 0);
    return size <= MAX_PAGE_WITHOUT_EXPORT || can(ctx.principal, 'data:export')
      ? true
      : denied(ctx, info, `pages above ${MAX_PAGE_WITHOUT_EXPORT} are a bulk export and require data:export`);
  },
);

const list = (...permissions: Permission[]) => and(needs(...permissions), pageSize);

/** The agent an argument names, when the argument is a global id of an Agent. */
function agentArg(globalId: unknown): string | null {
  if (typeof globalId !== 'string') return null;
  try {
    const { typename, id } = decodeId(globalId);
    return typename === 'Agent' ? id : null;
  } catch {
    return null;
  }
}

/** The caller's scope covers the agent that `agentIdOf` finds for the field's arguments. */
function reaches(
  agentIdOf: (args: Record<string, unknown>, ctx: Ctx) => Promise<string | null | undefined> | string | null,
) {
  return rule({ cache: 'strict' })(async (_p, args: Record<string, unknown>, ctx: Ctx, info) => {
    if (ctx.principal.agentScope === null) return true;
    const agentId = await agentIdOf(args, ctx);
    // An unknown object is reported by the resolver as NOT_FOUND; the scope check only guards real objects.
    if (agentId === undefined) return true;
    return canReachAgent(ctx.principal, agentId) ? true : denied(ctx, info, 'the agent is not assigned to you');
  });
}

const idOfArg = (args: Record<string, unknown>, key = 'id') => {
  try {
    return decodeId(String(args[key])).id;
  } catch {
    return null;
  }
};

// ─── Object types ───────────────────────────────────────────────────────────────────────────────────────────

/** Clearance for the type's data classification. */
function classified(typeName: string): Check {
  const classification = TYPE_CLASSIFICATION[typeName] ?? 'restricted';
  return (_p, ctx, info) =>
    hasClearance(ctx.principal, classification)
      ? true
      : denied(ctx, info, `${typeName} data is ${classification}`, {
          alert: classification === 'restricted' ? 'restricted_resource_access' : undefined,
        });
}

/** Rows carrying an agent id: within the caller's scope. */
const ownAgentRow: Check<{ agentId?: string | null; id?: string }> = (parent, ctx, info) => {
  const agentId = info.parentType.name === 'Agent' ? (parent.id ?? null) : (parent.agentId ?? null);
  return canReachAgent(ctx.principal, agentId) ? true : denied(ctx, info, 'the agent is not assigned to you');
};

/** Rows that belong to an agent through a parent: transactions (wallet) and interactions (content). */
const ownParentRow: Check<{ walletId?: string | null; contentId?: string | null }> = async (parent, ctx, info) => {
  if (ctx.principal.agentScope === null) return true;
  const agentId = parent.walletId
    ? await ctx.access.agentOfWallet(parent.walletId)
    : parent.contentId
      ? await ctx.access.agentOfContent(parent.contentId)
      : null;
  return canReachAgent(ctx.principal, agentId ?? null) ? true : denied(ctx, info, 'the agent is not assigned to you');
};

const reachablePersona: Check<{ id: string }> = async (parent, ctx, info) =>
  (await ctx.access.personaReachable(parent.id)) ? true : denied(ctx, info, 'the persona is not assigned to you');

/** content_sensitivity: sensitive or prohibited content is only for those who moderate it. */
const contentSensitivity: Check<{ metadata?: unknown }> = (parent, ctx, info) =>
  sensitivityOf(parent.metadata) === 'safe' ||
  ['content:moderate', 'content:approve', 'content:reject'].some((p) => can(ctx.principal, p as Permission))
    ? true
    : denied(ctx, info, 'sensitive content is visible to moderators only');

/** A key for each object the executor resolves fields of: an object's rule runs once for all of its fields. */
const objectKeys = new WeakMap<object, string>();
let objectsSeen = 0;
function objectKey(parent: unknown): string {
  if (typeof parent !== 'object' || parent === null) return 'none';
  let key = objectKeys.get(parent);
  if (key === undefined) {
    key = String(++objectsSeen);
    objectKeys.set(parent, key);
  }
  return key;
}

/**
 * Signed in, cleared for the type's classification, holding a permission to read it, and whatever the type adds
 * (scope, sensitivity), in that order: classification first, so reaching for restricted data without clearance
 * raises an alert whatever the role. Every field of an object shares one answer, worked out once per object and
 * request (graphql-shield's cache, keyed by the object); a chain of shield rules per field made a nested read of a
 * few hundred objects spend most of its time in the rule tree (docs/benchmarks.md, nested read).
 */
function objectRule(typeName: string, ...extra: Check<never>[]): IRule {
  const base = OBJECT_READERS[typeName];
  if (!base) return deny;
  const checks: Check[] = [authenticated, mfaSatisfied, classified(typeName), holdsAny(base), ...extra];
  return rule(`object:${typeName}`, { cache: (parent) => objectKey(parent) })(async (parent, _a, ctx: Ctx, info) => {
    for (const check of checks) {
      const verdict = await check(parent as never, ctx, info);
      if (verdict !== true) return verdict;
    }
    return true;
  });
}

/** Who may see an object of each type, however it was reached (a nested relation, node(id:), a list). */
const OBJECT_READERS: Record<string, Permission[]> = {
  Persona: ['agent:read'],
  // agent:read alone, however the Agent is reached (node(id:), content.agent…), as for agent(id:) and agents.
  Agent: ['agent:read'],
  // Reviewers decide on tasks the Judge escalated: they may read a task (and its goal) they reach, not list them.
  Task: ['task:read', 'content:approve', 'content:reject'],
  Goal: ['task:read', 'content:approve', 'content:reject'],
  Content: ['content:read'],
  Interaction: ['content:read', 'analytics:read'],
  Trend: ['trends:read'],
  Wallet: ['transaction:read', 'analytics:read', 'agent:write'],
  Transaction: ['transaction:read', 'analytics:read', 'agent:write'],
  Transfer: ['transaction:read', 'analytics:read', 'agent:write'],
  AuditLog: ['audit:read'],
  SecurityAuditLog: ['security:read'],
  User: ['users:manage'],
  ApiKey: ['keys:manage'],
  SecurityAlert: ['security:read'],
};

// ─── Operations ─────────────────────────────────────────────────────────────────────────────────────────────

const contentStatusPermission = rule({ cache: 'strict' })(async (_p, args: { status?: string }, ctx: Ctx, info) => {
  const needed: Permission[] =
    args.status === 'approved' || args.status === 'published'
      ? ['content:approve']
      : args.status === 'rejected'
        ? ['content:reject', 'content:moderate']
        : ['content:moderate', 'content:reject'];
  return needed.some((p) => can(ctx.principal, p))
    ? true
    : denied(ctx, info, `moving content to ${String(args.status).toUpperCase()} requires ${needed.join(' or ')}`);
});

/** task_priority: only principals cleared for a priority may create work at it. */
const taskPriority = rule({ cache: 'strict' })(
  async (_p, args: { input?: { priority?: string | null } }, ctx: Ctx, info) => {
    const priority = (args.input?.priority ?? 'medium') as 'low' | 'medium' | 'high';
    return mayExecutePriority(ctx.principal, priority)
      ? true
      : denied(ctx, info, `executing ${priority}-priority work requires task:execute cleared for ${priority} priority`);
  },
);

/** Spec forbidden action: an agent may not modify its own persona (directives). */
const notSelfModification = rule({ cache: 'strict' })(async (_p, args: Record<string, unknown>, ctx: Ctx, info) => {
  const bound = ctx.principal.attributes.boundAgentId;
  if (!bound) return true;
  const personaId = idOfArg(args);
  const agent = await ctx.db.agent.findUnique({ where: { id: bound }, select: { personaId: true } });
  return agent?.personaId && agent.personaId === personaId
    ? denied(ctx, info, 'an agent may not modify its own persona or directives', {
        alert: 'privilege_escalation_attempt',
      })
    : true;
});

const personaInScope = rule({ cache: 'strict' })(async (_p, args: Record<string, unknown>, ctx: Ctx, info) => {
  const id = idOfArg(args);
  return id === null || (await ctx.access.personaReachable(id))
    ? true
    : denied(ctx, info, 'the persona is not assigned to you');
});

const agentOfIdArg = reaches((args) => agentArg(args.id));
const agentOfAgentIdArg = reaches((args) => agentArg(args.agentId));
const agentOfInput = reaches((args) => agentArg((args.input as { agentId?: unknown } | undefined)?.agentId));
/** A persona named in the input (createAgent/updateAgent) must be one the caller may reach: no persona hijacking. */
const personaOfInput = rule({ cache: 'strict' })(
  async (_p, args: { input?: { personaId?: unknown } }, ctx: Ctx, info) => {
    const raw = args.input?.personaId;
    if (raw == null) return true;
    let personaId: string | null = null;
    try {
      const decoded = decodeId(String(raw));
      personaId = decoded.typename === 'Persona' ? decoded.id : null;
    } catch {
      personaId = null;
    }
    return personaId === null || (await ctx.access.personaReachable(personaId))
      ? true
      : denied(ctx, info, 'the persona is not assigned to you');
  },
);

/** task_priority on an existing task: cancelling HIGH-priority work needs the same clearance as creating it. */
const priorityOfTaskArg = rule({ cache: 'strict' })(async (_p, args: Record<string, unknown>, ctx: Ctx, info) => {
  const id = idOfArg(args);
  const priority = id ? await ctx.access.priorityOfTask(id) : undefined;
  if (!priority) return true;
  return mayExecutePriority(ctx.principal, priority as 'low' | 'medium' | 'high')
    ? true
    : denied(ctx, info, `${priority}-priority work needs task:execute cleared for ${priority} priority`);
});

const agentOfTaskOrAgentArg = reaches(async (args, ctx) => {
  if (args.agentId != null) return agentArg(args.agentId);
  const id = idOfArg(args, 'taskId');
  return id ? ctx.access.agentOfTask(id) : undefined;
});
const agentOfTaskArg = reaches(async (args, ctx) => {
  const id = idOfArg(args);
  return id ? ctx.access.agentOfTask(id) : undefined;
});
const agentOfContentArg = reaches(async (args, ctx) => {
  const id = idOfArg(args);
  return id ? ctx.access.agentOfContent(id) : undefined;
});
const agentOfTransferArg = reaches(async (args, ctx) => {
  const id = idOfArg(args);
  return id ? ctx.access.agentOfTransfer(id) : undefined;
});
const agentOfWalletArg = reaches(async (args, ctx) => {
  const id = idOfArg(args, 'walletId');
  return id ? ctx.access.agentOfWallet(id) : undefined;
});
/** requestTransfer names the wallet (walletId) or its agent (agentId): either must be within the caller's scope. */
const agentOfTransferInput = reaches(async (args, ctx) => {
  const input = (args.input ?? {}) as { walletId?: unknown; agentId?: unknown };
  if (input.walletId != null) {
    const id = idOfArg(input, 'walletId');
    return id ? ctx.access.agentOfWallet(id) : undefined;
  }
  return agentArg(input.agentId);
});
/** The review mutations name their task as `taskId`. */
const agentOfReviewTaskArg = reaches(async (args, ctx) => {
  const id = idOfArg(args, 'taskId');
  return id ? ctx.access.agentOfTask(id) : undefined;
});

export const OPERATION_RULES = {
  Query: {
    me: isAuthenticated,
    node: signedIn,
    nodes: signedIn,
    persona: needs('agent:read'),
    personas: list('agent:read'),
    agent: needs('agent:read'),
    agents: list('agent:read'),
    task: needs('task:read', 'content:approve', 'content:reject'),
    goal: needs('task:read', 'content:approve', 'content:reject'),
    tasks: list('task:read'),
    content: needs('content:read'),
    contents: list('content:read'),
    reviewItems: list('content:approve', 'content:reject', 'content:moderate'),
    trends: list('trends:read'),
    interactions: list('content:read', 'analytics:read'),
    wallets: list('transaction:read', 'analytics:read', 'agent:write'),
    transactions: list('transaction:read', 'analytics:read', 'agent:write'),
    transfers: list('transaction:read', 'analytics:read', 'agent:write'),
    auditLogs: list('audit:read'),
    securityAuditLogs: and(restricted('security:read'), pageSize),
    users: and(administers('users:manage'), pageSize),
    apiKeys: and(administers('keys:manage'), pageSize),
    securityAlerts: and(restricted('security:read'), pageSize),
    relatedTrends: needs('trends:read'),
    // The public face: open to anyone (published posts are public on the platforms; trends come from public news).
    publicPosts: allow,
    publicTrends: allow,
    swarmMetrics: chain(needs('metrics:read', 'analytics:read'), agentOfAgentIdArg),
    dataIntegrity: needs('reports:read'),
    taskThroughput: needs('reports:read'),
  },
  Mutation: {
    login: allow,
    loginWithOidc: allow,
    refreshToken: allow,
    logout: isAuthenticated,
    beginTotpEnrolment: isAuthenticated,
    confirmTotpEnrolment: isAuthenticated,
    stepUpWithTotp: isAuthenticated,
    beginWebAuthnRegistration: isAuthenticated,
    finishWebAuthnRegistration: isAuthenticated,
    beginWebAuthnStepUp: isAuthenticated,
    stepUpWithWebAuthn: isAuthenticated,
    createPersona: needs('agent:write'),
    updatePersona: and(needs('agent:write'), personaInScope, notSelfModification),
    createAgent: and(needs('agent:write'), personaOfInput),
    updateAgent: and(needs('agent:write'), agentOfIdArg, personaOfInput),
    activateAgent: and(needs('agent:write'), agentOfIdArg),
    deactivateAgent: chain(needs('agent:delete'), agentOfIdArg, steppedUp),
    createTask: chain(needs('task:write'), agentOfInput, taskPriority),
    submitGoal: chain(needs('task:write'), agentOfInput, taskPriority),
    cancelTask: chain(needs('task:write'), agentOfTaskArg, priorityOfTaskArg),
    setContentStatus: chain(signedIn, contentStatusPermission, agentOfContentArg),
    approveReview: chain(needs('content:approve'), agentOfReviewTaskArg),
    rejectReview: chain(needs('content:reject', 'content:moderate'), agentOfReviewTaskArg),
    requestChanges: chain(needs('content:moderate', 'content:reject'), agentOfReviewTaskArg),
    resolveContentFlag: chain(needs('content:reject', 'content:moderate'), agentOfContentArg),
    // Money: operators ask for transfers of their agents; only a CFO (a role super_admin does not include), stepped
    // up, approves or changes a spend policy. The transfer service checks the same again.
    createWallet: chain(needs('agent:write'), agentOfAgentIdArg),
    requestTransfer: chain(needs('transaction:request'), agentOfTransferInput),
    approveTransfer: chain(administers('transaction:approve'), steppedUp, agentOfTransferArg),
    rejectTransfer: chain(administers('transaction:approve'), agentOfTransferArg),
    cancelTransfer: chain(needs('transaction:request', 'transaction:approve'), agentOfTransferArg),
    setSpendPolicy: chain(administers('transaction:approve'), steppedUp, agentOfWalletArg),
    // Every grant of privileges is a sensitive operation: step-up within 5 minutes.
    createUser: chain(administers('users:manage'), steppedUp),
    setUserRoles: chain(administers('users:manage'), steppedUp),
    setUserAttributes: chain(administers('users:manage'), steppedUp),
    unlockUser: administers('users:manage'),
    createApiKey: chain(administers('keys:manage'), steppedUp),
    revokeApiKey: administers('keys:manage'),
    rotateSigningKey: chain(administers('keys:manage'), steppedUp),
    acknowledgeSecurityAlert: restricted('security:read'),
  },
  Subscription: {
    taskUpdated: chain(needs('task:read'), agentOfTaskOrAgentArg),
    reviewItemAdded: needs('content:approve', 'content:reject', 'content:moderate'),
    agentStateChanged: chain(needs('agent:read'), agentOfAgentIdArg),
    trendDetected: needs('trends:read'),
    transferUpdated: chain(needs('transaction:read', 'analytics:read', 'agent:write'), agentOfAgentIdArg),
    securityAlerts: restricted('security:read'),
  },
} satisfies Record<string, Record<string, IRule>>;

/** Object-type rules, by type: the permission to see it, its classification, and its attributes. */
export const TYPE_RULES: Record<string, IRule> = {
  Persona: objectRule('Persona', reachablePersona),
  Agent: objectRule('Agent', ownAgentRow),
  Task: objectRule('Task', ownAgentRow),
  Goal: objectRule('Goal', ownAgentRow),
  Content: objectRule('Content', ownAgentRow, contentSensitivity),
  Interaction: objectRule('Interaction', ownParentRow),
  Trend: objectRule('Trend'),
  Wallet: objectRule('Wallet', ownAgentRow),
  Transaction: objectRule('Transaction', ownParentRow),
  Transfer: objectRule('Transfer', ownAgentRow),
  AuditLog: objectRule('AuditLog'),
  SecurityAuditLog: objectRule('SecurityAuditLog'),
  User: objectRule('User'),
  ApiKey: objectRule('ApiKey'),
  SecurityAlert: objectRule('SecurityAlert'),
};

/**
 * The shield for a schema: the operation rules, the object-type rules, and `allow` for the value types that hang
 * off guarded fields (connections, edges, page info, embedded documents). Anything else is denied.
 */
export function permissionsFor(schema: GraphQLSchema) {
  const tree: Record<string, IRule | Record<string, IRule>> = { ...OPERATION_RULES, ...TYPE_RULES };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name in tree) continue;
    if (['Query', 'Mutation', 'Subscription'].includes(type.name)) continue;
    if (type.getInterfaces().some((i) => i.name === 'Node')) continue;
    tree[type.name] = allow;
  }
  return shield(tree, {
    fallbackRule: deny,
    allowExternalErrors: true,
    fallbackError: (thrown, _p, _a, _c, info) =>
      thrown instanceof Error
        ? thrown
        : coded('FORBIDDEN', `Not allowed: ${info.parentType.name}.${info.fieldName} is not open to anyone.`),
  });
}
