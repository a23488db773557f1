// Wallet and Transaction: types and queries. Keys are never part of the schema.
import { TRANSACTION_STATUSES } from '../../domain/wallets/wallets.service.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { optionalIdOf } from '../ids.js';
import { connectionOf, enumFromValues } from './common.js';

export const TransactionStatus = enumFromValues('TransactionStatus', TRANSACTION_STATUSES, 'On-chain status.');

export const Wallet = builder.prismaNode('Wallet', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: "An agent's account on one blockchain (one per agent per chain).",
  fields: (t) => ({
    address: t.exposeString('address'),
    blockchain: t.exposeString('blockchain'),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    agent: t.relation('agent', { nullable: true }),
    transactions: t.relatedConnection(
      'transactions',
      {
        cursor: 'id',
        totalCount: true,
        description: 'Newest first.',
        query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      },
      TransactionConnection,
    ),
  }),
});

export const Transaction = builder.prismaNode('Transaction', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  fields: (t) => ({
    transactionHash: t.exposeString('transactionHash', { nullable: true }),
    amount: t.expose('amount', { type: 'Decimal' }),
    currency: t.exposeString('currency'),
    status: t.field({ type: TransactionStatus, resolve: (tx) => (tx.status ?? 'pending') as 'pending' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    wallet: t.relation('wallet', { nullable: true }),
  }),
});

const WalletConnection = connectionOf(Wallet, 'Wallet');
const TransactionConnection = connectionOf(Transaction, 'Transaction');

const WalletFilter = builder.inputType('WalletFilter', {
  fields: (t) => ({ agentId: t.globalID({ description: 'An Agent ID.' }), blockchain: t.string() }),
});

const TransactionFilter = builder.inputType('TransactionFilter', {
  fields: (t) => ({
    walletId: t.globalID({ description: 'A Wallet ID.' }),
    status: t.field({ type: [TransactionStatus] }),
    currency: t.string(),
    createdAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

builder.queryFields((t) => ({
  wallets: t.prismaConnection(
    {
      type: 'Wallet',
      cursor: 'id',
      args: { filter: t.arg({ type: WalletFilter }) },
      totalCount: (_root, { filter }, ctx) => ctx.services.wallets.countWallets(walletFilter(filter, ctx)),
      resolve: (query, _root, { filter }, ctx) => ctx.services.wallets.listWallets(walletFilter(filter, ctx), query),
    },
    WalletConnection,
  ),
  transactions: t.prismaConnection(
    {
      type: 'Transaction',
      cursor: 'id',
      description: 'Transactions, newest first.',
      args: { filter: t.arg({ type: TransactionFilter }) },
      totalCount: (_root, { filter }, ctx) => ctx.services.wallets.countTransactions(transactionFilter(filter, ctx)),
      resolve: (query, _root, { filter }, ctx) =>
        ctx.services.wallets.listTransactions(transactionFilter(filter, ctx), query),
    },
    TransactionConnection,
  ),
}));

function walletFilter(f: typeof WalletFilter.$inferInput | null | undefined, ctx: Context) {
  return { ...f, agentId: optionalIdOf(f?.agentId, 'Agent'), withinAgentIds: ctx.access.agentIds };
}

function transactionFilter(f: typeof TransactionFilter.$inferInput | null | undefined, ctx: Context) {
  return {
    ...f,
    walletId: optionalIdOf(f?.walletId, 'Wallet'),
    statuses: f?.status,
    withinAgentIds: ctx.access.agentIds,
  };
}
