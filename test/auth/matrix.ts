// THE PERMISSION MATRIX AS DATA: every Query, Mutation and Subscription field × every kind of principal, with the
// expected outcome and a representative operation (valid input, fixtures made per run where the operation changes
// state). test/auth/permissions-matrix.test.ts runs every cell against the API; scripts/permissions-doc.ts renders
// it as docs/permissions.md. The source of truth for the rules themselves is src/graphql/permissions.ts.
//
// Outcomes:
//   'allow'  the shield lets the operation through (no UNAUTHENTICATED/FORBIDDEN/MFA_REQUIRED/STEP_UP_REQUIRED);
//   'deny'   the shield refuses: UNAUTHENTICATED for anonymous callers, FORBIDDEN for everyone else;
//   cond()   it depends: `when` says on what, and the cases show both sides (each one is run).
import type { Classification, PriorityLevel } from '../../src/domain/auth/roles.js';

export const PRINCIPALS = [
  'anonymous',
  'super_admin',
  'agent_operator',
  'content_reviewer',
  'analyst',
  'api_user',
  'cfo',
] as const;
export type PrincipalKind = (typeof PRINCIPALS)[number];

/** What each column of the matrix stands for. */
export const PRINCIPAL_DESCRIPTIONS: Record<PrincipalKind, string> = {
  anonymous: 'no credential',
  super_admin: 'MFA enrolled and used at sign-in, stepped up within the last 5 minutes',
  agent_operator: 'assigned (attributes.agentIds) to agent A only; no step-up',
  content_reviewer: 'no attributes',
  analyst: 'no attributes',
  api_user: 'a user with the api_user role, assigned to agent A only',
  cfo: 'no attributes',
};

export const SHIELD_CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'MFA_REQUIRED', 'STEP_UP_REQUIRED'] as const;
export type ShieldCode = (typeof SHIELD_CODES)[number];

// ─── The world a cell runs in (implemented by the test) ─────────────────────────────────────────────────────

export interface Ref {
  /** Database UUID. */
  id: string;
  /** Global id (base64 "Type:uuid"). */
  gid: string;
  name?: string;
}

/** Rows created once, before any cell runs, and never changed by a cell. */
export interface Shared {
  /** Assigned to the default agent_operator and api_user. */
  agentA: Ref & { name: string };
  /** Assigned to nobody. */
  agentB: Ref & { name: string };
  personaA: Ref & { name: string };
  personaB: Ref & { name: string };
  taskA: Ref;
  taskB: Ref;
  goalA: Ref;
  goalB: Ref;
  /** Safe text content of agent A. */
  contentA: Ref;
  contentB: Ref;
  /** Image content of agent A with metadata.sensitivity = "sensitive". */
  contentASensitive: Ref;
  trend: Ref;
  interactionA: Ref;
  interactionB: Ref;
  walletA: Ref;
  walletB: Ref;
  transactionA: Ref;
  transactionB: Ref;
  /** Transfers awaiting approval, from walletA and walletB. */
  transferA: Ref;
  transferB: Ref;
  auditLogA: Ref;
  securityAuditLog: Ref;
  user: Ref;
  apiKey: Ref;
  alert: Ref;
  /** A user that signs in with a password (no MFA). */
  login: { email: string; password: string };
}

export interface Caller {
  headers: Record<string, string>;
  userId?: string;
  sessionId?: string;
}

/** How a freshly signed-in caller differs from its kind's default. */
export interface IdentityOptions {
  /** Assigned besides agent A (scoped kinds). */
  agentIds?: string[];
  personaIds?: string[];
  boundAgentId?: string;
  maxTaskPriority?: PriorityLevel;
  clearance?: Classification;
  /** Default: true for super_admin, false otherwise. */
  stepUp?: boolean;
}

export type Json = Record<string, unknown>;

export interface World {
  fx: Shared;
  /** A new caller of this kind with a session of its own (anonymous: no headers). */
  fresh(kind: PrincipalKind, opts?: IdentityOptions): Promise<Caller>;
  make: {
    /** A new agent with a persona of its own. */
    agent(opts?: { active?: boolean }): Promise<{ agent: Ref; persona: Ref }>;
    /** A pending task. */
    task(agentId: string): Promise<Ref>;
    /** A draft text content. */
    content(agentId: string): Promise<Ref>;
    /** A task in REVIEW that the Judge escalated to a person, with a draft text content. */
    reviewTask(agentId: string): Promise<Ref>;
    /** Published text content with an open post-publication flag. */
    flaggedContent(agentId: string): Promise<Ref>;
    user(opts?: { locked?: boolean }): Promise<Ref>;
    apiKey(): Promise<Ref>;
    /** Announces a change of task A (by task and by agent A) and a review item for it, as the swarm does. */
    taskEvent(): Promise<void>;
    /** Agent A's state changes (a task of agent A starts running), announced to agentStateChanged subscribers. */
    agentStateEvent(): Promise<void>;
    /** A new trend is announced to trendDetected subscribers. */
    trendEvent(): Promise<void>;
    /** A transfer awaiting approval from the wallet, asked for by `requestedByUserId` (default: the system). */
    transfer(wallet: Ref, requestedByUserId?: string): Promise<Ref>;
    /** transferA changes, announced to transferUpdated subscribers. */
    transferEvent(): Promise<void>;
    /** A stored alert; `publish` raises it through the alert service (subscribers hear of it). */
    alert(opts?: { publish?: boolean }): Promise<Ref>;
    /** A refresh token of a new session of the login user. */
    refreshToken(): Promise<string>;
    /** A genuine ID token from the test OpenID Connect provider the API trusts. */
    oidcLogin(): Promise<{ issuer: string; idToken: string }>;
    /**
     * Starts TOTP enrolment for the caller's user (clearing any earlier one); with `confirm`, also confirms it.
     * Returns the code for the time step `offset` steps from now.
     */
    totp(caller: Caller, confirm: boolean): Promise<(offset: number) => string>;
    /** A software authenticator's answer to fresh registration options for the caller's user. */
    webauthnRegistration(caller: Caller): Promise<Json>;
    /** Registers a software authenticator for the caller's user; `assertion()` answers a fresh step-up challenge. */
    webauthnKey(caller: Caller): Promise<{ assertion(): Promise<Json> }>;
    /** A unique suffix for names and emails. */
    unique(): string;
  };
}

export interface Run {
  variables?: Record<string, unknown>;
  /** Who runs it; default: the shared caller of the cell's kind. */
  caller?: Caller;
}
export type Setup = (w: World, kind: PrincipalKind) => Promise<Run> | Run;

/**
 * What a case must produce besides the cell's outcome: ROWS, no error and at least one row in the connection;
 * EMPTY, no error and no row (the rows exist, but the caller's scope leaves them out of the list).
 */
export type Rows = 'ROWS' | 'EMPTY';

export interface Case {
  /** What this side of the condition is, e.g. "an assigned agent". */
  label: string;
  /** Another document than the row's. */
  query?: string;
  setup?: Setup;
  /** Allowed cases: ROWS or EMPTY. Denied cases: the code the shield answers (default FORBIDDEN), or EMPTY. */
  expect?: ShieldCode | Rows;
  /** The API disagrees with this expectation, which follows the spec where the spec is explicit: why. */
  divergence?: string;
}

export interface Conditional {
  /** The condition, short (it is the table cell). */
  when: string;
  allowed: Case[];
  /** The other side: refused by the shield, or (expect EMPTY) left out of a list. */
  denied: Case[];
}
export type Cell = 'allow' | 'deny' | Conditional;

