// Wallets, transfers and transactions: types, queries, mutations and the transfer subscription. Keys are never
// part of the schema. Resolvers only translate ids and call the wallet and transfer services.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { filter, pipe } from 'graphql-yoga';
import { fromBaseUnits } from '../../domain/wallets/amounts.js';
import { TRANSFER_STATUSES } from '../../domain/wallets/transfers.service.js';
import { TRANSACTION_STATUSES, TRANSFER_TOPIC } from '../../domain/wallets/wallets.service.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { readOncePerEvent } from '../event-reads.js';
import { idOf, optionalIdOf } from '../ids.js';
import { connectionOf, enumFromValues } from './common.js';

export const TransactionStatus = enumFromValues('TransactionStatus', TRANSACTION_STATUSES, 'On-chain status.');
export const TransferStatus = enumFromValues(
  'TransferStatus',
  TRANSFER_STATUSES,
  'Where a transfer is: AWAITING_APPROVAL (a CFO decides) → APPROVED → SUBMITTED (sent) → CONFIRMED | FAILED; or ' +
    'REJECTED, EXPIRED (nobody approved it in time) or CANCELLED (withdrawn) without ever being signed.',
);
const PolicySource = enumFromValues(
  'SpendPolicySource',
  ['wallet', 'default'] as const,
  'WALLET: a CFO set this wallet’s own policy; DEFAULT: the deployment’s (TRANSFER_* settings).',
);

const decimalOf = (units: { toFixed(): string } | null | undefined) =>
  units ? fromBaseUnits(BigInt(units.toFixed())) : null;

const Balance = builder.objectRef<{ baseUnits: bigint; currency: string }>('WalletBalance').implement({
  description: 'A balance read from the chain when asked (never cached).',
  fields: (t) => ({
    amount: t.field({
      type: 'Decimal',
      description: 'Exact, in the currency (up to 18 decimals).',
      resolve: (b) => fromBaseUnits(b.baseUnits),
    }),
    baseUnits: t.string({ description: 'In the smallest unit (wei).', resolve: (b) => b.baseUnits.toString() }),
    currency: t.exposeString('currency'),
  }),
});

const AllowedRecipient = builder.objectRef<{ address: string; label: string | null }>('AllowedRecipient').implement({
  fields: (t) => ({
    address: t.exposeString('address', { description: 'EIP-55 checksummed.' }),
    label: t.exposeString('label', { nullable: true }),
  }),
});

type PolicyShape = {
  source: 'wallet' | 'default';
  policy: {
    maxPerTransaction: string;
    dailyLimit: string;
    currencies: string[];
    recipients: { address: string; label: string | null }[];
  };
};

const SpendPolicy = builder.objectRef<PolicyShape>('SpendPolicy').implement({
  description: 'What the wallet may send before a CFO is asked: caps, and the allowed recipients and currencies.',
  fields: (t) => ({
    source: t.field({ type: PolicySource, resolve: (p) => p.source }),
    maxPerTransaction: t.field({ type: 'Decimal', resolve: (p) => p.policy.maxPerTransaction }),
    dailyLimit: t.field({
      type: 'Decimal',
      description:
        'Over any 24 hours, counting transfers waiting for approval or sent (not rejected, expired, cancelled or failed).',
      resolve: (p) => p.policy.dailyLimit,
    }),
    currencies: t.stringList({ resolve: (p) => p.policy.currencies }),
    recipients: t.field({
      type: [AllowedRecipient],
      description: 'The allowlist: nobody else can be paid. Empty: nobody can.',
      resolve: (p) => p.policy.recipients,
    }),
  }),
});

const Spending = builder.objectRef<{ last24Hours: string; reserved: string }>('WalletSpending').implement({
  fields: (t) => ({
    last24Hours: t.field({
      type: 'Decimal',
      description: 'Committed in the last 24 hours (what the daily cap counts).',
      resolve: (s) => s.last24Hours,
    }),
    reserved: t.field({
      type: 'Decimal',
      description: 'Approved or sent, not yet confirmed: still to leave the balance.',
      resolve: (s) => s.reserved,
    }),
  }),
});

