// The read side: trends, interactions, wallets and transactions, audit trails, and node(id:) for every type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, startTestApp, type TestApp } from '../helpers/app.js';
import { gid, makeAgent, makeTask } from '../helpers/fixtures.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

type Conn<N> = { totalCount: number; edges: { node: N }[] };

describe('trends', () => {
  it('shows active, unexpired trends by minimum relevance, most relevant first', async () => {
    const hour = 3_600_000;
    const now = Date.now();
    await t.app.db.trend.createMany({
      data: [
        { topic: 'Solar sails', relevanceScore: 0.91, expiresAt: new Date(now + hour) },
        { topic: 'Tide power', relevanceScore: 0.55 },
        { topic: 'Old news', relevanceScore: 0.99, expiresAt: new Date(now - hour) },
        { topic: 'Switched off', relevanceScore: 0.95, active: false },
        { topic: 'Unscored', relevanceScore: null },
      ],
    });
    const q = `query ($f: TrendFilter, $o: TrendOrder) { trends(filter: $f, orderBy: $o) { totalCount edges { node { topic relevanceScore active } } } }`;
    const topics = async (f?: Record<string, unknown>, o?: string) =>
      (await t.ok<{ trends: Conn<{ topic: string }> }>(q, { f, o })).trends.edges.map((e) => e.node.topic);

    expect(await topics()).toEqual(['Solar sails', 'Tide power', 'Unscored']);
    expect(await topics({ minRelevance: 0.6 })).toEqual(['Solar sails']);
    expect(await topics({ active: false })).toEqual(['Old news', 'Switched off']);
    expect((await topics({ active: null })).length).toBe(5);
    expect(await topics({ topicContains: 'TIDE' })).toEqual(['Tide power']);
    const bad = await t.gql(q, { f: { minRelevance: 2 } });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors?.[0]?.message).toMatch(/filter\.minRelevance: must be between 0 and 1/);
  });
});

describe('interactions', () => {
  it('filters by content, platform and type', async () => {
    const agent = await makeAgent(t.app.db, 'poster');
    const [c1, c2] = await Promise.all([
      t.app.db.content.create({
        data: { agentId: agent.id, contentType: 'text', contentData: 'a', status: 'published' },
      }),
      t.app.db.content.create({
        data: { agentId: agent.id, contentType: 'text', contentData: 'b', status: 'published' },
      }),
    ]);
    await t.app.db.interaction.createMany({
      data: [
        { contentId: c1.id, platform: 'sandbox', interactionType: 'like' },
        { contentId: c1.id, platform: 'sandbox', interactionType: 'comment', data: { text: 'nice' } },
        { contentId: c1.id, platform: 'mastodon', interactionType: 'share' },
        { contentId: c2.id, platform: 'sandbox', interactionType: 'view' },
      ],
    });
    const q = `query ($f: InteractionFilter) { interactions(filter: $f) { totalCount edges { node { platform interactionType content { id } } } } }`;
    const run = async (f: Record<string, unknown>) =>
      (await t.ok<{ interactions: Conn<unknown> }>(q, { f })).interactions.totalCount;
    expect(await run({ contentId: gid('Content', c1.id) })).toBe(3);
    expect(await run({ contentId: gid('Content', c1.id), platform: ['sandbox'] })).toBe(2);
    expect(await run({ platform: ['sandbox'], interactionType: ['VIEW', 'LIKE'] })).toBe(2);
    const nested = await t.ok<{ content: { interactions: Conn<{ interactionType: string }> } }>(
      `query ($id: ID!) { content(id: $id) { interactions(first: 2) { totalCount edges { node { interactionType } } } } }`,
      { id: gid('Content', c1.id) },
    );
    expect(nested.content.interactions.totalCount).toBe(3);
    expect(nested.content.interactions.edges).toHaveLength(2);
  });
});

describe('wallets and transactions', () => {
  it('lists wallets by agent and transactions by wallet and status, amounts as exact decimals', async () => {
    const agent = await makeAgent(t.app.db, 'spender');
    const wallet = await t.app.db.wallet.create({
      data: { agentId: agent.id, address: '0xabc', blockchain: 'ethereum' },
    });
    await t.app.db.transaction.createMany({
      data: [
        { walletId: wallet.id, amount: '0.12345678', currency: 'ETH', status: 'confirmed', transactionHash: '0x1' },
        { walletId: wallet.id, amount: '123456789012.5', currency: 'USDC' },
      ],
    });
    const w = await t.ok<{
      wallets: Conn<{ address: string; transactions: Conn<{ amount: string; status: string }> }>;
    }>(
      `query ($a: ID!) { wallets(filter: { agentId: $a }) { totalCount edges { node { address transactions { totalCount edges { node { amount status } } } } } } }`,
      { a: gid('Agent', agent.id) },
    );
    expect(w.wallets.totalCount).toBe(1);
    const txs = w.wallets.edges[0]?.node.transactions;
    expect(txs?.totalCount).toBe(2);
    expect(txs?.edges.map((e) => e.node.amount).sort()).toEqual(['0.12345678', '123456789012.5']);
    const pending = await t.ok<{ transactions: Conn<{ currency: string; status: string }> }>(
      `query ($w: ID!) { transactions(filter: { walletId: $w, status: [PENDING] }) { totalCount edges { node { currency status } } } }`,
      { w: gid('Wallet', wallet.id) },
    );
    expect(pending.transactions.edges.map((e) => e.node)).toEqual([{ currency: 'USDC', status: 'PENDING' }]);
  });
});

