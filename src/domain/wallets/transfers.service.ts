// Transfers: the only way money leaves an agent's wallet. Someone asks (an operator, an agent's execute_transaction
// task, an MCP client); the spend policy checks the request at once (refusals are audited and write nothing else);
// it then waits for a CFO, who approves it with a fresh step-up, or rejects it; unanswered, it expires. Only an
// approved transfer is handed to the chain stage (settlement.ts), in the approving transaction. The rules are checked
// here whatever face called — the GraphQL permission rules are the first line, not the only one — and the database
// refuses a transaction for an unapproved transfer as a last one.
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import { checksummed } from '../../platform/chain/evm.js';
import { type Actor, type Tx, writeAudit } from '../audit/audit.service.js';
import { AuthError } from '../auth/auth-errors.js';
import { can, hasRecentStepUp, type Principal } from '../auth/principal.js';
import { type RequestMeta, recordSecurityEvent } from '../security/security-audit.js';
import { ConflictError, NotFoundError, PolicyViolationError, ValidationError, WalletError } from '../shared/errors.js';
import { agentIdWithin, oneOf, orUndefined, timeRange } from '../shared/filters.js';
import { asJson } from '../shared/json.js';
import { nonBlank, parseInput } from '../shared/validation.js';
import { settleTransferJob } from '../swarm/jobs.js';
import { failGoal, releaseDependents, resumeGoal } from '../swarm/judgement.js';
import { enqueue } from '../swarm/outbox.js';
import { taskStatusOf } from '../tasks/task.model.js';
import { moveTask } from '../tasks/task-state.js';
import { toBaseUnits } from './amounts.js';
import { checkTransfer, type PolicyCheck } from './policy.js';
import {
  announceTransfer,
  committedSince,
  reservedOutflow,
  type WalletDeps,
  type WalletService,
} from './wallets.service.js';

export const TRANSFER_STATUSES = [
  'awaiting_approval',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'submitted',
  'confirmed',
  'failed',
] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** Statuses a transfer never leaves. */
export const FINAL_TRANSFER_STATUSES: readonly TransferStatus[] = [
  'rejected',
  'expired',
  'cancelled',
  'confirmed',
  'failed',
];

/** What an execute_transaction task's result says of its transfer (result.transfer). */
export type TaskTransfer =
  | { id: string; status: string; reason?: string }
  | { refused: { code: string; message: string; violations?: unknown } };

/** Who asked for a transfer. `userId` is set for a signed-in user (the four-eyes rule compares it with the CFO). */
export interface Requester {
  actor: Actor;
  userId: string | null;
}

export interface TransferFilter {
  /** Access scope: only transfers of these agents. */
  withinAgentIds?: string[];
  walletId?: string | null;
  agentId?: string | null;
  statuses?: TransferStatus[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

type TransferPage = Pick<Prisma.TransferFindManyArgs, 'take' | 'skip' | 'cursor' | 'include' | 'select'>;
type Query = Pick<Prisma.TransferFindUniqueArgs, 'include' | 'select'>;
type TransferRow = Prisma.TransferGetPayload<Record<string, never>>;

export function transferWhere(f: TransferFilter = {}): Prisma.TransferWhereInput {
  return {
    walletId: orUndefined(f.walletId),
    agentId: agentIdWithin(f.agentId, f.withinAgentIds),
    status: oneOf(f.statuses),
    createdAt: timeRange(f.createdAfter, f.createdBefore),
  };
}

/** A gas allowance kept back when checking the balance (a plain transfer at up to 100 gwei). */
const GAS_RESERVE = 21_000n * 100_000_000_000n;

const requestSchema = z.object({
  walletId: z.uuid().nullish(),
  agentId: z.uuid().nullish(),
  amount: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,8})?$/, 'a decimal amount such as "0.01" (up to 12 digits and 8 decimals)')
    .refine((v) => /[1-9]/.test(v), 'must be more than zero'),
  currency: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{1,9}$/, 'a currency symbol such as ETH')
    .transform((c) => c.toUpperCase())
    .nullish(),
  recipient: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an address: 0x and 40 hex digits'),
  reason: nonBlank(1000),
});
export type TransferRequestInput = z.input<typeof requestSchema>;

