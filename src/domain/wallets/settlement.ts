// Settlement: takes an approved transfer to the chain exactly once, and follows it to its last confirmation. The job
// is a small state machine over the rows, so any run — the first, a retry, another process after a crash — picks up
// where the last one stopped:
//   1. approved, no transaction yet → under the wallet's lock, take the next nonce (the chain's pending count, or one
//      past our own newest live transaction), sign, and record the signed bytes and their hash. Nothing is broadcast
//      before that commit, so a crash before it leaves nothing on the chain (signing again gives the same nonce).
//   2. approved, transaction recorded → broadcast the recorded bytes (again, after a crash: the node answers that it
//      knows them, or, once mined, that the nonce is used — by these very bytes). The transfer is SUBMITTED.
//   3. submitted → read the receipt: not yet (re-broadcast if the node forgot the bytes), or mined with enough blocks
//      on top → CONFIRMED (fee = gas used × effective price), or reverted → FAILED.
// The same nonce can only ever be mined once, so however many times the bytes go out, the money moves once.
import type { Hex } from 'viem';
import type { ChainError, EvmChain } from '../../platform/chain/evm.js';
import { signTransfer } from '../../platform/chain/evm.js';
import type { KeyEncryptionKey } from '../../platform/crypto/envelope.js';
import type { Database } from '../../platform/db/prisma.js';
import { type Tx, writeAudit } from '../audit/audit.service.js';
import { asJson } from '../shared/json.js';
import type { Publish } from '../swarm/events.js';
import { QuotaDeferral } from '../tasks/limits.js';
import { baseUnitsOf } from './amounts.js';
import { withWalletKey } from './keys.js';
import { settleTaskOf, type TransferStatus } from './transfers.service.js';
import { announceTransfer } from './wallets.service.js';

/** Named points where a test can kill the process (CHIMERA_FAULTS=chain:after_sign,…); never set in production. */
export type SettlementFault = 'chain:after_sign' | 'chain:after_record' | 'chain:after_broadcast';

export interface SettlementDeps {
  db: Database;
  chain: EvmChain;
  kek: KeyEncryptionKey;
  /** Blocks on top of the transaction's before it counts as confirmed. */
  confirmations: number;
  /** How long to wait before looking for a receipt again. */
  pollIntervalMs: number;
  publish?: Publish;
  /** Crashes the process at a fault point, when the point is armed (tests). */
  fault?: (point: SettlementFault) => void;
}

const SYSTEM = { kind: 'system' as const, id: 'chain-settlement' };

export type SettlementStep = 'signed' | 'submitted' | 'confirmed' | 'failed' | 'done';

/** Runs the transfer's settlement until it is final or must wait (a QuotaDeferral: the job comes back later). */
export async function settleTransfer(
  deps: SettlementDeps,
  transferId: string,
): Promise<{ transferId: string; status: string }> {
  for (let step = 0; step < 6; step += 1) {
    const outcome = await settleStep(deps, transferId);
    if (outcome === 'done' || outcome === 'confirmed' || outcome === 'failed') {
      const t = await deps.db.transfer.findUnique({ where: { id: transferId }, select: { status: true } });
      return { transferId, status: t?.status ?? 'missing' };
    }
  }
  throw new QuotaDeferral('confirmations', deps.pollIntervalMs, 'the transaction is not confirmed yet');
}

async function settleStep(deps: SettlementDeps, transferId: string): Promise<SettlementStep> {
  const { db } = deps;
  const transfer = await db.transfer.findUnique({
    where: { id: transferId },
    include: { transaction: true, wallet: true },
  });
  if (!transfer) return 'done';
  const status = transfer.status as TransferStatus;
  if (status !== 'approved' && status !== 'submitted') return 'done';
  const recorded = transfer.transaction;
  if (status === 'approved' && (!recorded || recorded.status === 'failed')) return sign(deps, transferId);
  if (!recorded?.rawTransaction || !recorded.transactionHash) {
    return fail(deps, transferId, 'The transaction record is incomplete; nothing was broadcast.');
  }
  if (status === 'approved') return broadcast(deps, transferId, recorded.rawTransaction as Hex);
  return confirm(deps, transferId, recorded.transactionHash as Hex, recorded.rawTransaction as Hex);
}

