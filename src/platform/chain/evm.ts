// Any EVM chain over JSON-RPC, through viem: balances, nonces, fees, signing a native-currency transfer offline,
// broadcasting the signed bytes, and reading receipts. It knows nothing of wallets, policies or approvals.
import {
  BaseError,
  createPublicClient,
  getAddress,
  type Hex,
  http,
  InsufficientFundsError,
  isAddress,
  keccak256,
  NonceTooLowError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

export type Address = `0x${string}`;

export type ChainErrorCode = 'CHAIN_UNAVAILABLE' | 'NONCE_TOO_LOW' | 'INSUFFICIENT_FUNDS' | 'REJECTED_BY_NODE';

export class ChainError extends Error {
  override name = 'ChainError';
  constructor(
    readonly code: ChainErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A native-currency transfer, ready to sign. */
export interface TransferTransaction {
  chainId: number;
  to: Address;
  value: bigint;
  nonce: number;
  gas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface Receipt {
  status: 'success' | 'reverted';
  blockNumber: bigint;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
}

export interface EvmChain {
  /** The chain's EIP-155 id (asked of the node once). */
  chainId(): Promise<number>;
  balanceOf(address: Address): Promise<bigint>;
  /** The next nonce of an account: 'pending' counts transactions the node holds but has not mined. */
  nonceOf(address: Address, blockTag?: 'pending' | 'latest'): Promise<number>;
  /** The fields of a plain transfer (21,000 gas; EIP-1559 fees as the node suggests them now). */
  prepareTransfer(input: { to: Address; value: bigint; nonce: number }): Promise<TransferTransaction>;
  /** Broadcasts signed bytes. Sending the same bytes again is harmless ('known'). */
  broadcast(raw: Hex): Promise<'accepted' | 'known'>;
  receipt(hash: Hex): Promise<Receipt | null>;
  /** Whether the node knows the transaction at all (in its pool or in a block). */
  knows(hash: Hex): Promise<boolean>;
  blockNumber(): Promise<bigint>;
}

/** The gas of a transfer of the native currency to an account (not a contract). */
export const TRANSFER_GAS = 21_000n;

export function createEvmChain(opts: { rpcUrl: string; timeoutMs?: number }): EvmChain {
  const client = createPublicClient({
    transport: http(opts.rpcUrl, { timeout: opts.timeoutMs ?? 10_000, retryCount: 1 }),
  });
  let chainId: Promise<number> | undefined;
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw asChainError(err, what);
    }
  };
  const getChainId = () => {
    chainId ??= call('read the chain id', () => client.getChainId()).catch((err: unknown) => {
      chainId = undefined;
      throw err;
    });
    return chainId;
  };
  return {
    chainId: getChainId,
    balanceOf: (address) => call('read a balance', () => client.getBalance({ address })),
    nonceOf: (address, blockTag = 'pending') =>
      call('read a nonce', () => client.getTransactionCount({ address, blockTag })),
    async prepareTransfer({ to, value, nonce }) {
      const [id, fees] = await Promise.all([
        getChainId(),
        call('estimate fees', () => client.estimateFeesPerGas({ chain: null, type: 'eip1559' })),
      ]);
      return {
        chainId: id,
        to,
        value,
        nonce,
        gas: TRANSFER_GAS,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      };
    },
    async broadcast(raw) {
      try {
        await client.sendRawTransaction({ serializedTransaction: raw });
        return 'accepted';
      } catch (err) {
        const text = errorText(err);
        if (/already known|already imported|known transaction|transaction already exists/i.test(text)) return 'known';
        const hash = keccak256(raw);
        // Nonce too low for these very bytes: they were mined already (a rebroadcast after a crash).
        if (isNonceTooLow(err, text) && (await this.knows(hash))) return 'known';
        throw asChainError(err, 'broadcast a transaction');
      }
    },
    async receipt(hash) {
      try {
        const r = await client.getTransactionReceipt({ hash });
        return {
          status: r.status,
          blockNumber: r.blockNumber,
          gasUsed: r.gasUsed,
          effectiveGasPrice: r.effectiveGasPrice,
        };
      } catch (err) {
        if (err instanceof TransactionReceiptNotFoundError) return null;
        throw asChainError(err, 'read a receipt');
      }
    },
    async knows(hash) {
      try {
        await client.getTransaction({ hash });
        return true;
      } catch (err) {
        if (err instanceof TransactionNotFoundError) return false;
        throw asChainError(err, 'look up a transaction');
      }
    },
    blockNumber: () => call('read the block number', () => client.getBlockNumber()),
  };
}

/** Signs a transfer offline with a private key; the key is used here and nowhere else. */
export async function signTransfer(privateKey: Hex, tx: TransferTransaction): Promise<{ raw: Hex; hash: Hex }> {
  const account = privateKeyToAccount(privateKey);
  const raw = await account.signTransaction({ ...tx, type: 'eip1559' });
  return { raw, hash: keccak256(raw) };
}

/** A new secp256k1 private key from the system's CSPRNG. */
export const newPrivateKey = (): Hex => generatePrivateKey();

/** The EIP-55 checksummed form of an address; null when it is not one (or its mixed case fails the checksum). */
export function checksummed(address: string): Address | null {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return null;
  const hex = address.slice(2);
  // All lower or all upper case carries no checksum; mixed case must be the right one (a typo shows up here).
  if (hex !== hex.toLowerCase() && hex !== hex.toUpperCase() && !isAddress(address, { strict: true })) return null;
  return getAddress(address);
}

/** The address a private key controls. */
export function addressOf(privateKey: Hex): Address {
  return privateKeyToAccount(privateKey).address;
}

function errorText(err: unknown): string {
  if (err instanceof BaseError) return [err.shortMessage, err.details, err.message].filter(Boolean).join(' ');
  return err instanceof Error ? err.message : String(err);
}

function isNonceTooLow(err: unknown, text: string): boolean {
  return (
    (err instanceof BaseError && err.walk((e) => e instanceof NonceTooLowError) !== null) ||
    /nonce too low|nonce has already been used|NonceTooLow/i.test(text)
  );
}

function asChainError(err: unknown, what: string): ChainError {
  if (err instanceof ChainError) return err;
  const text = errorText(err);
  if (isNonceTooLow(err, text))
    return new ChainError('NONCE_TOO_LOW', `Could not ${what}: the nonce was used already.`);
  if (
    (err instanceof BaseError && err.walk((e) => e instanceof InsufficientFundsError) !== null) ||
    /insufficient funds/i.test(text)
  ) {
    return new ChainError('INSUFFICIENT_FUNDS', `Could not ${what}: the account cannot pay the amount plus gas.`);
  }
  if (/fetch failed|ECONNREFUSED|timed? ?out|HTTP request failed|socket/i.test(text)) {
    return new ChainError('CHAIN_UNAVAILABLE', `Could not ${what}: the chain's RPC endpoint did not answer.`);
  }
  return new ChainError('REJECTED_BY_NODE', `Could not ${what}: ${(err as BaseError).shortMessage ?? text}`);
}

/** The chain a deployment reaches, or null when it configured none. */
export function chainFrom(settings: { rpcUrl: string | undefined; timeoutMs: number }): EvmChain | null {
  return settings.rpcUrl ? createEvmChain({ rpcUrl: settings.rpcUrl, timeoutMs: settings.timeoutMs }) : null;
}