const noteSchema = nonBlank(1000).nullish();
const reasonSchema = nonBlank(1000);

export type TransferDeps = Omit<WalletDeps, 'kek'> & {
  wallets: Pick<WalletService, 'policyOf'>;
  /** The step-up window sensitive operations need (STEP_UP_WINDOW_SECONDS). */
  stepUpWindowSeconds: number;
};

/** What ended a task's transfer, as the task's error code. */
const TASK_ERRORS: Partial<Record<TransferStatus, string>> = {
  rejected: 'TRANSFER_REJECTED',
  expired: 'TRANSFER_EXPIRED',
  cancelled: 'TRANSFER_CANCELLED',
  failed: 'TRANSFER_FAILED',
};

/**
 * Ends the execute_transaction task that asked for a transfer, as the transfer ended: COMPLETE when it is confirmed
 * (the tasks that waited for it start), FAILED (and its goal) otherwise. Returns the ids of the tasks it moved.
 */
export async function settleTaskOf(
  tx: Tx,
  transfer: TransferRow,
  status: TransferStatus,
  why: string,
): Promise<string[]> {
  if (!transfer.taskId) return [];
  const task = await tx.task.findUnique({ where: { id: transfer.taskId } });
  if (!task || taskStatusOf(task.status) !== 'review') return [];
  const summary = { id: transfer.id, status, reason: why };
  const result = { ...((task.result as object | null) ?? {}), transfer: summary };
  if (status === 'confirmed') {
    const moved = await moveTask(tx, {
      id: task.id,
      from: 'review',
      to: 'complete',
      expectedVersion: task.version,
      result: asJson(result),
    });
    if (moved !== null && task.goalId) {
      await releaseDependents(tx, task.goalId);
      await resumeGoal(tx, task.goalId);
    }
    return moved === null ? [] : [task.id];
  }
  const error = { code: TASK_ERRORS[status] ?? 'TRANSFER_FAILED', message: why };
  const moved = await moveTask(tx, {
    id: task.id,
    from: 'review',
    to: 'failed',
    expectedVersion: task.version,
    result: asJson({ ...result, error }),
  });
  if (moved === null) return [];
  const ended = task.goalId ? await failGoal(tx, task.goalId, `Task ${task.id}: ${why}`) : [];
  return [task.id, ...ended];
}

/** AWAITING_APPROVAL → CANCELLED, audited; CONFLICT in any other state. */
async function withdraw(tx: Tx, transfer: TransferRow, actor: Actor, why: string) {
  if (transfer.status !== 'awaiting_approval') {
    throw new ConflictError(
      'Transfer',
      transfer.id,
      `is ${transfer.status.toUpperCase()}; only a transfer AWAITING_APPROVAL can be withdrawn.`,
    );
  }
  await tx.transfer.update({ where: { id: transfer.id }, data: { status: 'cancelled', version: { increment: 1 } } });
  await writeAudit(tx, {
    agentId: transfer.agentId,
    action: 'transfer.cancelled',
    actor,
    details: { transferId: transfer.id, reason: why },
  });
}

/**
 * Cancelling an execute_transaction task withdraws its transfer while it waits for approval; once a CFO approved it
 * (it is being sent) the task cannot be cancelled. Called in the cancelling transaction.
 */
export async function withdrawTransferOfTask(tx: Tx, taskId: string, actor: Actor, why: string): Promise<void> {
  const rows = await tx.$queryRaw<
    { id: string }[]
  >`SELECT id FROM transfers WHERE task_id = ${taskId}::uuid FOR UPDATE`;
  if (!rows.length) return;
  const transfer = await tx.transfer.findUniqueOrThrow({ where: { taskId } });
  if (transfer.status === 'approved' || transfer.status === 'submitted') {
    throw new ConflictError(
      'Task',
      taskId,
      `has a transfer a CFO approved (${transfer.status.toUpperCase()}), on its way to the chain; it cannot be cancelled now.`,
    );
  }
  if (transfer.status === 'awaiting_approval') await withdraw(tx, transfer, actor, why);
}

