import type { Cents } from '../../money.ts';
import { overageCents } from '../plans/overage.ts';

/**
 * R8.3: where an owner's payloads are heading this period, and what the
 * overage would cost if the pace holds. Pure: the route passes the clock's
 * `now` and the counters' total.
 */

export interface PeriodBounds {
  start: Date;
  end: Date;
}

/**
 * Linear projection of the period's payloads: payloads so far ÷ elapsed time
 * × period length, rounded half up to a whole payload. Exact integer maths
 * (BigInt), so a large count times a month of milliseconds loses nothing.
 * Before the period starts (or at its very first millisecond) there is no
 * pace to extrapolate, so the projection is what has been counted; from the
 * period end on it is exactly what was counted. Never below the count so far.
 */
/** 10^15 payloads: far beyond any plan, and small enough that cents stay exact. */
const MAX_PROJECTION = 10n ** 15n;

export function projectPayloads(payloadsSoFar: number, period: PeriodBounds, now: Date): number {
  if (!Number.isSafeInteger(payloadsSoFar) || payloadsSoFar < 0) throw new RangeError(`Not a payload count: ${payloadsSoFar}`);
  const length = period.end.getTime() - period.start.getTime();
  if (!(length > 0)) throw new RangeError('A period must end after it starts');
  const elapsed = Math.min(length, Math.max(0, now.getTime() - period.start.getTime()));
  if (elapsed === 0 || elapsed === length) return payloadsSoFar;
  const numerator = BigInt(payloadsSoFar) * BigInt(length);
  const e = BigInt(elapsed);
  const projected = (numerator + e / 2n) / e;
  // A few payloads in the first milliseconds extrapolate to absurd numbers;
  // the cap keeps every amount derived from it an exact integer.
  const cap = BigInt(payloadsSoFar) > MAX_PROJECTION ? BigInt(payloadsSoFar) : MAX_PROJECTION;
  return Number(projected > cap ? cap : projected);
}

/** The share of the period that has passed at `now`, 0 to 1. */
export function elapsedShare(period: PeriodBounds, now: Date): number {
  const length = period.end.getTime() - period.start.getTime();
  return Math.min(1, Math.max(0, (now.getTime() - period.start.getTime()) / length));
}

export type OverageOutlook =
  /** Payloads over the allotment are billed at period end (R9.3). */
  | { kind: 'billed'; centsPerMillion: number; overSoFar: number; centsSoFar: Cents; projectedOver: number; projectedCents: Cents }
  /** No overage price: payloads over the allotment are refused (R7.1, 429). */
  | { kind: 'hard_cap'; projectedOver: number };

export interface UsageProjection {
  payloadsSoFar: number;
  projectedPayloads: number;
  allotment: number;
  elapsedShare: number;
  overage: OverageOutlook;
}

/** The projection and its overage at the plan's price (the same rounding the invoice uses). */
export function projectUsage(input: {
  payloadsSoFar: number;
  period: PeriodBounds;
  now: Date;
  allotment: number;
  overageCentsPerMillion: number | null;
}): UsageProjection {
  const projectedPayloads = projectPayloads(input.payloadsSoFar, input.period, input.now);
  const base = {
    payloadsSoFar: input.payloadsSoFar,
    projectedPayloads,
    allotment: input.allotment,
    elapsedShare: elapsedShare(input.period, input.now),
  };
  if (input.overageCentsPerMillion === null) {
    return { ...base, overage: { kind: 'hard_cap', projectedOver: Math.max(0, projectedPayloads - input.allotment) } };
  }
  const soFar = overageCents(input.payloadsSoFar, input.allotment, input.overageCentsPerMillion);
  const projected = overageCents(projectedPayloads, input.allotment, input.overageCentsPerMillion);
  return {
    ...base,
    overage: {
      kind: 'billed',
      centsPerMillion: input.overageCentsPerMillion,
      overSoFar: soFar.over,
      centsSoFar: soFar.cents,
      projectedOver: projected.over,
      projectedCents: projected.cents,
    },
  };
}
