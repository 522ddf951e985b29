import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCents, parseDollars, roundHalfUp } from '../../src/money.ts';

describe('formatCents (R9.1)', () => {
  it.each([
    [0, '$0.00'],
    [5, '$0.05'],
    [100, '$1.00'],
    [123456, '$1,234.56'],
    [25000, '$250.00'],
    [100000000, '$1,000,000.00'],
    [-750, '-$7.50'],
  ])('%i cents is %s', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it('refuses fractions of a cent', () => {
    expect(() => formatCents(1.5)).toThrow(RangeError);
  });

  it('round-trips through parseDollars for every amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (cents) => {
        expect(parseDollars(formatCents(cents))).toBe(cents);
      }),
    );
  });
});

describe('roundHalfUp (R9.3, R9.5)', () => {
  it.each([
    [5n, 10n, 1],
    [4n, 10n, 0],
    [15n, 10n, 2],
    [-5n, 10n, -1],
    [1_500_000n * 1000n, 1_000_000n, 1500],
  ])('%i / %i rounds to %i', (n, d, expected) => {
    expect(roundHalfUp(n, d)).toBe(expected);
  });

  it('is never more than half a cent from the exact value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (n, d) => {
        const r = BigInt(roundHalfUp(n, d));
        const diff = r * d - n; // exact error times d
        expect(diff * 2n <= d && diff * 2n >= -d).toBe(true);
      }),
    );
  });
});

describe('parseDollars', () => {
  it.each([
    ['12', 1200],
    ['$1,234.5', 123450],
    ['0.07', 7],
    ['abc', null],
    ['1.234', null],
    ['-3', null],
  ])('%s', (input, cents) => {
    expect(parseDollars(input)).toBe(cents);
  });
});
