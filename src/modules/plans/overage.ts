import { roundHalfUp, type Cents } from '../../money.ts';

/**
 * R9.3: overage of a period, in cents: round(over × price per million ÷ 1,000,000), half up.
 * A plan's price list, so it sits with the plans: the Usage page projects it
 * and billing invoices it.
 */
export function overageCents(payloads: number, allotment: number, centsPerMillion: number | null): { over: number; cents: Cents } {
  const over = Math.max(0, payloads - allotment);
  if (centsPerMillion === null || over === 0) return { over, cents: 0 };
  return { over, cents: roundHalfUp(BigInt(over) * BigInt(centsPerMillion), 1_000_000n) };
}
