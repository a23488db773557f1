// The permission matrix (test/auth/matrix.ts), cell by cell, against the running API: every Query, Mutation and
// Subscription field × every kind of principal, both sides of every condition. Also: the matrix covers exactly the
// schema's operations, every Node type has its own rule, anything the rule tree does not list is denied, the MFA
// policy and the bulk-export page limit hold for every operation, and docs/permissions.md is what the matrix says.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ExecutionResult, extendSchema, graphql, isObjectType, parse } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderPermissionsDoc } from '../../scripts/permissions-doc.js';
import { type AccessAttributes, buildPrincipal } from '../../src/domain/auth/principal.js';
import { TREND_DETECTED_TOPIC } from '../../src/domain/trends/ingestion.js';
import { TRANSFER_TOPIC } from '../../src/domain/wallets/wallets.service.js';
import { OPERATION_RULES, permissionsFor, TYPE_RULES } from '../../src/graphql/permissions.js';
import { schema } from '../../src/graphql/schema.js';
import { totpAt } from '../../src/platform/crypto/totp.js';
import { type GraphQLResponse, startTestApp, type TestApp } from '../helpers/app.js';
import { RECIPIENT_A, startTestChain, type TestChain } from '../helpers/chain.js';
import { gid, makeTask } from '../helpers/fixtures.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { createSoftAuthenticator } from '../helpers/soft-authenticator.js';
import { takeSseEvents } from '../helpers/sse.js';
import {
  type Caller,
  type Case,
  type Cell,
  type IdentityOptions,
  type Json,
  NODE_QUERY,
  OBJECT_TYPES,
  OPERATIONS,
  type OperationRow,
  operationKey,
  PRINCIPALS,
  type PrincipalKind,
  type Ref,
  type Rows,
  type Setup,
  type Shared,
  type ShieldCode,
  type World,
} from './matrix.js';

const OPERATION_TYPES = ['Query', 'Mutation', 'Subscription'] as const;
const PASSWORD = 'matrix password, long enough';
const SCOPED = new Set<PrincipalKind>(['agent_operator', 'api_user']);
/** Cells run concurrently (each on fixtures of its own where it changes state); the API has a pool of 4. */
vi.setConfig({ maxConcurrency: 8 });
/** How long a subscription cell waits for its first event. */
const SUBSCRIPTION_TIMEOUT_MS = 8_000;

let t: TestApp;
let oidc: TestOidcProvider;
let fx: Shared;
let chain: TestChain;
/** The fixture wallets' addresses: anvil's development accounts 3 and 4 (any valid addresses would do). */
const MATRIX_ADDRESSES = ['0x90F79bf6EB2c4f870365E785982E1f101E93b906', '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65'];
const suffix = randomBytes(3).toString('hex');
let counter = 0;
const unique = () => `${suffix}-${++counter}`;

/** The super_admin of a world: MFA satisfied (the matrix), or one of the two ways of failing the MFA policy. */
type Variant = 'mfa' | 'not-enrolled' | 'password-only';
const worlds = new Map<Variant, World & { caller(kind: PrincipalKind): Promise<Caller> }>();
const world = (variant: Variant = 'mfa') =>
  worlds.get(variant) as World & { caller(k: PrincipalKind): Promise<Caller> };

const ref = (type: string, id: string, name?: string): Ref => ({ id, gid: gid(type, id), name });

