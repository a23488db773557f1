// Transfers end to end against a real local chain (anvil): an operator asks, the spend policy checks, a CFO approves
// with a fresh step-up, the chain stage signs, sends and confirms, and the balances change by exactly the amount plus
// the gas. Every step is audited and streamed. And the other paths: policy refusals, rejection, expiry, withdrawal,
// four eyes, and approval without the cfo role or without a step-up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPrincipal } from '../../src/domain/auth/principal.js';
import { toBaseUnits } from '../../src/domain/wallets/amounts.js';
import { withWalletKey } from '../../src/domain/wallets/keys.js';
import { addressOf } from '../../src/platform/chain/evm.js';
import type { Swarm } from '../../src/swarm/engine.js';
import { codes, type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { RECIPIENT_A, RECIPIENT_B, startTestChain, type TestChain } from '../helpers/chain.js';
import { gid, makeAgent } from '../helpers/fixtures.js';
import { startTestSwarm } from '../helpers/swarm.js';
import { connectWs, eventually, within } from '../helpers/ws-client.js';

let chain: TestChain;
let t: TestApp;
let swarm: Swarm;
let url: string;
let agentId: string;
let walletId: string;
let address: string;
let operator: Identity;
let cfo: Identity;
let cfoNoStepUp: Identity;
let analyst: Identity;
let admin: Identity;

const TRANSFER = `id status amount currency recipient recipientLabel reason expiresAt decidedBy
  requestedBy { kind id } policyCheck { allowed spentInWindow violations { rule } }
  transaction { transactionHash status nonce confirmations blockNumber fee fromAddress toAddress }`;

const REQUEST = `mutation($input: RequestTransferInput!) { requestTransfer(input: $input) { ${TRANSFER} } }`;
const APPROVE = `mutation($id: ID!, $note: String) { approveTransfer(id: $id, note: $note) { ${TRANSFER} } }`;
const REJECT = `mutation($id: ID!, $reason: String!) { rejectTransfer(id: $id, reason: $reason) { ${TRANSFER} } }`;
const TRANSFER_QUERY = `query($id: ID!) { node(id: $id) { ... on Transfer { ${TRANSFER} } } }`;

type TransferResult = {
  id: string;
  status: string;
  amount: string;
  decidedBy: string | null;
  policyCheck: { allowed: boolean; spentInWindow: string; violations: { rule: string }[] };
  transaction: {
    transactionHash: string;
    status: string;
    nonce: number;
    confirmations: number;
    fee: string;
    fromAddress: string;
    toAddress: string;
  } | null;
};

const ask = (over: Record<string, unknown> = {}) => ({
  walletId: gid('Wallet', walletId),
  amount: '0.01',
  recipient: RECIPIENT_A,
  reason: 'Pay the design vendor',
  ...over,
});

async function request(over: Record<string, unknown> = {}, who: Identity = operator) {
  return (await t.ok<{ requestTransfer: TransferResult }>(REQUEST, { input: ask(over) }, who.headers)).requestTransfer;
}

async function settled(id: string) {
  return eventually(
    async () => {
      const { node } = await t.ok<{ node: TransferResult }>(TRANSFER_QUERY, { id }, cfo.headers);
      return ['confirmed', 'failed'].includes(node.status.toLowerCase()) ? node : null;
    },
    20_000,
    'the transfer to settle',
  );
}

beforeAll(async () => {
  chain = await startTestChain();
  t = await startTestApp({
    BLOCKCHAIN_RPC_URL: chain.url,
    CHAIN_POLL_INTERVAL_MS: '100',
    STEP_UP_WINDOW_SECONDS: '300',
    TRANSFER_MAX_PER_TRANSACTION: '0.5',
    TRANSFER_DAILY_LIMIT_PER_AGENT: '1',
    TRANSFER_RECIPIENTS: RECIPIENT_A,
  });
  url = await t.app.listen();
  swarm = startTestSwarm(t, { stages: ['chain'] });
  const agent = await makeAgent(t.app.db, 'payer');
  agentId = agent.id;
  operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agentId] } });
  cfo = await t.signIn(['cfo'], { stepUp: true });
  cfoNoStepUp = await t.signIn(['cfo']);
  analyst = await t.signIn(['analyst']);
  admin = await t.admin();
  const created = await t.ok<{ createWallet: { id: string; address: string; blockchain: string } }>(
    'mutation($a: ID!) { createWallet(agentId: $a) { id address blockchain } }',
    { a: gid('Agent', agentId) },
    operator.headers,
  );
  walletId = Buffer.from(created.createWallet.id, 'base64').toString().split(':')[1] as string;
  address = created.createWallet.address;
  expect(created.createWallet.blockchain).toBe('eip155:31337');
  await chain.fund(address, '2');
}, 60_000);

