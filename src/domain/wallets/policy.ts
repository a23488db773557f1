// The spend policy: what an agent's wallet may send before anyone is asked to approve it. Per-transaction and daily
// caps (a rolling 24 hours, counting every transfer not rejected, expired, cancelled or failed — so requests waiting
// for approval use up the allowance too), a recipient allowlist and a currency allowlist. A wallet has the
// deployment's default policy until a CFO sets its own. An empty recipient allowlist allows no one.
import { z } from 'zod';
import type { PolicyViolation } from '../shared/errors.js';
import { fromBaseUnits, toBaseUnits } from './amounts.js';

export interface AllowedRecipient {
  /** EIP-55 checksummed. */
  address: string;
  label: string | null;
}

export interface SpendPolicy {
  /** Decimal amounts in the chain's currency. */
  maxPerTransaction: string;
  dailyLimit: string;
  currencies: string[];
  recipients: AllowedRecipient[];
}

/** The policy's verdict on one transfer, kept on the transfer (policy_check). */
export interface PolicyCheck {
  allowed: boolean;
  checkedAt: string;
  /** 'wallet' when a CFO set the wallet's own policy, else 'default'. */
  source: 'wallet' | 'default';
  policy: SpendPolicy;
  /** What the wallet had committed in the 24 hours before (decimal), this transfer not included. */
  spentInWindow: string;
  violations: PolicyViolation[];
}

const DECIMAL = /^\d{1,12}(\.\d{1,8})?$/;

export const spendPolicySchema = z.object({
  maxPerTransaction: z.string().regex(DECIMAL, 'a decimal amount such as "0.5" (up to 8 decimals)'),
  dailyLimit: z.string().regex(DECIMAL, 'a decimal amount such as "2" (up to 8 decimals)'),
  currencies: z
    .array(z.string().regex(/^[A-Za-z][A-Za-z0-9]{1,9}$/, 'a currency symbol such as ETH'))
    .max(20)
    .transform((list) => [...new Set(list.map((c) => c.toUpperCase()))]),
  recipients: z
    .array(
      z.object({
        address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an address: 0x and 40 hex digits'),
        label: z.string().trim().min(1).max(100).nullish(),
      }),
    )
    .max(500),
});

/** The policy a wallet's metadata holds (metadata.spendPolicy), if any and if well-formed. */
export function walletPolicyOf(metadata: unknown): SpendPolicy | null {
  const raw = (metadata as { spendPolicy?: unknown } | null)?.spendPolicy;
  const parsed = spendPolicySchema.safeParse(raw);
  if (!parsed.success) return null;
  return {
    ...parsed.data,
    recipients: parsed.data.recipients.map((r) => ({ address: r.address, label: r.label ?? null })),
  };
}

export interface TransferAsk {
  amount: string;
  currency: string;
  /** EIP-55 checksummed. */
  recipient: string;
}

/**
 * Checks one transfer against a policy. `spentInWindow` is the base-unit total the wallet committed in the last
 * 24 hours (without this transfer); `available`, when known, is the balance left after transfers already approved.
 */
export function checkTransfer(
  policy: SpendPolicy,
  ask: TransferAsk,
  spentInWindow: bigint,
  opts: { source: 'wallet' | 'default'; available?: bigint | null; now?: Date },
): PolicyCheck {
  const amount = toBaseUnits(ask.amount);
  const violations: PolicyViolation[] = [];
  if (!policy.currencies.includes(ask.currency.toUpperCase())) {
    violations.push({
      rule: 'currency_allowlist',
      message: `${ask.currency} is not an allowed currency (allowed: ${policy.currencies.join(', ') || 'none'}).`,
    });
  }
  const cap = toBaseUnits(policy.maxPerTransaction);
  if (amount > cap) {
    violations.push({
      rule: 'per_transaction_cap',
      message: `${ask.amount} is over the per-transaction cap of ${policy.maxPerTransaction}.`,
      limit: policy.maxPerTransaction,
      actual: ask.amount,
    });
  }
  const daily = toBaseUnits(policy.dailyLimit);
  if (spentInWindow + amount > daily) {
    const total = fromBaseUnits(spentInWindow + amount);
    violations.push({
      rule: 'daily_cap',
      message: `With it, the last 24 hours would come to ${total}, over the daily cap of ${policy.dailyLimit}.`,
      limit: policy.dailyLimit,
      actual: total,
    });
  }
  const lower = ask.recipient.toLowerCase();
  if (!policy.recipients.some((r) => r.address.toLowerCase() === lower)) {
    violations.push({
      rule: 'recipient_allowlist',
      message: policy.recipients.length
        ? `${ask.recipient} is not on the recipient allowlist.`
        : `${ask.recipient} is not on the recipient allowlist, which is empty: a CFO adds recipients with setSpendPolicy.`,
    });
  }
  if (opts.available !== undefined && opts.available !== null && amount > opts.available) {
    violations.push({
      rule: 'balance',
      message: `The wallet has ${fromBaseUnits(opts.available > 0n ? opts.available : 0n)} available (its balance less transfers already approved), less than ${ask.amount}.`,
      limit: fromBaseUnits(opts.available > 0n ? opts.available : 0n),
      actual: ask.amount,
    });
  }
  return {
    allowed: violations.length === 0,
    checkedAt: (opts.now ?? new Date()).toISOString(),
    source: opts.source,
    policy,
    spentInWindow: fromBaseUnits(spentInWindow),
    violations,
  };
}
