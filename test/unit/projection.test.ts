import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { periodAt } from '../../src/modules/owners/periods.ts';
import { elapsedShare, projectPayloads, projectUsage } from '../../src/modules/usage/projection.ts';

// A 30-day period: Apr 1 – May 1, 2026.
const period = { start: new Date('2026-04-01T00:00:00Z'), end: new Date('2026-05-01T00:00:00Z') };
const at = (iso: string) => new Date(iso);

describe('projected payloads (R8.3)', () => {
  it('extrapolates linearly: a third of the period, a third of the payloads', () => {
    expect(projectPayloads(1_000_000, period, at('2026-04-11T00:00:00Z'))).toBe(3_000_000);
  });

  it('halfway with an odd count rounds half up to a whole payload', () => {
    // 7 payloads in 15 of 30 days → 14; 7 in 20 of 30 days → 10.5 → 11.
    expect(projectPayloads(7, period, at('2026-04-16T00:00:00Z'))).toBe(14);
    expect(projectPayloads(7, period, at('2026-04-21T00:00:00Z'))).toBe(11);
  });

  it('is exact for counts whose product with the period length passes 2^53', () => {
    // 4,000,000,000,000 × 2,592,000,000 ms ÷ 864,000,000 ms = 12,000,000,000,000.
    expect(projectPayloads(4_000_000_000_000, period, at('2026-04-11T00:00:00Z'))).toBe(12_000_000_000_000);
  });

  it('at the very start there is no pace yet: the projection is the count', () => {
    expect(projectPayloads(0, period, period.start)).toBe(0);
    expect(projectPayloads(12, period, period.start)).toBe(12);
    expect(projectPayloads(12, period, at('2026-03-20T00:00:00Z'))).toBe(12);
  });

  it('at and after the period end the projection is exactly the count', () => {
    expect(projectPayloads(123_456, period, period.end)).toBe(123_456);
    expect(projectPayloads(123_456, period, at('2026-06-01T00:00:00Z'))).toBe(123_456);
  });

  it('refuses nonsense input', () => {
    expect(() => projectPayloads(-1, period, period.start)).toThrow(RangeError);
    expect(() => projectPayloads(1.5, period, period.start)).toThrow(RangeError);
    expect(() => projectPayloads(1, { start: period.end, end: period.start }, period.start)).toThrow(RangeError);
  });

  it('elapsed share runs from 0 to 1', () => {
    expect(elapsedShare(period, at('2026-03-01T00:00:00Z'))).toBe(0);
    expect(elapsedShare(period, at('2026-04-16T00:00:00Z'))).toBe(0.5);
    expect(elapsedShare(period, at('2026-05-02T00:00:00Z'))).toBe(1);
  });

  const anyPeriod = fc
    .tuple(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true }), fc.nat(120))
    .map(([anchor, index]) => periodAt(anchor, index));

  it('property: never below the payloads so far, and equal to them at period end', () => {
    fc.assert(
      fc.property(anyPeriod, fc.double({ min: 0, max: 1, noNaN: true }), fc.maxSafeNat(), (p, share, payloads) => {
        const length = p.end.getTime() - p.start.getTime();
        const now = new Date(p.start.getTime() + Math.floor(share * length));
        const projected = projectPayloads(payloads, p, now);
        expect(projected).toBeGreaterThanOrEqual(payloads);
        expect(projectPayloads(payloads, p, p.end)).toBe(payloads);
      }),
    );
  });

  it('property: more payloads so far never project fewer', () => {
    fc.assert(
      fc.property(anyPeriod, fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(1e12), fc.nat(1e12), (p, share, a, b) => {
        const now = new Date(p.start.getTime() + Math.floor(share * (p.end.getTime() - p.start.getTime())));
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(projectPayloads(lo, p, now)).toBeLessThanOrEqual(projectPayloads(hi, p, now));
      }),
    );
  });
});

describe('projected overage (R8.3, R9.3)', () => {
  const starter = { allotment: 25_000_000, overageCentsPerMillion: 1_000 };

  it('prices the projected payloads over the allotment at the plan price, as the invoice would', () => {
    // 10M in a third of the period → 30M projected → 5M over at $10 / million = $50.00.
    const p = projectUsage({ payloadsSoFar: 10_000_000, period, now: at('2026-04-11T00:00:00Z'), ...starter });
    expect(p.projectedPayloads).toBe(30_000_000);
    expect(p.overage).toEqual({ kind: 'billed', centsPerMillion: 1_000, overSoFar: 0, centsSoFar: 0, projectedOver: 5_000_000, projectedCents: 5_000 });
  });

  it('rounds the projected overage half up to the cent', () => {
    // At $7.50 / million, 667 over is 0.50025 cents → 1 cent.
    const pro = { allotment: 100, overageCentsPerMillion: 750 };
    const p = projectUsage({ payloadsSoFar: 767, period, now: period.end, ...pro });
    expect(p.overage).toMatchObject({ kind: 'billed', projectedOver: 667, projectedCents: 1, overSoFar: 667, centsSoFar: 1 });
  });

  it('already over: reports the overage so far too', () => {
    const p = projectUsage({ payloadsSoFar: 26_000_000, period, now: at('2026-04-16T00:00:00Z'), ...starter });
    expect(p.overage).toMatchObject({ overSoFar: 1_000_000, centsSoFar: 1_000, projectedOver: 27_000_000, projectedCents: 27_000 });
  });

  it('a plan without an overage price is a hard cap: nothing is billed', () => {
    const p = projectUsage({ payloadsSoFar: 900_000, period, now: at('2026-04-16T00:00:00Z'), allotment: 1_000_000, overageCentsPerMillion: null });
    expect(p.projectedPayloads).toBe(1_800_000);
    expect(p.overage).toEqual({ kind: 'hard_cap', projectedOver: 800_000 });
  });

  it('property: the projected overage never costs less than the overage so far', () => {
    fc.assert(
      fc.property(fc.nat(1e10), fc.nat(1e9), fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (payloads, allotment, price, share) => {
        const now = new Date(period.start.getTime() + Math.floor(share * (period.end.getTime() - period.start.getTime())));
        const p = projectUsage({ payloadsSoFar: payloads, period, now, allotment, overageCentsPerMillion: price });
        if (p.overage.kind !== 'billed') throw new Error('expected a billed overage');
        expect(p.overage.projectedCents).toBeGreaterThanOrEqual(p.overage.centsSoFar);
        expect(p.overage.projectedOver).toBeGreaterThanOrEqual(p.overage.overSoFar);
      }),
    );
  });
});
