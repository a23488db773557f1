// The spec's "Forbidden Actions", each enforced in code and proven here.
import { isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionsOf, ROLES } from '../../src/domain/auth/roles.js';
import { schema } from '../../src/graphql/schema.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent } from '../helpers/fixtures.js';

let t: TestApp;
let agentA: { id: string; personaId: string | null };
let agentB: { id: string; personaId: string | null };
/** An API key the agent A itself uses (bound to it), with operator rights over it. */
let agentKey: Record<string, string>;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '1000000' });
  agentA = await makeAgent(t.app.db, 'agent-a');
  agentB = await makeAgent(t.app.db, 'agent-b');
  const admin = await t.admin();
  const created = await t.ok<{ createApiKey: { secret: string } }>(
    `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`,
    {
      i: {
        name: 'agent-a runtime',
        roles: ['AGENT_OPERATOR'],
        attributes: { agentIds: [agentA.id], boundAgentId: agentA.id, maxTaskPriority: 'high' },
      },
    },
    admin.headers,
  );
  agentKey = { authorization: `Bearer ${created.createApiKey.secret}` };
});
afterAll(() => t?.close());

describe('agents', () => {
  it('no crypto transfer without CFO approval: only the cfo role holds transaction:approve, not even super_admin', async () => {
    const holders = ROLES.filter((r) => permissionsOf([r]).has('transaction:approve'));
    expect(holders).toEqual(['cfo']);
    // The mutations that touch money: an agent may ask (its transfer then waits for a CFO), never approve.
    const mutations = Object.keys(schema.getMutationType()?.getFields() ?? {});
    expect(mutations.filter((m) => /transfer|send|pay|spend/i.test(m)).sort()).toEqual([
      'approveTransfer',
      'cancelTransfer',
      'rejectTransfer',
      'requestTransfer',
      'setSpendPolicy',
    ]);
    const id = gid('Transfer', '00000000-0000-4000-8000-000000000000');
    for (const op of [
      `mutation { approveTransfer(id: "${id}") { id } }`,
      `mutation { rejectTransfer(id: "${id}", reason: "mine") { id } }`,
      `mutation { setSpendPolicy(walletId: "${gid('Wallet', id)}", policy: { maxPerTransaction: "1", dailyLimit: "1", currencies: ["ETH"], recipients: [] }) { id } }`,
    ]) {
      expect(codes(await t.gql(op, {}, agentKey))).toEqual(['FORBIDDEN']);
    }
    // (test/wallets/ proves the rest: the transfer service checks the role and the step-up again, and the database
    // refuses a transaction for an unapproved transfer.)
  });

  it('no change to security settings: keys, users and signing keys are closed to agents, with an alert', async () => {
    for (const op of [
      'mutation { rotateSigningKey { kid } }',
      'mutation { createApiKey(input: { name: "mine", roles: [SUPER_ADMIN] }) { secret } }',
      'mutation { createUser(input: { email: "x@y.z", roles: [SUPER_ADMIN] }) { id } }',
    ]) {
      expect(codes(await t.gql(op, {}, agentKey))).toEqual(['FORBIDDEN']);
    }
    expect(
      await t.app.db.securityAlert.count({ where: { kind: 'privilege_escalation_attempt' } }),
    ).toBeGreaterThanOrEqual(3);
    expect(await t.app.db.apiKey.count()).toBe(1);
  });

  it("no access to another agent's private data: wallets, drafts, tasks", async () => {
    const wallet = (agentId: string, address: string) =>
      t.app.db.wallet.create({ data: { agentId, address, blockchain: 'base' } });
    const draft = (agentId: string) =>
      t.app.db.content.create({ data: { agentId, contentType: 'text', contentData: 'draft' } });
    const walletA = await wallet(agentA.id, '0x0');
    const walletB = await wallet(agentB.id, '0x1');
    const draftA = await draft(agentA.id);
    const draftB = await draft(agentB.id);
    const wallets = await t.ok<{ wallets: { edges: { node: { id: string } }[] } }>(
      '{ wallets { edges { node { id } } } }',
      {},
      agentKey,
    );
    expect(wallets.wallets.edges.map((e) => e.node.id)).toEqual([gid('Wallet', walletA.id)]);
    const drafts = await t.ok<{ contents: { edges: { node: { id: string } }[] } }>(
      '{ contents(filter: { status: [DRAFT] }) { edges { node { id } } } }',
      {},
      agentKey,
    );
    expect(drafts.contents.edges.map((e) => e.node.id)).toEqual([gid('Content', draftA.id)]);
    // Asking for B's objects directly, or through node(id:), is refused.
    expect(
      codes(
        await t.gql(
          'query ($id: ID!) { content(id: $id) { contentData } }',
          { id: gid('Content', draftB.id) },
          agentKey,
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    const viaNode = await t.gql(
      'query ($id: ID!) { node(id: $id) { ... on Wallet { address } } }',
      { id: gid('Wallet', walletB.id) },
      agentKey,
    );
    expect(codes(viaNode)).toContain('FORBIDDEN');
    expect(JSON.stringify(viaNode.data)).not.toContain('0x1');
    // Filtering explicitly for agent B yields nothing.
    const tasksOfB = await t.ok<{ tasks: { totalCount: number } }>(
      'query ($a: ID!) { tasks(filter: { agentId: $a }) { totalCount } }',
      { a: gid('Agent', agentB.id) },
      agentKey,
    );
    expect(tasksOfB.tasks.totalCount).toBe(0);
  });

  it('no self-modification of core directives: an agent cannot change its own persona', async () => {
    const own = await t.gql(
      'mutation ($id: ID!) { updatePersona(id: $id, input: { directives: [] }) { id } }',
      { id: gid('Persona', agentA.personaId as string) },
      agentKey,
    );
    expect(codes(own)).toEqual(['FORBIDDEN']);
    expect(own.errors?.[0]?.message).toMatch(/own persona/);
    const persona = await t.app.db.persona.findUniqueOrThrow({ where: { id: agentA.personaId as string } });
    expect(persona.directives).toBeNull();
    // The same key may still do its ordinary work on its agent.
    const task = await t.gql(
      'mutation ($a: ID!) { createTask(input: { agentId: $a, taskType: GENERATE_CONTENT, context: { goalDescription: "g" } }) { id } }',
      { a: gid('Agent', agentA.id) },
      agentKey,
    );
    expect(codes(task)).toEqual([]);
  });

  it('no path around moderation: content cannot skip review, and only reviewers approve', async () => {
    const draft = await t.app.db.content.create({
      data: { agentId: agentA.id, contentType: 'text', contentData: 'hi' },
    });
    const set = 'mutation ($id: ID!, $s: ContentStatus!) { setContentStatus(id: $id, status: $s) { status } }';
    expect(codes(await t.gql(set, { id: gid('Content', draft.id), s: 'APPROVED' }, agentKey))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql(set, { id: gid('Content', draft.id), s: 'PUBLISHED' }, agentKey))).toEqual(['FORBIDDEN']);
    const reviewer = await t.signIn(['content_reviewer']);
    expect(codes(await t.gql(set, { id: gid('Content', draft.id), s: 'PUBLISHED' }, reviewer.headers))).toEqual([
      'CONFLICT',
    ]);
    expect((await t.app.db.content.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe('draft');
  });
});

describe('users', () => {
  it('no bulk export without data:export: pages over 100 are refused to everyone else', async () => {
    const analyst = await t.signIn(['analyst']);
    const big = '{ trends(first: 500) { totalCount } }';
    expect(codes(await t.gql(big, {}, analyst.headers))).toEqual(['FORBIDDEN']);
    expect(codes(await t.gql('{ trends(first: 100) { totalCount } }', {}, analyst.headers))).toEqual([]);
    expect(codes(await t.gql(big))).toEqual([]); // super_admin holds data:export
  });

  it('audit logs cannot be modified through the API (and the database refuses it anyway)', () => {
    const mutations = Object.keys(schema.getMutationType()?.getFields() ?? {});
    expect(mutations.filter((m) => /audit/i.test(m))).toEqual([]);
  });

  it('no encryption key, private key or password hash is reachable through the schema', () => {
    const exposed: string[] = [];
    // Object types carry data; the root types' fields are operations (rotateSigningKey returns only a key id).
    const roots = ['Query', 'Mutation', 'Subscription'];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__') || roots.includes(type.name)) continue;
      for (const field of Object.keys(type.getFields())) {
        if (/private|passwordhash|password|encrypt|secretkey|signingkey|totpsecret|publickey/i.test(field)) {
          exposed.push(`${type.name}.${field}`);
        }
      }
    }
    expect(exposed).toEqual([]);
  });

  it('rate limits cannot be bypassed by switching tokens of the same user', async () => {
    const limited = await startTestApp({ RATE_LIMIT_PER_MINUTE: '4' });
    try {
      const user = await limited.app.services.users.create(
        { email: 'busy@test.chimera', password: 'correct horse battery staple', roles: ['analyst'] },
        null,
        {},
      );
      const sessions: Identity['headers'][] = [];
      for (let i = 0; i < 2; i++) {
        const pair = await limited.app.services.auth.startSession(user.id, { method: 'password', amr: ['pwd'] }, {});
        sessions.push({ authorization: `Bearer ${pair.accessToken}` });
      }
      const results: unknown[][] = [];
      for (let i = 0; i < 6; i++) results.push(codes(await limited.gql('{ me { id } }', {}, sessions[i % 2])));
      expect(results).toEqual([[], [], [], [], ['RATE_LIMITED'], ['RATE_LIMITED']]);
      const limitedResponse = await limited.gql('{ me { id } }', {}, sessions[0]);
      expect(limitedResponse.status).toBe(429);
      expect(Number(limitedResponse.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another user is unaffected.
      const other = await limited.signIn(['analyst']);
      expect(codes(await limited.gql('{ me { id } }', {}, other.headers))).toEqual([]);
    } finally {
      await limited.close();
    }
  });
});
