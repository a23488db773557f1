// Exact amounts: decimal text ↔ integer base units (wei), never through a float.
import { describe, expect, it } from 'vitest';
import { baseUnitsOf, fromBaseUnits, NATIVE_DECIMALS, toBaseUnits } from '../../../src/domain/wallets/amounts.js';
import { Prisma } from '../../../src/generated/prisma/client.js';

const WEI_PER_ETH = 10n ** 18n;

describe('toBaseUnits', () => {
  it('uses 18 decimals by default', () => {
    expect(NATIVE_DECIMALS).toBe(18);
    expect(toBaseUnits('1')).toBe(WEI_PER_ETH);
    expect(toBaseUnits('0.5')).toBe(500_000_000_000_000_000n);
  });

  it.each([
    ['0', 0n],
    ['0.0', 0n],
    ['000', 0n],
    ['0.000000000000000001', 1n],
    ['0.000000000000000010', 10n],
    ['1.000000000000000001', WEI_PER_ETH + 1n],
    ['123.456', 123_456_000_000_000_000_000n],
    ['0.1', 100_000_000_000_000_000n],
    ['007.5', 7_500_000_000_000_000_000n],
    ['1000000000000', 10n ** 30n],
    ['999999999999.999999999999999999', 10n ** 30n - 1n],
  ])('%s → %s', (text, units) => {
    expect(toBaseUnits(text)).toBe(units);
  });

  it('is exact where a float is not', () => {
    expect(toBaseUnits('0.3') - toBaseUnits('0.1') - toBaseUnits('0.2')).toBe(0n);
    expect(toBaseUnits('9007199254740993')).toBe(9_007_199_254_740_993n * WEI_PER_ETH);
  });

  it('takes other decimal counts', () => {
    expect(toBaseUnits('1.5', 6)).toBe(1_500_000n);
    expect(toBaseUnits('0.000001', 6)).toBe(1n);
    expect(toBaseUnits('42', 0)).toBe(42n);
    expect(() => toBaseUnits('0.1', 0)).toThrow('"0.1" has more than 0 decimals');
    expect(() => toBaseUnits('0.0000001', 6)).toThrow(RangeError);
  });

  it('ignores spaces around the amount', () => {
    expect(toBaseUnits(' 1.5 ')).toBe(1_500_000_000_000_000_000n);
    expect(toBaseUnits('\t2\n')).toBe(2n * WEI_PER_ETH);
  });

  it.each([
    ['-1', 'not a decimal amount'],
    ['-0.5', 'not a decimal amount'],
    ['+1', 'not a decimal amount'],
    ['1e18', 'not a decimal amount'],
    ['1E-3', 'not a decimal amount'],
    ['', 'not a decimal amount'],
    ['   ', 'not a decimal amount'],
    ['1 000', 'not a decimal amount'],
    ['1. 5', 'not a decimal amount'],
    ['1 .5', 'not a decimal amount'],
    ['1,5', 'not a decimal amount'],
    ['1_000', 'not a decimal amount'],
    ['.5', 'not a decimal amount'],
    ['1.', 'not a decimal amount'],
    ['1.2.3', 'not a decimal amount'],
    ['0x10', 'not a decimal amount'],
    ['NaN', 'not a decimal amount'],
    ['Infinity', 'not a decimal amount'],
    ['١٢', 'not a decimal amount'],
    ['0.0000000000000000001', 'has more than 18 decimals'],
    ['1.1234567890123456789', 'has more than 18 decimals'],
  ])('refuses %j', (text, message) => {
    expect(() => toBaseUnits(text)).toThrow(RangeError);
    expect(() => toBaseUnits(text)).toThrow(message);
  });

  it('quotes the amount it refuses', () => {
    expect(() => toBaseUnits('abc')).toThrow('"abc" is not a decimal amount');
    expect(() => toBaseUnits('0.0000000000000000001')).toThrow('"0.0000000000000000001" has more than 18 decimals');
  });
});