export type OperationType = 'Query' | 'Mutation' | 'Subscription';

export interface OperationRow {
  type: OperationType;
  field: string;
  /** The rule, in words (from permissions.ts). */
  rule: string;
  /** A representative document (lists declare `$first: Int = 10`). */
  query: string;
  /** Fixtures and variables for the allow/deny cells (and conditional cases without a setup of their own). */
  setup?: Setup;
  /** Subscriptions: makes the event the subscription waits for (called until one arrives). */
  trigger?: (w: World) => Promise<unknown>;
  /** Open to a super_admin that has not satisfied the MFA policy (isAuthenticated instead of signedIn). */
  mfaExempt?: boolean;
  cells: Record<PrincipalKind, Cell>;
  /**
   * Cells where the API disagrees with the expectation, which follows the spec where the spec is explicit: why.
   * Those cells fail until the API is fixed; the docs list them.
   */
  divergences?: Partial<Record<PrincipalKind, string>>;
}

export interface TypeRow {
  type: string;
  rule: string;
  /** The object fetched through node(id:) for the allow/deny cells. */
  pick: (fx: Shared) => Ref;
  cells: Record<PrincipalKind, Cell>;
}

// ─── Building blocks ────────────────────────────────────────────────────────────────────────────────────────

const cond = (when: string, allowed: Case[], denied: Case[]): Conditional => ({ when, allowed, denied });

/** Cells: the given ones, everything else `rest` (anonymous included). */
function cells(given: Partial<Record<PrincipalKind, Cell>>, rest: Cell = 'deny'): Record<PrincipalKind, Cell> {
  return Object.fromEntries(PRINCIPALS.map((p) => [p, given[p] ?? rest])) as Record<PrincipalKind, Cell>;
}

/** Every signed-in caller allowed (unless given otherwise), anonymous denied. */
const signedIn = (given: Partial<Record<PrincipalKind, Cell>> = {}) => cells({ anonymous: 'deny', ...given }, 'allow');
const superOnly = cells({ super_admin: 'allow' });

const vars =
  (pick: (fx: Shared) => Record<string, unknown>): Setup =>
  (w) => ({ variables: pick(w.fx) });
const byId = (pick: (fx: Shared) => Ref): Setup => vars((fx) => ({ id: pick(fx).gid }));
const filter = (pick: (fx: Shared) => Record<string, unknown>): Setup => vars((fx) => ({ filter: pick(fx) }));

/** A fresh caller of the cell's kind (the operation ends or changes the caller's session or user). */
const freshCaller: Setup = async (w, kind) => ({ caller: await w.fresh(kind) });

/** A new agent; for `assigned`, a fresh caller of the kind assigned to it as well. */
async function newAgent(w: World, kind: PrincipalKind, assigned: boolean, opts: { active?: boolean } = {}) {
  const made = await w.make.agent(opts);
  return { ...made, caller: assigned ? await w.fresh(kind, { agentIds: [made.agent.id] }) : undefined };
}

/** Step-up within the window: allowed stepped up, STEP_UP_REQUIRED otherwise. */
function stepUp(label: string, setup: Setup): Conditional {
  return cond(
    'step-up within 5 min',
    [{ label: `${label}, stepped up`, setup }],
    [
      {
        label: `${label}, no step-up`,
        expect: 'STEP_UP_REQUIRED',
        setup: async (w, kind) => ({ ...(await setup(w, kind)), caller: await w.fresh(kind, { stepUp: false }) }),
      },
    ],
  );
}

/** A scoped object: allowed for agent A's (assigned), refused for agent B's. */
function ownAgent(when: string, allowed: Setup, denied: Setup, extraDenied: Case[] = []): Conditional {
  return cond(
    when,
    [{ label: "agent A's (assigned)", setup: allowed }],
    [{ label: "agent B's (not assigned)", setup: denied }, ...extraDenied],
  );
}

const OWN_AGENTS = 'own agents only';
const OWN_ROWS = "own agents' rows only (others left out)";

/** A scoped list: agent A's rows are listed, agent B's are left out (no error: the list is narrowed). */
function ownRows(a: Setup, b: Setup, when = OWN_ROWS, extraDenied: Case[] = []): Conditional {
  return cond(
    when,
    [{ label: "agent A's rows", setup: a, expect: 'ROWS' }],
    [{ label: "agent B's rows are left out", setup: b, expect: 'EMPTY' }, ...extraDenied],
  );
}

const PERSONA_SCOPE = 'personas of own agents or attributes.personaIds';
/** Personas: agent A's and directly assigned ones reachable, agent B's not. */
function personaScope(
  setupOf: (pick: (fx: Shared) => Ref) => Setup,
  rows?: { allowed: Rows; denied: Rows },
): Conditional {
  return cond(
    rows ? 'personas of own agents or attributes.personaIds (others left out)' : PERSONA_SCOPE,
    [
      { label: "agent A's persona", setup: setupOf((fx) => fx.personaA), expect: rows?.allowed },
      {
        label: 'a persona in attributes.personaIds',
        expect: rows?.allowed,
        setup: async (w, kind) => ({
          ...(await setupOf((fx) => fx.personaB)(w, kind)),
          caller: await w.fresh(kind, { personaIds: [w.fx.personaB.id] }),
        }),
      },
    ],
    [{ label: "agent B's persona", setup: setupOf((fx) => fx.personaB), expect: rows?.denied }],
  );
}

/** node(id:)/nodes(ids:): per kind, an object the kind may see and one it may not (the object's type rule decides). */
const NODE_PROBES: Record<
  Exclude<PrincipalKind, 'anonymous' | 'super_admin'>,
  { allowed: [string, (fx: Shared) => Ref]; denied: [string, (fx: Shared) => Ref] }
> = {
  agent_operator: {
    allowed: ['an assigned agent', (fx) => fx.agentA],
    denied: ['an unassigned agent', (fx) => fx.agentB],
  },
  content_reviewer: { allowed: ['a Content', (fx) => fx.contentB], denied: ['a Wallet', (fx) => fx.walletB] },
  analyst: { allowed: ['a Trend', (fx) => fx.trend], denied: ['a Task', (fx) => fx.taskA] },
  api_user: {
    allowed: ['an assigned agent', (fx) => fx.agentA],
    denied: ['an unassigned agent', (fx) => fx.agentB],
  },
  cfo: { allowed: ['a Wallet', (fx) => fx.walletB], denied: ['a Task', (fx) => fx.taskA] },
};

function nodeCells(variables: (ref: Ref) => Record<string, unknown>): Record<PrincipalKind, Cell> {
  const given: Partial<Record<PrincipalKind, Cell>> = { super_admin: 'allow' };
  for (const [kind, probe] of Object.entries(NODE_PROBES)) {
    given[kind as PrincipalKind] = cond(
      'as its object type allows (see Object types)',
      [{ label: probe.allowed[0], setup: (w) => ({ variables: variables(probe.allowed[1](w.fx)) }) }],
      [{ label: probe.denied[0], setup: (w) => ({ variables: variables(probe.denied[1](w.fx)) }) }],
    );
  }
  return cells(given);
}

function goalInput(agentGid: string, priority: 'LOW' | 'MEDIUM' | 'HIGH') {
  return { agentId: agentGid, goalDescription: 'matrix goal', priority };
}

