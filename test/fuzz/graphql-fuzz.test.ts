// The schema-aware GraphQL fuzzer: documents generated from the running API's own schema (test/fuzz/lib/generate.ts),
// valid and invalid, each sent as every kind of principal of the permission matrix (anonymous and every role), one
// request at a time through the API's real fetch handler. For every response (test/fuzz/lib/oracle.ts): never a 5xx,
// every error coded, no table changed by a rejected request or a read, and no object the caller's role may not see.
// Quick by default (CI); CHIMERA_FUZZ=full for many thousands. CHIMERA_FUZZ_SEED replays a run; CHIMERA_FUZZ_CASE=n
// sends only case n of that run. docs/testing.md ("Fuzzing") explains it.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessAttributes, readAttributes } from '../../src/domain/auth/principal.js';
import type { Role } from '../../src/domain/auth/roles.js';
import { schema } from '../../src/graphql/schema.js';
import { PRINCIPALS, type PrincipalKind } from '../auth/matrix.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { DocumentGenerator, type FuzzCase, type IdPool, Rng } from './lib/generate.js';
import { FULL, SEED } from './lib/mode.js';
import {
  type Checksums,
  changedTables,
  errorProblems,
  type GraphQLBody,
  isRejected,
  leaks,
  openChecksummer,
  rootKeysOf,
  type Scope,
  short,
  typedObjects,
} from './lib/oracle.js';

/** Distinct documents; each is sent once per principal kind (7), so quick mode sends 1,400 requests. */
const DOCUMENTS = Number(process.env.CHIMERA_FUZZ_DOCUMENTS ?? (FULL ? 3_000 : 200));
const ONLY_CASE = process.env.CHIMERA_FUZZ_CASE === undefined ? null : Number(process.env.CHIMERA_FUZZ_CASE);
/**
 * Quick mode also stops sending after this long (the documents come in the same order, so a slow machine sends a
 * prefix of the same run): CI must finish in under 90 s even on a busy machine.
 */
const BUDGET_MS = Number(process.env.CHIMERA_FUZZ_BUDGET_MS ?? (FULL ? 3_000_000 : 50_000));
const TIMEOUT_MS = FULL ? 3_600_000 : 150_000;
/** The protection under test stays on, at the defaults: depth 12, 30 aliases, cost 20,000, batches of 10. */
const LIMITS = { maxDepth: 12, maxAliases: 30, batchLimit: 10 };
const MAX_FAILURES = 25;

/** The type of each fixture row `rows()` makes. */
const ROW_TYPES = {
  task: 'Task',
  goal: 'Goal',
  content: 'Content',
  interaction: 'Interaction',
  wallet: 'Wallet',
  transaction: 'Transaction',
  transfer: 'Transfer',
  audit: 'AuditLog',
} as const;

let t: TestApp;
let callers: Record<PrincipalKind, { headers: Record<string, string>; userId: string | null }>;
let pool: IdPool;
let scope: Scope;

