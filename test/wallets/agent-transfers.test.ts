// Transfers asked for by the swarm and by MCP clients: an operator's goal becomes an execute_transaction task, whose
// Worker asks for the transfer; the Judge sends it to a CFO (not to the content reviewers' queue); nothing reaches
// the chain until a CFO approves it, and then the task completes. Every path that could approve it without a CFO —
// the review mutations, the review MCP tool, task cancellation after approval — is refused.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { RECIPIENT_A, RECIPIENT_B, startTestChain, type TestChain } from '../helpers/chain.js';
import { gid, makeAgent, uuidOf } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { eventually } from '../helpers/ws-client.js';

let chain: TestChain;
let t: TestApp;
let swarm: Swarm;
let url: string;
let agentId: string;
let wallet: { id: string; address: string };
let operator: Identity;
let reviewer: Identity;
let cfo: Identity;
const clients: Client[] = [];

const SUBMIT = 'mutation($input: SubmitGoalInput!) { submitGoal(input: $input) { id } }';
const GOAL = `query($id: ID!) { goal(id: $id) { status tasks { id taskType status error { code message } } } }`;
const APPROVE_TRANSFER = 'mutation($id: ID!) { approveTransfer(id: $id) { status } }';

type Goal = {
  status: string;
  tasks: { id: string; taskType: string; status: string; error: { code: string } | null }[];
};

async function submit(goalDescription: string): Promise<string> {
  const { submitGoal } = await t.ok<{ submitGoal: { id: string } }>(
    SUBMIT,
    { input: { agentId: gid('Agent', agentId), goalDescription } },
    operator.headers,
  );
  return submitGoal.id;
}

const goal = async (id: string) => (await t.ok<{ goal: Goal }>(GOAL, { id }, operator.headers)).goal;

const transferTask = async (goalId: string, status: string) =>
  eventually(
    async () => {
      const g = await goal(goalId);
      const task = g.tasks.find((x) => x.taskType === 'EXECUTE_TRANSACTION');
      return task?.status === status ? task : null;
    },
    30_000,
    `the transfer task to be ${status}`,
  );

async function mcp(headers: Record<string, string>) {
  const client = new Client({ name: 'test-host', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  clients.push(client);
  return client;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  const r = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    structuredContent?: Record<string, unknown>;
    content: { text: string }[];
  };
  const errors = r.isError
    ? (JSON.parse(r.content[0]?.text ?? '{}') as { errors: { code: string; message: string }[] }).errors
    : [];
  return { ...r, errors };
}

beforeAll(async () => {
  chain = await startTestChain();
  t = await startTestApp({
    BLOCKCHAIN_RPC_URL: chain.url,
    CHAIN_POLL_INTERVAL_MS: '100',
    TRANSFER_RECIPIENTS: RECIPIENT_A,
    TRANSFER_MAX_PER_TRANSACTION: '0.5',
  });
  url = await t.app.listen();
  swarm = startTestSwarm(t);
  const agent = await makeAgent(t.app.db, 'spender');
  agentId = agent.id;
  operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agentId], maxTaskPriority: 'high' } });
  reviewer = await t.signIn(['content_reviewer']);
  cfo = await t.signIn(['cfo'], { stepUp: true });
  wallet = await t.app.services.wallets.createWallet(agentId, { kind: 'system', id: 'test' });
  await chain.fund(wallet.address, '2');
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await swarm?.close();
  await t?.close();
  await chain?.stop();
});