async function createShared(): Promise<Shared> {
  const db = t.app.db;
  const [personaA, personaB] = await Promise.all(
    ['A', 'B'].map((x) => db.persona.create({ data: { name: `matrix-persona-${x}-${suffix}` } })),
  );
  const [agentA, agentB] = await Promise.all(
    [personaA, personaB].map((p, i) =>
      db.agent.create({ data: { name: `matrix-agent-${'AB'[i]}-${suffix}`, personaId: p?.id } }),
    ),
  );
  if (!personaA || !personaB || !agentA || !agentB) throw new Error('fixtures');
  const [taskA, taskB] = await Promise.all([makeTask(db, agentA.id), makeTask(db, agentB.id)]);
  const [goalA, goalB] = await Promise.all(
    [agentA, agentB].map((a) => db.goal.create({ data: { agentId: a.id, description: 'matrix goal' } })),
  );
  const text = (agentId: string, taskId: string) =>
    db.content.create({ data: { agentId, taskId, contentType: 'text', contentData: 'matrix', status: 'draft' } });
  const [contentA, contentB, contentASensitive] = await Promise.all([
    text(agentA.id, taskA.id),
    text(agentB.id, taskB.id),
    db.content.create({
      data: {
        agentId: agentA.id,
        contentType: 'image',
        contentData: 'https://example.test/matrix.png',
        metadata: { sensitivity: 'sensitive' },
      },
    }),
  ]);
  const [interactionA, interactionB] = await Promise.all(
    [contentA, contentB].map((c) =>
      db.interaction.create({ data: { contentId: c.id, platform: 'sandbox', interactionType: 'like' } }),
    ),
  );
  const [walletA, walletB] = await Promise.all(
    [agentA, agentB].map((a, i) =>
      db.wallet.create({ data: { agentId: a.id, address: MATRIX_ADDRESSES[i] as string, blockchain: 'eip155:31337' } }),
    ),
  );
  if (!walletA || !walletB || !interactionA || !interactionB) throw new Error('fixtures');
  // Funded, so that asking for and approving a transfer pass the balance check (the matrix tests the rules only).
  for (const w of [walletA, walletB]) await chain.fund(w.address, '5');
  const [transactionA, transactionB] = await Promise.all(
    [walletA, walletB].map((w) => db.transaction.create({ data: { walletId: w.id, amount: '1.5', currency: 'ETH' } })),
  );
  if (!transactionA || !transactionB) throw new Error('fixtures');
  const [transferA, transferB] = await Promise.all([walletA, walletB].map((w) => transferFrom(w.id, w.agentId)));
  if (!transferA || !transferB) throw new Error('fixtures');
  const login = { email: `matrix-login-${suffix}@test.chimera`, password: PASSWORD };
  const [trend, auditLogA, securityAuditLog, user, apiKey, alert] = await Promise.all([
    db.trend.create({ data: { topic: `matrix trend ${suffix}`, relevanceScore: '0.9' } }),
    db.auditLog.create({ data: { agentId: agentA.id, action: 'matrix.fixture' } }),
    db.securityAuditLog.create({ data: { action: 'matrix.fixture' } }),
    db.user.create({ data: { email: `matrix-user-${suffix}@test.chimera`, roles: ['analyst'] } }),
    newApiKey(),
    db.securityAlert.create({ data: { kind: 'account_locked', severity: 'low', message: 'matrix fixture' } }),
    t.app.services.users.create({ ...login, roles: ['analyst'] }, null, {}),
  ]);
  return {
    agentA: { ...ref('Agent', agentA.id), name: agentA.name },
    agentB: { ...ref('Agent', agentB.id), name: agentB.name },
    personaA: { ...ref('Persona', personaA.id), name: personaA.name },
    personaB: { ...ref('Persona', personaB.id), name: personaB.name },
    taskA: ref('Task', taskA.id),
    taskB: ref('Task', taskB.id),
    goalA: ref('Goal', goalA!.id),
    goalB: ref('Goal', goalB!.id),
    contentA: ref('Content', contentA.id),
    contentB: ref('Content', contentB.id),
    contentASensitive: ref('Content', contentASensitive.id),
    trend: ref('Trend', trend.id),
    interactionA: ref('Interaction', interactionA.id),
    interactionB: ref('Interaction', interactionB.id),
    walletA: ref('Wallet', walletA.id),
    walletB: ref('Wallet', walletB.id),
    transactionA: ref('Transaction', transactionA.id),
    transactionB: ref('Transaction', transactionB.id),
    transferA: ref('Transfer', transferA.id),
    transferB: ref('Transfer', transferB.id),
    auditLogA: ref('AuditLog', auditLogA.id),
    securityAuditLog: ref('SecurityAuditLog', securityAuditLog.id),
    user: ref('User', user.id),
    apiKey: ref('ApiKey', apiKey.id),
    alert: ref('SecurityAlert', alert.id),
    login,
  };
}

