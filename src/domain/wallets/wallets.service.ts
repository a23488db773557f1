// Wallets: one per agent per chain, with a key Chimera made and keeps sealed (keys.ts). Their live balance comes
// from the chain; their spend policy is the deployment's default until a CFO sets the wallet's own.
import type { Prisma } from '../../generated/prisma/client.js';
import { checksummed, type EvmChain } from '../../platform/chain/evm.js';
import type { KeyEncryptionKey } from '../../platform/crypto/envelope.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Actor, type Tx, writeAudit } from '../audit/audit.service.js';
import { ConflictError, NotFoundError, ValidationError, WalletError } from '../shared/errors.js';
import { agentIdWithin, orUndefined, statusIn, timeRange } from '../shared/filters.js';
import { asJson } from '../shared/json.js';
import { parseInput } from '../shared/validation.js';
import { announceTask, type Publish } from '../swarm/events.js';
import { baseUnitsOf, fromBaseUnits } from './amounts.js';
import { createSealedKey } from './keys.js';
import { type SpendPolicy, spendPolicySchema, walletPolicyOf } from './policy.js';

export const TRANSACTION_STATUSES = ['pending', 'confirmed', 'failed'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

/** Announced (with the transfer's id) at every step of a transfer. */
export const TRANSFER_TOPIC = 'transfers';

/** Announces a transfer's step, and the tasks it moved (after the commit). */
export function announceTransfer(
  publish: Publish | undefined,
  transferId: string,
  tasks: readonly { id: string; agentId: string | null }[] = [],
): void {
  publish?.(TRANSFER_TOPIC, { id: transferId });
  for (const task of tasks) announceTask({ publish }, task);
}

export interface WalletSettings {
  /** The chain's currency symbol (ETH). */
  nativeCurrency: string;
  /** The policy of wallets without their own (recipients as addresses). */
  defaultPolicy: Readonly<{
    maxPerTransaction: string;
    dailyLimit: string;
    currencies: readonly string[];
    recipients: readonly string[];
  }>;
  /** How long a transfer waits for a CFO. */
  approvalTtlSeconds: number;
  /** Blocks on top before a transaction counts as confirmed. */
  confirmations: number;
}

export interface WalletDeps {
  db: Database;
  /** Wraps the data keys that seal wallet keys. */
  kek: KeyEncryptionKey;
  /** The configured EVM chain; null when none is (wallets can be read, not made, funded or spent from). */
  chain: EvmChain | null;
  settings: WalletSettings;
  publish?: Publish;
  now?: () => Date;
}

export interface WalletFilter {
  /** Access scope: only rows of these agents (set for callers limited to assigned agents). */
  withinAgentIds?: string[];
  agentId?: string | null;
  blockchain?: string | null;
}

export interface TransactionFilter {
  /** Access scope: only rows of these agents (set for callers limited to assigned agents). */
  withinAgentIds?: string[];
  walletId?: string | null;
  agentId?: string | null;
  statuses?: TransactionStatus[] | null;
  currency?: string | null;
  transactionHash?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

type WalletPage = Pick<Prisma.WalletFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;
type TransactionPage = Pick<Prisma.TransactionFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;
type Query = Pick<Prisma.WalletFindUniqueArgs, 'include' | 'select'>;

export function walletWhere(f: WalletFilter = {}): Prisma.WalletWhereInput {
  return { agentId: agentIdWithin(f.agentId, f.withinAgentIds), blockchain: orUndefined(f.blockchain) };
}

export function transactionWhere(f: TransactionFilter = {}): Prisma.TransactionWhereInput {
  const agentId = agentIdWithin(f.agentId, f.withinAgentIds);
  return {
    walletId: orUndefined(f.walletId),
    ...(agentId !== undefined ? { wallet: { agentId } } : {}),
    ...statusIn(f.statuses, 'pending'),
    currency: orUndefined(f.currency),
    transactionHash: f.transactionHash ? { equals: f.transactionHash, mode: 'insensitive' } : undefined,
    createdAt: timeRange(f.createdAfter, f.createdBefore),
  };
}

/** The CAIP-2 id of an EVM chain: how wallets.blockchain names it. */
export const chainKeyOf = (chainId: number) => `eip155:${chainId}`;

/** Transfers that count against the daily cap and the available balance: all but the ones that ended unsent. */
export const COMMITTED_STATUSES = ['awaiting_approval', 'approved', 'submitted', 'confirmed'] as const;

/** What the wallet committed (base units) since `since`, optionally leaving one transfer out. */
export async function committedSince(
  tx: Pick<Tx, 'transfer'>,
  walletId: string,
  since: Date,
  excludeTransferId?: string,
): Promise<bigint> {
  const sum = await tx.transfer.aggregate({
    _sum: { amountBaseUnits: true },
    where: {
      walletId,
      status: { in: [...COMMITTED_STATUSES] },
      createdAt: { gte: since },
      ...(excludeTransferId ? { id: { not: excludeTransferId } } : {}),
    },
  });
  return baseUnitsOf(sum._sum.amountBaseUnits);
}

/** What approved transfers will still take from the balance (approved or sent, not yet in a block). */
export async function reservedOutflow(tx: Pick<Tx, 'transfer'>, walletId: string, excludeTransferId?: string) {
  const sum = await tx.transfer.aggregate({
    _sum: { amountBaseUnits: true },
    where: {
      walletId,
      status: { in: ['approved', 'submitted'] },
      ...(excludeTransferId ? { id: { not: excludeTransferId } } : {}),
    },
  });
  return baseUnitsOf(sum._sum.amountBaseUnits);
}

export function createWalletService(deps: WalletDeps) {
  const { db, settings } = deps;
  const now = deps.now ?? (() => new Date());

  const requireChain = (): EvmChain => {
    if (!deps.chain) {
      throw new WalletError(
        'CHAIN_UNAVAILABLE',
        'No chain is configured (BLOCKCHAIN_RPC_URL), so wallets cannot do this.',
      );
    }
    return deps.chain;
  };

  /** The wallet's own policy if a CFO set one, else the deployment's default. */
  function policyOf(wallet: { metadata: unknown }): { policy: SpendPolicy; source: 'wallet' | 'default' } {
    const own = walletPolicyOf(wallet.metadata);
    if (own) return { policy: own, source: 'wallet' };
    const d = settings.defaultPolicy;
    return {
      source: 'default',
      policy: {
        maxPerTransaction: d.maxPerTransaction,
        dailyLimit: d.dailyLimit,
        currencies: [...d.currencies],
        recipients: d.recipients.map((address) => ({ address, label: null })),
      },
    };
  }

  return {
    policyOf,
    nativeCurrency: settings.nativeCurrency,
    chainKey: async () => chainKeyOf(await requireChain().chainId()),

    listWallets: (filter: WalletFilter | undefined, page: WalletPage) =>
      db.wallet.findMany({ ...page, where: walletWhere(filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    countWallets: (filter?: WalletFilter) => db.wallet.count({ where: walletWhere(filter) }),
    listTransactions: (filter: TransactionFilter | undefined, page: TransactionPage) =>
      db.transaction.findMany({
        ...page,
        where: transactionWhere(filter),
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
    countTransactions: (filter?: TransactionFilter) => db.transaction.count({ where: transactionWhere(filter) }),

    /**
     * Makes the agent's wallet on the configured chain: a new key, sealed, stored beside the wallet in one
     * transaction. One wallet per agent per chain (CONFLICT for a second).
     */
    async createWallet(agentId: string, actor: Actor, query: Query = {}) {
      const blockchain = chainKeyOf(await requireChain().chainId());
      const agent = await db.agent.findUnique({ where: { id: agentId }, select: { id: true } });
      if (!agent) throw new NotFoundError('Agent', agentId);
      const existing = await db.wallet.findFirst({ where: { agentId, blockchain }, select: { id: true } });
      if (existing) throw new ConflictError('Agent', agentId, `already has a wallet on ${blockchain}.`);
      const { address, envelope } = await createSealedKey(deps.kek);
      return db.$transaction(async (tx) => {
        const wallet = await tx.wallet.create({ data: { agentId, address, blockchain, metadata: {} } });
        await tx.walletKey.create({
          data: {
            walletId: wallet.id,
            kekProvider: envelope.provider,
            kekRef: envelope.keyRef,
            wrappedKey: envelope.wrappedKey,
            ciphertext: envelope.ciphertext,
          },
        });
        // The audit row names the key-encryption key, never the key.
        await writeAudit(tx, {
          agentId,
          action: 'wallet.created',
          actor,
          details: { walletId: wallet.id, address, blockchain, kek: envelope.keyRef },
        });
        return tx.wallet.findUniqueOrThrow({ ...query, where: { id: wallet.id } });
      });
    },

    /** The wallet's balance on the chain now (base units), or CHAIN_UNAVAILABLE. */
    async balanceOf(wallet: { address: string; blockchain: string }): Promise<bigint> {
      const chain = requireChain();
      const key = chainKeyOf(await chain.chainId());
      if (wallet.blockchain !== key) {
        throw new WalletError(
          'CHAIN_UNAVAILABLE',
          `The wallet is on ${wallet.blockchain}; this deployment reaches ${key}.`,
        );
      }
      return chain.balanceOf(wallet.address as `0x${string}`);
    },

    /** What the wallet committed in the last 24 hours and what approved transfers still take (decimal text). */
    async spending(walletId: string) {
      const since = new Date(now().getTime() - 86_400_000);
      const [committed, reserved] = await Promise.all([
        committedSince(db, walletId, since),
        reservedOutflow(db, walletId),
      ]);
      return { last24Hours: fromBaseUnits(committed), reserved: fromBaseUnits(reserved) };
    },

    /** Sets the wallet's own spend policy (a CFO's decision, audited with the policy before and after). */
    async setSpendPolicy(walletId: string, input: unknown, actor: Actor, query: Query = {}) {
      const parsed = parseInput(spendPolicySchema, input);
      const policy: SpendPolicy = {
        ...parsed,
        recipients: parsed.recipients.map((r) => ({ address: r.address, label: r.label ?? null })),
      };
      policy.recipients = policy.recipients.map((r, i) => {
        const address = checksummed(r.address);
        if (!address) {
          throw new ValidationError('An allowed recipient is not a valid address.', [
            {
              path: ['input', 'recipients', i, 'address'],
              message: 'the mixed-case address fails its EIP-55 checksum',
            },
          ]);
        }
        return { ...r, address };
      });
      return db.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<
          { id: string }[]
        >`SELECT id FROM wallets WHERE id = ${walletId}::uuid FOR UPDATE`;
        if (!rows.length) throw new NotFoundError('Wallet', walletId);
        const wallet = await tx.wallet.findUniqueOrThrow({ where: { id: walletId } });
        const before = policyOf(wallet);
        await tx.wallet.update({
          where: { id: walletId },
          data: { metadata: asJson({ ...((wallet.metadata as object | null) ?? {}), spendPolicy: policy }) },
        });
        await writeAudit(tx, {
          agentId: wallet.agentId,
          action: 'wallet.spend_policy_set',
          actor,
          details: { walletId, before: before.policy, beforeSource: before.source, after: policy },
        });
        return tx.wallet.findUniqueOrThrow({ ...query, where: { id: walletId } });
      });
    },
  };
}

export type WalletService = ReturnType<typeof createWalletService>;