export function createTransferService(deps: TransferDeps) {
  const { db, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const announce = (transferId: string, tasks: readonly { id: string; agentId: string | null }[] = []) =>
    announceTransfer(deps.publish, transferId, tasks);

  /** The available balance (balance − approved outflow − a gas allowance), or null when the chain is unreachable. */
  async function available(tx: Pick<Tx, 'transfer'>, wallet: { id: string; address: string }, exclude?: string) {
    if (!deps.chain) return null;
    try {
      const balance = await deps.chain.balanceOf(wallet.address as `0x${string}`);
      return balance - (await reservedOutflow(tx, wallet.id, exclude)) - GAS_RESERVE;
    } catch {
      return null;
    }
  }

  async function policyCheck(
    tx: Tx,
    wallet: { id: string; address: string; metadata: unknown },
    ask: { amount: string; currency: string; recipient: string },
    opts: { excludeTransferId?: string; requireBalance: boolean },
  ): Promise<PolicyCheck> {
    const { policy, source } = deps.wallets.policyOf(wallet);
    const since = new Date(now().getTime() - 86_400_000);
    const spent = await committedSince(tx, wallet.id, since, opts.excludeTransferId);
    const left = await available(tx, wallet, opts.excludeTransferId);
    if (left === null && opts.requireBalance) {
      throw new WalletError(
        'CHAIN_UNAVAILABLE',
        "The chain did not answer, so the wallet's balance cannot be checked; try again.",
      );
    }
    return checkTransfer(policy, ask, spent, { source, available: left, now: now() });
  }

  /** Locks the wallet's row: requests and approvals of one wallet take turns, so caps cannot be raced past. */
  const lockWallet = (tx: Tx, walletId: string) =>
    tx.$queryRaw<{ id: string }[]>`SELECT id FROM wallets WHERE id = ${walletId}::uuid FOR UPDATE`;

  /** Re-reads a transfer under a row lock, as the decision's starting point. */
  async function lockTransfer(tx: Tx, transferId: string): Promise<TransferRow> {
    const rows = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id FROM transfers WHERE id = ${transferId}::uuid FOR UPDATE`;
    if (!rows.length) throw new NotFoundError('Transfer', transferId);
    return tx.transfer.findUniqueOrThrow({ where: { id: transferId } });
  }

  /** The transfer, locked, as a CFO's decision finds it: still AWAITING_APPROVAL, and asked for by someone else. */
  async function lockForDecision(tx: Tx, transferId: string, cfoUserId: string, decision: 'approved' | 'rejected') {
    const current = await lockTransfer(tx, transferId);
    if (current.status !== 'awaiting_approval') {
      throw new ConflictError(
        'Transfer',
        transferId,
        `is ${current.status.toUpperCase()}; only a transfer AWAITING_APPROVAL can be ${decision}.`,
      );
    }
    if (current.requestedByUserId === cfoUserId) {
      throw new AuthError('FORBIDDEN', 'Four eyes: you asked for this transfer, so another CFO must decide it.');
    }
    return current;
  }

  /** A CFO's authority, checked here again (the API's rules check it first). */
  function requireCfo(principal: Principal | null, what: string, stepUp: boolean): { userId: string } {
    if (principal?.kind !== 'user' || !principal.session) {
      throw new AuthError('FORBIDDEN', `Only a signed-in CFO can ${what} (not an API key or an agent).`);
    }
    if (!can(principal, 'transaction:approve')) {
      throw new AuthError('FORBIDDEN', `Only a user with the cfo role can ${what}.`);
    }
    if (stepUp && !hasRecentStepUp(principal, deps.stepUpWindowSeconds, now())) {
      throw new AuthError(
        'STEP_UP_REQUIRED',
        `To ${what}, step up first (stepUpWithTotp or WebAuthn) — within the last ${deps.stepUpWindowSeconds} s.`,
      );
    }
    return { userId: principal.id };
  }

  /** Awaiting approval and past its deadline: expires it (committed on its own) and says so. */
  async function expireIfDue(transfer: TransferRow): Promise<void> {
    if (transfer.status !== 'awaiting_approval' || transfer.expiresAt > now()) return;
    await expire([transfer.id]);
    throw new ConflictError(
      'Transfer',
      transfer.id,
      `expired at ${transfer.expiresAt.toISOString()} before anyone approved it.`,
    );
  }

  async function expire(ids?: string[]): Promise<string[]> {
    const due = await db.transfer.findMany({
      where: { status: 'awaiting_approval', expiresAt: { lte: now() }, ...(ids ? { id: { in: ids } } : {}) },
      select: { id: true },
      take: 500,
    });
    const expired: string[] = [];
    for (const { id } of due) {
      const tasks = await db.$transaction(async (tx) => {
        const t = await lockTransfer(tx, id);
        if (t.status !== 'awaiting_approval' || t.expiresAt > now()) return null;
        await tx.transfer.update({ where: { id }, data: { status: 'expired', version: { increment: 1 } } });
        await writeAudit(tx, {
          agentId: t.agentId,
          action: 'transfer.expired',
          actor: { kind: 'system', id: 'transfers' },
          details: { transferId: id, expiresAt: t.expiresAt.toISOString() },
        });
        const moved = await settleTaskOf(tx, t, 'expired', `Transfer ${id} expired: no CFO approved it in time.`);
        return moved.map((taskId) => ({ id: taskId, agentId: t.agentId }));
      });
      if (tasks) {
        expired.push(id);
        announce(id, tasks);
      }
    }
    return expired;
  }

  return {
    list: (filter: TransferFilter | undefined, page: TransferPage) =>
      db.transfer.findMany({ ...page, where: transferWhere(filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    count: (filter?: TransferFilter) => db.transfer.count({ where: transferWhere(filter) }),

    /**
     * Asks for a transfer from an agent's wallet (by walletId, or the agent's wallet on this chain). The spend policy
     * decides at once: a refusal is SPEND_POLICY_VIOLATION with every broken rule, audited, and nothing else is
     * written. Otherwise the transfer waits for a CFO (AWAITING_APPROVAL) until it expires. With `taskId`, one
     * transfer per task: asking again returns the first.
     */
    async request(
      input: TransferRequestInput,
      requester: Requester,
      opts: { taskId?: string } & { query?: Query } = {},
    ) {
      const ask = parseInput(requestSchema, input);
      if (!ask.walletId && !ask.agentId) {
        throw new ValidationError('Name the wallet (walletId) or its agent (agentId).', [
          { path: ['input', 'walletId'], message: 'walletId or agentId is required' },
        ]);
      }
      const recipient = checksummed(ask.recipient);
      if (!recipient) {
        throw new ValidationError('The recipient is not a valid address.', [
          { path: ['input', 'recipient'], message: 'the mixed-case address fails its EIP-55 checksum' },
        ]);
      }
      const currency = ask.currency ?? settings.nativeCurrency;
      if (opts.taskId) {
        const existing = await db.transfer.findUnique({ ...opts.query, where: { taskId: opts.taskId } });
        if (existing) return existing;
      }
      const wallet = await findWallet(ask);
      const amountBaseUnits = toBaseUnits(ask.amount);
      const outcome = await db.$transaction(async (tx) => {
        await lockWallet(tx, wallet.id);
        const check = await policyCheck(
          tx,
          wallet,
          { amount: ask.amount, currency, recipient },
          { requireBalance: false },
        );
        if (!check.allowed) return { refused: check, transfer: null } as const;
        const transfer = await tx.transfer.create({
          data: {
            walletId: wallet.id,
            agentId: wallet.agentId,
            taskId: opts.taskId ?? null,
            amount: ask.amount,
            amountBaseUnits: amountBaseUnits.toString(),
            currency,
            recipient,
            reason: ask.reason,
            policyCheck: asJson(check),
            requestedBy: asJson(requester.actor),
            requestedByUserId: requester.userId,
            expiresAt: new Date(now().getTime() + settings.approvalTtlSeconds * 1000),
          },
        });
        await writeAudit(tx, {
          agentId: wallet.agentId,
          action: 'transfer.requested',
          actor: requester.actor,
          details: {
            transferId: transfer.id,
            walletId: wallet.id,
            taskId: opts.taskId ?? null,
            amount: ask.amount,
            currency,
            recipient,
            reason: ask.reason,
            spentInWindow: check.spentInWindow,
          },
        });
        return { refused: null, transfer } as const;
      });
      if (outcome.refused) {
        // The refusal is on record even though nothing else is written.
        await db.$transaction((tx) =>
          writeAudit(tx, {
            agentId: wallet.agentId,
            action: 'transfer.refused',
            actor: requester.actor,
            details: {
              walletId: wallet.id,
              taskId: opts.taskId ?? null,
              amount: ask.amount,
              currency,
              recipient,
              reason: ask.reason,
              violations: outcome.refused.violations.map((v) => ({ ...v })),
            },
          }),
        );
        throw new PolicyViolationError(outcome.refused.violations);
      }
      announce(outcome.transfer.id);
      return opts.query
        ? db.transfer.findUniqueOrThrow({ ...opts.query, where: { id: outcome.transfer.id } })
        : outcome.transfer;
    },

    /**
     * A CFO approves: signed in as a user with the cfo role, stepped up within the window, not the one who asked.
     * The policy is checked again (it may have tightened, other transfers may have used the allowance) and so is the
     * balance (the chain must answer). The transfer is APPROVED and handed to the chain stage in one transaction.
     */
    async approve(
      transferId: string,
      principal: Principal | null,
      note?: string | null,
      meta: RequestMeta = {},
      query: Query = {},
    ) {
      const why = parseInput(noteSchema, note, ['note']) ?? null;
      let cfo: { userId: string };
      try {
        cfo = requireCfo(principal, 'approve a transfer', true);
      } catch (err) {
        await recordSecurityEvent(db, {
          action: 'transfer.approve',
          success: false,
          riskScore: 6,
          userId: principal?.kind === 'user' ? principal.id : null,
          errorMessage: (err as Error).message,
          metadata: { transferId },
          meta,
        });
        throw err;
      }
      const found = await db.transfer.findUnique({ where: { id: transferId } });
      if (!found) throw new NotFoundError('Transfer', transferId);
      await expireIfDue(found);
      const approved = await db.$transaction(async (tx) => {
        const current = await lockForDecision(tx, transferId, cfo.userId, 'approved');
        await lockWallet(tx, current.walletId);
        const wallet = await tx.wallet.findUniqueOrThrow({ where: { id: current.walletId } });
        const check = await policyCheck(
          tx,
          wallet,
          { amount: current.amount.toFixed(), currency: current.currency, recipient: current.recipient },
          { excludeTransferId: current.id, requireBalance: true },
        );
        if (!check.allowed) throw new PolicyViolationError(check.violations);
        const decidedAt = now();
        await tx.transfer.update({
          where: { id: transferId },
          data: {
            status: 'approved',
            decidedBy: cfo.userId,
            decidedAt,
            decisionNote: why,
            policyCheck: asJson({ ...(current.policyCheck as object), atApproval: check }),
            version: { increment: 1 },
          },
        });
        await enqueue(tx, settleTransferJob(current));
        await writeAudit(tx, {
          agentId: current.agentId,
          action: 'transfer.approved',
          actor: { kind: 'user', id: cfo.userId, requestId: meta.requestId, ip: meta.ip ?? undefined },
          details: {
            transferId,
            amount: current.amount.toFixed(),
            currency: current.currency,
            recipient: current.recipient,
            note: why,
            stepUpAt: principal?.session?.stepUpAt?.toISOString() ?? null,
          },
        });
        return current;
      });
      await recordSecurityEvent(db, {
        action: 'transfer.approve',
        success: true,
        riskScore: 3,
        userId: cfo.userId,
        metadata: { transferId, amount: approved.amount.toFixed(), currency: approved.currency },
        meta,
      });
      announce(transferId);
      return db.transfer.findUniqueOrThrow({ ...query, where: { id: transferId } });
    },

    /** A CFO rejects (no step-up needed: refusing moves no money). Its task and goal fail with the reason. */
    async reject(
      transferId: string,
      principal: Principal | null,
      reason: string,
      meta: RequestMeta = {},
      query: Query = {},
    ) {
      const why = parseInput(reasonSchema, reason, ['reason']);
      const cfo = requireCfo(principal, 'reject a transfer', false);
      const tasks = await db.$transaction(async (tx) => {
        const current = await lockForDecision(tx, transferId, cfo.userId, 'rejected');
        await tx.transfer.update({
          where: { id: transferId },
          data: {
            status: 'rejected',
            decidedBy: cfo.userId,
            decidedAt: now(),
            decisionNote: why,
            version: { increment: 1 },
          },
        });
        await writeAudit(tx, {
          agentId: current.agentId,
          action: 'transfer.rejected',
          actor: { kind: 'user', id: cfo.userId, requestId: meta.requestId, ip: meta.ip ?? undefined },
          details: { transferId, reason: why },
        });
        const moved = await settleTaskOf(
          tx,
          current,
          'rejected',
          `Transfer ${transferId} was rejected by a CFO: ${why}`,
        );
        return moved.map((id) => ({ id, agentId: current.agentId }));
      });
      announce(transferId, tasks);
      return db.transfer.findUniqueOrThrow({ ...query, where: { id: transferId } });
    },

    /**
     * Withdraws a transfer that still waits for approval: the one who asked for it, or a CFO. Once approved it is on
     * its way to the chain and can no longer be withdrawn.
     */
    async cancel(transferId: string, principal: Principal | null, reason: string, query: Query = {}) {
      const why = parseInput(reasonSchema, reason, ['reason']);
      if (principal?.kind !== 'user')
        throw new AuthError('FORBIDDEN', 'Only a signed-in user can withdraw a transfer.');
      const tasks = await db.$transaction(async (tx) => {
        const current = await lockTransfer(tx, transferId);
        if (current.requestedByUserId !== principal.id && !can(principal, 'transaction:approve')) {
          throw new AuthError('FORBIDDEN', 'Only the one who asked for a transfer, or a CFO, can withdraw it.');
        }
        await withdraw(tx, current, { kind: 'user', id: principal.id }, why);
        const moved = await settleTaskOf(tx, current, 'cancelled', `Transfer ${transferId} was withdrawn: ${why}`);
        return moved.map((id) => ({ id, agentId: current.agentId }));
      });
      announce(transferId, tasks);
      return db.transfer.findUniqueOrThrow({ ...query, where: { id: transferId } });
    },

    /** Expires every transfer past its deadline (the maintenance stage runs this every minute). */
    expireDue: () => expire(),
  };

  async function findWallet(ask: { walletId?: string | null; agentId?: string | null }) {
    if (ask.walletId) {
      const wallet = await db.wallet.findUnique({ where: { id: ask.walletId } });
      if (!wallet) throw new NotFoundError('Wallet', ask.walletId);
      if (ask.agentId && wallet.agentId !== ask.agentId) {
        throw new ValidationError('The wallet is not that agent’s.', [
          { path: ['input', 'walletId'], message: 'belongs to another agent' },
        ]);
      }
      return wallet;
    }
    const agentId = ask.agentId as string;
    const wallets = await db.wallet.findMany({ where: { agentId }, orderBy: { createdAt: 'asc' } });
    const key = deps.chain ? `eip155:${await deps.chain.chainId().catch(() => 0)}` : null;
    const wallet = wallets.find((w) => w.blockchain === key) ?? (wallets.length === 1 ? wallets[0] : undefined);
    if (!wallet) {
      const agent = await db.agent.findUnique({ where: { id: agentId }, select: { id: true } });
      if (!agent) throw new NotFoundError('Agent', agentId);
      throw new ConflictError('Agent', agentId, 'has no wallet on this chain; create one with createWallet.');
    }
    return wallet;
  }
}

export type TransferService = ReturnType<typeof createTransferService>;