/** A transfer awaiting approval (written directly: the matrix needs no chain). */
function transferFrom(walletId: string, agentId: string | null, requestedByUserId?: string) {
  return t.app.db.transfer.create({
    data: {
      walletId,
      agentId,
      amount: '0.01',
      amountBaseUnits: '10000000000000000',
      currency: 'ETH',
      recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      reason: 'matrix',
      policyCheck: { allowed: true, violations: [] },
      requestedBy: requestedByUserId ? { kind: 'user', id: requestedByUserId } : { kind: 'system', id: 'matrix' },
      requestedByUserId: requestedByUserId ?? null,
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
}

function newApiKey() {
  const prefix = randomBytes(6).toString('hex');
  return t.app.db.apiKey.create({ data: { name: `matrix key ${prefix}`, prefix, secretHash: 'x'.repeat(64) } });
}

function createWorld(variant: Variant): World & { caller(kind: PrincipalKind): Promise<Caller> } {
  const { db, services } = t.app;
  const defaults = new Map<PrincipalKind, Promise<Caller>>();

  const fresh = async (kind: PrincipalKind, opts: IdentityOptions = {}): Promise<Caller> => {
    if (kind === 'anonymous') return { headers: {} };
    const attributes: AccessAttributes = {};
    if (SCOPED.has(kind)) attributes.agentIds = [fx.agentA.id, ...(opts.agentIds ?? [])];
    if (opts.personaIds) attributes.personaIds = opts.personaIds;
    if (opts.boundAgentId) attributes.boundAgentId = opts.boundAgentId;
    if (opts.maxTaskPriority) attributes.maxTaskPriority = opts.maxTaskPriority;
    if (opts.clearance) attributes.clearance = opts.clearance;
    // (no password: these callers never sign in with one, and hashing would only slow the matrix down)
    const user = await db.user.create({
      data: { email: `${kind}-${variant}-${unique()}@matrix.test`, roles: [kind], attributes },
    });
    const admin = kind === 'super_admin';
    // The matrix's super_admin enrolled an authenticator and used it to sign in; the other variants fail the policy.
    if (admin && variant !== 'not-enrolled') {
      await db.user.update({ where: { id: user.id }, data: { mfaEnabledAt: new Date() } });
    }
    const amr = admin && variant === 'password-only' ? ['pwd'] : ['pwd', 'otp'];
    const pair = await services.auth.startSession(user.id, { method: 'password', amr }, {});
    // (a step-up adds its method to amr, so the password-only variant never steps up)
    if (opts.stepUp ?? (admin && variant === 'mfa')) await services.auth.markStepUp(pair.sessionId, 'otp');
    return { headers: { authorization: `Bearer ${pair.accessToken}` }, userId: user.id, sessionId: pair.sessionId };
  };

  const requireUser = (caller: Caller) => {
    if (!caller.userId) throw new Error('a signed-in user is needed');
    return caller.userId;
  };
  const origin = t.app.config.auth.webauthn.origin;

  return {
    get fx() {
      return fx;
    },
    fresh,
    caller(kind) {
      let c = defaults.get(kind);
      if (!c) {
        c = fresh(kind);
        defaults.set(kind, c);
      }
      return c;
    },
    make: {
      unique,
      async agent(opts = {}) {
        const name = `matrix-made-${unique()}`;
        const persona = await db.persona.create({ data: { name: `${name}-persona` } });
        const agent = await db.agent.create({ data: { name, personaId: persona.id, active: opts.active ?? true } });
        return { agent: ref('Agent', agent.id, name), persona: ref('Persona', persona.id, persona.name) };
      },
      task: async (agentId) => ref('Task', (await makeTask(db, agentId)).id),
      async content(agentId) {
        const c = await db.content.create({
          data: { agentId, contentType: 'text', contentData: 'matrix', status: 'draft' },
        });
        return ref('Content', c.id);
      },
      async reviewTask(agentId) {
        const verdict = {
          decision: 'escalate',
          confidence: 0.6,
          categories: ['financial_advice'],
          reasons: ['matrix'],
        };
        const task = await makeTask(db, agentId, { status: 'review', result: { verdict } });
        await db.content.create({
          data: { agentId, taskId: task.id, contentType: 'text', contentData: 'matrix', status: 'draft' },
        });
        return ref('Task', task.id);
      },
      async flaggedContent(agentId) {
        const flag = { status: 'open', raisedAt: new Date().toISOString(), reasons: ['matrix'] };
        const c = await db.content.create({
          data: {
            agentId,
            contentType: 'text',
            contentData: 'matrix',
            status: 'published',
            publishedAt: new Date(),
            metadata: { flag },
          },
        });
        return ref('Content', c.id);
      },
      async user(opts = {}) {
        const u = await db.user.create({
          data: {
            email: `matrix-target-${unique()}@test.chimera`,
            roles: ['analyst'],
            lockedUntil: opts.locked ? new Date(Date.now() + 3_600_000) : null,
          },
        });
        return ref('User', u.id);
      },
      apiKey: async () => ref('ApiKey', (await newApiKey()).id),
      async taskEvent() {
        const taskId = fx.taskA.id;
        const agentId = fx.agentA.id;
        t.app.pubsub.publish(`task:${taskId}`, { id: taskId });
        t.app.pubsub.publish(`agent:${agentId}:tasks`, { id: taskId });
        t.app.pubsub.publish('review:items', { id: taskId });
      },
      async agentStateEvent() {
        services.activity.started({ id: fx.taskA.id, agentId: fx.agentA.id });
      },
      async trendEvent() {
        t.app.pubsub.publish(TREND_DETECTED_TOPIC, { id: fx.trend.id });
      },
      async transfer(wallet, requestedByUserId) {
        const agentId = wallet.id === fx.walletA.id ? fx.agentA.id : fx.agentB.id;
        return ref('Transfer', (await transferFrom(wallet.id, agentId, requestedByUserId)).id);
      },
      async transferEvent() {
        t.app.pubsub.publish(TRANSFER_TOPIC, { id: fx.transferA.id });
      },
      async alert(opts = {}) {
        const input = { kind: 'account_locked' as const, severity: 'low' as const, message: 'matrix' };
        const a = opts.publish ? await services.alerts.raise(input) : await db.securityAlert.create({ data: input });
        return ref('SecurityAlert', a.id);
      },
      refreshToken: async () => {
        const user = await db.user.findUniqueOrThrow({ where: { email: fx.login.email } });
        return (await services.auth.startSession(user.id, { method: 'password', amr: ['pwd'] }, {})).refreshToken;
      },
      oidcLogin: async () => ({ issuer: oidc.issuer, idToken: await oidc.idToken('matrix') }),
      async totp(caller, confirm) {
        const userId = requireUser(caller);
        await db.user.update({ where: { id: userId }, data: { mfaEnabledAt: null, totpSecretEncrypted: null } });
        const { secret } = await services.totp.beginEnrolment(userId);
        const code = (offset: number) => totpAt(secret, new Date(Date.now() + offset * 30_000));
        if (confirm) await services.totp.confirmEnrolment(userId, code(0));
        return code;
      },
      async webauthnRegistration(caller) {
        const key = createSoftAuthenticator({ origin });
        return key.register((await services.webauthn.registrationOptions(requireUser(caller))) as unknown as Json);
      },
      async webauthnKey(caller) {
        const userId = requireUser(caller);
        const key = createSoftAuthenticator({ origin });
        const options = (await services.webauthn.registrationOptions(userId)) as unknown as Json;
        await services.webauthn.verifyRegistration(userId, key.register(options), 'matrix key');
        return {
          assertion: async () => key.assert((await services.webauthn.authenticationOptions(userId)) as unknown as Json),
        };
      },
    },
  };
}

beforeAll(async () => {
  oidc = await startOidcProvider({ accounts: { matrix: { email: 'matrix@oidc.example', email_verified: true } } });
  chain = await startTestChain();
  t = await startTestApp({
    OIDC_ISSUERS: JSON.stringify([{ issuer: oidc.issuer, audience: oidc.clientId, defaultRoles: ['analyst'] }]),
    // A real chain, so that the money mutations a cell allows succeed (no error at all) rather than fail later on.
    BLOCKCHAIN_RPC_URL: chain.url,
    TRANSFER_RECIPIENTS: RECIPIENT_A,
    TRANSFER_DAILY_LIMIT_PER_AGENT: '1000',
  });
  fx = await createShared();
  for (const v of ['mfa', 'not-enrolled', 'password-only'] as const) worlds.set(v, createWorld(v));
  // The shared callers of the matrix, signed in once.
  await Promise.all(PRINCIPALS.map((k) => world().caller(k)));
});

afterAll(async () => {
  await t?.close();
  await oidc?.close();
  await chain?.stop();
});

// ─── Running one case ───────────────────────────────────────────────────────────────────────────────────────

type Result = GraphQLResponse<Record<string, unknown>>;

/**
 * The first result of a subscription over SSE. An allowed one is sent events (row.trigger) until one arrives; a refused
 * one must be refused when it starts, so it is sent none.
 */
async function firstEvent(
  row: OperationRow,
  w: World,
  query: string,
  variables: unknown,
  headers: Record<string, string>,
  sendEvents: boolean,
) {
  const abort = new AbortController();
  const res = await t.app.yoga.fetch('http://chimera.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  if (!res.headers.get('content-type')?.includes('text/event-stream') || !res.body) {
    return (await res.json()) as Result; // refused before the stream opened
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const trigger = sendEvents ? setInterval(() => void row.trigger?.(w).catch(() => undefined), 200) : undefined;
  const deadline = Date.now() + SUBSCRIPTION_TIMEOUT_MS;
  let buffer = '';
  try {
    while (Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()))),
      ]);
      if (!chunk || chunk.done) break;
      const { events, rest } = takeSseEvents(buffer + decoder.decode(chunk.value, { stream: true }));
      buffer = rest;
      for (const { event, data } of events) {
        if (event === 'next' && data) return JSON.parse(data) as Result;
        if (event === 'complete') throw new Error('the subscription completed without a result');
      }
    }
    throw new Error(
      `no subscription result within ${SUBSCRIPTION_TIMEOUT_MS} ms${sendEvents ? '' : ' (a refusal must come when the subscription starts, before any event)'}`,
    );
  } finally {
    clearInterval(trigger);
    abort.abort();
    await reader.cancel().catch(() => undefined);
  }
}