/** Step 1: the nonce, the signature and the record, in one transaction under the wallet's lock. */
async function sign(deps: SettlementDeps, transferId: string): Promise<SettlementStep> {
  const { db, chain } = deps;
  return db
    .$transaction(
      async (tx) => {
        const transfer = await tx.transfer.findUniqueOrThrow({ where: { id: transferId }, include: { wallet: true } });
        await tx.$queryRaw`SELECT id FROM wallets WHERE id = ${transfer.walletId}::uuid FOR UPDATE`;
        const live = await tx.transaction.findFirst({ where: { transferId, status: { not: 'failed' } } });
        if (transfer.status !== 'approved' || live) return 'signed' as const;
        const from = transfer.wallet.address as Hex;
        const newest = await tx.transaction.aggregate({
          _max: { nonce: true },
          where: { walletId: transfer.walletId, status: { not: 'failed' }, nonce: { not: null } },
        });
        const ours = newest._max.nonce === null ? 0 : Number(newest._max.nonce) + 1;
        const nonce = Math.max(ours, await chain.nonceOf(from, 'pending'));
        const prepared = await chain.prepareTransfer({
          to: transfer.recipient as Hex,
          value: baseUnitsOf(transfer.amountBaseUnits),
          nonce,
        });
        const signed = await withWalletKey(tx, deps.kek, transfer.wallet, (key) => signTransfer(key, prepared));
        deps.fault?.('chain:after_sign');
        // A failed attempt (its nonce taken by another sender) is kept as history; the new one replaces its link.
        await tx.transaction.updateMany({ where: { transferId, status: 'failed' }, data: { transferId: null } });
        await tx.transaction.create({
          data: {
            walletId: transfer.walletId,
            transferId,
            transactionHash: signed.hash,
            amount: transfer.amount,
            currency: transfer.currency,
            status: 'pending',
            fromAddress: transfer.wallet.address,
            toAddress: transfer.recipient,
            amountBaseUnits: transfer.amountBaseUnits,
            nonce: BigInt(nonce),
            rawTransaction: signed.raw,
          },
        });
        await writeAudit(tx, {
          agentId: transfer.agentId,
          action: 'transfer.signed',
          actor: SYSTEM,
          details: {
            transferId,
            transactionHash: signed.hash,
            nonce,
            chainId: prepared.chainId,
            maxFeePerGas: prepared.maxFeePerGas.toString(),
          },
        });
        return 'signed' as const;
      },
      { timeout: 30_000 },
    )
    .then((step) => {
      deps.fault?.('chain:after_record');
      return step;
    });
}

/** Step 2: the recorded bytes go out; SUBMITTED once the node has them. */
async function broadcast(deps: SettlementDeps, transferId: string, raw: Hex): Promise<SettlementStep> {
  try {
    await deps.chain.broadcast(raw);
  } catch (err) {
    const code = (err as ChainError).code;
    if (code === 'NONCE_TOO_LOW') {
      // Another sender used the nonce first: these bytes can never be mined, so the transfer is signed again.
      await deps.db.transaction.updateMany({
        where: { transferId, status: 'pending' },
        data: {
          status: 'failed',
          error: `Transfer ${transferId}: the nonce was used by another transaction first, so it was signed again.`,
        },
      });
      return 'signed';
    }
    if (code === 'INSUFFICIENT_FUNDS' || code === 'REJECTED_BY_NODE') {
      return fail(deps, transferId, (err as Error).message);
    }
    throw err; // CHAIN_UNAVAILABLE: the job retries with backoff
  }
  deps.fault?.('chain:after_broadcast');
  await deps.db.$transaction(async (tx) => {
    const moved = await tx.transfer.updateMany({
      where: { id: transferId, status: 'approved' },
      data: { status: 'submitted', version: { increment: 1 } },
    });
    await tx.transaction.updateMany({ where: { transferId, broadcastAt: null }, data: { broadcastAt: new Date() } });
    if (moved.count === 1) {
      const t = await tx.transfer.findUniqueOrThrow({ where: { id: transferId }, include: { transaction: true } });
      await writeAudit(tx, {
        agentId: t.agentId,
        action: 'transfer.submitted',
        actor: SYSTEM,
        details: { transferId, transactionHash: t.transaction?.transactionHash ?? null },
      });
    }
  });
  announceTransfer(deps.publish, transferId);
  return 'submitted';
}

