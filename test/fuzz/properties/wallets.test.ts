// Exact amounts (src/domain/wallets/amounts.ts) and the spend policy (policy.ts): decimal text ↔ base units round
// trips without loss, anything else is a RangeError (never a wrong number); the policy schema accepts what it
// documents; checkTransfer allows a transfer exactly when no rule is broken, and each rule is monotonic.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { baseUnitsOf, fromBaseUnits, NATIVE_DECIMALS, toBaseUnits } from '../../../src/domain/wallets/amounts.js';
import {
  checkTransfer,
  type SpendPolicy,
  spendPolicySchema,
  walletPolicyOf,
} from '../../../src/domain/wallets/policy.js';
import { check, PROPERTY_TIMEOUT_MS } from '../lib/mode.js';

/** Full mode runs thousands of cases per property: the default 30 s is not enough. */
vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
/** Plain non-negative decimals with up to 18 decimals, e.g. "007.5000". */
const decimalText = fc
  .tuple(digits(1, 30), fc.option(digits(1, NATIVE_DECIMALS), { nil: null }))
  .map(([w, f]) => (f === null ? w : `${w}.${f}`));
/** Canonical amounts: no leading zeros, no trailing fraction zeros. */
const canonical = decimalText.map((s) => fromBaseUnits(toBaseUnits(s)));

describe.concurrent('amounts', () => {
  it('base units → text → base units is the identity, for any bigint (negative included)', () =>
    check(
      201,
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.integer({ min: 0, max: 30 }), (units, decimals) => {
        expect(toBaseUnits(fromBaseUnits(units, decimals), decimals)).toBe(units);
        const negative = fromBaseUnits(-units, decimals);
        expect(negative.startsWith('-')).toBe(units !== 0n);
      }),
    ));

  it('text → base units is exact: the value of the decimal times 10^18, whatever the padding', () =>
    check(
      202,
      fc.property(decimalText, fc.nat(3), fc.nat(3), (s, lead, trail) => {
        const units = toBaseUnits(s);
        const [w = '0', f = ''] = s.split('.');
        expect(units).toBe(BigInt(w + f.padEnd(NATIVE_DECIMALS, '0')));
        const padded = `${'0'.repeat(lead)}${w}.${f}${'0'.repeat(trail)}`;
        expect(toBaseUnits(f === '' && trail === 0 ? `${'0'.repeat(lead)}${w}` : padded)).toBe(units);
        // Surrounding whitespace is trimmed.
        expect(toBaseUnits(` ${s}\t`)).toBe(units);
      }),
    ));

  it('canonical text round-trips unchanged; fromBaseUnits never emits trailing fraction zeros', () =>
    check(
      203,
      fc.property(canonical, (s) => {
        expect(fromBaseUnits(toBaseUnits(s))).toBe(s);
        expect(s).not.toMatch(/\.\d*0$/);
        expect(s).toMatch(/^(0|[1-9]\d*)(\.\d+)?$/);
      }),
    ));

  it('anything but a plain non-negative decimal with at most 18 decimals is a RangeError', () =>
    check(
      204,
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 30 }),
          decimalText.map((s) => `-${s}`),
          decimalText.map((s) => `${s}e3`),
          fc.tuple(digits(1, 5), digits(NATIVE_DECIMALS + 1, 40)).map(([w, f]) => `${w}.${f}`),
          fc.constantFrom('', '.', '1.', '.5', '0x10', '1_000', 'Infinity', 'NaN', '１２', '1,5', '٣'),
        ),
        (s) => {
          fc.pre(!/^\s*\d+(\.\d{1,18})?\s*$/.test(s));
          expect(() => toBaseUnits(s)).toThrow(RangeError);
        },
      ),
    ));

  it('baseUnitsOf reads NUMERIC text, Decimal-likes and bigints as the same integer; null is zero', () =>
    check(
      205,
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (n) => {
        expect(baseUnitsOf(n)).toBe(n);
        expect(baseUnitsOf(n.toString())).toBe(n);
        expect(baseUnitsOf({ toFixed: () => n.toString() })).toBe(n);
        expect(baseUnitsOf(null)).toBe(0n);
      }),
    ));
});

const address = fc
  .array(fc.constantFrom(...'0123456789abcdefABCDEF'), { minLength: 40, maxLength: 40 })
  .map((h) => `0x${h.join('')}`);
const policyAmount = fc
  .tuple(digits(1, 12), fc.option(digits(1, 8), { nil: null }))
  .map(([w, f]) => (f === null ? w : `${w}.${f}`));