function taskInput(agentGid: string, priority: 'LOW' | 'MEDIUM' | 'HIGH') {
  return { agentId: agentGid, taskType: 'GENERATE_CONTENT', priority, context: { goalDescription: 'matrix' } };
}

const listQuery = (field: string, filterType: string | null, selection: string) =>
  filterType
    ? `query ($first: Int = 10, $filter: ${filterType}) { ${field}(first: $first, filter: $filter) { totalCount edges { node { ${selection} } } } }`
    : `query ($first: Int = 10) { ${field}(first: $first) { totalCount edges { node { ${selection} } } } }`;

/** A transfer request from `wallet` (valid input; the spend policy may still refuse it, which is no shield code). */
const transferInput = (wallet: Ref) => ({
  walletId: wallet.gid,
  amount: '0.01',
  recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  reason: 'matrix',
});

/** A fresh caller of the kind, and a transfer from the wallet that this caller asked for. */
const ownTransfer =
  (wallet: (fx: Shared) => Ref): Setup =>
  async (w, kind) => {
    const caller = await w.fresh(kind);
    return { caller, variables: { id: (await w.make.transfer(wallet(w.fx), caller.userId)).gid } };
  };

const MATRIX_POLICY = { maxPerTransaction: '0.5', dailyLimit: '1', currencies: ['ETH'], recipients: [] };

// ─── Operations ─────────────────────────────────────────────────────────────────────────────────────────────