async function exec(
  row: OperationRow | null,
  w: World,
  query: string,
  variables: unknown,
  caller: Caller,
  allow: boolean,
) {
  if (row?.type === 'Subscription') return firstEvent(row, w, query, variables, caller.headers, allow);
  return (await t.gql(query, variables as Record<string, unknown>, caller.headers)) as Result;
}

/** What one probe must see: the shield letting it through (with rows, without) or refusing it with a code. */
type Outcome = { allow: true; rows?: Rows } | { allow: false; code: ShieldCode } | { allow: false; rows: 'EMPTY' };

interface Probe {
  name: string;
  row: OperationRow | null;
  kind: PrincipalKind;
  query: string;
  setup?: Setup;
  outcome: Outcome;
  variables?: Record<string, unknown>;
  /** Known disagreement between the API and the (spec-following) expectation. */
  divergence?: string;
}

const symbol = (o: Outcome) => (o.allow ? '✓' : 'code' in o ? `✗ ${o.code}` : '✗ left out');

function probesOf(
  where: string,
  row: OperationRow | null,
  query: string,
  setup: Setup | undefined,
  kind: PrincipalKind,
  cell: Cell,
): Probe[] {
  const denyCode = (c?: ShieldCode): ShieldCode => (kind === 'anonymous' ? 'UNAUTHENTICATED' : (c ?? 'FORBIDDEN'));
  const probe = (label: string, c: Case | null, outcome: Outcome): Probe => ({
    name: `${where} × ${kind}: ${symbol(outcome)}${label ? ` ${label}` : ''}`,
    row,
    kind,
    query: c?.query ?? query,
    setup: c?.setup ?? setup,
    outcome,
    divergence: c ? c.divergence : row?.divergences?.[kind],
  });
  if (cell === 'allow') return [probe('', null, { allow: true })];
  if (cell === 'deny') return [probe('', null, { allow: false, code: denyCode() })];
  return [
    ...cell.allowed.map((c) =>
      probe(c.label, c, { allow: true, rows: c.expect === 'ROWS' || c.expect === 'EMPTY' ? c.expect : undefined }),
    ),
    ...cell.denied.map((c) =>
      probe(
        c.label,
        c,
        c.expect === 'EMPTY'
          ? { allow: false, rows: 'EMPTY' }
          : { allow: false, code: denyCode(c.expect === 'ROWS' ? undefined : c.expect) },
      ),
    ),
  ];
}

