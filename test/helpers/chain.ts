// A real local chain per test file: anvil on a free port, a viem client for it, and funding from anvil's first
// development account (one sender, so its nonces are taken in turn).
import { afterAll, beforeAll } from 'vitest';
import { toBaseUnits } from '../../src/domain/wallets/amounts.js';
import { ANVIL_DEV_KEY, type Anvil, startAnvil } from '../../src/platform/chain/anvil.js';
import { type Address, addressOf, createEvmChain, type EvmChain, signTransfer } from '../../src/platform/chain/evm.js';

/** Anvil's development accounts 1 and 2 (public test keys): recipients with known, funded addresses. */
export const RECIPIENT_A: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
export const RECIPIENT_B: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

export interface TestChain {
  anvil: Anvil;
  chain: EvmChain;
  url: string;
  /** Sends `amount` (decimal ETH) from anvil's first account and waits for it to be mined. */
  fund(address: string, amount: string): Promise<void>;
  balance(address: string): Promise<bigint>;
  /** The sender's next nonce: how many transactions it ever sent. */
  nonce(address: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startTestChain(): Promise<TestChain> {
  const anvil = await startAnvil();
  const chain = createEvmChain({ rpcUrl: anvil.url, timeoutMs: 5_000 });
  const funder = addressOf(ANVIL_DEV_KEY);
  let sending = Promise.resolve();
  const fund = (address: string, amount: string) => {
    const sent = sending.then(async () => {
      const tx = await chain.prepareTransfer({
        to: address as Address,
        value: toBaseUnits(amount),
        nonce: await chain.nonceOf(funder),
      });
      const signed = await signTransfer(ANVIL_DEV_KEY, tx);
      await chain.broadcast(signed.raw);
      await waitFor(async () => (await chain.receipt(signed.hash)) !== null);
    });
    sending = sent.catch(() => undefined);
    return sent;
  };
  return {
    anvil,
    chain,
    url: anvil.url,
    fund,
    balance: (address) => chain.balanceOf(address as Address),
    nonce: (address) => chain.nonceOf(address as Address, 'latest'),
    stop: () => anvil.stop(),
  };
}

/** A chain for the whole file (started before, stopped after). */
export function useTestChain(): { current: TestChain } {
  const ref = {} as { current: TestChain };
  beforeAll(async () => {
    ref.current = await startTestChain();
  });
  afterAll(async () => {
    await ref.current?.stop();
  });
  return ref;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting for the chain');
    await new Promise((r) => setTimeout(r, 50));
  }
}
