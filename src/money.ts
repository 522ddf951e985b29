/** Money is integer cents, USD (R9.1). */
export type Cents = number;

export function assertCents(value: number): Cents {
  if (!Number.isSafeInteger(value)) throw new RangeError(`Not an integer number of cents: ${value}`);
  return value;
}

/** `$1,234.56`; negative amounts as `-$1,234.56`. */
export function formatCents(cents: Cents): string {
  assertCents(cents);
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const dollars = Math.floor(abs / 100);
  const rest = abs % 100;
  const grouped = dollars.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${grouped}.${rest.toString().padStart(2, '0')}`;
}

/**
 * Rounds a non-integer amount of cents half away from zero, the rounding of
 * R9.3 and R9.5. Callers pass exact rationals as numerator/denominator so no
 * binary fraction sneaks in.
 */
export function roundHalfUp(numerator: bigint, denominator: bigint): Cents {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const q = n / denominator;
  const r = n % denominator;
  const rounded = r * 2n >= denominator ? q + 1n : q;
  return assertCents(Number(negative ? -rounded : rounded));
}

/** Parses a user-typed dollar amount ("1,234.5", "$12") into cents, or null. */
export function parseDollars(input: string): Cents | null {
  const cleaned = input.trim().replace(/^\$/, '').replace(/,/g, '');
  if (!/^\d{1,12}(\.\d{1,2})?$/.test(cleaned)) return null;
  const [whole, frac = ''] = cleaned.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}