afterAll(async () => {
  await swarm?.close();
  await t?.close();
  await chain?.stop();
});

describe('a transfer, end to end on a real chain', () => {
  it('request → policy → CFO approval with step-up → signed, sent, confirmed; balances move by exactly amount + gas', async () => {
    const before = { from: await chain.balance(address), to: await chain.balance(RECIPIENT_A) };
    const ws = connectWs(`${url.replace(/^http/, 'ws')}/graphql`, { authorization: `Bearer ${cfo.accessToken}` });
    await within(ws.connected, 5_000, 'connection_ack');
    const updates = ws.subscribe<{ transferUpdated: { id: string; status: string } }>(
      'subscription($w: ID) { transferUpdated(walletId: $w) { id status } }',
      { w: gid('Wallet', walletId) },
    );
    // Live end to end once a marker (a withdrawn transfer, announced again) comes through.
    const marker = await request({ amount: '0.001' });
    await t.ok(
      'mutation($id: ID!) { cancelTransfer(id: $id, reason: "marker") { id } }',
      { id: marker.id },
      operator.headers,
    );
    await eventually(
      () => {
        t.app.pubsub.publish('transfers', { id: uuid(marker.id) });
        return updates.received.length > 0;
      },
      5_000,
      'the subscription to be live',
    );

    const requested = await request({ amount: '0.25' });
    expect(requested).toMatchObject({
      status: 'AWAITING_APPROVAL',
      amount: '0.25',
      recipientLabel: null,
      decidedBy: null,
      transaction: null,
      policyCheck: { allowed: true, spentInWindow: '0', violations: [] },
    });
    // Asking moved nothing.
    expect(await chain.balance(address)).toBe(before.from);

    const approved = (
      await t.ok<{ approveTransfer: TransferResult }>(APPROVE, { id: requested.id, note: 'ok' }, cfo.headers)
    ).approveTransfer;
    expect(approved.status).toBe('APPROVED');
    expect(approved.decidedBy).toBe(gid('User', cfo.userId));

    const done = await settled(requested.id);
    expect(done.status).toBe('CONFIRMED');
    const tx = done.transaction;
    expect(tx).toMatchObject({ status: 'CONFIRMED', nonce: 0, fromAddress: address, toAddress: RECIPIENT_A });
    expect(tx?.confirmations).toBeGreaterThanOrEqual(1);
    expect(tx?.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);

    // Exactly the amount, plus exactly the fee the receipt reports.
    const fee = toBaseUnits(tx?.fee ?? '');
    expect(fee).toBeGreaterThan(0n);
    expect(await chain.balance(RECIPIENT_A)).toBe(before.to + toBaseUnits('0.25'));
    expect(await chain.balance(address)).toBe(before.from - toBaseUnits('0.25') - fee);
    const receipt = await chain.chain.receipt(tx?.transactionHash as `0x${string}`);
    expect(receipt && receipt.gasUsed * receipt.effectiveGasPrice).toBe(fee);

    // The subscription saw each step in order.
    const seen = await eventually(
      () => {
        const statuses = updates.received
          .filter((r) => r.data?.transferUpdated.id === requested.id)
          .map((r) => r.data?.transferUpdated.status);
        return statuses.includes('CONFIRMED') ? statuses : null;
      },
      10_000,
      'the CONFIRMED update',
    );
    const order = ['AWAITING_APPROVAL', 'APPROVED', 'SUBMITTED', 'CONFIRMED'];
    const firsts = order.map((s) => seen.indexOf(s));
    expect(firsts.every((i) => i >= 0)).toBe(true);
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
    updates.close();
    await ws.dispose();

    // The wallet shows the live balance and the day's spending; the audit trail has every step.
    const { node } = await t.ok<{
      node: { balance: { amount: string; baseUnits: string }; spending: { last24Hours: string; reserved: string } };
    }>(
      'query($id: ID!) { node(id: $id) { ... on Wallet { balance { amount baseUnits } spending { last24Hours reserved } } } }',
      { id: gid('Wallet', walletId) },
      analyst.headers,
    );
    expect(BigInt(node.balance.baseUnits)).toBe(await chain.balance(address));
    expect(node.spending).toEqual({ last24Hours: '0.25', reserved: '0' });
    const audit = await t.app.db.auditLog.findMany({
      where: { details: { path: ['transferId'], equals: uuid(requested.id) } },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((a) => a.action)).toEqual([
      'transfer.requested',
      'transfer.approved',
      'transfer.signed',
      'transfer.submitted',
      'transfer.confirmed',
    ]);
    const approval = await t.app.db.securityAuditLog.findFirst({
      where: { action: 'transfer.approve', success: true, userId: cfo.userId },
    });
    expect(approval).not.toBeNull();
  }, 60_000);

  it('the transactions list filters by wallet, agent, status and hash', async () => {
    const q = `query($f: TransactionFilter) { transactions(filter: $f) { totalCount edges { node { transactionHash status } } } }`;
    const all = await t.ok<{ transactions: { totalCount: number; edges: { node: { transactionHash: string } }[] } }>(
      q,
      { f: { agentId: gid('Agent', agentId), status: ['CONFIRMED'] } },
      analyst.headers,
    );
    expect(all.transactions.totalCount).toBeGreaterThanOrEqual(1);
    const hash = all.transactions.edges[0]?.node.transactionHash as string;
    const one = await t.ok<{ transactions: { totalCount: number } }>(
      q,
      { f: { transactionHash: hash.toUpperCase().replace('0X', '0x') } },
      analyst.headers,
    );
    expect(one.transactions.totalCount).toBe(1);
    const none = await t.ok<{ transactions: { totalCount: number } }>(
      q,
      { f: { status: ['FAILED'], walletId: gid('Wallet', walletId) } },
      analyst.headers,
    );
    expect(none.transactions.totalCount).toBe(0);
  });
});

describe('the spend policy refuses with clear errors and writes nothing', () => {
  it.each([
    ['over the per-transaction cap', { amount: '0.6' }, ['per_transaction_cap']],
    ['a recipient not on the allowlist', { recipient: RECIPIENT_B }, ['recipient_allowlist']],
    ['a currency not allowed', { currency: 'USDC' }, ['currency_allowlist']],
    [
      'everything at once',
      { amount: '0.9', currency: 'DAI', recipient: RECIPIENT_B },
      ['currency_allowlist', 'per_transaction_cap', 'daily_cap', 'recipient_allowlist'],
    ],
  ])('%s', async (_name, over, rules) => {
    const before = await t.app.db.transfer.count();
    const res = await t.gql(REQUEST, { input: ask(over) }, operator.headers);
    expect(codes(res)).toEqual(['SPEND_POLICY_VIOLATION']);
    const violations = res.errors?.[0]?.extensions?.violations as { rule: string; message: string }[];
    expect(violations.map((v) => v.rule)).toEqual(rules);
    expect(violations.every((v) => v.message.length > 10)).toBe(true);
    expect(await t.app.db.transfer.count()).toBe(before);
    const refusal = await t.app.db.auditLog.findFirst({
      where: { action: 'transfer.refused' },
      orderBy: { createdAt: 'desc' },
    });
    const recorded = (refusal?.details ?? { violations: [] }) as { violations: { rule: string }[] };
    expect(recorded.violations.map((v) => v.rule)).toEqual(rules);
  });

  it('the daily cap counts transfers waiting for approval too', async () => {
    // 0.25 was confirmed today; 0.5 more waits; another 0.5 would make 1.25 > 1.
    const waiting = await request({ amount: '0.5' });
    const res = await t.gql(REQUEST, { input: ask({ amount: '0.5' }) }, operator.headers);
    expect(codes(res)).toEqual(['SPEND_POLICY_VIOLATION']);
    expect(((res.errors?.[0]?.extensions?.violations ?? []) as { rule: string; actual: string }[])[0]).toMatchObject({
      rule: 'daily_cap',
      actual: '1.25',
    });
    // Withdrawn, it no longer counts.
    await t.ok(
      'mutation($id: ID!) { cancelTransfer(id: $id, reason: "not needed") { id } }',
      { id: waiting.id },
      operator.headers,
    );
    const again = await request({ amount: '0.5' });
    expect(again.status).toBe('AWAITING_APPROVAL');
    await t.ok(REJECT, { id: again.id, reason: 'budget' }, cfo.headers);
  });

  it('bad input is BAD_USER_INPUT naming the field, before any policy', async () => {
    for (const [over, path] of [
      [{ amount: '0' }, 'amount'],
      [{ recipient: '0x1234' }, 'recipient'],
      [{ recipient: '0x70997970c51812dc3a010c7d01b50e0d17dc79C8' }, 'recipient'],
      [{ reason: '   ' }, 'reason'],
    ] as const) {
      const res = await t.gql(REQUEST, { input: ask(over) }, operator.headers);
      expect([over, codes(res)]).toEqual([over, ['BAD_USER_INPUT']]);
      const issues = (res.errors?.[0]?.extensions?.issues ?? []) as { path: string[] }[];
      expect(issues.some((i) => i.path.includes(path))).toBe(true);
    }
    const scalar = await t.gql(REQUEST, { input: ask({ amount: '0.123456789' }) }, operator.headers);
    expect(codes(scalar)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('no transfer without a CFO, stepped up, who did not ask', () => {
  it('an operator, an analyst and a super_admin cannot approve; nothing is signed', async () => {
    const pending = await request();
    for (const who of [operator, analyst, admin]) {
      const res = await t.gql(APPROVE, { id: pending.id }, who.headers);
      expect(codes(res)).toEqual(['FORBIDDEN']);
    }
    const res = await t.gql(APPROVE, { id: pending.id }, cfoNoStepUp.headers);
    expect(codes(res)).toEqual(['STEP_UP_REQUIRED']);
    const row = await t.app.db.transfer.findUniqueOrThrow({
      where: { id: uuid(pending.id) },
      include: { transaction: true },
    });
    expect([row.status, row.transaction]).toEqual(['awaiting_approval', null]);
    // A refused approval by a non-CFO raised the privilege-escalation alert.
    expect(await t.app.db.securityAlert.count({ where: { kind: 'privilege_escalation_attempt' } })).toBeGreaterThan(0);
    await t.ok(REJECT, { id: pending.id, reason: 'cleanup' }, cfo.headers);
  });

  it('the service checks again whatever face calls it: no user, no cfo role, no step-up, an API key', async () => {
    const pending = await request();
    const id = uuid(pending.id);
    const session = (stepUpAt: Date | null) => ({
      id: cfo.sessionId,
      amr: ['pwd', 'otp'],
      stepUpAt,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const as = (kind: 'user' | 'api_key', roles: string[], stepUpAt: Date | null) =>
      buildPrincipal({
        kind,
        id: cfo.userId,
        email: null,
        roles,
        attributes: {},
        session: session(stepUpAt),
        mfaEnrolled: true,
      });
    const transfers = t.app.services.transfers;
    await expect(transfers.approve(id, null)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      transfers.approve(id, as('user', ['agent_operator', 'super_admin'], new Date())),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(transfers.approve(id, as('user', ['cfo'], null))).rejects.toMatchObject({ code: 'STEP_UP_REQUIRED' });
    await expect(transfers.approve(id, as('user', ['cfo'], new Date(Date.now() - 301_000)))).rejects.toMatchObject({
      code: 'STEP_UP_REQUIRED',
    });
    await expect(transfers.approve(id, as('api_key', ['cfo'], new Date()))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await t.app.db.transfer.findUniqueOrThrow({ where: { id } })).status).toBe('awaiting_approval');
    // Each refused approval is a security event.
    expect(
      await t.app.db.securityAuditLog.count({ where: { action: 'transfer.approve', success: false } }),
    ).toBeGreaterThanOrEqual(5);
    await t.ok(REJECT, { id: pending.id, reason: 'cleanup' }, cfo.headers);
  });

  it('four eyes: a user who is operator and cfo cannot approve a transfer they asked for', async () => {
    const both = await t.signIn(['agent_operator', 'cfo'], { stepUp: true, attributes: { agentIds: [agentId] } });
    const own = await request({}, both);
    const res = await t.gql(APPROVE, { id: own.id }, both.headers);
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(res.errors?.[0]?.message).toMatch(/four eyes/i);
    const other = await t.ok<{ approveTransfer: TransferResult }>(APPROVE, { id: own.id }, cfo.headers);
    expect(other.approveTransfer.status).toBe('APPROVED');
    expect((await settled(own.id)).status).toBe('CONFIRMED');
  }, 30_000);

  it('the database refuses a transaction row for a transfer nobody approved', async () => {
    const pending = await request();
    await expect(
      t.app.db.transaction.create({
        data: {
          walletId,
          transferId: uuid(pending.id),
          amount: '0.01',
          currency: 'ETH',
          amountBaseUnits: toBaseUnits('0.01').toString(),
          toAddress: RECIPIENT_A,
          transactionHash: `0x${'ab'.repeat(32)}`,
        },
      }),
    ).rejects.toThrow(/not approved/);
    await t.ok(REJECT, { id: pending.id, reason: 'cleanup' }, cfo.headers);
  });
});

describe('rejection, expiry and withdrawal are explicit states', () => {
  it('rejected: never signed, and cannot be approved afterwards', async () => {
    const pending = await request();
    const rejected = (
      await t.ok<{ rejectTransfer: TransferResult }>(REJECT, { id: pending.id, reason: 'no invoice' }, cfo.headers)
    ).rejectTransfer;
    expect(rejected.status).toBe('REJECTED');
    const res = await t.gql(APPROVE, { id: pending.id }, cfo.headers);
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(res.errors?.[0]?.message).toMatch(/REJECTED/);
  });

  it('expired: past its deadline it can no longer be approved, and the maintenance sweep marks the rest', async () => {
    const a = await request({ amount: '0.001' });
    const b = await request({ amount: '0.001' });
    await t.app.db.transfer.updateMany({
      where: { id: { in: [uuid(a.id), uuid(b.id)] } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const res = await t.gql(APPROVE, { id: a.id }, cfo.headers);
    expect(codes(res)).toEqual(['CONFLICT']);
    expect(res.errors?.[0]?.message).toMatch(/expired/);
    expect(await t.app.services.transfers.expireDue()).toEqual([uuid(b.id)]);
    const rows = await t.app.db.transfer.findMany({ where: { id: { in: [uuid(a.id), uuid(b.id)] } } });
    expect(rows.map((r) => r.status)).toEqual(['expired', 'expired']);
    expect(await t.app.db.auditLog.count({ where: { action: 'transfer.expired' } })).toBe(2);
  });

  it('withdrawn by whoever asked (not by another operator); a confirmed transfer cannot be withdrawn', async () => {
    const pending = await request();
    const stranger = await t.signIn(['agent_operator'], { attributes: { agentIds: [agentId] } });
    const denied = await t.gql(
      'mutation($id: ID!) { cancelTransfer(id: $id, reason: "x") { id } }',
      { id: pending.id },
      stranger.headers,
    );
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    const ok = await t.ok<{ cancelTransfer: { status: string } }>(
      'mutation($id: ID!) { cancelTransfer(id: $id, reason: "duplicate") { status } }',
      { id: pending.id },
      operator.headers,
    );
    expect(ok.cancelTransfer.status).toBe('CANCELLED');
    const confirmed = await t.app.db.transfer.findFirstOrThrow({ where: { status: 'confirmed' } });
    const late = await t.gql(
      'mutation($id: ID!) { cancelTransfer(id: $id, reason: "x") { id } }',
      { id: gid('Transfer', confirmed.id) },
      operator.headers,
    );
    expect(codes(late)).toEqual(['CONFLICT']);
  });
});

describe('scope and secrecy', () => {
  it('an operator of another agent can neither ask from this wallet nor see its transfers', async () => {
    const other = await makeAgent(t.app.db, 'other');
    const outsider = await t.signIn(['agent_operator'], { attributes: { agentIds: [other.id] } });
    expect(codes(await t.gql(REQUEST, { input: ask() }, outsider.headers))).toEqual(['FORBIDDEN']);
    const list = await t.ok<{ transfers: { totalCount: number } }>(
      '{ transfers { totalCount } }',
      {},
      outsider.headers,
    );
    expect(list.transfers.totalCount).toBe(0);
  });

  it('no key, key-encryption key or private key appears in the schema, the API, the audit log or the database in clear', async () => {
    const sdl =
      (
        await t.gql<{ __schema: { types: { name: string; fields: { name: string }[] | null }[] } }>(
          '{ __schema { types { name fields { name } } } }',
        )
      ).data?.__schema.types ?? [];
    const names = sdl.flatMap((ty) => [ty.name, ...(ty.fields ?? []).map((f) => f.name)]).join(' ');
    expect(names).not.toMatch(/privateKey|WalletKey|wrappedKey|ciphertext|secretKey|mnemonic/i);
    const key = await t.app.db.walletKey.findUniqueOrThrow({ where: { walletId } });
    expect(key.kekProvider).toBe('local');
    const wallet = await t.app.db.wallet.findUniqueOrThrow({ where: { id: walletId } });
    // The key (opened the way signing opens it) controls the address, and is nowhere in the database in clear.
    const privateKey = await withWalletKey(t.app.db, t.app.kek, wallet, async (k) => k);
    expect(addressOf(privateKey)).toBe(wallet.address);
    const tables = await Promise.all([
      t.app.db.auditLog.findMany(),
      t.app.db.securityAuditLog.findMany(),
      t.app.db.wallet.findMany(),
      t.app.db.walletKey.findMany(),
      t.app.db.transfer.findMany(),
      t.app.db.transaction.findMany(),
    ]);
    const everything = JSON.stringify(tables, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).toLowerCase();
    expect(everything).not.toContain(privateKey.slice(2).toLowerCase());
    expect(everything).not.toContain(Buffer.from(privateKey.slice(2), 'hex').toString('base64').toLowerCase());
    // The sealed key is bound to its wallet: copied onto another wallet's row, it does not open.
    const other = await makeAgent(t.app.db, 'thief');
    const stolen = await t.app.db.wallet.create({
      data: { agentId: other.id, address: RECIPIENT_B, blockchain: 'eip155:31337' },
    });
    await t.app.db.walletKey.create({ data: { ...key, walletId: stolen.id } });
    await expect(withWalletKey(t.app.db, t.app.kek, stolen, async (k) => k)).rejects.toMatchObject({
      code: 'WALLET_KEY_UNAVAILABLE',
    });
  });
});

function uuid(globalId: string): string {
  return Buffer.from(globalId, 'base64').toString().split(':')[1] as string;
}
