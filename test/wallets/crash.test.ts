// Exactly once, with real crashes: the chain stage runs as its own OS process (workers/chain.ts) and kills itself
// (SIGKILL) at a fault point — after signing but before the signed bytes are recorded, after recording but before
// broadcasting, after broadcasting but before the transfer is marked sent. A fresh process then takes the job over.
// However it died, the wallet sends exactly one transaction: its nonce moves by one, the recipient gets the amount
// once, and the database holds one transaction for the transfer, confirmed.

import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outstandingJobs } from '../../src/domain/swarm/reconcile.js';
import { toBaseUnits } from '../../src/domain/wallets/amounts.js';
import { type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { RECIPIENT_A, startTestChain, type TestChain } from '../helpers/chain.js';
import { gid, makeAgent } from '../helpers/fixtures.js';
import { type StageProcess, spawnStage } from '../helpers/processes.js';
import { eventually, within } from '../helpers/ws-client.js';

let chain: TestChain;
let t: TestApp;
let operator: Identity;
let cfo: Identity;
let wallet: { id: string; address: string };
const running: StageProcess[] = [];

const REQUEST = 'mutation($input: RequestTransferInput!) { requestTransfer(input: $input) { id } }';
const APPROVE = 'mutation($id: ID!) { approveTransfer(id: $id) { status } }';

beforeAll(async () => {
  chain = await startTestChain();
  t = await startTestApp({
    BLOCKCHAIN_RPC_URL: chain.url,
    TRANSFER_RECIPIENTS: RECIPIENT_A,
    TRANSFER_DAILY_LIMIT_PER_AGENT: '10',
  });
  const agent = await makeAgent(t.app.db, 'crashy');
  operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agent.id] } });
  cfo = await t.signIn(['cfo'], { stepUp: true });
  wallet = await t.app.services.wallets.createWallet(agent.id, { kind: 'system', id: 'test' });
  await chain.fund(wallet.address, '3');
}, 60_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill('SIGKILL')));
  await t?.close();
  await chain?.stop();
});

function chainStage(faults = ''): StageProcess {
  const p = spawnStage(t, 'chain', {
    BLOCKCHAIN_RPC_URL: chain.url,
    CHAIN_POLL_INTERVAL_MS: '100',
    ...(faults ? { CHIMERA_FAULTS: faults } : {}),
  });
  running.push(p);
  return p;
}

async function approvedTransfer(amount: string): Promise<string> {
  const { requestTransfer } = await t.ok<{ requestTransfer: { id: string } }>(
    REQUEST,
    { input: { walletId: gid('Wallet', wallet.id), amount, recipient: RECIPIENT_A, reason: `crash test ${amount}` } },
    operator.headers,
  );
  await t.ok(APPROVE, { id: requestTransfer.id }, cfo.headers);
  return Buffer.from(requestTransfer.id, 'base64').toString().split(':')[1] as string;
}

const row = (id: string) => t.app.db.transfer.findUniqueOrThrow({ where: { id }, include: { transaction: true } });

describe('a chain worker killed mid-transfer never double-spends', () => {
  it.each([
    ['between signing and recording', 'chain:after_sign'],
    ['after recording, before broadcasting', 'chain:after_record'],
    ['after broadcasting, before marking it sent', 'chain:after_broadcast'],
  ] as const)(
    'killed %s',
    async (_when, point) => {
      const amount = '0.1';
      const before = {
        nonce: await chain.nonce(wallet.address),
        from: await chain.balance(wallet.address),
        to: await chain.balance(RECIPIENT_A),
      };
      const id = await approvedTransfer(amount);

      // The first process dies at the fault point (SIGKILL: no cleanup, no graceful shutdown).
      const doomed = chainStage(point);
      await within(doomed.exited, 30_000, `the chain process to die at ${point}`);
      expect(doomed.child.signalCode).toBe('SIGKILL');
      expect(doomed.output()).toContain('fault injection');

      const crashed = await row(id);
      if (point === 'chain:after_sign') {
        // Signed in memory only: nothing recorded, nothing sent.
        expect(crashed.transaction).toBeNull();
        expect(await chain.nonce(wallet.address)).toBe(before.nonce);
      } else if (point === 'chain:after_record') {
        // Recorded (hash and bytes) but never broadcast: the node has never seen it.
        expect(crashed.transaction?.status).toBe('pending');
        expect(await chain.chain.knows(crashed.transaction?.transactionHash as Hex)).toBe(false);
      } else {
        // Broadcast (and, on anvil, mined at once) but the transfer was not yet marked as sent.
        expect(crashed.status).toBe('approved');
        expect(await chain.chain.knows(crashed.transaction?.transactionHash as Hex)).toBe(true);
      }

      // A fresh process takes the job over once the dead one's lock expires, and finishes it.
      const heir = chainStage();
      await heir.ready;
      const done = await eventually(
        async () => {
          const r = await row(id);
          return r.status === 'confirmed' || r.status === 'failed' ? r : null;
        },
        30_000,
        'the transfer to be confirmed by the second process',
      );
      await heir.kill();

      expect(done.status).toBe('confirmed');
      const txs = await t.app.db.transaction.findMany({ where: { walletId: wallet.id, nonce: BigInt(before.nonce) } });
      expect(txs).toHaveLength(1);
      expect(txs[0]?.status).toBe('confirmed');
      if (crashed.transaction) expect(done.transaction?.transactionHash).toBe(crashed.transaction.transactionHash);
      // One transaction left the wallet: its nonce moved by exactly one; the amount arrived exactly once.
      expect(await chain.nonce(wallet.address)).toBe(before.nonce + 1);
      const fee = BigInt(done.transaction?.feeBaseUnits?.toFixed() ?? '0');
      expect(await chain.balance(RECIPIENT_A)).toBe(before.to + toBaseUnits(amount));
      expect(await chain.balance(wallet.address)).toBe(before.from - toBaseUnits(amount) - fee);
      const audit = await t.app.db.auditLog.findMany({
        where: { details: { path: ['transferId'], equals: id }, action: 'transfer.confirmed' },
      });
      expect(audit).toHaveLength(1);
    },
    90_000,
  );

  it('an approved transfer whose job Redis lost is found by the reconciler and settled once', async () => {
    const before = await chain.nonce(wallet.address);
    const id = await approvedTransfer('0.05');
    // As if the relay had handed the job over and Redis had then lost it: no outbox row, no job.
    await t.app.db.outboxMessage.deleteMany({ where: { dedupeKey: `settle:${id}` } });
    expect((await outstandingJobs(t.app.db, { settledForMs: 0, limit: 10 })).map((j) => j.dedupeKey)).toContain(
      `settle:${id}`,
    );
    const stage = chainStage();
    await stage.ready;
    const done = await eventually(
      async () => ((await row(id)).status === 'confirmed' ? row(id) : null),
      30_000,
      'the reconciled transfer to be confirmed',
    );
    await stage.kill();
    expect(done.transaction?.status).toBe('confirmed');
    expect(await chain.nonce(wallet.address)).toBe(before + 1);
    expect(stage.output()).toContain('reconciler re-enqueued');
  }, 60_000);
});
