// Wallets and their transactions. Read side for now (keys, chain access and transfers arrive later).
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import { agentIdWithin, orUndefined, statusIn, timeRange } from '../shared/filters.js';

export const TRANSACTION_STATUSES = ['pending', 'confirmed', 'failed'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

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
  statuses?: TransactionStatus[] | null;
  currency?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

type WalletPage = Pick<Prisma.WalletFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;
type TransactionPage = Pick<Prisma.TransactionFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;

export function walletWhere(f: WalletFilter = {}): Prisma.WalletWhereInput {
  return { agentId: agentIdWithin(f.agentId, f.withinAgentIds), blockchain: orUndefined(f.blockchain) };
}

export function transactionWhere(f: TransactionFilter = {}): Prisma.TransactionWhereInput {
  return {
    walletId: orUndefined(f.walletId),
    ...(f.withinAgentIds ? { wallet: { agentId: { in: f.withinAgentIds } } } : {}),
    ...statusIn(f.statuses, 'pending'),
    currency: orUndefined(f.currency),
    createdAt: timeRange(f.createdAfter, f.createdBefore),
  };
}

export function createWalletService({ db }: { db: Database }) {
  return {
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
  };
}

export type WalletService = ReturnType<typeof createWalletService>;