const OPERATION_PROBES = OPERATIONS.flatMap((row) =>
  PRINCIPALS.flatMap((kind) => probesOf(operationKey(row), row, row.query, row.setup, kind, row.cells[kind])),
);
const OBJECT_PROBES = OBJECT_TYPES.flatMap((row) =>
  PRINCIPALS.flatMap((kind) =>
    probesOf(
      `node(${row.type})`,
      null,
      NODE_QUERY,
      (w) => ({ variables: { id: row.pick(w.fx).gid } }),
      kind,
      row.cells[kind],
    ),
  ),
);

/** The rows of the first connection in a result, and its totalCount when selected. */
function connectionOf(res: Result): { edges: number; totalCount?: number } {
  const root = Object.values(res.data ?? {})[0] as { edges?: unknown[]; totalCount?: number } | null | undefined;
  if (!root || !Array.isArray(root.edges)) throw new Error(`no connection in ${JSON.stringify(res.data)}`);
  return { edges: root.edges.length, totalCount: root.totalCount };
}

const shown = (res: Result) => JSON.stringify(res.errors ?? [], null, 1);
const known = (p: Probe) =>
  p.divergence ? ` — KNOWN DIVERGENCE (see divergences in test/auth/matrix.ts): ${p.divergence}` : '';

async function check(p: Probe, w: World, assert: typeof expect) {
  const run = (await p.setup?.(w, p.kind)) ?? {};
  const caller = run.caller ?? (await (w as ReturnType<typeof world>).caller(p.kind));
  const res = await exec(p.row, w, p.query, { ...run.variables, ...p.variables }, caller, p.outcome.allow);
  const codes = (res.errors ?? []).map((e) => e.extensions?.code);
  if (p.outcome.allow || !('code' in p.outcome)) {
    // Allowed with valid input: no error at all (in particular none from the shield).
    assert(res.errors ?? [], `expected no error${known(p)}; got ${shown(res)}`).toEqual([]);
    const rows = p.outcome.rows;
    if (rows) {
      const conn = connectionOf(res);
      if (rows === 'ROWS') assert(conn.edges, 'expected rows').toBeGreaterThan(0);
      else assert(conn, 'expected the rows to be left out').toEqual({ edges: 0, totalCount: conn.totalCount && 0 });
    }
    return res;
  }
  assert(codes.length, `expected ${p.outcome.code}${known(p)}; got data ${JSON.stringify(res.data)}`).toBeGreaterThan(
    0,
  );
  assert([...new Set(codes)], `expected only ${p.outcome.code}, got ${shown(res)}`).toEqual([p.outcome.code]);
  return res;
}

