import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prorationLines } from '../../src/modules/billing/proration.ts';
import { overageCents } from '../../src/modules/plans/overage.ts';
import { periodAt } from '../../src/modules/owners/periods.ts';

const starter = { name: 'Starter', priceCents: 25_000 };
const pro = { name: 'Professional', priceCents: 100_000 };

describe('proration (R9.5)', () => {
  it('halfway through a 30-day period: half of each price', () => {
    const period = { start: new Date('2026-04-01T00:00:00Z'), end: new Date('2026-05-01T00:00:00Z') };
    const [credit, charge] = prorationLines(starter, pro, new Date('2026-04-16T00:00:00Z'), period);
    expect(credit!.amountCents).toBe(-12_500);
    expect(charge!.amountCents).toBe(50_000);
  });

  it('rounds each line to the cent, half up, to the second', () => {
    // Feb 10 12:00 in a Jan 31 → Feb 28 period: 1,512,000 of 2,419,200 seconds remain.
    const period = { start: new Date('2026-01-31T00:00:00Z'), end: new Date('2026-02-28T00:00:00Z') };
    const [credit, charge] = prorationLines(starter, pro, new Date('2026-02-10T12:00:00Z'), period);
    expect(credit!.amountCents).toBe(-15_625);
    expect(charge!.amountCents).toBe(62_500);
    // Feb 10 12:00:07 leaves 1,511,993 s: 25000 × 1511993 / 2419200 = 15624.927… → 15625;
    // 100000 × … = 62499.710… → 62500; 7 s later still: 1,511,986 → 15624.855 → 15625, 62499.42 → 62499.
    const [c2, ch2] = prorationLines(starter, pro, new Date('2026-02-10T12:00:14Z'), period);
    expect(c2!.amountCents).toBe(-15_625);
    expect(ch2!.amountCents).toBe(62_499);
  });

  it('a change at the very end prorates nothing', () => {
    const period = periodAt(new Date('2026-03-10T09:00:00Z'), 0);
    const lines = prorationLines(starter, pro, period.end, period);
    expect(lines.map((l) => l.amountCents)).toEqual([-0, 0]);
  });

  it('every line is price × whole remaining seconds ÷ period seconds, rounded half up, for any change (an exact model in integers)', () => {
    // The model: whole seconds left (never below 0 nor above the period),
    // then round(price × left / total) half up in exact integer arithmetic —
    // no floating point, so a rounding slip in the code shows.
    const model = (priceCents: number, at: Date, period: { start: Date; end: Date }) => {
      const total = BigInt(Math.round((period.end.getTime() - period.start.getTime()) / 1000));
      const leftMs = BigInt(period.end.getTime() - at.getTime());
      let left = leftMs >= 0n ? leftMs / 1000n : -((-leftMs + 999n) / 1000n);
      if (left < 0n) left = 0n;
      if (left > total) left = total;
      return Number((2n * BigInt(priceCents) * left + total) / (2n * total));
    };
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (anchor, fraction, a, b) => {
          const period = periodAt(anchor, 0);
          const at = new Date(period.start.getTime() + Math.floor((period.end.getTime() - period.start.getTime()) * fraction));
          const [credit, charge] = prorationLines({ name: 'A', priceCents: a }, { name: 'B', priceCents: b }, at, period);
          expect(credit!.amountCents + 0).toBe(-model(a, at, period) + 0);
          expect(charge!.amountCents).toBe(model(b, at, period));
        },
      ),
    );
  });
});

describe('overage (R9.3)', () => {
  it.each([
    [30_000_000, 25_000_000, 1_000, 5_000_000, 5_000],
    [25_000_001, 25_000_000, 1_000, 1, 0],
    [25_000_500, 25_000_000, 1_000, 500, 1],
    [100_000_001, 100_000_000, 750, 1, 0],
    [100_066_667, 100_000_000, 750, 66_667, 50],
    [1_000, 1_000_000, null, 0, 0],
  ])('%i payloads over %i at %s per million', (payloads, allotment, price, over, cents) => {
    expect(overageCents(payloads, allotment, price)).toEqual({ over, cents });
  });
});

describe('proration line text (issue #14)', () => {
  it('a change in the first hour of a day reads 00:05, not 24:05', () => {
    const period = periodAt(new Date('2026-02-15T00:00:00Z'), 0);
    const [credit, charge] = prorationLines({ name: 'Starter', priceCents: 25_000 }, { name: 'Professional', priceCents: 100_000 }, new Date('2026-03-01T00:05:00Z'), period);
    expect(credit!.description).toBe('Unused time on Starter (Mar 1, 2026, 00:05 UTC – Mar 15, 2026, 00:00 UTC)');
    expect(charge!.description).toBe('Remaining time on Professional (Mar 1, 2026, 00:05 UTC – Mar 15, 2026, 00:00 UTC)');
  });
});
