// The demo agent's wallet on the local chain (development only): made through the wallet service like any other,
// given a spend policy whose allowlist holds one demo recipient, and funded from anvil's first development account
// (its key is public; on a real chain nobody funds a wallet this way). Idempotent: run at every start.
import type { Actor } from '../src/domain/audit/audit.service.js';
import type { Services } from '../src/domain/services.js';
import { fromBaseUnits, toBaseUnits } from '../src/domain/wallets/amounts.js';
import { ANVIL_DEV_KEY } from '../src/platform/chain/anvil.js';
import { addressOf, type EvmChain, signTransfer } from '../src/platform/chain/evm.js';
import { DEMO_AGENT_ID } from './seed.js';

/** Anvil's second development account: the demo's allowed recipient (a "vendor" the agent may pay). */
export const DEMO_RECIPIENT = { address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', label: 'Demo vendor' } as const;

const SEED_ACTOR: Actor = { kind: 'system', id: 'seed' };
const FUND_BELOW = toBaseUnits('1');
const FUNDING = toBaseUnits('10');

export async function seedDemoWallet(services: Services, chain: EvmChain, agentId = DEMO_AGENT_ID) {
  const blockchain = await services.wallets.chainKey();
  let wallet = (await services.wallets.listWallets({ agentId, blockchain }, { take: 1 }))[0];
  if (!wallet) wallet = await services.wallets.createWallet(agentId, SEED_ACTOR);
  if (services.wallets.policyOf(wallet).source === 'default') {
    const { policy } = services.wallets.policyOf(wallet);
    wallet = await services.wallets.setSpendPolicy(
      wallet.id,
      { ...policy, recipients: [...policy.recipients, DEMO_RECIPIENT] },
      SEED_ACTOR,
    );
  }
  let balance = await chain.balanceOf(wallet.address as `0x${string}`);
  if (balance < FUND_BELOW) {
    const from = addressOf(ANVIL_DEV_KEY);
    const tx = await chain.prepareTransfer({
      to: wallet.address as `0x${string}`,
      value: FUNDING,
      nonce: await chain.nonceOf(from),
    });
    const signed = await signTransfer(ANVIL_DEV_KEY, tx);
    await chain.broadcast(signed.raw);
    for (let i = 0; i < 50 && !(await chain.receipt(signed.hash)); i += 1) await new Promise((r) => setTimeout(r, 100));
    balance = await chain.balanceOf(wallet.address as `0x${string}`);
  }
  return { walletId: wallet.id, address: wallet.address, balance: fromBaseUnits(balance) };
}