// ─── (a) Coverage ───────────────────────────────────────────────────────────────────────────────────────────

const schemaOperations = () =>
  OPERATION_TYPES.flatMap((type) => {
    const t = schema.getType(type);
    return t && isObjectType(t) ? Object.keys(t.getFields()).map((f) => `${type}.${f}`) : [];
  }).sort();

const nodeTypes = () =>
  Object.values(schema.getTypeMap())
    .filter((t) => isObjectType(t) && t.getInterfaces().some((i) => i.name === 'Node'))
    .map((t) => t.name)
    .sort();

describe('coverage', () => {
  it('the matrix has exactly one row per Query, Mutation and Subscription field of the schema', () => {
    const fields = schemaOperations();
    const rows = OPERATIONS.map(operationKey);
    const missing = fields.filter((f) => !rows.includes(f));
    const extra = rows.filter((r) => !fields.includes(r));
    const duplicated = rows.filter((r, i) => rows.indexOf(r) !== i);
    assertListEmpty(missing, 'fields without a row in test/auth/matrix.ts (add one, and regenerate the docs)');
    assertListEmpty(extra, 'rows in test/auth/matrix.ts for fields the schema no longer has');
    assertListEmpty(duplicated, 'fields with more than one row in test/auth/matrix.ts');
  });

  it('every operation has a rule of its own in OPERATION_RULES (the fallback would deny it to everyone)', () => {
    const ruled = OPERATION_TYPES.flatMap((type) =>
      Object.keys((OPERATION_RULES as Record<string, Record<string, unknown>>)[type] ?? {}).map((f) => `${type}.${f}`),
    );
    assertListEmpty(
      schemaOperations().filter((f) => !ruled.includes(f)),
      'operations missing from OPERATION_RULES in src/graphql/permissions.ts',
    );
  });

  it('every Node type has a TYPE_RULES entry and a row in the object-type matrix', () => {
    const types = nodeTypes();
    assertListEmpty(
      types.filter((t) => !(t in TYPE_RULES)),
      'Node types without a rule in TYPE_RULES (they are denied to everyone)',
    );
    assertListEmpty(
      types.filter((t) => !OBJECT_TYPES.some((r) => r.type === t)),
      'Node types without a row in OBJECT_TYPES (test/auth/matrix.ts)',
    );
    assertListEmpty(
      OBJECT_TYPES.map((r) => r.type).filter((t) => !types.includes(t)),
      'OBJECT_TYPES rows for types that are not Node types',
    );
  });

  it('docs/permissions.md is what scripts/permissions-doc.ts generates from the matrix', () => {
    const current = readFileSync(new URL('../../docs/permissions.md', import.meta.url), 'utf8');
    expect(current, 'docs/permissions.md is stale: run `npx tsx scripts/permissions-doc.ts --write`').toBe(
      renderPermissionsDoc(),
    );
  });
});