const TransferActor = builder.objectRef<{ kind: string; id?: string | null }>('TransferActor').implement({
  description: 'Who asked: a user, an API key (service), or the swarm (an agent’s execute_transaction task).',
  fields: (t) => ({
    kind: t.string({ resolve: (a) => a.kind }),
    id: t.string({
      nullable: true,
      description: 'A User or ApiKey global ID, or the system component.',
      resolve: (a) => (a.id && a.kind === 'user' ? encodeGlobalID('User', a.id) : (a.id ?? null)),
    }),
  }),
});

const PolicyViolationRef = builder
  .objectRef<{ rule: string; message: string; limit?: string; actual?: string }>('SpendPolicyViolation')
  .implement({
    fields: (t) => ({
      rule: t.exposeString('rule', {
        description: 'per_transaction_cap, daily_cap, recipient_allowlist, currency_allowlist or balance.',
      }),
      message: t.exposeString('message'),
      limit: t.string({ nullable: true, resolve: (v) => v.limit ?? null }),
      actual: t.string({ nullable: true, resolve: (v) => v.actual ?? null }),
    }),
  });

type CheckShape = { allowed: boolean; checkedAt: string; spentInWindow: string; violations: PolicyViolationShape[] };
type PolicyViolationShape = { rule: string; message: string; limit?: string; actual?: string };

const PolicyCheckRef = builder.objectRef<CheckShape>('SpendPolicyCheck').implement({
  description: 'The spend policy’s verdict when the transfer was asked for (and again at approval).',
  fields: (t) => ({
    allowed: t.exposeBoolean('allowed'),
    checkedAt: t.field({ type: 'DateTime', resolve: (c) => new Date(c.checkedAt) }),
    spentInWindow: t.field({
      type: 'Decimal',
      description: 'Committed in the 24 hours before.',
      resolve: (c) => c.spentInWindow,
    }),
    violations: t.field({ type: [PolicyViolationRef], resolve: (c) => c.violations }),
  }),
});

export const Wallet = builder.prismaNode('Wallet', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: "An agent's account on one blockchain (one per agent per chain). Its key is Chimera's and never shown.",
  fields: (t) => ({
    address: t.exposeString('address', { description: 'EIP-55 checksummed.' }),
    blockchain: t.exposeString('blockchain', { description: 'CAIP-2 chain id, e.g. eip155:31337.' }),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    agent: t.relation('agent', { nullable: true }),
    balance: t.field({
      type: Balance,
      nullable: true,
      description: 'Live from the chain; null with a CHAIN_UNAVAILABLE error when the chain does not answer.',
      resolve: async (w, _a, ctx) => ({
        baseUnits: await ctx.services.wallets.balanceOf(w),
        currency: ctx.services.wallets.nativeCurrency,
      }),
    }),
    spendPolicy: t.field({ type: SpendPolicy, resolve: (w, _a, ctx) => ctx.services.wallets.policyOf(w) }),
    spending: t.field({ type: Spending, resolve: (w, _a, ctx) => ctx.services.wallets.spending(w.id) }),
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
    transfers: t.relatedConnection(
      'transfers',
      {
        cursor: 'id',
        totalCount: true,
        description: 'Newest first.',
        query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      },
      TransferConnection,
    ),
  }),
});

