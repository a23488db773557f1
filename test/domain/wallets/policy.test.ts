// The spend policy check: every rule on its own, all of them together, and their boundaries; and the policy that
// wallet metadata holds.
import { describe, expect, it } from 'vitest';
import { toBaseUnits } from '../../../src/domain/wallets/amounts.js';
import {
  checkTransfer,
  type SpendPolicy,
  spendPolicySchema,
  type TransferAsk,
  walletPolicyOf,
} from '../../../src/domain/wallets/policy.js';

const VENDOR = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const PAYROLL = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const STRANGER = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const NOW = new Date('2025-03-01T12:00:00.000Z');

const policy = (over: Partial<SpendPolicy> = {}): SpendPolicy => ({
  maxPerTransaction: '0.5',
  dailyLimit: '2',
  currencies: ['ETH'],
  recipients: [
    { address: VENDOR, label: 'Vendor' },
    { address: PAYROLL, label: null },
  ],
  ...over,
});

const ask = (over: Partial<TransferAsk> = {}): TransferAsk => ({
  amount: '0.1',
  currency: 'ETH',
  recipient: VENDOR,
  ...over,
});

const check = (
  p: SpendPolicy,
  a: TransferAsk,
  spent = 0n,
  opts: { source?: 'wallet' | 'default'; available?: bigint | null } = {},
) => checkTransfer(p, a, spent, { source: opts.source ?? 'wallet', available: opts.available, now: NOW });

const rules = (result: ReturnType<typeof checkTransfer>) => result.violations.map((v) => v.rule);

