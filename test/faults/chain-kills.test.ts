// Fault injection: the chain stage (workers/chain.ts, which signs, records, broadcasts and confirms approved
// transfers) runs as a real process against a local anvil chain and is SIGKILLed at seeded random moments while a
// stream of approved transfers settles, each time restarted at once. Unlike test/wallets/crash.test.ts, which dies
// at each named fault point once, these kills land wherever the process happens to be. Afterwards no transaction was
// sent twice: every transfer is confirmed with exactly one transaction, the wallet's nonce moved by exactly the number
// of transfers, the recipient received exactly their sum, and each transfer has one `transfer.confirmed` audit row.
// Quick mode (default, in `npm test`): 6 kills over 8 transfers. Full mode (CHIMERA_FAULTS_MODE=full): 30 over 40.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBaseUnits } from '../../src/domain/wallets/amounts.js';
import { type Identity, startTestApp, type TestApp } from '../helpers/app.js';
import { RECIPIENT_B, startTestChain, type TestChain } from '../helpers/chain.js';
import { gid, makeAgent, uuidOf } from '../helpers/fixtures.js';
import { type StageProcess, spawnStage } from '../helpers/processes.js';
import { eventually } from '../helpers/ws-client.js';
import { FULL, LONG_SESSIONS, replay, rng, SEED } from './seed.js';

const TRANSFERS = FULL ? 40 : 8;
const KILLS = FULL ? 30 : 6;
const AMOUNT = '0.01';

let chain: TestChain;
let t: TestApp;
let operator: Identity;
let cfo: Identity;
let wallet: { id: string; address: string };
let stage: StageProcess | undefined;
const all: StageProcess[] = [];

beforeAll(async () => {
  console.info(`[faults] chain-kills seed=${SEED} mode=${FULL ? 'full' : 'quick'} (${replay()})`);
  chain = await startTestChain();
  t = await startTestApp({
    ...LONG_SESSIONS,
    BLOCKCHAIN_RPC_URL: chain.url,
    TRANSFER_RECIPIENTS: RECIPIENT_B,
    TRANSFER_DAILY_LIMIT_PER_AGENT: '100',
  });
  const agent = await makeAgent(t.app.db, 'killed-mid-transfer');
  operator = await t.signIn(['agent_operator'], { attributes: { agentIds: [agent.id] } });
  cfo = await t.signIn(['cfo'], { stepUp: true });
  wallet = await t.app.services.wallets.createWallet(agent.id, { kind: 'system', id: 'test' });
  await chain.fund(wallet.address, '5');
}, 120_000);

afterAll(async () => {
  await Promise.all(all.map((p) => p.kill('SIGKILL')));
  await t?.close();
  await chain?.stop();
});

async function startChainStage(): Promise<StageProcess> {
  const p = spawnStage(t, 'chain', { BLOCKCHAIN_RPC_URL: chain.url, CHAIN_POLL_INTERVAL_MS: '100' });
  all.push(p);
  await p.ready;
  return p;
}

async function approvedTransfer(i: number): Promise<string> {
  const { requestTransfer } = await t.ok<{ requestTransfer: { id: string } }>(
    'mutation ($input: RequestTransferInput!) { requestTransfer(input: $input) { id } }',
    {
      input: { walletId: gid('Wallet', wallet.id), amount: AMOUNT, recipient: RECIPIENT_B, reason: `kill #${i}` },
    },
    operator.headers,
  );
  // The CFO steps up again as the window closes (a full run outlasts it): step-up is not under test here.
  await t.app.services.auth.markStepUp(cfo.sessionId, 'otp');
  await t.ok('mutation ($id: ID!) { approveTransfer(id: $id) { status } }', { id: requestTransfer.id }, cfo.headers);
  return uuidOf(requestTransfer.id);
}

describe('a chain stage killed at random moments', { timeout: FULL ? 900_000 : 240_000 }, () => {
  it(`sends every transfer exactly once after ${KILLS} kills (seeded)`, async () => {
    const random = rng(SEED);
    const before = { nonce: await chain.nonce(wallet.address), to: await chain.balance(RECIPIENT_B) };
    stage = await startChainStage();
    const transfers: string[] = [];
    const perKill = Math.ceil(TRANSFERS / (KILLS + 1));
    for (let kill = 0; kill < KILLS; kill++) {
      for (let k = 0; k < perKill && transfers.length < TRANSFERS; k++)
        transfers.push(await approvedTransfer(transfers.length));
      await new Promise((r) => setTimeout(r, 50 + Math.floor(random() * 700)));
      expect(await stage.kill('SIGKILL'), replay()).toBeNull();
      stage = await startChainStage();
    }
    while (transfers.length < TRANSFERS) transfers.push(await approvedTransfer(transfers.length));

    const rows = await eventually(
      async () => {
        const found = await t.app.db.transfer.findMany({
          where: { id: { in: transfers } },
          include: { transaction: true },
        });
        return found.every((r) => r.status === 'confirmed' || r.status === 'failed') ? found : undefined;
      },
      FULL ? 300_000 : 120_000,
      `every transfer to settle (${replay()})`,
    );
    for (const row of rows) {
      expect(row.status, `transfer ${row.id} (${replay()}): ${JSON.stringify(row.error)}`).toBe('confirmed');
      expect(row.transaction?.status, replay()).toBe('confirmed');
    }
    // One transaction per transfer, in the database and on the chain.
    const txs = await t.app.db.transaction.findMany({ where: { walletId: wallet.id } });
    expect(txs, replay()).toHaveLength(TRANSFERS);
    expect(new Set(txs.map((x) => x.nonce)).size, replay()).toBe(TRANSFERS);
    expect(await chain.nonce(wallet.address), replay()).toBe(before.nonce + TRANSFERS);
    expect(await chain.balance(RECIPIENT_B), replay()).toBe(before.to + toBaseUnits(AMOUNT) * BigInt(TRANSFERS));
    for (const id of transfers) {
      const audits = await t.app.db.auditLog.count({
        where: { action: 'transfer.confirmed', details: { path: ['transferId'], equals: id } },
      });
      expect(audits, `transfer.confirmed audits of ${id} (${replay()})`).toBe(1);
    }
  });
});