describe('audit trails', () => {
  it('filters audit logs by agent, action and time range, newest first', async () => {
    const agent = await makeAgent(t.app.db, 'audited');
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
    await t.app.db.auditLog.createMany({
      data: [
        { agentId: agent.id, action: 'task.created', createdAt: at(0) },
        { agentId: agent.id, action: 'content.approved', createdAt: at(1) },
        { agentId: agent.id, action: 'task.created', createdAt: at(2) },
        { agentId: null, action: 'task.created', createdAt: at(3) },
      ],
    });
    const q = `query ($f: AuditLogFilter) { auditLogs(filter: $f) { totalCount edges { node { action createdAt agent { name } } } } }`;
    const run = async (f: Record<string, unknown>) =>
      (await t.ok<{ auditLogs: Conn<{ action: string; createdAt: string }> }>(q, { f })).auditLogs;
    const a = gid('Agent', agent.id);
    expect((await run({ agentId: a })).totalCount).toBe(3);
    const created = await run({ agentId: a, action: ['task.created'] });
    expect(created.edges.map((e) => e.node.createdAt)).toEqual([at(2).toISOString(), at(0).toISOString()]);
    expect(
      (await run({ agentId: a, createdAfter: at(1).toISOString(), createdBefore: at(2).toISOString() })).totalCount,
    ).toBe(1);
  });

  it('filters the security audit log by user, risk and outcome', async () => {
    const user = '66666666-6666-4666-8666-666666666666';
    await t.app.db.securityAuditLog.createMany({
      data: [
        { userId: user, action: 'auth.login', success: true, riskScore: 1, ipAddress: '127.0.0.1' },
        { userId: user, action: 'auth.login', success: false, riskScore: 6, ipAddress: '::1' },
        { action: 'auth.login', success: false, riskScore: 9 },
      ],
    });
    const q = `query ($f: SecurityAuditLogFilter) { securityAuditLogs(filter: $f) { totalCount edges { node { action riskScore ipAddress success } } } }`;
    const run = async (f: Record<string, unknown>) =>
      (await t.ok<{ securityAuditLogs: Conn<{ riskScore: number; ipAddress: string | null }> }>(q, { f }))
        .securityAuditLogs;
    expect((await run({ userId: user })).totalCount).toBe(2);
    expect((await run({ minRiskScore: 5, success: false })).totalCount).toBe(2);
    expect((await run({ userId: user, success: true })).edges[0]?.node.ipAddress).toBe('127.0.0.1');
  });
});

describe('node(id:) and nodes(ids:)', () => {
  it('resolves every entity type by global id, and null for unknown ids', async () => {
    const agent = await makeAgent(t.app.db, 'noded');
    const task = await makeTask(t.app.db, agent.id);
    const content = await t.app.db.content.create({
      data: { agentId: agent.id, taskId: task.id, contentType: 'text', contentData: 'x' },
    });
    const trend = await t.app.db.trend.create({ data: { topic: 'node trend' } });
    const interaction = await t.app.db.interaction.create({
      data: { contentId: content.id, platform: 'p', interactionType: 'like' },
    });
    const wallet = await t.app.db.wallet.create({ data: { agentId: agent.id, address: '0xdef', blockchain: 'base' } });
    const tx = await t.app.db.transaction.create({ data: { walletId: wallet.id, amount: '1', currency: 'ETH' } });
    const audit = await t.app.db.auditLog.create({ data: { agentId: agent.id, action: 'x' } });
    const sec = await t.app.db.securityAuditLog.create({ data: { action: 'y' } });
    const ids = [
      gid('Persona', agent.personaId as string),
      gid('Agent', agent.id),
      gid('Task', task.id),
      gid('Content', content.id),
      gid('Trend', trend.id),
      gid('Interaction', interaction.id),
      gid('Wallet', wallet.id),
      gid('Transaction', tx.id),
      gid('AuditLog', audit.id),
      gid('SecurityAuditLog', sec.id),
    ];
    const data = await t.ok<{ nodes: ({ id: string; __typename: string } | null)[] }>(
      `query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`,
      { ids: [...ids, gid('Agent', '77777777-7777-4777-8777-777777777777')] },
    );
    expect(data.nodes.map((n) => n?.id ?? null)).toEqual([...ids, null]);
    expect(data.nodes.map((n) => n?.__typename ?? null)).toEqual([
      'Persona',
      'Agent',
      'Task',
      'Content',
      'Trend',
      'Interaction',
      'Wallet',
      'Transaction',
      'AuditLog',
      'SecurityAuditLog',
      null,
    ]);
    const one = await t.ok<{ node: { name: string } }>(`query ($id: ID!) { node(id: $id) { ... on Agent { name } } }`, {
      id: gid('Agent', agent.id),
    });
    expect(one.node.name).toBe('noded');
  });

  it('rejects an id that is not a Chimera global id', async () => {
    expect(codes(await t.gql(`{ node(id: "%%%") { id } }`))).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(
        await t.gql(`query ($id: ID!) { agent(id: $id) { id } }`, {
          id: gid('Task', '88888888-8888-4888-8888-888888888888'),
        }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
  });
});