function assertListEmpty(list: string[], what: string) {
  expect(list, `${what}: ${list.join(', ')}`).toEqual([]);
}

// ─── (c) Deny by default ────────────────────────────────────────────────────────────────────────────────────

describe('deny by default', () => {
  it('a field the rule tree does not list is refused, even to a stepped-up super_admin', async () => {
    const extended = extendSchema(
      schema,
      parse('extend type Query { unlisted: String } extend type Mutation { unlistedMutation: Boolean }'),
    );
    let ran = false;
    const query = extended.getQueryType()?.getFields().unlisted;
    const mutation = extended.getMutationType()?.getFields().unlistedMutation;
    if (!query || !mutation) throw new Error('extension failed');
    query.resolve = () => 'secret';
    mutation.resolve = () => {
      ran = true;
      return true;
    };
    const shielded = applyMiddleware(extended, permissionsFor(extended));
    const principal = buildPrincipal({
      kind: 'user',
      id: '00000000-0000-4000-8000-000000000000',
      email: null,
      roles: ['super_admin'],
      attributes: {},
      session: { id: 's', amr: ['pwd', 'otp'], stepUpAt: new Date(), expiresAt: new Date(Date.now() + 60_000) },
      mfaEnrolled: true,
    });
    for (const source of ['{ unlisted }', 'mutation { unlistedMutation }']) {
      const res = (await graphql({
        schema: shielded,
        source,
        contextValue: { principal, denials: new Set() },
      })) as ExecutionResult;
      expect(Object.values(res.data ?? {})).toEqual([null]);
      expect(res.errors?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
    }
    expect(ran).toBe(false);
  });
});

// ─── (b) Every cell ─────────────────────────────────────────────────────────────────────────────────────────

describe.concurrent('operations × principals', () => {
  for (const p of OPERATION_PROBES) {
    it(p.name, async ({ expect }) => {
      await check(p, world(), expect);
    });
  }
});

describe.concurrent('object types × principals (node(id:), the type rule alone)', () => {
  for (const p of OBJECT_PROBES) {
    it(p.name, async ({ expect }) => {
      await check(p, world(), expect);
    });
  }
});

// ─── MFA policy and bulk export, across every operation ─────────────────────────────────────────────────────

/** The super_admin cell's representative (its first allowed case). */
function superAdminProbe(row: OperationRow, outcome: Outcome, name: string): Probe {
  const cell = row.cells.super_admin;
  const first = cell === 'allow' || cell === 'deny' ? null : (cell.allowed[0] ?? null);
  return {
    name,
    row,
    kind: 'super_admin',
    query: first?.query ?? row.query,
    setup: first?.setup ?? row.setup,
    outcome,
  };
}

describe.concurrent('MFA policy: a super_admin who has not used MFA may only sign in, enrol and step up', () => {
  for (const variant of ['not-enrolled', 'password-only'] as const) {
    // (the exempt operations once: they make fresh callers, authenticators and ID tokens, the costly part)
    for (const row of OPERATIONS.filter((r) => variant === 'not-enrolled' || !r.mfaExempt)) {
      const outcome: Outcome = row.mfaExempt ? { allow: true } : { allow: false, code: 'MFA_REQUIRED' };
      const name = `${operationKey(row)} × super_admin (${variant}): ${symbol(outcome)}`;
      it(name, async ({ expect }) => {
        await check(superAdminProbe(row, outcome, name), world(variant), expect);
      });
    }
  }
});

describe.concurrent('bulk export: a page above 100 needs data:export (super_admin only)', () => {
  const lists = OPERATIONS.filter((row) => {
    const type = schema.getType(row.type);
    return type && isObjectType(type) && type.getFields()[row.field]?.args.some((a) => a.name === 'first');
  });
  it('every list document pages with $first', () => {
    assertListEmpty(
      lists.filter((row) => !/\$first: Int/.test(row.query)).map(operationKey),
      'list rows whose document does not declare $first',
    );
  });
  for (const row of lists) {
    for (const kind of PRINCIPALS) {
      const cell = row.cells[kind];
      if (cell === 'deny') continue;
      const outcome: Outcome = kind === 'super_admin' ? { allow: true } : { allow: false, code: 'FORBIDDEN' };
      const first = cell === 'allow' ? null : cell.allowed[0];
      const name = `${operationKey(row)}(first: 101) × ${kind}: ${symbol(outcome)}`;
      it(name, async ({ expect }) => {
        const probe: Probe = {
          name,
          row,
          kind,
          query: first?.query ?? row.query,
          setup: first?.setup ?? row.setup,
          outcome,
          variables: { first: 101 },
        };
        await check(probe, world(), expect);
      });
    }
  }
});
