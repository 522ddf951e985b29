import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dailyChart, lastDays } from '../../src/modules/dashboards/chart.ts';
import { listInWords, sharedPasswordShortfalls } from '../../src/modules/dashboards/policy.ts';

describe('the shared password policy (R5.2)', () => {
  it('names everything a password lacks', () => {
    expect(sharedPasswordShortfalls('')).toEqual(['at least 12 characters', 'an upper-case letter', 'a lower-case letter', 'a digit', 'a symbol (like ! # % or -)']);
    expect(sharedPasswordShortfalls('abcdefghijkl')).toEqual(['an upper-case letter', 'a digit', 'a symbol (like ! # % or -)']);
    expect(sharedPasswordShortfalls('Abcdefghij1!')).toEqual([]);
    expect(sharedPasswordShortfalls('Abcdefghi1!')).toEqual(['at least 12 characters']);
    // A space is not a symbol; letters beyond ASCII count as letters.
    expect(sharedPasswordShortfalls('Abcdef ghij 1')).toEqual(['a symbol (like ! # % or -)']);
    expect(sharedPasswordShortfalls('Ünïcödé-pass9')).toEqual([]);
  });

  it('names exactly what a password built from known characters lacks', () => {
    // Built, not tested by regex: each kind of character a password may hold,
    // from a fixed pool, and spaces (which count as none of them).
    const pools = {
      upper: ['A', 'Z', 'É', 'Ö'],
      lower: ['a', 'z', 'é', 'ö'],
      digit: ['0', '5', '9'],
      symbol: ['!', '#', '%', '-', '@'],
    };
    const shortfall = { length: 'at least 12 characters', upper: 'an upper-case letter', lower: 'a lower-case letter', digit: 'a digit', symbol: 'a symbol (like ! # % or -)' };
    const kinds = ['upper', 'lower', 'digit', 'symbol'] as const;
    fc.assert(
      fc.property(
        fc.subarray([...kinds]),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
        (present, spaces, picks) => {
          const chars: string[] = present.map((k, i) => pools[k][picks[i]! % pools[k].length]!);
          for (let i = 0; chars.length < present.length + spaces; i++) {
            const k = present[picks[i]! % Math.max(1, present.length)];
            chars.push(k && picks[i]! % 3 !== 0 ? pools[k][picks[(i + 7) % 20]! % pools[k].length]! : ' ');
          }
          const pw = chars.join('');
          const expected = [
            ...(chars.length < 12 ? [shortfall.length] : []),
            ...kinds.filter((k) => !present.includes(k)).map((k) => shortfall[k]),
          ];
          expect(sharedPasswordShortfalls(pw)).toEqual(expected);
        },
      ),
    );
  });

  it('lists in words', () => {
    expect(listInWords(['a'])).toBe('a');
    expect(listInWords(['a', 'b'])).toBe('a and b');
    expect(listInWords(['a', 'b', 'c'])).toBe('a, b and c');
  });
});

describe('the payloads chart', () => {
  const now = new Date('2026-03-10T09:00:00Z');

  it('covers the last days up to today, in UTC', () => {
    const days = lastDays(now, 30);
    expect(days).toHaveLength(30);
    expect(days[0]!.toISOString()).toBe('2026-02-09T00:00:00.000Z');
    expect(days.at(-1)!.toISOString()).toBe('2026-03-10T00:00:00.000Z');
  });

  it('keeps every bar inside the plot, tallest for the busiest day, and never hides a non-zero day', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 10_000_000 }), { minLength: 30, maxLength: 30 }), (values) => {
        const chart = dailyChart(lastDays(now, 30).map((day, i) => ({ day, value: values[i]! })));
        const max = Math.max(...values);
        for (const [i, bar] of chart.bars.entries()) {
          expect(bar.x).toBeGreaterThanOrEqual(chart.plot.left);
          expect(bar.x + bar.width).toBeLessThanOrEqual(chart.plot.right + 0.01);
          expect(bar.y).toBeGreaterThanOrEqual(chart.plot.top - 0.01);
          expect(bar.y + bar.height).toBeCloseTo(chart.plot.bottom, 5);
          if (values[i]! > 0) expect(bar.height).toBeGreaterThan(0);
          else expect(bar.height).toBe(0);
          if (values[i] === max && max > 0) expect(bar.height).toBeCloseTo(chart.plot.bottom - chart.plot.top, 5);
        }
        expect(chart.total).toBe(values.reduce((a, b) => a + b, 0));
      }),
    );
  });

  it('summarises for a screen reader', () => {
    const days = lastDays(now, 3);
    expect(dailyChart(days.map((day, i) => ({ day, value: [5, 0, 1_200][i]! }))).summary).toBe(
      'Payloads per day from Mar 8 to Mar 10, 2026: 1,205 in total; the busiest day was Mar 10 with 1,200.',
    );
    expect(dailyChart(days.map((day) => ({ day, value: 0 }))).summary).toBe('Payloads per day from Mar 8 to Mar 10, 2026: none.');
  });
});