describe('fromBaseUnits', () => {
  it.each([
    [0n, '0'],
    [1n, '0.000000000000000001'],
    [10n, '0.00000000000000001'],
    [WEI_PER_ETH, '1'],
    [WEI_PER_ETH + 1n, '1.000000000000000001'],
    [500_000_000_000_000_000n, '0.5'],
    [1_230_000_000_000_000_000n, '1.23'],
    [100n * WEI_PER_ETH, '100'],
    [10n ** 30n, '1000000000000'],
    [10n ** 30n + 5n * 10n ** 17n, '1000000000000.5'],
    [2n ** 256n - 1n, '115792089237316195423570985008687907853269984665640564039457.584007913129639935'],
  ])('%s → %s', (units, text) => {
    expect(fromBaseUnits(units)).toBe(text);
  });

  it('trims trailing zeros of the fraction but not of the whole part', () => {
    expect(fromBaseUnits(1_500_000_000_000_000_000n)).toBe('1.5');
    expect(fromBaseUnits(10n * WEI_PER_ETH)).toBe('10');
    expect(fromBaseUnits(101n * 10n ** 16n)).toBe('1.01');
  });

  it('writes negative amounts with a sign', () => {
    expect(fromBaseUnits(-1n)).toBe('-0.000000000000000001');
    expect(fromBaseUnits((-WEI_PER_ETH * 3n) / 2n)).toBe('-1.5');
  });

  it('takes other decimal counts', () => {
    expect(fromBaseUnits(1_500_000n, 6)).toBe('1.5');
    expect(fromBaseUnits(1n, 6)).toBe('0.000001');
    expect(fromBaseUnits(42n, 0)).toBe('42');
    expect(fromBaseUnits(0n, 0)).toBe('0');
  });

  it('round-trips with toBaseUnits', () => {
    const units = [0n, 1n, 9n, 10n, 999n, WEI_PER_ETH - 1n, WEI_PER_ETH, 10n ** 30n, 10n ** 30n + 1n, 123_456_789n];
    for (const u of units) expect(toBaseUnits(fromBaseUnits(u))).toBe(u);
    const texts = ['0', '1', '0.5', '0.000000000000000001', '1.000000000000000001', '1000000000000', '12.34'];
    for (const t of texts) expect(fromBaseUnits(toBaseUnits(t))).toBe(t);
    // Non-canonical text comes back canonical.
    expect(fromBaseUnits(toBaseUnits('01.500'))).toBe('1.5');
    expect(fromBaseUnits(toBaseUnits('0.000'))).toBe('0');
    for (const d of [0, 2, 6, 8, 18]) {
      for (const u of [0n, 1n, 10n ** BigInt(d), 10n ** BigInt(d + 3) + 7n]) {
        expect(toBaseUnits(fromBaseUnits(u, d), d)).toBe(u);
      }
    }
  });
});

describe('baseUnitsOf', () => {
  /** Like Prisma's Decimal: toFixed() without arguments gives plain notation even where toString() would not. */
  class FakeDecimal {
    constructor(private readonly digits: string) {}
    toFixed(): string {
      return this.digits;
    }
    toString(): string {
      return this.digits.length > 21 ? `${this.digits[0]}e+${this.digits.length - 1}` : this.digits;
    }
  }

  it('is zero for nothing', () => {
    expect(baseUnitsOf(null)).toBe(0n);
    expect(baseUnitsOf(undefined)).toBe(0n);
  });

  it('passes bigints through', () => {
    expect(baseUnitsOf(0n)).toBe(0n);
    expect(baseUnitsOf(10n ** 30n)).toBe(10n ** 30n);
  });

  it('reads NUMERIC text', () => {
    expect(baseUnitsOf('0')).toBe(0n);
    expect(baseUnitsOf('500000000000000000')).toBe(500_000_000_000_000_000n);
    expect(baseUnitsOf('1000000000000000000000000000000')).toBe(10n ** 30n);
  });

  it('reads anything with toFixed() (a Prisma Decimal), through toFixed and not toString', () => {
    expect(baseUnitsOf(new FakeDecimal('1000000000000000000000000000000'))).toBe(10n ** 30n);
    expect(baseUnitsOf(new FakeDecimal('1'))).toBe(1n);
    expect(baseUnitsOf({ toFixed: () => '42' })).toBe(42n);
  });

  it("reads Prisma's own Decimal, including values whose toString() is in exponent notation", () => {
    const big = new Prisma.Decimal('1000000000000000000000000000000');
    expect(big.toString()).toBe('1e+30');
    expect(baseUnitsOf(big)).toBe(10n ** 30n);
    expect(
      baseUnitsOf(new Prisma.Decimal('115792089237316195423570985008687907853269984665640564039457584007913129639935')),
    ).toBe(2n ** 256n - 1n);
    expect(baseUnitsOf(new Prisma.Decimal(0))).toBe(0n);
    expect(baseUnitsOf(new Prisma.Decimal('500000000000000000'))).toBe(500_000_000_000_000_000n);
  });

  it('refuses what is not a whole number of base units', () => {
    expect(() => baseUnitsOf('1.5')).toThrow(SyntaxError);
    expect(() => baseUnitsOf({ toFixed: () => '0.1' })).toThrow(SyntaxError);
    expect(() => baseUnitsOf('1e18')).toThrow(SyntaxError);
  });
});