export const Transaction = builder.prismaNode('Transaction', {
  id: { field: 'id' },
  // node(id:) answers null for an unknown id, as Relay expects, instead of an error.
  nullable: true,
  description: 'A transaction on the chain: signed and recorded before it was broadcast.',
  fields: (t) => ({
    transactionHash: t.exposeString('transactionHash', { nullable: true }),
    amount: t.expose('amount', { type: 'Decimal' }),
    currency: t.exposeString('currency'),
    status: t.field({ type: TransactionStatus, resolve: (tx) => (tx.status ?? 'pending') as 'pending' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    wallet: t.relation('wallet', { nullable: true }),
    transfer: t.relation('transfer', { nullable: true }),
    fromAddress: t.exposeString('fromAddress', { nullable: true }),
    toAddress: t.exposeString('toAddress', { nullable: true }),
    nonce: t.int({ nullable: true, resolve: (tx) => (tx.nonce === null ? null : Number(tx.nonce)) }),
    blockNumber: t.int({ nullable: true, resolve: (tx) => (tx.blockNumber === null ? null : Number(tx.blockNumber)) }),
    confirmations: t.exposeInt('confirmations', { description: 'Blocks on top of (and including) its block.' }),
    gasUsed: t.string({ nullable: true, resolve: (tx) => tx.gasUsed?.toFixed() ?? null }),
    fee: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Gas used × effective gas price, exact, in the currency (up to 18 decimals).',
      resolve: (tx) => decimalOf(tx.feeBaseUnits),
    }),
    error: t.exposeString('error', { nullable: true }),
    broadcastAt: t.expose('broadcastAt', { type: 'DateTime', nullable: true }),
    confirmedAt: t.expose('confirmedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const Transfer = builder.prismaNode('Transfer', {
  id: { field: 'id' },
  nullable: true,
  description:
    'A request to send money from an agent’s wallet: checked by the spend policy when asked, then waiting for a CFO. ' +
    'Only an approved transfer is ever signed.',
  fields: (t) => ({
    amount: t.expose('amount', { type: 'Decimal' }),
    currency: t.exposeString('currency'),
    recipient: t.exposeString('recipient', { description: 'EIP-55 checksummed.' }),
    recipientLabel: t.string({
      nullable: true,
      description: 'The allowlist’s name for the recipient.',
      resolve: async (tr, _a, ctx) => {
        const wallet = await ctx.db.wallet.findUnique({ where: { id: tr.walletId }, select: { metadata: true } });
        const { policy } = ctx.services.wallets.policyOf(wallet ?? { metadata: null });
        return policy.recipients.find((r) => r.address.toLowerCase() === tr.recipient.toLowerCase())?.label ?? null;
      },
    }),
    reason: t.exposeString('reason'),
    status: t.field({ type: TransferStatus, resolve: (tr) => tr.status as 'approved' }),
    requestedBy: t.field({ type: TransferActor, resolve: (tr) => tr.requestedBy as { kind: string; id?: string } }),
    decidedBy: t.id({
      nullable: true,
      description: 'The User ID of the CFO who approved or rejected it.',
      resolve: (tr) => (tr.decidedBy ? encodeGlobalID('User', tr.decidedBy) : null),
    }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    decisionNote: t.exposeString('decisionNote', { nullable: true }),
    policyCheck: t.field({ type: PolicyCheckRef, resolve: (tr) => tr.policyCheck as unknown as CheckShape }),
    error: t.string({
      nullable: true,
      description: 'Why it failed on the chain.',
      resolve: (tr) => (tr.error as { message?: string } | null)?.message ?? null,
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'Unapproved by then, it is EXPIRED.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    wallet: t.relation('wallet'),
    agent: t.relation('agent', { nullable: true }),
    task: t.relation('task', { nullable: true, description: 'The execute_transaction task that asked for it.' }),
    transaction: t.relation('transaction', { nullable: true, description: 'Once signed: the on-chain transaction.' }),
  }),
});

const WalletConnection = connectionOf(Wallet, 'Wallet');
const TransactionConnection = connectionOf(Transaction, 'Transaction');
const TransferConnection = connectionOf(Transfer, 'Transfer');

const WalletFilter = builder.inputType('WalletFilter', {
  fields: (t) => ({ agentId: t.globalID({ description: 'An Agent ID.' }), blockchain: t.string() }),
});

const TransactionFilter = builder.inputType('TransactionFilter', {
  fields: (t) => ({
    walletId: t.globalID({ description: 'A Wallet ID.' }),
    agentId: t.globalID({ description: 'An Agent ID: transactions of its wallets.' }),
    status: t.field({ type: [TransactionStatus] }),
    currency: t.string(),
    transactionHash: t.string(),
    createdAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

const TransferFilter = builder.inputType('TransferFilter', {
  fields: (t) => ({
    walletId: t.globalID({ description: 'A Wallet ID.' }),
    agentId: t.globalID({ description: 'An Agent ID.' }),
    status: t.field({ type: [TransferStatus], description: 'e.g. [AWAITING_APPROVAL]: what a CFO has to decide.' }),
    createdAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

const RequestTransferInput = builder.inputType('RequestTransferInput', {
  fields: (t) => ({
    walletId: t.globalID({
      description: 'The Wallet to pay from; or give agentId for the agent’s wallet on this chain.',
    }),
    agentId: t.globalID({ description: 'An Agent ID (its wallet on the configured chain).' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'In the currency, e.g. "0.01".' }),
    currency: t.string({ description: 'Default: the chain’s (ETH).' }),
    recipient: t.string({ required: true, description: 'An address on the spend policy’s allowlist.' }),
    reason: t.string({
      required: true,
      description: 'Why: shown to the CFO and kept in the audit log. Up to 1,000 characters.',
    }),
  }),
});

const AllowedRecipientInput = builder.inputType('AllowedRecipientInput', {
  fields: (t) => ({ address: t.string({ required: true }), label: t.string() }),
});

const SpendPolicyInput = builder.inputType('SpendPolicyInput', {
  fields: (t) => ({
    maxPerTransaction: t.field({ type: 'Decimal', required: true }),
    dailyLimit: t.field({ type: 'Decimal', required: true }),
    currencies: t.stringList({ required: true }),
    recipients: t.field({ type: [AllowedRecipientInput], required: true }),
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
  transfers: t.prismaConnection(
    {
      type: 'Transfer',
      cursor: 'id',
      description: 'Transfers, newest first. A CFO’s queue: filter: { status: [AWAITING_APPROVAL] }.',
      args: { filter: t.arg({ type: TransferFilter }) },
      totalCount: (_root, { filter }, ctx) => ctx.services.transfers.count(transferFilter(filter, ctx)),
      resolve: (query, _root, { filter }, ctx) => ctx.services.transfers.list(transferFilter(filter, ctx), query),
    },
    TransferConnection,
  ),
}));

builder.mutationFields((t) => ({
  createWallet: t.prismaField({
    type: 'Wallet',
    description:
      'Makes the agent’s wallet on the configured chain: a new key, encrypted at rest and never shown. CONFLICT when it has one.',
    args: { agentId: t.arg.globalID({ required: true, description: 'An Agent ID.' }) },
    resolve: (query, _root, { agentId }, ctx) =>
      ctx.services.wallets.createWallet(idOf(agentId, 'Agent'), ctx.actor, query),
  }),
  requestTransfer: t.prismaField({
    type: 'Transfer',
    description:
      'Asks to send money from an agent’s wallet. The spend policy checks it at once (SPEND_POLICY_VIOLATION with ' +
      'extensions.violations when it breaks a rule; nothing is written); otherwise it is AWAITING_APPROVAL until a CFO decides.',
    args: { input: t.arg({ type: RequestTransferInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      ctx.services.transfers.request(
        {
          ...input,
          walletId: optionalIdOf(input.walletId, 'Wallet'),
          agentId: optionalIdOf(input.agentId, 'Agent'),
        },
        { actor: ctx.actor, userId: ctx.principal?.kind === 'user' ? ctx.principal.id : null },
        { query },
      ),
  }),
  approveTransfer: t.prismaField({
    type: 'Transfer',
    description:
      'A CFO approves (cfo role, a step-up within the window, not the one who asked): the policy and the balance are ' +
      'checked again, and the transfer is signed, sent and followed to confirmation by the chain stage.',
    args: {
      id: t.arg.globalID({ required: true, for: Transfer }),
      note: t.arg.string({ description: 'Kept with the decision. Up to 1,000 characters.' }),
    },
    resolve: (query, _root, { id, note }, ctx) =>
      ctx.services.transfers.approve(id.id, ctx.principal, note, ctx.meta, query),
  }),
  rejectTransfer: t.prismaField({
    type: 'Transfer',
    description: 'A CFO rejects: it is never signed; the task that asked for it fails with TRANSFER_REJECTED.',
    args: {
      id: t.arg.globalID({ required: true, for: Transfer }),
      reason: t.arg.string({ required: true, description: 'Up to 1,000 characters.' }),
    },
    resolve: (query, _root, { id, reason }, ctx) =>
      ctx.services.transfers.reject(id.id, ctx.principal, reason, ctx.meta, query),
  }),
  cancelTransfer: t.prismaField({
    type: 'Transfer',
    description: 'Withdraws a transfer still AWAITING_APPROVAL (whoever asked for it, or a CFO).',
    args: {
      id: t.arg.globalID({ required: true, for: Transfer }),
      reason: t.arg.string({ required: true, description: 'Up to 1,000 characters.' }),
    },
    resolve: (query, _root, { id, reason }, ctx) => ctx.services.transfers.cancel(id.id, ctx.principal, reason, query),
  }),
  setSpendPolicy: t.prismaField({
    type: 'Wallet',
    description:
      'A CFO sets the wallet’s own spend policy (with a fresh step-up); audited with the policy before and after.',
    args: {
      walletId: t.arg.globalID({ required: true, for: Wallet }),
      policy: t.arg({ type: SpendPolicyInput, required: true }),
    },
    resolve: (query, _root, { walletId, policy }, ctx) =>
      ctx.services.wallets.setSpendPolicy(walletId.id, policy, ctx.actor, query),
  }),
}));

builder.subscriptionFields((t) => ({
  transferUpdated: t.prismaField({
    type: 'Transfer',
    description:
      'Every step of a transfer: requested, approved, rejected, expired, cancelled, signed and sent, each confirmation, ' +
      'confirmed or failed. Optionally of one transfer, wallet or agent (callers limited to assigned agents hear only theirs).',
    args: {
      transferId: t.arg.globalID({ for: Transfer }),
      walletId: t.arg.globalID({ for: Wallet }),
      agentId: t.arg.globalID({ description: 'An Agent ID.' }),
    },
    subscribe: (_root, args, ctx) => {
      const agentId = optionalIdOf(args.agentId, 'Agent');
      return pipe(
        ctx.pubsub.subscribe(TRANSFER_TOPIC),
        filter(async ({ id }: { id: string }) => {
          if (args.transferId && args.transferId.id !== id) return false;
          const row = await ctx.db.transfer.findUnique({ where: { id }, select: { walletId: true, agentId: true } });
          if (!row) return false;
          if (args.walletId && args.walletId.id !== row.walletId) return false;
          if (agentId && agentId !== row.agentId) return false;
          const within = ctx.access.agentIds;
          return !within || (row.agentId !== null && within.includes(row.agentId));
        }),
      );
    },
    resolve: (query, payload: { id: string }, _args, ctx) =>
      readOncePerEvent(payload, query, () =>
        ctx.db.transfer.findUniqueOrThrow({ ...query, where: { id: payload.id } }),
      ),
  }),
}));

function walletFilter(f: typeof WalletFilter.$inferInput | null | undefined, ctx: Context) {
  return { ...f, agentId: optionalIdOf(f?.agentId, 'Agent'), withinAgentIds: ctx.access.agentIds };
}

/** The ledger filters (transactions, transfers): ids decoded, `status` as the service's `statuses`, the scope. */
function transactionFilter(f: typeof TransactionFilter.$inferInput | null | undefined, ctx: Context) {
  return { ...f, ...ledgerScope(f, ctx), statuses: f?.status };
}

function transferFilter(f: typeof TransferFilter.$inferInput | null | undefined, ctx: Context) {
  return { ...f, ...ledgerScope(f, ctx), statuses: f?.status };
}

type GlobalId = { id: string; typename: string } | null | undefined;
const ledgerScope = (f: { walletId?: GlobalId; agentId?: GlobalId } | null | undefined, ctx: Context) => ({
  walletId: optionalIdOf(f?.walletId, 'Wallet'),
  agentId: optionalIdOf(f?.agentId, 'Agent'),
  withinAgentIds: ctx.access.agentIds,
});