/** Step 3: the receipt, and enough blocks on top of it. */
async function confirm(deps: SettlementDeps, transferId: string, hash: Hex, raw: Hex): Promise<SettlementStep> {
  const { chain, db } = deps;
  const receipt = await chain.receipt(hash);
  if (!receipt) {
    // A node that dropped the bytes (a restart, a full pool) gets them again; the nonce keeps it to one.
    if (!(await chain.knows(hash))) await chain.broadcast(raw).catch(() => undefined);
    throw new QuotaDeferral('confirmations', deps.pollIntervalMs, 'waiting for the transaction to be mined');
  }
  const head = await chain.blockNumber();
  const confirmations = Number(head - receipt.blockNumber + 1n);
  const fee = receipt.gasUsed * receipt.effectiveGasPrice;
  const mined = {
    blockNumber: receipt.blockNumber,
    confirmations: Math.max(confirmations, 0),
    gasUsed: receipt.gasUsed.toString(),
    effectiveGasPrice: receipt.effectiveGasPrice.toString(),
    feeBaseUnits: fee.toString(),
  };
  if (receipt.status === 'reverted') {
    await db.transaction.updateMany({ where: { transferId }, data: { ...mined, status: 'failed', error: 'reverted' } });
    return fail(deps, transferId, `The transaction ${hash} was mined but reverted.`);
  }
  if (confirmations < deps.confirmations) {
    await db.transaction.updateMany({ where: { transferId, status: 'pending' }, data: mined });
    announceTransfer(deps.publish, transferId);
    throw new QuotaDeferral(
      'confirmations',
      deps.pollIntervalMs,
      `${confirmations} of ${deps.confirmations} confirmations so far`,
    );
  }
  const tasks = await db.$transaction(async (tx) => {
    const moved = await tx.transfer.updateMany({
      where: { id: transferId, status: 'submitted' },
      data: { status: 'confirmed', version: { increment: 1 } },
    });
    if (moved.count === 0) return [];
    await tx.transaction.updateMany({
      where: { transferId },
      data: { ...mined, status: 'confirmed', confirmedAt: new Date() },
    });
    const t = await tx.transfer.findUniqueOrThrow({ where: { id: transferId } });
    await writeAudit(tx, {
      agentId: t.agentId,
      action: 'transfer.confirmed',
      actor: SYSTEM,
      details: {
        transferId,
        transactionHash: hash,
        blockNumber: receipt.blockNumber.toString(),
        confirmations,
        fee: fee.toString(),
      },
    });
    const ended = await settleTaskOf(tx, t, 'confirmed', `Transfer ${transferId} was confirmed on chain (${hash}).`);
    return ended.map((id) => ({ id, agentId: t.agentId }));
  });
  announceTransfer(deps.publish, transferId, tasks);
  return 'confirmed';
}

async function fail(deps: SettlementDeps, transferId: string, why: string): Promise<SettlementStep> {
  const tasks = await deps.db.$transaction(async (tx: Tx) => {
    const moved = await tx.transfer.updateMany({
      where: { id: transferId, status: { in: ['approved', 'submitted'] } },
      data: { status: 'failed', error: asJson({ code: 'TRANSFER_FAILED', message: why }), version: { increment: 1 } },
    });
    if (moved.count === 0) return [];
    await tx.transaction.updateMany({
      where: { transferId, status: 'pending' },
      data: { status: 'failed', error: why },
    });
    const t = await tx.transfer.findUniqueOrThrow({ where: { id: transferId } });
    await writeAudit(tx, {
      agentId: t.agentId,
      action: 'transfer.failed',
      actor: SYSTEM,
      details: { transferId, reason: why },
    });
    const ended = await settleTaskOf(tx, t, 'failed', `Transfer ${transferId} failed: ${why}`);
    return ended.map((id) => ({ id, agentId: t.agentId }));
  });
  announceTransfer(deps.publish, transferId, tasks);
  return 'failed';
}