export const OPERATIONS: OperationRow[] = [
  // ── Query ──
  {
    type: 'Query',
    field: 'me',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'query { me { id kind roles permissions clearance assignedAgentIds } }',
    cells: signedIn(),
  },
  {
    type: 'Query',
    field: 'node',
    rule: "signedIn; then the object's type rule",
    query: 'query ($id: ID!) { node(id: $id) { id } }',
    setup: byId((fx) => fx.agentA),
    cells: nodeCells((ref) => ({ id: ref.gid })),
  },
  {
    type: 'Query',
    field: 'nodes',
    rule: "signedIn; then each object's type rule",
    query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
    setup: vars((fx) => ({ ids: [fx.agentA.gid] })),
    cells: nodeCells((ref) => ({ ids: [ref.gid] })),
  },
  {
    type: 'Query',
    field: 'persona',
    rule: 'agent:read; Persona: reachable',
    query: 'query ($id: ID!) { persona(id: $id) { id name } }',
    setup: byId((fx) => fx.personaA),
    cells: cells({ super_admin: 'allow', agent_operator: personaScope(byId), api_user: personaScope(byId) }),
  },
  {
    type: 'Query',
    field: 'personas',
    rule: 'agent:read, page ≤ 100; narrowed to reachable personas',
    query: listQuery('personas', 'PersonaFilter', 'id name'),
    setup: filter((fx) => ({ nameContains: fx.personaA.name })),
    cells: cells({
      super_admin: 'allow',
      ...Object.fromEntries(
        (['agent_operator', 'api_user'] as const).map((k) => [
          k,
          personaScope((pick) => filter((fx) => ({ nameContains: pick(fx).name })), {
            allowed: 'ROWS',
            denied: 'EMPTY',
          }),
        ]),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'agent',
    rule: 'agent:read; Agent: own agents',
    query: 'query ($id: ID!) { agent(id: $id) { id name } }',
    setup: byId((fx) => fx.agentA),
    cells: cells({
      super_admin: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        byId((fx) => fx.agentA),
        byId((fx) => fx.agentB),
      ),
      api_user: ownAgent(
        OWN_AGENTS,
        byId((fx) => fx.agentA),
        byId((fx) => fx.agentB),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'agents',
    rule: 'agent:read, page ≤ 100; narrowed to own agents',
    query: listQuery('agents', 'AgentFilter', 'id name'),
    setup: filter((fx) => ({ nameContains: fx.agentA.name })),
    cells: cells({
      super_admin: 'allow',
      agent_operator: ownRows(
        filter((fx) => ({ nameContains: fx.agentA.name })),
        filter((fx) => ({ nameContains: fx.agentB.name })),
      ),
      api_user: ownRows(
        filter((fx) => ({ nameContains: fx.agentA.name })),
        filter((fx) => ({ nameContains: fx.agentB.name })),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'task',
    rule: 'task:read (or content:approve/reject: reviewers read what they decide on); Task: own agents',
    query: 'query ($id: ID!) { task(id: $id) { id status } }',
    setup: byId((fx) => fx.taskA),
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        byId((fx) => fx.taskA),
        byId((fx) => fx.taskB),
      ),
      api_user: ownAgent(
        OWN_AGENTS,
        byId((fx) => fx.taskA),
        byId((fx) => fx.taskB),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'goal',
    rule: 'task:read (or content:approve/reject); Goal: own agents',
    query: 'query ($id: ID!) { goal(id: $id) { id status } }',
    setup: byId((fx) => fx.goalA),
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        byId((fx) => fx.goalA),
        byId((fx) => fx.goalB),
      ),
      api_user: ownAgent(
        OWN_AGENTS,
        byId((fx) => fx.goalA),
        byId((fx) => fx.goalB),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'tasks',
    rule: 'task:read, page ≤ 100; narrowed to own agents',
    query: listQuery('tasks', 'TaskFilter', 'id status'),
    setup: filter((fx) => ({ agentId: fx.agentA.gid })),
    cells: cells({
      super_admin: 'allow',
      agent_operator: ownRows(
        filter((fx) => ({ agentId: fx.agentA.gid })),
        filter((fx) => ({ agentId: fx.agentB.gid })),
      ),
      api_user: ownRows(
        filter((fx) => ({ agentId: fx.agentA.gid })),
        filter((fx) => ({ agentId: fx.agentB.gid })),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'content',
    rule: 'content:read; Content: own agents, sensitive only for moderators',
    query: 'query ($id: ID!) { content(id: $id) { id status } }',
    setup: byId((fx) => fx.contentA),
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        byId((fx) => fx.contentA),
        byId((fx) => fx.contentB),
      ),
      api_user: ownAgent(
        'own agents only; safe content only',
        byId((fx) => fx.contentA),
        byId((fx) => fx.contentB),
        [{ label: "agent A's sensitive content", setup: byId((fx) => fx.contentASensitive) }],
      ),
    }),
  },
  {
    type: 'Query',
    field: 'contents',
    rule: 'content:read, page ≤ 100; narrowed to own agents, and to safe content for non-moderators',
    query: listQuery('contents', 'ContentFilter', 'id status'),
    setup: filter((fx) => ({ agentId: fx.agentA.gid })),
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: ownRows(
        filter((fx) => ({ agentId: fx.agentA.gid })),
        filter((fx) => ({ agentId: fx.agentB.gid })),
      ),
      api_user: ownRows(
        filter((fx) => ({ agentId: fx.agentA.gid, contentType: ['TEXT'] })),
        filter((fx) => ({ agentId: fx.agentB.gid })),
        "own agents' safe rows only (others left out)",
        [
          {
            label: "agent A's sensitive content is left out",
            expect: 'EMPTY',
            setup: filter((fx) => ({ agentId: fx.agentA.gid, contentType: ['IMAGE'] })),
          },
        ],
      ),
    }),
  },
  {
    type: 'Query',
    field: 'reviewItems',
    rule: 'content:approve, content:reject or content:moderate, page ≤ 100; narrowed to own agents',
    query: listQuery('reviewItems', 'ReviewFilter', 'taskId categories content { id status }'),
    setup: async (w) => {
      await w.make.reviewTask(w.fx.agentA.id);
      return { variables: { filter: { agentId: w.fx.agentA.gid } } };
    },
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: ownRows(
        async (w) => {
          await w.make.reviewTask(w.fx.agentA.id);
          return { variables: { filter: { agentId: w.fx.agentA.gid } } };
        },
        async (w) => {
          await w.make.reviewTask(w.fx.agentB.id);
          return { variables: { filter: { agentId: w.fx.agentB.gid } } };
        },
      ),
    }),
  },
  {
    type: 'Query',
    field: 'trends',
    rule: 'trends:read, page ≤ 100',
    query:
      'query ($first: Int = 10) { trends(first: $first, filter: { active: null }) { edges { node { id topic } } } }',
    cells: cells({ super_admin: 'allow', analyst: 'allow' }),
  },
  {
    type: 'Query',
    field: 'interactions',
    rule: 'content:read or analytics:read, page ≤ 100; narrowed to own agents',
    query: listQuery('interactions', 'InteractionFilter', 'id interactionType platform'),
    setup: filter((fx) => ({ contentId: fx.contentB.gid })),
    cells: signedIn({
      cfo: 'deny',
      agent_operator: ownRows(
        filter((fx) => ({ contentId: fx.contentA.gid })),
        filter((fx) => ({ contentId: fx.contentB.gid })),
      ),
      api_user: ownRows(
        filter((fx) => ({ contentId: fx.contentA.gid })),
        filter((fx) => ({ contentId: fx.contentB.gid })),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'relatedTrends',
    rule: 'trends:read',
    query: 'query { relatedTrends(text: "coffee", limit: 2) { topic score } }',
    cells: cells({ super_admin: 'allow', analyst: 'allow' }),
  },
  {
    type: 'Query',
    field: 'publicPosts',
    rule: 'public (published, safe posts of active agents)',
    mfaExempt: true,
    query: 'query { publicPosts(limit: 2) { id text agentName } }',
    cells: cells({}, 'allow'),
  },
  {
    type: 'Query',
    field: 'publicTrends',
    rule: 'public (active trends)',
    mfaExempt: true,
    query: 'query { publicTrends(limit: 2) { id topic } }',
    cells: cells({}, 'allow'),
  },
  {
    type: 'Query',
    field: 'swarmMetrics',
    rule: 'metrics:read or analytics:read; an agentId of an agent in scope',
    query: 'query ($a: ID) { swarmMetrics(hours: 2, agentId: $a) { hour tasksCompleted errors } }',
    setup: vars((fx) => ({ a: fx.agentA.gid })),
    cells: cells({ super_admin: 'allow', analyst: 'allow' }),
  },
  {
    type: 'Query',
    field: 'dataIntegrity',
    rule: 'reports:read',
    query: 'query { dataIntegrity { table check totalRows failing } }',
    cells: cells({ super_admin: 'allow', analyst: 'allow' }),
  },
  {
    type: 'Query',
    field: 'taskThroughput',
    rule: 'reports:read',
    query: 'query { taskThroughput(hours: 2) { hour tasksCreated averageRelevance } }',
    cells: cells({ super_admin: 'allow', analyst: 'allow' }),
  },
  {
    type: 'Query',
    field: 'wallets',
    rule: 'transaction:read, analytics:read or agent:write, page ≤ 100; narrowed to own agents',
    query: listQuery('wallets', 'WalletFilter', 'id address'),
    setup: filter((fx) => ({ agentId: fx.agentB.gid })),
    cells: cells({
      super_admin: 'allow',
      analyst: 'allow',
      cfo: 'allow',
      agent_operator: ownRows(
        filter((fx) => ({ agentId: fx.agentA.gid })),
        filter((fx) => ({ agentId: fx.agentB.gid })),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'transactions',
    rule: 'transaction:read, analytics:read or agent:write, page ≤ 100; narrowed to own agents',
    query: listQuery('transactions', 'TransactionFilter', 'id amount'),
    setup: filter((fx) => ({ walletId: fx.walletB.gid })),
    cells: cells({
      super_admin: 'allow',
      analyst: 'allow',
      cfo: 'allow',
      agent_operator: ownRows(
        filter((fx) => ({ walletId: fx.walletA.gid })),
        filter((fx) => ({ walletId: fx.walletB.gid })),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'transfers',
    rule: 'transaction:read, analytics:read or agent:write, page ≤ 100; narrowed to own agents',
    query: listQuery('transfers', 'TransferFilter', 'id amount status'),
    setup: filter((fx) => ({ walletId: fx.walletB.gid })),
    cells: cells({
      super_admin: 'allow',
      analyst: 'allow',
      cfo: 'allow',
      agent_operator: ownRows(
        filter((fx) => ({ walletId: fx.walletA.gid })),
        filter((fx) => ({ walletId: fx.walletB.gid })),
      ),
    }),
  },
  {
    type: 'Query',
    field: 'auditLogs',
    rule: 'audit:read, page ≤ 100; AuditLog: confidential',
    query: listQuery('auditLogs', 'AuditLogFilter', 'id action'),
    setup: filter((fx) => ({ agentId: fx.agentA.gid })),
    cells: cells({ super_admin: 'allow', content_reviewer: 'allow', cfo: 'allow' }),
  },
  {
    type: 'Query',
    field: 'securityAuditLogs',
    rule: 'security:read, page ≤ 100; SecurityAuditLog: restricted',
    query: listQuery('securityAuditLogs', null, 'id action'),
    cells: superOnly,
  },
  {
    type: 'Query',
    field: 'users',
    rule: 'users:manage (a refusal raises a privilege-escalation alert), page ≤ 100; User: restricted',
    query: listQuery('users', null, 'id email roles'),
    cells: superOnly,
  },
  {
    type: 'Query',
    field: 'apiKeys',
    rule: 'keys:manage (a refusal raises a privilege-escalation alert), page ≤ 100; ApiKey: restricted',
    query: 'query ($first: Int = 10) { apiKeys(first: $first) { edges { node { id name prefix } } } }',
    cells: superOnly,
  },
  {
    type: 'Query',
    field: 'securityAlerts',
    rule: 'security:read, page ≤ 100; SecurityAlert: restricted',
    query: 'query ($first: Int = 10) { securityAlerts(first: $first) { edges { node { id kind severity } } } }',
    cells: superOnly,
  },

  // ── Mutation: signing in ──
  {
    type: 'Mutation',
    field: 'login',
    rule: 'public',
    mfaExempt: true,
    query: 'mutation ($input: LoginInput!) { login(input: $input) { tokenType accessToken } }',
    setup: vars((fx) => ({ input: { email: fx.login.email, password: fx.login.password } })),
    cells: cells({}, 'allow'),
  },
  {
    type: 'Mutation',
    field: 'loginWithOidc',
    rule: 'public',
    mfaExempt: true,
    query:
      'mutation ($issuer: String!, $idToken: String!) { loginWithOidc(issuer: $issuer, idToken: $idToken) { tokenType accessToken } }',
    setup: async (w) => ({ variables: await w.make.oidcLogin() }),
    cells: cells({}, 'allow'),
  },
  {
    type: 'Mutation',
    field: 'refreshToken',
    rule: 'public',
    mfaExempt: true,
    query: 'mutation ($t: String!) { refreshToken(refreshToken: $t) { tokenType accessToken } }',
    setup: async (w) => ({ variables: { t: await w.make.refreshToken() } }),
    cells: cells({}, 'allow'),
  },
  {
    type: 'Mutation',
    field: 'logout',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'mutation { logout }',
    setup: freshCaller,
    cells: signedIn(),
  },
  {
    type: 'Mutation',
    field: 'beginTotpEnrolment',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'mutation { beginTotpEnrolment { otpauthUri } }',
    setup: async (w, kind) => {
      const caller = await w.fresh(kind);
      // (the test helper enrols super_admins; start over, as a user without an authenticator would)
      if (caller.userId) await w.make.totp(caller, false);
      return { caller };
    },
    cells: signedIn(),
  },
  {
    type: 'Mutation',
    field: 'confirmTotpEnrolment',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'mutation ($code: String!) { confirmTotpEnrolment(code: $code) }',
    setup: async (w, kind) => {
      const caller = await w.fresh(kind);
      const code = caller.userId ? (await w.make.totp(caller, false))(0) : '000000';
      return { caller, variables: { code } };
    },
    cells: signedIn(),
  },
  {
    type: 'Mutation',
    field: 'stepUpWithTotp',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'mutation ($code: String!) { stepUpWithTotp(code: $code) { validUntil } }',
    setup: async (w, kind) => {
      const caller = await w.fresh(kind);
      const code = caller.userId ? (await w.make.totp(caller, true))(1) : '000000';
      return { caller, variables: { code } };
    },
    cells: signedIn(),
  },
  {
    type: 'Mutation',
    field: 'beginWebAuthnRegistration',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'mutation { beginWebAuthnRegistration }',
    setup: freshCaller,
    cells: signedIn(),
  },
  {
    type: 'Mutation',
    field: 'finishWebAuthnRegistration',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'mutation ($r: JSON!) { finishWebAuthnRegistration(response: $r, name: "matrix key") { id name } }',
    setup: async (w, kind) => {
      const caller = await w.fresh(kind);
      return { caller, variables: { r: caller.userId ? await w.make.webauthnRegistration(caller) : {} } };
    },
    cells: signedIn(),
  },
  {
    type: 'Mutation',
    field: 'beginWebAuthnStepUp',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'mutation { beginWebAuthnStepUp }',
    setup: async (w, kind) => {
      const caller = await w.fresh(kind);
      if (caller.userId) await w.make.webauthnKey(caller);
      return { caller };
    },
    cells: signedIn(),
  },
  {
    type: 'Mutation',
    field: 'stepUpWithWebAuthn',
    rule: 'isAuthenticated',
    mfaExempt: true,
    query: 'mutation ($r: JSON!) { stepUpWithWebAuthn(response: $r) { validUntil } }',
    setup: async (w, kind) => {
      const caller = await w.fresh(kind);
      const r = caller.userId ? await (await w.make.webauthnKey(caller)).assertion() : {};
      return { caller, variables: { r } };
    },
    cells: signedIn(),
  },

  // ── Mutation: personas, agents, tasks, content ──
  {
    type: 'Mutation',
    field: 'createPersona',
    rule: 'agent:write',
    query: 'mutation ($input: CreatePersonaInput!) { createPersona(input: $input) { id name } }',
    setup: (w) => ({ variables: { input: { name: `matrix persona ${w.make.unique()}` } } }),
    cells: cells({ super_admin: 'allow', agent_operator: 'allow' }),
  },
  {
    type: 'Mutation',
    field: 'updatePersona',
    rule: 'agent:write; the persona reachable; not the persona of attributes.boundAgentId',
    query: 'mutation ($id: ID!, $input: UpdatePersonaInput!) { updatePersona(id: $id, input: $input) { id name } }',
    setup: async (w) => ({ variables: { id: (await w.make.agent()).persona.gid, input: { backstory: 'matrix' } } }),
    cells: cells({
      super_admin: 'allow',
      agent_operator: cond(
        `${PERSONA_SCOPE}; not its boundAgentId's persona`,
        [
          {
            label: "an assigned agent's persona",
            setup: async (w, kind) => {
              const { persona, caller } = await newAgent(w, kind, true);
              return { caller, variables: { id: persona.gid, input: { backstory: 'operator' } } };
            },
          },
        ],
        [
          {
            label: "an unassigned agent's persona",
            setup: async (w) => ({ variables: { id: (await w.make.agent()).persona.gid, input: { backstory: 'x' } } }),
          },
          {
            label: 'the persona of its boundAgentId (self-modification)',
            setup: async (w, kind) => {
              const { agent, persona } = await w.make.agent();
              const caller = await w.fresh(kind, { agentIds: [agent.id], boundAgentId: agent.id });
              return { caller, variables: { id: persona.gid, input: { backstory: 'self-modification' } } };
            },
          },
        ],
      ),
    }),
  },
  {
    type: 'Mutation',
    field: 'createAgent',
    rule: 'agent:write',
    query: 'mutation ($input: CreateAgentInput!) { createAgent(input: $input) { id name } }',
    setup: (w) => ({ variables: { input: { name: `matrix agent ${w.make.unique()}` } } }),
    cells: cells({ super_admin: 'allow', agent_operator: 'allow' }),
  },
  ...(
    [
      ['updateAgent', true, 'mutation ($id: ID!) { updateAgent(id: $id, input: { name: "renamed" }) { id name } }'],
      ['activateAgent', false, 'mutation ($id: ID!) { activateAgent(id: $id) { id active } }'],
    ] as const
  ).map(
    ([field, active, query]): OperationRow => ({
      type: 'Mutation',
      field,
      rule: 'agent:write; own agents',
      query,
      setup: async (w) => ({ variables: { id: (await w.make.agent({ active })).agent.gid } }),
      cells: cells({
        super_admin: 'allow',
        agent_operator: ownAgent(
          field === 'updateAgent' ? `${OWN_AGENTS}; only reachable personas` : OWN_AGENTS,
          async (w, kind) => {
            const { agent, caller } = await newAgent(w, kind, true, { active });
            return { caller, variables: { id: agent.gid } };
          },
          async (w) => ({ variables: { id: (await w.make.agent({ active })).agent.gid } }),
          field === 'updateAgent'
            ? [
                {
                  label: "an assigned agent re-pointed at an unassigned agent's persona",
                  query: 'mutation ($id: ID!, $p: ID) { updateAgent(id: $id, input: { personaId: $p }) { id name } }',
                  setup: async (w, kind) => {
                    const { agent, caller } = await newAgent(w, kind, true);
                    const other = await w.make.agent();
                    return { caller, variables: { id: agent.gid, p: other.persona.gid } };
                  },
                },
              ]
            : [],
        ),
      }),
    }),
  ),
  {
    type: 'Mutation',
    field: 'deactivateAgent',
    rule: 'agent:delete; own agents; step-up within 5 min',
    query: 'mutation ($id: ID!) { deactivateAgent(id: $id) { id active } }',
    setup: async (w) => ({ variables: { id: (await w.make.agent()).agent.gid } }),
    cells: cells({
      super_admin: stepUp('any agent', async (w) => ({ variables: { id: (await w.make.agent()).agent.gid } })),
      agent_operator: cond(
        'own agents only; step-up within 5 min',
        [
          {
            label: 'an assigned agent, stepped up',
            setup: async (w, kind) => {
              const { agent } = await w.make.agent();
              return {
                variables: { id: agent.gid },
                caller: await w.fresh(kind, { agentIds: [agent.id], stepUp: true }),
              };
            },
          },
        ],
        [
          {
            label: 'an assigned agent, no step-up',
            expect: 'STEP_UP_REQUIRED',
            setup: async (w, kind) => {
              const { agent, caller } = await newAgent(w, kind, true);
              return { variables: { id: agent.gid }, caller };
            },
          },
          {
            label: 'an unassigned agent, stepped up',
            setup: async (w, kind) => ({
              variables: { id: (await w.make.agent()).agent.gid },
              caller: await w.fresh(kind, { stepUp: true }),
            }),
          },
        ],
      ),
    }),
  },
  {
    type: 'Mutation',
    field: 'createTask',
    rule: 'task:write; own agents; priority ≤ maxTaskPriority',
    query: 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id priority } }',
    setup: vars((fx) => ({ input: taskInput(fx.agentA.gid, 'HIGH') })),
    cells: cells({
      super_admin: 'allow',
      agent_operator: cond(
        'own agents only; HIGH priority needs maxTaskPriority high',
        [
          {
            label: 'MEDIUM on an assigned agent',
            setup: vars((fx) => ({ input: taskInput(fx.agentA.gid, 'MEDIUM') })),
          },
          {
            label: 'HIGH on an assigned agent, maxTaskPriority high',
            setup: async (w, kind) => ({
              variables: { input: taskInput(w.fx.agentA.gid, 'HIGH') },
              caller: await w.fresh(kind, { maxTaskPriority: 'high' }),
            }),
          },
        ],
        [
          {
            label: 'MEDIUM on an unassigned agent',
            setup: vars((fx) => ({ input: taskInput(fx.agentB.gid, 'MEDIUM') })),
          },
          {
            label: 'HIGH on an assigned agent (default ceiling MEDIUM)',
            setup: vars((fx) => ({ input: taskInput(fx.agentA.gid, 'HIGH') })),
          },
        ],
      ),
    }),
  },
  {
    type: 'Mutation',
    field: 'submitGoal',
    rule: 'task:write; own agents; priority ≤ maxTaskPriority',
    query: 'mutation ($input: SubmitGoalInput!) { submitGoal(input: $input) { id priority } }',
    setup: vars((fx) => ({ input: goalInput(fx.agentA.gid, 'HIGH') })),
    cells: cells({
      super_admin: 'allow',
      agent_operator: cond(
        'own agents only; HIGH priority needs maxTaskPriority high',
        [
          {
            label: 'MEDIUM on an assigned agent',
            setup: vars((fx) => ({ input: goalInput(fx.agentA.gid, 'MEDIUM') })),
          },
          {
            label: 'HIGH on an assigned agent, maxTaskPriority high',
            setup: async (w, kind) => ({
              variables: { input: goalInput(w.fx.agentA.gid, 'HIGH') },
              caller: await w.fresh(kind, { maxTaskPriority: 'high' }),
            }),
          },
        ],
        [
          {
            label: 'MEDIUM on an unassigned agent',
            setup: vars((fx) => ({ input: goalInput(fx.agentB.gid, 'MEDIUM') })),
          },
          {
            label: 'HIGH on an assigned agent (default ceiling MEDIUM)',
            setup: vars((fx) => ({ input: goalInput(fx.agentA.gid, 'HIGH') })),
          },
        ],
      ),
    }),
  },
  {
    type: 'Mutation',
    field: 'cancelTask',
    rule: 'task:write; own agents',
    query: 'mutation ($id: ID!) { cancelTask(id: $id, reason: "matrix") { id status } }',
    setup: async (w) => ({ variables: { id: (await w.make.task(w.fx.agentA.id)).gid } }),
    cells: cells({
      super_admin: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        async (w) => ({ variables: { id: (await w.make.task(w.fx.agentA.id)).gid } }),
        async (w) => ({ variables: { id: (await w.make.task(w.fx.agentB.id)).gid } }),
      ),
    }),
  },
  {
    type: 'Mutation',
    field: 'setContentStatus',
    rule: 'APPROVED/PUBLISHED: content:approve; REJECTED, DRAFT: content:reject or content:moderate; own agents',
    query:
      'mutation ($id: ID!, $s: ContentStatus!) { setContentStatus(id: $id, status: $s, reason: "matrix") { id status } }',
    setup: async (w) => ({ variables: { id: (await w.make.content(w.fx.agentA.id)).gid, s: 'APPROVED' } }),
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: cond(
        'own agents only; APPROVED/PUBLISHED need content:approve',
        [
          {
            label: "REJECTED on agent A's draft",
            setup: async (w) => ({ variables: { id: (await w.make.content(w.fx.agentA.id)).gid, s: 'REJECTED' } }),
          },
        ],
        [
          {
            label: "APPROVED on agent A's draft",
            setup: async (w) => ({ variables: { id: (await w.make.content(w.fx.agentA.id)).gid, s: 'APPROVED' } }),
          },
          {
            label: "REJECTED on agent B's draft",
            setup: async (w) => ({ variables: { id: (await w.make.content(w.fx.agentB.id)).gid, s: 'REJECTED' } }),
          },
        ],
      ),
    }),
  },

  // ── Mutation: human review (a content_reviewer has no task:read, so the Task returned is not read) ──
  {
    type: 'Mutation',
    field: 'approveReview',
    rule: 'content:approve; own agents',
    query: 'mutation ($id: ID!) { approveReview(taskId: $id, note: "matrix") { __typename } }',
    setup: async (w) => ({ variables: { id: (await w.make.reviewTask(w.fx.agentA.id)).gid } }),
    cells: cells({ super_admin: 'allow', content_reviewer: 'allow' }),
  },
  ...(
    [
      ['rejectReview', 'mutation ($id: ID!) { rejectReview(taskId: $id, reason: "matrix") { __typename } }'],
      ['requestChanges', 'mutation ($id: ID!) { requestChanges(taskId: $id, notes: "matrix") { __typename } }'],
    ] as const
  ).map(
    ([field, query]): OperationRow => ({
      type: 'Mutation',
      field,
      rule: 'content:reject or content:moderate; own agents',
      query,
      setup: async (w) => ({ variables: { id: (await w.make.reviewTask(w.fx.agentA.id)).gid } }),
      cells: cells({
        super_admin: 'allow',
        content_reviewer: 'allow',
        agent_operator: ownAgent(
          OWN_AGENTS,
          async (w) => ({ variables: { id: (await w.make.reviewTask(w.fx.agentA.id)).gid } }),
          async (w) => ({ variables: { id: (await w.make.reviewTask(w.fx.agentB.id)).gid } }),
        ),
      }),
    }),
  ),

  {
    type: 'Mutation',
    field: 'resolveContentFlag',
    rule: 'content:reject or content:moderate; own agents',
    query: 'mutation ($id: ID!) { resolveContentFlag(id: $id, decision: KEEP, note: "matrix") { __typename } }',
    setup: async (w) => ({ variables: { id: (await w.make.flaggedContent(w.fx.agentA.id)).gid } }),
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        async (w) => ({ variables: { id: (await w.make.flaggedContent(w.fx.agentA.id)).gid } }),
        async (w) => ({ variables: { id: (await w.make.flaggedContent(w.fx.agentB.id)).gid } }),
      ),
    }),
  },

  // ── Mutation: money ──
  {
    type: 'Mutation',
    field: 'createWallet',
    rule: 'agent:write; own agents',
    query: 'mutation ($a: ID!) { createWallet(agentId: $a) { id address } }',
    // A new agent each time: an agent has one wallet per chain.
    setup: async (w, kind) => {
      const made = await newAgent(w, kind, true);
      return { variables: { a: made.agent.gid }, caller: made.caller };
    },
    cells: cells({
      super_admin: 'allow',
      agent_operator: cond(
        OWN_AGENTS,
        [
          {
            label: 'an agent assigned to it',
            setup: async (w, kind) => {
              const made = await newAgent(w, kind, true);
              return { variables: { a: made.agent.gid }, caller: made.caller };
            },
          },
        ],
        [{ label: "agent B's", setup: vars((fx) => ({ a: fx.agentB.gid })) }],
      ),
    }),
  },
  {
    type: 'Mutation',
    field: 'requestTransfer',
    rule: "transaction:request; own agents (the wallet's agent)",
    query: 'mutation ($input: RequestTransferInput!) { requestTransfer(input: $input) { id status } }',
    setup: vars((fx) => ({ input: transferInput(fx.walletA) })),
    cells: cells({
      super_admin: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        vars((fx) => ({ input: transferInput(fx.walletA) })),
        vars((fx) => ({ input: transferInput(fx.walletB) })),
      ),
    }),
  },
  {
    type: 'Mutation',
    field: 'approveTransfer',
    rule: 'transaction:approve, held by cfo alone (a refusal raises a privilege-escalation alert); step-up within 5 min',
    query: 'mutation ($id: ID!) { approveTransfer(id: $id, note: "matrix") { id status } }',
    setup: async (w) => ({ variables: { id: (await w.make.transfer(w.fx.walletA)).gid } }),
    cells: cells({
      cfo: stepUp('a transfer awaiting approval', async (w, kind) => ({
        variables: { id: (await w.make.transfer(w.fx.walletA)).gid },
        caller: await w.fresh(kind, { stepUp: true }),
      })),
    }),
  },
  {
    type: 'Mutation',
    field: 'rejectTransfer',
    rule: 'transaction:approve, held by cfo alone (a refusal raises a privilege-escalation alert)',
    query: 'mutation ($id: ID!) { rejectTransfer(id: $id, reason: "matrix") { id status } }',
    setup: async (w) => ({ variables: { id: (await w.make.transfer(w.fx.walletA)).gid } }),
    cells: cells({ cfo: 'allow' }),
  },
  {
    type: 'Mutation',
    field: 'cancelTransfer',
    rule: 'transaction:request or transaction:approve; own agents; the service: whoever asked for it, or a CFO',
    query: 'mutation ($id: ID!) { cancelTransfer(id: $id, reason: "matrix") { id status } }',
    setup: ownTransfer((fx) => fx.walletA),
    cells: cells({
      super_admin: 'allow',
      cfo: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        ownTransfer((fx) => fx.walletA),
        ownTransfer((fx) => fx.walletB),
      ),
    }),
  },
  {
    type: 'Mutation',
    field: 'setSpendPolicy',
    rule: 'transaction:approve, held by cfo alone (alert on refusal); step-up within 5 min',
    query: 'mutation ($w: ID!, $p: SpendPolicyInput!) { setSpendPolicy(walletId: $w, policy: $p) { id } }',
    setup: vars((fx) => ({ w: fx.walletA.gid, p: MATRIX_POLICY })),
    cells: cells({
      cfo: stepUp('a wallet', async (w, kind) => ({
        variables: { w: w.fx.walletA.gid, p: MATRIX_POLICY },
        caller: await w.fresh(kind, { stepUp: true }),
      })),
    }),
  },

  // ── Mutation: administration ──
  {
    type: 'Mutation',
    field: 'createUser',
    rule: 'users:manage (a refusal raises a privilege-escalation alert)',
    query: 'mutation ($input: CreateUserInput!) { createUser(input: $input) { id email roles } }',
    setup: (w) => ({
      variables: {
        input: {
          email: `matrix-${w.make.unique()}@test.chimera`,
          password: 'a long enough password',
          roles: ['ANALYST'],
        },
      },
    }),
    cells: superOnly,
  },
  {
    type: 'Mutation',
    field: 'setUserRoles',
    rule: 'users:manage (alert on refusal); step-up within 5 min',
    query: 'mutation ($id: ID!) { setUserRoles(id: $id, roles: [ANALYST, CFO]) { id roles } }',
    setup: async (w) => ({ variables: { id: (await w.make.user()).gid } }),
    cells: cells({ super_admin: stepUp('any user', async (w) => ({ variables: { id: (await w.make.user()).gid } })) }),
  },
  {
    type: 'Mutation',
    field: 'setUserAttributes',
    rule: 'users:manage (a refusal raises a privilege-escalation alert)',
    query:
      'mutation ($id: ID!) { setUserAttributes(id: $id, attributes: { clearance: "internal" }) { id attributes } }',
    setup: async (w) => ({ variables: { id: (await w.make.user()).gid } }),
    cells: superOnly,
  },
  {
    type: 'Mutation',
    field: 'unlockUser',
    rule: 'users:manage (a refusal raises a privilege-escalation alert)',
    query: 'mutation ($id: ID!) { unlockUser(id: $id) { id lockedUntil } }',
    setup: async (w) => ({ variables: { id: (await w.make.user({ locked: true })).gid } }),
    cells: superOnly,
  },
  {
    type: 'Mutation',
    field: 'createApiKey',
    rule: 'keys:manage (a refusal raises a privilege-escalation alert)',
    query: 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix } } }',
    setup: (w) => ({ variables: { input: { name: `matrix key ${w.make.unique()}`, roles: ['API_USER'] } } }),
    cells: superOnly,
  },
  {
    type: 'Mutation',
    field: 'revokeApiKey',
    rule: 'keys:manage (a refusal raises a privilege-escalation alert)',
    query: 'mutation ($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }',
    setup: async (w) => ({ variables: { id: (await w.make.apiKey()).gid } }),
    cells: superOnly,
  },
  {
    type: 'Mutation',
    field: 'rotateSigningKey',
    rule: 'keys:manage (alert on refusal); step-up within 5 min',
    query: 'mutation { rotateSigningKey { kid } }',
    cells: cells({ super_admin: stepUp('rotate', () => ({})) }),
  },
  {
    type: 'Mutation',
    field: 'acknowledgeSecurityAlert',
    rule: 'security:read',
    query: 'mutation ($id: ID!) { acknowledgeSecurityAlert(id: $id) { id acknowledgedAt } }',
    setup: async (w) => ({ variables: { id: (await w.make.alert()).gid } }),
    cells: superOnly,
  },

  // ── Subscription ──
  {
    type: 'Subscription',
    field: 'securityAlerts',
    rule: 'security:read (when it starts, and for each event)',
    query: 'subscription { securityAlerts { id kind } }',
    trigger: (w) => w.make.alert({ publish: true }),
    cells: superOnly,
  },
  {
    type: 'Subscription',
    field: 'taskUpdated',
    rule: 'task:read; own agents (the agent named, or the task’s agent)',
    query: 'subscription ($a: ID) { taskUpdated(agentId: $a) { id status } }',
    setup: vars((fx) => ({ a: fx.agentA.gid })),
    trigger: (w) => w.make.taskEvent(),
    cells: cells({
      super_admin: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        vars((fx) => ({ a: fx.agentA.gid })),
        vars((fx) => ({ a: fx.agentB.gid })),
      ),
      api_user: ownAgent(
        OWN_AGENTS,
        vars((fx) => ({ a: fx.agentA.gid })),
        vars((fx) => ({ a: fx.agentB.gid })),
      ),
    }),
  },
  {
    type: 'Subscription',
    field: 'agentStateChanged',
    rule: 'agent:read; own agents',
    query: 'subscription ($a: ID!) { agentStateChanged(agentId: $a) { agentId status activeTasks } }',
    setup: vars((fx) => ({ a: fx.agentA.gid })),
    trigger: (w) => w.make.agentStateEvent(),
    cells: cells({
      super_admin: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        vars((fx) => ({ a: fx.agentA.gid })),
        vars((fx) => ({ a: fx.agentB.gid })),
      ),
      api_user: ownAgent(
        OWN_AGENTS,
        vars((fx) => ({ a: fx.agentA.gid })),
        vars((fx) => ({ a: fx.agentB.gid })),
      ),
    }),
  },
  {
    type: 'Subscription',
    field: 'trendDetected',
    rule: 'trends:read',
    query: 'subscription { trendDetected { id topic } }',
    trigger: (w) => w.make.trendEvent(),
    cells: cells({ super_admin: 'allow', analyst: 'allow' }),
  },
  {
    type: 'Subscription',
    field: 'transferUpdated',
    rule: 'transaction:read, analytics:read or agent:write; own agents (the agent named; others’ transfers are not sent)',
    query: 'subscription ($a: ID) { transferUpdated(agentId: $a) { id status } }',
    setup: vars((fx) => ({ a: fx.agentA.gid })),
    trigger: (w) => w.make.transferEvent(),
    cells: cells({
      super_admin: 'allow',
      analyst: 'allow',
      cfo: 'allow',
      agent_operator: ownAgent(
        OWN_AGENTS,
        vars((fx) => ({ a: fx.agentA.gid })),
        vars((fx) => ({ a: fx.agentB.gid })),
      ),
    }),
  },
  {
    type: 'Subscription',
    field: 'reviewItemAdded',
    rule: 'content:approve, content:reject or content:moderate',
    query: 'subscription { reviewItemAdded { id status } }',
    trigger: (w) => w.make.taskEvent(),
    cells: cells({ super_admin: 'allow', agent_operator: 'allow', content_reviewer: 'allow' }),
  },
];