describe('an execute_transaction task', () => {
  it('asks for its transfer, waits for a CFO (not a content reviewer), and completes once it is confirmed', async () => {
    const before = await chain.balance(RECIPIENT_A);
    const goalId = await submit(`Pay 0.05 ETH to ${RECIPIENT_A} for the logo design`);
    const task = await transferTask(goalId, 'REVIEW');
    const transfer = await eventually(
      () => t.app.db.transfer.findUnique({ where: { taskId: uuidOf(task.id) } }),
      10_000,
      'the task’s transfer',
    );
    expect(transfer).toMatchObject({ status: 'awaiting_approval', currency: 'ETH', recipient: RECIPIENT_A });
    expect(transfer.amount.toFixed()).toBe('0.05');
    expect(transfer.requestedBy).toMatchObject({ kind: 'system', id: 'swarm-worker' });

    // Not in the content reviewers' queue, and no review decision can touch it.
    const queue = await t.ok<{ reviewItems: { edges: { node: { taskId: string } }[] } }>(
      '{ reviewItems(first: 50) { edges { node { taskId } } } }',
      {},
      reviewer.headers,
    );
    expect(queue.reviewItems.edges.map((e) => e.node.taskId)).not.toContain(task.id);
    for (const [mutation, extra] of [
      ['approveReview', ''],
      ['rejectReview', ', reason: "no"'],
      ['requestChanges', ', notes: "cheaper"'],
    ] as const) {
      const res = await t.gql(
        `mutation($id: ID!) { ${mutation}(taskId: $id${extra}) { id } }`,
        { id: task.id },
        reviewer.headers,
      );
      expect([mutation, codes(res)]).toEqual([mutation, ['CONFLICT']]);
      expect(res.errors?.[0]?.message).toMatch(/only a CFO decides it/);
    }
    expect(await chain.balance(RECIPIENT_A)).toBe(before);
    expect(await t.app.db.transaction.count({ where: { transferId: transfer.id } })).toBe(0);

    await t.ok(APPROVE_TRANSFER, { id: gid('Transfer', transfer.id) }, cfo.headers);
    await transferTask(goalId, 'COMPLETE');
    expect((await goal(goalId)).status).toBe('COMPLETE');
    expect(await chain.balance(RECIPIENT_A)).toBe(before + 50_000_000_000_000_000n);
  }, 60_000);

  it('a transfer the policy refuses fails its task with the policy’s code, and nothing is asked of a CFO', async () => {
    const count = await t.app.db.transfer.count();
    const goalId = await submit(`Pay 3 ETH to ${RECIPIENT_B} for consulting`);
    const task = await transferTask(goalId, 'FAILED');
    expect(task.error?.code).toBe('SPEND_POLICY_VIOLATION');
    expect((await goal(goalId)).status).toBe('FAILED');
    expect(await t.app.db.transfer.count()).toBe(count);
    const refusal = await t.app.db.auditLog.findFirst({
      where: { action: 'transfer.refused' },
      orderBy: { createdAt: 'desc' },
    });
    const rules = ((refusal?.details ?? {}) as { violations?: { rule: string }[] }).violations?.map((v) => v.rule);
    expect(rules).toEqual(['per_transaction_cap', 'daily_cap', 'recipient_allowlist', 'balance']);
  }, 60_000);

  it('cancelling the task withdraws its transfer; a task whose transfer a CFO approved cannot be cancelled', async () => {
    const goalId = await submit(`Pay 0.01 ETH to ${RECIPIENT_A} for stickers`);
    const task = await transferTask(goalId, 'REVIEW');
    const transfer = await eventually(
      () => t.app.db.transfer.findUnique({ where: { taskId: uuidOf(task.id) } }),
      10_000,
      'the transfer',
    );
    await t.ok(
      'mutation($id: ID!) { cancelTask(id: $id, reason: "changed my mind") { id } }',
      { id: task.id },
      operator.headers,
    );
    expect((await t.app.db.transfer.findUniqueOrThrow({ where: { id: transfer.id } })).status).toBe('cancelled');
    expect(codes(await t.gql(APPROVE_TRANSFER, { id: gid('Transfer', transfer.id) }, cfo.headers))).toEqual([
      'CONFLICT',
    ]);

    // Approved and on its way: the task can no longer be cancelled (the money may already be moving).
    const second = await submit(`Pay 0.01 ETH to ${RECIPIENT_A} for more stickers`);
    const secondTask = await transferTask(second, 'REVIEW');
    const secondTransfer = await eventually(
      () => t.app.db.transfer.findUnique({ where: { taskId: uuidOf(secondTask.id) } }),
      10_000,
      'the second transfer',
    );
    await swarm.close(); // hold the chain stage: the transfer stays APPROVED
    await t.ok(APPROVE_TRANSFER, { id: gid('Transfer', secondTransfer.id) }, cfo.headers);
    const res = await t.gql(
      'mutation($id: ID!) { cancelTask(id: $id) { id } }',
      { id: secondTask.id },
      operator.headers,
    );
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(res.errors?.[0]?.message).toMatch(/APPROVED/);
    swarm = startTestSwarm(t);
    await transferTask(second, 'COMPLETE');
  }, 60_000);
});

describe('over MCP', () => {
  it('an operator’s MCP client can ask for a transfer and follow it, but no tool approves one', async () => {
    const client = await mcp(operator.headers);
    const tools = (await client.listTools()).tools.map((x) => x.name);
    expect(tools).toEqual(expect.arrayContaining(['request_transfer', 'get_transfer']));
    expect(tools.filter((n) => /approve|transfer/.test(n)).sort()).toEqual([
      'approve_review',
      'get_transfer',
      'request_transfer',
    ]);

    const asked = await callTool(client, 'request_transfer', {
      walletId: gid('Wallet', wallet.id),
      amount: '0.02',
      recipient: RECIPIENT_A,
      reason: 'Asked over MCP',
    });
    expect(asked.isError).toBeFalsy();
    const transfer = (asked.structuredContent?.requestTransfer ?? {}) as { id: string; status: string };
    expect(transfer.status).toBe('AWAITING_APPROVAL');

    const refused = await callTool(client, 'request_transfer', {
      agentId: gid('Agent', agentId),
      amount: '9',
      recipient: RECIPIENT_A,
      reason: 'Too much',
    });
    expect(refused.errors.map((e) => e.code)).toEqual(['SPEND_POLICY_VIOLATION']);

    // Even a CFO's MCP client has no way to approve: the review tool refuses a transfer task, and there is no other.
    const cfoClient = await mcp(cfo.headers);
    const followed = await callTool(cfoClient, 'get_transfer', { id: transfer.id });
    expect(followed.structuredContent?.node).toMatchObject({ status: 'AWAITING_APPROVAL' });
    const goalId = await submit(`Pay 0.01 ETH to ${RECIPIENT_A} for a domain name`);
    const task = await transferTask(goalId, 'REVIEW');
    const viaReview = await callTool(await mcp(reviewer.headers), 'approve_review', { taskId: task.id });
    expect(viaReview.errors.map((e) => e.code)).toEqual(['CONFLICT']);
    const pending = await t.app.db.transfer.findMany({ where: { status: 'awaiting_approval' } });
    expect(pending.length).toBeGreaterThanOrEqual(2);
    expect(await t.app.db.transaction.count({ where: { transferId: { in: pending.map((p) => p.id) } } })).toBe(0);
  }, 60_000);
});