const currency = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{1,9}$/);
const validPolicy = fc.record({
  maxPerTransaction: policyAmount,
  dailyLimit: policyAmount,
  currencies: fc.array(currency, { maxLength: 20 }),
  recipients: fc.array(
    fc.record({
      address,
      label: fc.option(
        fc.string({ minLength: 1, maxLength: 100 }).filter((s) => s.trim().length > 0),
        { nil: null },
      ),
    }),
    { maxLength: 20 },
  ),
});

describe.concurrent('spend policy schema', () => {
  it('accepts every documented policy; currencies come back upper-cased and deduplicated; walletPolicyOf reads it', () =>
    check(
      206,
      fc.property(validPolicy, (p) => {
        const parsed = spendPolicySchema.parse(p);
        expect(parsed.currencies).toEqual([...new Set(p.currencies.map((c) => c.toUpperCase()))]);
        expect(spendPolicySchema.parse(parsed)).toEqual(parsed);
        const stored = walletPolicyOf({ spendPolicy: p });
        expect(stored?.recipients.map((r) => r.address)).toEqual(p.recipients.map((r) => r.address));
        expect(stored?.recipients.every((r) => r.label === null || typeof r.label === 'string')).toBe(true);
      }),
    ));

  it('walletPolicyOf never throws: malformed or foreign metadata reads as no policy', () =>
    check(
      207,
      fc.property(
        fc.oneof(
          fc.anything({ withBigInt: true, withNullPrototype: true }),
          fc.record({ spendPolicy: fc.anything() }),
          validPolicy.map((p) => ({ spendPolicy: { ...p, maxPerTransaction: `-${p.maxPerTransaction}` } })),
        ),
        (metadata) => {
          const policy = walletPolicyOf(metadata);
          if (policy !== null) expect(spendPolicySchema.safeParse(policy).success).toBe(true);
        },
      ),
    ));
});

const ETH = 'ETH';
const RECIPIENT = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

describe.concurrent('checkTransfer', () => {
  const policyOf = (cap: string, daily: string, recipients: string[], currencies = [ETH]): SpendPolicy => ({
    maxPerTransaction: cap,
    dailyLimit: daily,
    currencies,
    recipients: recipients.map((a) => ({ address: a, label: null })),
  });

  it('allows exactly when no rule is broken, and each rule fires exactly on its own condition', () =>
    check(
      208,
      fc.property(
        policyAmount,
        policyAmount,
        policyAmount,
        fc.bigInt({ min: 0n, max: 10n ** 32n }),
        fc.option(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 32n }), { nil: null }),
        fc.boolean(),
        fc.constantFrom(ETH, 'eth', 'USDC'),
        (cap, daily, amount, spent, available, listed, cur) => {
          const policy = policyOf(cap, daily, listed ? [RECIPIENT.toLowerCase()] : []);
          const verdict = checkTransfer(policy, { amount, currency: cur, recipient: RECIPIENT }, spent, {
            source: 'wallet',
            available,
          });
          const a = toBaseUnits(amount);
          const rules = new Set(verdict.violations.map((v) => v.rule));
          expect(verdict.allowed).toBe(verdict.violations.length === 0);
          expect(rules.has('per_transaction_cap')).toBe(a > toBaseUnits(cap));
          expect(rules.has('daily_cap')).toBe(spent + a > toBaseUnits(daily));
          expect(rules.has('recipient_allowlist')).toBe(!listed);
          expect(rules.has('currency_allowlist')).toBe(cur.toUpperCase() !== ETH);
          expect(rules.has('balance')).toBe(available !== null && a > available);
          expect(verdict.spentInWindow).toBe(fromBaseUnits(spent));
          for (const v of verdict.violations) expect(v.message.length).toBeGreaterThan(0);
        },
      ),
    ));

  it('is monotonic: an allowed transfer stays allowed for a smaller amount or less spent', () =>
    check(
      209,
      fc.property(
        policyAmount,
        policyAmount,
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        (cap, daily, amount, spent, less) => {
          const policy = policyOf(cap, daily, [RECIPIENT]);
          const ask = (units: bigint) => ({ amount: fromBaseUnits(units), currency: ETH, recipient: RECIPIENT });
          const verdict = checkTransfer(policy, ask(amount), spent, { source: 'default' });
          if (!verdict.allowed) return;
          const smaller = amount > less ? amount - less : 0n;
          const lessSpent = spent > less ? spent - less : 0n;
          expect(checkTransfer(policy, ask(smaller), spent, { source: 'default' }).allowed).toBe(true);
          expect(checkTransfer(policy, ask(amount), lessSpent, { source: 'default' }).allowed).toBe(true);
        },
      ),
    ));
});