beforeAll(async () => {
  t = await startTestApp({
    // A chain that is not there: transfers answer CHAIN_UNAVAILABLE at once instead of starting a development chain.
    BLOCKCHAIN_RPC_URL: 'http://127.0.0.1:9/',
    CHAIN_EMBEDDED: 'false',
  });
  const db = t.app.db;
  const g = (type: string, id: string) => encodeGlobalID(type, id);
  const [personaA, personaB] = await Promise.all(
    ['A', 'B'].map((x) =>
      db.persona.create({ data: { name: `fuzz-persona-${x}`, voiceTone: { descriptors: ['dry'] } } }),
    ),
  );
  if (!personaA || !personaB) throw new Error('fixtures');
  const agentA = await db.agent.create({ data: { name: 'fuzz-agent-A', personaId: personaA.id } });
  const agentB = await db.agent.create({ data: { name: 'fuzz-agent-B', personaId: personaB.id } });
  const rows = async (agentId: string, n: number) => {
    const task = await db.task.create({
      data: { agentId, taskType: 'generate_content', priority: 'medium', context: { goal_description: `g${n}` } },
    });
    const goal = await db.goal.create({ data: { agentId, description: `fuzz goal ${n}` } });
    const content = await db.content.create({
      data: { agentId, taskId: task.id, contentType: 'text', contentData: `fuzz ${n}`, status: 'draft' },
    });
    const interaction = await db.interaction.create({
      data: { contentId: content.id, platform: 'sandbox', interactionType: 'like' },
    });
    const wallet = await db.wallet.create({
      data: { agentId, address: `0x${String(n).repeat(40).slice(0, 40)}`, blockchain: 'eip155:31337' },
    });
    const transaction = await db.transaction.create({ data: { walletId: wallet.id, amount: '1.5', currency: 'ETH' } });
    const transfer = await db.transfer.create({
      data: {
        walletId: wallet.id,
        agentId,
        amount: '0.01',
        amountBaseUnits: '10000000000000000',
        currency: 'ETH',
        recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        reason: 'fuzz',
        policyCheck: { allowed: true, violations: [] },
        requestedBy: { kind: 'system', id: 'fuzz' },
        expiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    const audit = await db.auditLog.create({ data: { agentId, action: 'fuzz.fixture' } });
    return { task, goal, content, interaction, wallet, transaction, transfer, audit };
  };
  const a = await rows(agentA.id, 1);
  const b = await rows(agentB.id, 2);
  const sensitive = await db.content.create({
    data: {
      agentId: agentA.id,
      contentType: 'image',
      contentData: 'https://x.test/a.png',
      metadata: { sensitivity: 'sensitive' },
    },
  });
  const trend = await db.trend.create({ data: { topic: 'fuzz trend', relevanceScore: '0.9' } });
  const securityLog = await db.securityAuditLog.create({ data: { action: 'fuzz.fixture' } });
  const user = await db.user.create({ data: { email: 'fuzz-fixture-user@test.chimera', roles: ['analyst'] } });
  const apiKey = await db.apiKey.create({
    data: { name: 'fuzz key', prefix: 'fuzzprefix01', secretHash: 'x'.repeat(64) },
  });
  const alert = await db.securityAlert.create({ data: { kind: 'account_locked', severity: 'low', message: 'fuzz' } });

  const of = (type: string, ...ids: string[]) => ids.map((id) => g(type, id));
  pool = {
    Persona: of('Persona', personaA.id, personaB.id),
    Agent: of('Agent', agentA.id, agentB.id),
    Task: of('Task', a.task.id, b.task.id),
    Goal: of('Goal', a.goal.id, b.goal.id),
    Content: of('Content', a.content.id, b.content.id, sensitive.id),
    Interaction: of('Interaction', a.interaction.id, b.interaction.id),
    Wallet: of('Wallet', a.wallet.id, b.wallet.id),
    Transaction: of('Transaction', a.transaction.id, b.transaction.id),
    Transfer: of('Transfer', a.transfer.id, b.transfer.id),
    AuditLog: of('AuditLog', a.audit.id, b.audit.id),
    Trend: of('Trend', trend.id),
    SecurityAuditLog: of('SecurityAuditLog', securityLog.id),
    User: of('User', user.id),
    ApiKey: of('ApiKey', apiKey.id),
    SecurityAlert: of('SecurityAlert', alert.id),
  };
  scope = {
    agents: new Set([g('Agent', agentA.id)]),
    personas: new Set([g('Persona', personaA.id)]),
    otherAgentsRows: new Set([
      g('Agent', agentB.id),
      g('Persona', personaB.id),
      ...(Object.entries(ROW_TYPES) as [keyof typeof b, string][]).map(([k, type]) => g(type, b[k].id)),
    ]),
    sensitiveContent: new Set([g('Content', sensitive.id)]),
  };

  // The matrix's principals: the scoped roles assigned to agent A, super_admin with MFA and a fresh step-up.
  const scoped: AccessAttributes = { agentIds: [agentA.id] };
  const entries = await Promise.all(
    PRINCIPALS.map(
      async (kind): Promise<[PrincipalKind, { headers: Record<string, string>; userId: string | null }]> => {
        if (kind === 'anonymous') return [kind, { headers: {}, userId: null }];
        const role = kind as Role;
        const attributes = role === 'agent_operator' || role === 'api_user' ? scoped : {};
        const id = await t.signIn([role], { attributes, stepUp: role === 'super_admin' });
        return [kind, { headers: id.headers, userId: id.userId }];
      },
    ),
  );
  callers = Object.fromEntries(entries) as typeof callers;
}, 120_000);
afterAll(() => t?.close());

/** The fixture scope, with the agents and personas the caller is assigned now (its own creations included). */
async function currentScope(userId: string | null): Promise<Scope> {
  if (userId === null) return scope;
  const user = await t.app.db.user.findUniqueOrThrow({ where: { id: userId } });
  const attributes = readAttributes(user.attributes);
  const agentIds = attributes.agentIds ?? [];
  const agents = await t.app.db.agent.findMany({ where: { id: { in: agentIds } }, select: { personaId: true } });
  const personaIds = [...(attributes.personaIds ?? []), ...agents.flatMap((a) => (a.personaId ? [a.personaId] : []))];
  return {
    ...scope,
    agents: new Set(agentIds.map((id) => encodeGlobalID('Agent', id))),
    personas: new Set(personaIds.map((id) => encodeGlobalID('Persona', id))),
  };
}

interface Sent {
  status: number;
  contentType: string;
  text: string;
}

async function send(c: FuzzCase, headers: Record<string, string>): Promise<Sent> {
  const { method, body, contentType, query } = c.request;
  const res = await t.app.yoga.fetch(`http://chimera.test/graphql${query ? `?${query}` : ''}`, {
    method,
    headers: { 'content-type': contentType, accept: 'application/graphql-response+json, application/json', ...headers },
    body: method === 'GET' ? undefined : body,
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

function parseBody(sent: Sent): GraphQLBody | GraphQLBody[] | null {
  if (!sent.contentType.includes('json')) return null;
  try {
    return JSON.parse(sent.text) as GraphQLBody | GraphQLBody[];
  } catch {
    return null;
  }
}

describe('GraphQL fuzzer', () => {
  it(
    `${DOCUMENTS} generated documents × ${PRINCIPALS.length} principals: no 5xx, every error coded, rejected requests change nothing, no leaks (seed ${SEED})`,
    async () => {
      const gen = new DocumentGenerator(schema, new Rng(SEED), pool, LIMITS);
      const sums = await openChecksummer(t.database.url);
      const failures: string[] = [];
      const tally = new Map<string, number>();
      const started = Date.now();
      let requests = 0;
      let checksumMs = 0;
      /** Objects of a matrix type the leak check judged, per principal. */
      const judged = new Map<PrincipalKind, number>();
      const slowest: { ms: number; what: string }[] = [];
      try {
        let baseline: Checksums = await sums.take();
        for (let i = 0; i < DOCUMENTS && failures.length < MAX_FAILURES; i++) {
          if (Date.now() - started > BUDGET_MS) {
            console.log(`graphql fuzz: time budget of ${BUDGET_MS} ms used up after ${i} documents`);
            break;
          }
          const c = gen.next();
          if (ONLY_CASE !== null && i !== ONLY_CASE) continue;
          for (const kind of PRINCIPALS) {
            requests++;
            const fail = (what: string) =>
              failures.push(
                `case ${i} (${c.kind}, ${c.fields.join(',')}) as ${kind}: ${what}\n  request: ${short(c.request.body, 600)}${c.request.query ? `\n  query string: ${c.request.query}` : ''}`,
              );
            let sent: Sent;
            const sentAt = Date.now();
            try {
              sent = await send(c, callers[kind].headers);
              slowest.push({
                ms: Date.now() - sentAt,
                what: `case ${i} ${c.kind} ${c.fields.join(',')} as ${kind} → ${sent.status}`,
              });
            } catch (err) {
              fail(`the handler threw ${err instanceof Error ? err.stack : String(err)}`);
              continue;
            }
            const key = `${c.kind}:${sent.status}`;
            tally.set(key, (tally.get(key) ?? 0) + 1);
            if (sent.status >= 500) fail(`HTTP ${sent.status}: ${short(sent.text)}`);
            const parsed = parseBody(sent);
            if (parsed === null) {
              // Not GraphQL JSON: acceptable only as a refusal at the HTTP level.
              if (sent.status < 400)
                fail(`HTTP ${sent.status} with a body that is not GraphQL JSON: ${short(sent.text)}`);
              continue;
            }
            const bodies = Array.isArray(parsed) ? parsed : [parsed];
            for (const body of bodies) {
              for (const p of errorProblems(body)) fail(p);
              let found = leaks(body.data, kind, scope);
              // A scoped caller is assigned what it creates (src/graphql/access.ts assigneeOf): judge again against
              // its assignments as they are now.
              if (found.length) found = leaks(body.data, kind, await currentScope(callers[kind].userId));
              for (const l of found) fail(l);
              judged.set(kind, (judged.get(kind) ?? 0) + typedObjects(body.data));
            }
            const sumAt = Date.now();
            const after = await sums.take();
            checksumMs += Date.now() - sumAt;
            const changed = changedTables(baseline, after);
            const refusedOrRead = !c.mutation || bodies.every((b) => isRejected(b, rootKeysOf(c.request.body)));
            if (changed.length && refusedOrRead) {
              fail(
                `${c.mutation ? 'a rejected mutation' : 'a read'} changed ${changed.join(', ')}: ${short(bodies.map((b) => b.errors ?? b.data))}`,
              );
            }
            baseline = after;
          }
        }
        // The API still answers after everything it was sent.
        const health = await send(
          {
            kind: 'valid',
            mutation: false,
            fields: [],
            request: { method: 'POST', contentType: 'application/json', body: '{"query":"{ __typename }"}' },
          },
          {},
        );
        expect(health.status).toBe(200);
      } finally {
        await sums.close();
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const summary = [...tally.entries()]
          .sort()
          .map(([k, n]) => `${k}=${n}`)
          .join(' ');
        const slow = slowest
          .sort((x, y) => y.ms - x.ms)
          .slice(0, 8)
          .map((s) => `${s.ms}ms ${s.what}`);
        console.log(
          `graphql fuzz: seed ${SEED}, ${requests} requests in ${seconds}s (${FULL ? 'full' : 'quick'}), checksums ${checksumMs}ms; ${summary}\n  objects judged for leaks: ${[...judged].map(([k, n]) => `${k}=${n}`).join(' ')}\n  slowest: ${slow.join('\n           ')}`,
        );
      }
      expect(
        failures,
        `The fuzzer found problems (seed ${SEED}; reproduce with CHIMERA_FUZZ_SEED=${SEED} [CHIMERA_FUZZ_CASE=<case>] npx vitest run test/fuzz/graphql-fuzz.test.ts)`,
      ).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