describe('checkTransfer', () => {
  it('allows a transfer within every rule, and records what it checked', () => {
    const p = policy();
    const result = check(p, ask(), toBaseUnits('0.25'), { source: 'default' });
    expect(result).toEqual({
      allowed: true,
      checkedAt: '2025-03-01T12:00:00.000Z',
      source: 'default',
      policy: p,
      spentInWindow: '0.25',
      violations: [],
    });
  });

  it('stamps the current time when no clock is given', () => {
    const before = Date.now();
    const result = checkTransfer(policy(), ask(), 0n, { source: 'wallet' });
    const at = Date.parse(result.checkedAt);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(result.source).toBe('wallet');
  });

  describe('per-transaction cap', () => {
    it('allows exactly the cap and refuses one wei more', () => {
      expect(check(policy(), ask({ amount: '0.5' })).allowed).toBe(true);
      const over = check(policy(), ask({ amount: '0.500000000000000001' }));
      expect(over.allowed).toBe(false);
      expect(over.violations).toEqual([
        {
          rule: 'per_transaction_cap',
          message: '0.500000000000000001 is over the per-transaction cap of 0.5.',
          limit: '0.5',
          actual: '0.500000000000000001',
        },
      ]);
    });

    it('compares amounts, not their text', () => {
      expect(check(policy(), ask({ amount: '0.50000' })).allowed).toBe(true);
      expect(check(policy({ maxPerTransaction: '10', dailyLimit: '100' }), ask({ amount: '9.99' })).allowed).toBe(true);
      expect(rules(check(policy({ maxPerTransaction: '10', dailyLimit: '100' }), ask({ amount: '11' })))).toEqual([
        'per_transaction_cap',
      ]);
    });

    it('with a zero cap allows only zero', () => {
      const p = policy({ maxPerTransaction: '0' });
      expect(check(p, ask({ amount: '0' })).allowed).toBe(true);
      expect(rules(check(p, ask({ amount: '0.000000000000000001' })))).toEqual(['per_transaction_cap']);
    });
  });

  describe('daily cap', () => {
    it('allows reaching the cap exactly, counting what was spent in the window', () => {
      const result = check(policy(), ask({ amount: '0.5' }), toBaseUnits('1.5'));
      expect(result.allowed).toBe(true);
      expect(result.spentInWindow).toBe('1.5');
    });

    it('refuses one wei over the cap', () => {
      const result = check(policy(), ask({ amount: '0.5' }), toBaseUnits('1.5') + 1n);
      expect(result.allowed).toBe(false);
      expect(result.spentInWindow).toBe('1.500000000000000001');
      expect(result.violations).toEqual([
        {
          rule: 'daily_cap',
          message: 'With it, the last 24 hours would come to 2.000000000000000001, over the daily cap of 2.',
          limit: '2',
          actual: '2.000000000000000001',
        },
      ]);
    });

    it('refuses a single transfer over the daily cap even with nothing spent', () => {
      const p = policy({ maxPerTransaction: '5', dailyLimit: '1' });
      expect(check(p, ask({ amount: '1' })).allowed).toBe(true);
      const result = check(p, ask({ amount: '1.1' }));
      expect(rules(result)).toEqual(['daily_cap']);
      expect(result.violations[0]!.actual).toBe('1.1');
    });

    it('refuses when the window is already over the cap', () => {
      expect(rules(check(policy(), ask({ amount: '0' }), toBaseUnits('3')))).toEqual(['daily_cap']);
      expect(check(policy(), ask({ amount: '0' }), toBaseUnits('2')).allowed).toBe(true);
    });
  });

  describe('recipient allowlist', () => {
    it('allows a listed recipient whatever the case of either address', () => {
      expect(check(policy(), ask({ recipient: VENDOR.toLowerCase() })).allowed).toBe(true);
      expect(check(policy(), ask({ recipient: `0x${PAYROLL.slice(2).toUpperCase()}` })).allowed).toBe(true);
      const lowerList = policy({ recipients: [{ address: VENDOR.toLowerCase(), label: null }] });
      expect(check(lowerList, ask({ recipient: VENDOR })).allowed).toBe(true);
    });

    it('refuses an unlisted recipient', () => {
      const result = check(policy(), ask({ recipient: STRANGER }));
      expect(result.violations).toEqual([
        { rule: 'recipient_allowlist', message: `${STRANGER} is not on the recipient allowlist.` },
      ]);
    });

    it('refuses everyone when the allowlist is empty, and says how to add recipients', () => {
      const result = check(policy({ recipients: [] }), ask({ recipient: VENDOR }));
      expect(rules(result)).toEqual(['recipient_allowlist']);
      expect(result.violations[0]!.message).toContain('which is empty');
      expect(result.violations[0]!.message).toContain('setSpendPolicy');
      expect(check(policy(), ask({ recipient: STRANGER })).violations[0]!.message).not.toContain('setSpendPolicy');
    });

    it('does not match on a prefix', () => {
      expect(rules(check(policy(), ask({ recipient: VENDOR.slice(0, 41) })))).toEqual(['recipient_allowlist']);
    });
  });

  describe('currency allowlist', () => {
    it('allows a listed currency in any case', () => {
      expect(check(policy(), ask({ currency: 'eth' })).allowed).toBe(true);
      expect(check(policy(), ask({ currency: 'Eth' })).allowed).toBe(true);
    });

    it('refuses an unlisted currency, naming the allowed ones', () => {
      const result = check(policy({ currencies: ['ETH', 'USDC'] }), ask({ currency: 'dai' }));
      expect(result.violations).toEqual([
        { rule: 'currency_allowlist', message: 'dai is not an allowed currency (allowed: ETH, USDC).' },
      ]);
    });

    it('says "none" when no currency is allowed', () => {
      const result = check(policy({ currencies: [] }), ask());
      expect(result.violations).toEqual([
        { rule: 'currency_allowlist', message: 'ETH is not an allowed currency (allowed: none).' },
      ]);
    });
  });

  describe('balance', () => {
    it('is checked only when the available amount is known', () => {
      expect(check(policy(), ask({ amount: '0.5' })).allowed).toBe(true);
      expect(check(policy(), ask({ amount: '0.5' }), 0n, { available: null }).allowed).toBe(true);
      expect(check(policy(), ask({ amount: '0.5' }), 0n, { available: undefined }).allowed).toBe(true);
    });

    it('allows exactly the available amount and refuses one wei more', () => {
      const available = toBaseUnits('0.3');
      expect(check(policy(), ask({ amount: '0.3' }), 0n, { available }).allowed).toBe(true);
      const result = check(policy(), ask({ amount: '0.300000000000000001' }), 0n, { available });
      expect(result.violations).toEqual([
        {
          rule: 'balance',
          message:
            'The wallet has 0.3 available (its balance less transfers already approved), less than 0.300000000000000001.',
          limit: '0.3',
          actual: '0.300000000000000001',
        },
      ]);
    });

    it('with nothing available refuses any amount but zero', () => {
      expect(check(policy(), ask({ amount: '0' }), 0n, { available: 0n }).allowed).toBe(true);
      const result = check(policy(), ask({ amount: '0.000000000000000001' }), 0n, { available: 0n });
      expect(rules(result)).toEqual(['balance']);
      expect(result.violations[0]!.limit).toBe('0');
    });

    it('reports a negative available amount (approvals over the balance) as 0', () => {
      const result = check(policy(), ask({ amount: '0.1' }), 0n, { available: -toBaseUnits('0.4') });
      expect(rules(result)).toEqual(['balance']);
      expect(result.violations[0]!.limit).toBe('0');
      expect(result.violations[0]!.message).toContain('The wallet has 0 available');
      expect(result.violations[0]!.message).not.toContain('-');
      // Even a zero transfer is refused then: the wallet is already over-committed.
      expect(rules(check(policy(), ask({ amount: '0' }), 0n, { available: -1n }))).toEqual(['balance']);
    });
  });

  it('reports every broken rule, in order: currency, per-transaction, daily, recipient, balance', () => {
    const result = check(
      policy({ recipients: [] }),
      ask({ amount: '3', currency: 'BTC', recipient: STRANGER }),
      toBaseUnits('1'),
      { available: toBaseUnits('1') },
    );
    expect(result.allowed).toBe(false);
    expect(rules(result)).toEqual([
      'currency_allowlist',
      'per_transaction_cap',
      'daily_cap',
      'recipient_allowlist',
      'balance',
    ]);
    expect(result.violations.map((v) => v.message)).toEqual([
      'BTC is not an allowed currency (allowed: ETH).',
      '3 is over the per-transaction cap of 0.5.',
      'With it, the last 24 hours would come to 4, over the daily cap of 2.',
      `${STRANGER} is not on the recipient allowlist, which is empty: a CFO adds recipients with setSpendPolicy.`,
      'The wallet has 1 available (its balance less transfers already approved), less than 3.',
    ]);
    expect(result.spentInWindow).toBe('1');
  });

  it('reports pairs of rules without the others', () => {
    expect(rules(check(policy(), ask({ amount: '0.6', recipient: STRANGER })))).toEqual([
      'per_transaction_cap',
      'recipient_allowlist',
    ]);
    expect(rules(check(policy(), ask({ currency: 'USDC' }), toBaseUnits('2')))).toEqual([
      'currency_allowlist',
      'daily_cap',
    ]);
    expect(
      rules(check(policy(), ask({ amount: '0.4' }), toBaseUnits('1.8'), { available: toBaseUnits('0.1') })),
    ).toEqual(['daily_cap', 'balance']);
  });

  it('throws on an amount that is not a decimal (callers validate first)', () => {
    expect(() => check(policy(), ask({ amount: '-1' }))).toThrow(RangeError);
    expect(() => check(policy(), ask({ amount: '1e3' }))).toThrow(RangeError);
  });
});

