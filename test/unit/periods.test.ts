import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonthsClamped, periodAt, periodContaining } from '../../src/modules/owners/periods.ts';

const iso = (d: Date) => d.toISOString();

describe('billing periods (R9.2)', () => {
  it('Jan 31 → Feb 28 → Mar 31, each boundary from the anchor', () => {
    const anchor = new Date('2026-01-31T10:00:00Z');
    expect([1, 2, 3].map((k) => iso(addMonthsClamped(anchor, k)))).toEqual([
      '2026-02-28T10:00:00.000Z',
      '2026-03-31T10:00:00.000Z',
      '2026-04-30T10:00:00.000Z',
    ]);
  });

  it('falls on Feb 29 in a leap year', () => {
    expect(iso(addMonthsClamped(new Date('2028-01-30T00:00:00Z'), 1))).toBe('2028-02-29T00:00:00.000Z');
  });

  it('crosses the year', () => {
    expect(iso(addMonthsClamped(new Date('2026-12-15T08:30:00Z'), 1))).toBe('2027-01-15T08:30:00.000Z');
  });

  const anchors = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true });

  it('periods tile time with no gap or overlap, for any anchor', () => {
    fc.assert(
      fc.property(anchors, fc.integer({ min: 0, max: 240 }), (anchor, k) => {
        const p = periodAt(anchor, k);
        const next = periodAt(anchor, k + 1);
        expect(p.end.getTime()).toBe(next.start.getTime());
        expect(p.end.getTime()).toBeGreaterThan(p.start.getTime());
        const days = (p.end.getTime() - p.start.getTime()) / 86_400_000;
        expect(days).toBeGreaterThanOrEqual(28);
        expect(days).toBeLessThanOrEqual(31);
      }),
    );
  });

  it('every instant after the anchor lies in exactly the period periodContaining finds', () => {
    fc.assert(
      fc.property(anchors, fc.integer({ min: 0, max: 20 * 365 * 86_400_000 }), (anchor, offset) => {
        const instant = new Date(anchor.getTime() + offset);
        const p = periodContaining(anchor, instant);
        expect(p.start.getTime()).toBeLessThanOrEqual(instant.getTime());
        expect(instant.getTime()).toBeLessThan(p.end.getTime());
        expect(periodAt(anchor, p.index)).toEqual(p);
      }),
    );
  });
});
