import { formatProrationTime } from '../../format.ts';
import { roundHalfUp, type Cents } from '../../money.ts';

export interface ProrationLine {
  kind: 'proration_credit' | 'proration_charge';
  description: string;
  quantity: number;
  unitPriceCents: Cents;
  amountCents: Cents;
  periodStart: Date;
  periodEnd: Date;
}

/** Whole seconds from `at` to the period end; a change at the very end leaves nothing. */
export function remainingSeconds(at: Date, period: { start: Date; end: Date }): { remaining: number; total: number } {
  const total = Math.round((period.end.getTime() - period.start.getTime()) / 1000);
  const remaining = Math.max(0, Math.min(total, Math.floor((period.end.getTime() - at.getTime()) / 1000)));
  return { remaining, total };
}

/**
 * R9.5: a plan change at `at` gives two lines for the next invoice: a credit
 * for the unused time of the old plan and a charge for the rest of the period
 * on the new one, each price × remaining seconds ÷ period seconds, rounded
 * half up to the cent.
 */
export function prorationLines(
  oldPlan: { name: string; priceCents: Cents },
  newPlan: { name: string; priceCents: Cents },
  at: Date,
  period: { start: Date; end: Date },
): ProrationLine[] {
  const { remaining, total } = remainingSeconds(at, period);
  const share = (price: Cents) => roundHalfUp(BigInt(price) * BigInt(remaining), BigInt(total));
  const span = `${formatProrationTime(at)} – ${formatProrationTime(period.end)}`;
  return [
    {
      kind: 'proration_credit',
      description: `Unused time on ${oldPlan.name} (${span})`,
      quantity: 1,
      unitPriceCents: -share(oldPlan.priceCents),
      amountCents: -share(oldPlan.priceCents),
      periodStart: at,
      periodEnd: period.end,
    },
    {
      kind: 'proration_charge',
      description: `Remaining time on ${newPlan.name} (${span})`,
      quantity: 1,
      unitPriceCents: share(newPlan.priceCents),
      amountCents: share(newPlan.priceCents),
      periodStart: at,
      periodEnd: period.end,
    },
  ];
}