describe('spendPolicySchema', () => {
  const valid = {
    maxPerTransaction: '0.5',
    dailyLimit: '2',
    currencies: ['eth', 'ETH', 'usdc', 'Eth'],
    recipients: [{ address: VENDOR, label: '  Vendor  ' }],
  };

  it('upper-cases currencies and removes duplicates, keeping the first order', () => {
    const parsed = spendPolicySchema.parse(valid);
    expect(parsed.currencies).toEqual(['ETH', 'USDC']);
    expect(parsed.recipients).toEqual([{ address: VENDOR, label: 'Vendor' }]);
  });

  it('accepts up to 12 whole digits and 8 decimals', () => {
    expect(spendPolicySchema.safeParse({ ...valid, maxPerTransaction: '999999999999.12345678' }).success).toBe(true);
    expect(spendPolicySchema.safeParse({ ...valid, maxPerTransaction: '0' }).success).toBe(true);
  });

  it.each([
    ['maxPerTransaction', '1.123456789'],
    ['maxPerTransaction', '1234567890123'],
    ['maxPerTransaction', '-1'],
    ['maxPerTransaction', '1e3'],
    ['maxPerTransaction', '.5'],
    ['maxPerTransaction', ' 1'],
    ['dailyLimit', ''],
    ['dailyLimit', 2],
    ['currencies', ['E']],
    ['currencies', ['1ETH']],
    ['currencies', ['ETH-X']],
    ['currencies', ['ABCDEFGHIJK']],
    ['currencies', Array.from({ length: 21 }, (_, i) => `C${i}`)],
    ['recipients', [{ address: '0x1234' }]],
    ['recipients', [{ address: `${VENDOR}00` }]],
    ['recipients', [{ address: VENDOR.slice(2) }]],
    ['recipients', [{ address: VENDOR, label: '   ' }]],
    ['recipients', [{ address: VENDOR, label: 'x'.repeat(101) }]],
    ['recipients', Array.from({ length: 501 }, () => ({ address: VENDOR }))],
  ])('refuses %s = %j', (field, value) => {
    const result = spendPolicySchema.safeParse({ ...valid, [field]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });

  it('accepts a recipient without a label, or with a null one', () => {
    const parsed = spendPolicySchema.parse({
      ...valid,
      recipients: [{ address: VENDOR }, { address: PAYROLL, label: null }],
    });
    expect(parsed.recipients).toEqual([{ address: VENDOR }, { address: PAYROLL, label: null }]);
  });
});

describe('walletPolicyOf', () => {
  const stored = {
    maxPerTransaction: '1',
    dailyLimit: '5',
    currencies: ['eth'],
    recipients: [{ address: VENDOR, label: 'Vendor' }, { address: PAYROLL }],
  };

  it("reads the wallet's own policy from its metadata, normalised", () => {
    expect(walletPolicyOf({ spendPolicy: stored, other: 'kept elsewhere' })).toEqual({
      maxPerTransaction: '1',
      dailyLimit: '5',
      currencies: ['ETH'],
      recipients: [
        { address: VENDOR, label: 'Vendor' },
        { address: PAYROLL, label: null },
      ],
    });
  });

  it.each([
    ['null metadata', null],
    ['undefined metadata', undefined],
    ['a string', 'spendPolicy'],
    ['a number', 42],
    ['an array', [stored]],
    ['metadata without a policy', { other: true }],
    ['a null policy', { spendPolicy: null }],
    ['a policy that is not an object', { spendPolicy: 'strict' }],
    ['a policy missing a field', { spendPolicy: { ...stored, dailyLimit: undefined } }],
    ['a policy with a bad amount', { spendPolicy: { ...stored, maxPerTransaction: 'lots' } }],
    ['a policy with a bad recipient', { spendPolicy: { ...stored, recipients: [{ address: 'vendor' }] } }],
    ['a policy with a bad currency', { spendPolicy: { ...stored, currencies: ['$'] } }],
  ])('is null for %s', (_name, metadata) => {
    expect(walletPolicyOf(metadata)).toBeNull();
  });

  it('gives a policy checkTransfer applies', () => {
    const p = walletPolicyOf({ spendPolicy: stored })!;
    expect(check(p, ask({ amount: '1', currency: 'eth', recipient: PAYROLL.toLowerCase() })).allowed).toBe(true);
    expect(rules(check(p, ask({ amount: '1.5', recipient: STRANGER })))).toEqual([
      'per_transaction_cap',
      'recipient_allowlist',
    ]);
  });
});