// ─── Object types (fetched through node(id:), so only the type rule is at work) ────────────────────────────

export const NODE_QUERY = 'query ($id: ID!) { node(id: $id) { id } }';

const ownObject = (a: (fx: Shared) => Ref, b: (fx: Shared) => Ref, when = OWN_AGENTS, extraDenied: Case[] = []) =>
  ownAgent(when, byId(a), byId(b), extraDenied);

export const OBJECT_TYPES: TypeRow[] = [
  {
    type: 'Persona',
    rule: 'agent:read; reachable persona',
    pick: (fx) => fx.personaB,
    cells: cells({ super_admin: 'allow', agent_operator: personaScope(byId), api_user: personaScope(byId) }),
  },
  {
    type: 'Agent',
    rule: 'agent:read; own agents',
    pick: (fx) => fx.agentB,
    cells: cells({
      super_admin: 'allow',
      agent_operator: ownObject(
        (fx) => fx.agentA,
        (fx) => fx.agentB,
      ),
      api_user: ownObject(
        (fx) => fx.agentA,
        (fx) => fx.agentB,
      ),
    }),
  },
  {
    type: 'Goal',
    rule: 'task:read; own agents',
    pick: (fx) => fx.goalB,
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: ownObject(
        (fx) => fx.goalA,
        (fx) => fx.goalB,
      ),
      api_user: ownObject(
        (fx) => fx.goalA,
        (fx) => fx.goalB,
      ),
    }),
  },
  {
    type: 'Task',
    rule: 'task:read; own agents',
    pick: (fx) => fx.taskB,
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: ownObject(
        (fx) => fx.taskA,
        (fx) => fx.taskB,
      ),
      api_user: ownObject(
        (fx) => fx.taskA,
        (fx) => fx.taskB,
      ),
    }),
  },
  {
    type: 'Content',
    rule: 'content:read; own agents; sensitive/prohibited only with content:moderate, approve or reject',
    pick: (fx) => fx.contentASensitive,
    cells: cells({
      super_admin: 'allow',
      content_reviewer: 'allow',
      agent_operator: cond(
        OWN_AGENTS,
        [{ label: "agent A's sensitive content", setup: byId((fx) => fx.contentASensitive) }],
        [{ label: "agent B's content", setup: byId((fx) => fx.contentB) }],
      ),
      api_user: ownObject(
        (fx) => fx.contentA,
        (fx) => fx.contentB,
        'own agents only; safe content only',
        [{ label: "agent A's sensitive content", setup: byId((fx) => fx.contentASensitive) }],
      ),
    }),
  },
  {
    type: 'Interaction',
    rule: "content:read or analytics:read; own agents (the content's agent)",
    pick: (fx) => fx.interactionB,
    cells: signedIn({
      cfo: 'deny',
      agent_operator: ownObject(
        (fx) => fx.interactionA,
        (fx) => fx.interactionB,
      ),
      api_user: ownObject(
        (fx) => fx.interactionA,
        (fx) => fx.interactionB,
      ),
    }),
  },
  {
    type: 'Trend',
    rule: 'trends:read',
    pick: (fx) => fx.trend,
    cells: cells({ super_admin: 'allow', analyst: 'allow' }),
  },
  {
    type: 'Wallet',
    rule: 'transaction:read, analytics:read or agent:write; own agents',
    pick: (fx) => fx.walletB,
    cells: cells({
      super_admin: 'allow',
      analyst: 'allow',
      cfo: 'allow',
      agent_operator: ownObject(
        (fx) => fx.walletA,
        (fx) => fx.walletB,
      ),
    }),
  },
  {
    type: 'Transaction',
    rule: "transaction:read, analytics:read or agent:write; own agents (the wallet's agent)",
    pick: (fx) => fx.transactionB,
    cells: cells({
      super_admin: 'allow',
      analyst: 'allow',
      cfo: 'allow',
      agent_operator: ownObject(
        (fx) => fx.transactionA,
        (fx) => fx.transactionB,
      ),
    }),
  },
  {
    type: 'Transfer',
    rule: 'transaction:read, analytics:read or agent:write; own agents',
    pick: (fx) => fx.transferB,
    cells: cells({
      super_admin: 'allow',
      analyst: 'allow',
      cfo: 'allow',
      agent_operator: ownObject(
        (fx) => fx.transferA,
        (fx) => fx.transferB,
      ),
    }),
  },
  {
    type: 'AuditLog',
    rule: 'audit:read',
    pick: (fx) => fx.auditLogA,
    cells: cells({ super_admin: 'allow', content_reviewer: 'allow', cfo: 'allow' }),
  },
  { type: 'SecurityAuditLog', rule: 'security:read', pick: (fx) => fx.securityAuditLog, cells: superOnly },
  { type: 'User', rule: 'users:manage', pick: (fx) => fx.user, cells: superOnly },
  { type: 'ApiKey', rule: 'keys:manage', pick: (fx) => fx.apiKey, cells: superOnly },
  { type: 'SecurityAlert', rule: 'security:read', pick: (fx) => fx.alert, cells: superOnly },
];

/** "Type.field" of an operation row. */
export const operationKey = (row: Pick<OperationRow, 'type' | 'field'>) => `${row.type}.${row.field}`;
