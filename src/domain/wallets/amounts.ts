// Exact amounts: decimal text in a currency's units ↔ integers in its smallest unit (wei for ETH). No floats.

/** EVM native currencies have 18 decimals. */
export const NATIVE_DECIMALS = 18;

/** "0.5" → 500000000000000000n (18 decimals). Throws on anything but a plain non-negative decimal. */
export function toBaseUnits(amount: string, decimals = NATIVE_DECIMALS): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) throw new RangeError(`"${amount}" is not a decimal amount`);
  const [, whole = '0', fraction = ''] = m;
  if (fraction.length > decimals) throw new RangeError(`"${amount}" has more than ${decimals} decimals`);
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** 500000000000000000n → "0.5" (no trailing zeros; "0" for zero). */
export function fromBaseUnits(units: bigint, decimals = NATIVE_DECIMALS): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  const fraction = (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A base-unit amount from a database NUMERIC (a Prisma Decimal or its text). */
export function baseUnitsOf(value: { toFixed(): string } | string | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  return BigInt(typeof value === 'string' ? value : value.toFixed());
}
