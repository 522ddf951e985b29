import type { Sql } from '../../db/sql.ts';
import { formatDateShort } from '../../format.ts';
import type { Plan } from '../plans/queries.ts';
import type { ChargeResult } from './gateway/types.ts';
import { issueInvoice } from './invoices.ts';
import { periodAt } from '../owners/periods.ts';
import { insertBillingAccount, type Card } from '../owners/queries/billing-accounts.ts';
import { recordCompletedAttempt } from './queries/attempts.ts';
import { markInvoicePaid, type Invoice } from './queries/invoices.ts';
import { insertPlanChange } from './queries/plan-changes.ts';

export const describePeriod = (start: Date, end: Date) => `${formatDateShort(start)} – ${formatDateShort(end)}`;

/**
 * R3.6, R9.2: opens an organization's subscription after its first charge
 * succeeded: the billing account anchored now, invoice #1 with one line (the
 * plan for the first period), paid, and the payment attempt that paid it.
 * Runs inside the caller's transaction.
 */
export async function openSubscription(
  trx: Sql,
  input: {
    organizationId: number;
    organizationName: string;
    invoicePrefix: string;
    plan: Plan;
    billingEmail: string;
    customerRef: string;
    card: Card;
    now: Date;
    charge: { idempotencyKey: string; result: ChargeResult & { status: 'succeeded' }; startedAt: Date };
  },
): Promise<Invoice> {
  const period = periodAt(input.now, 0);
  await insertBillingAccount(trx, {
    organizationId: input.organizationId,
    planId: input.plan.id,
    billingEmail: input.billingEmail,
    customerRef: input.customerRef,
    card: input.card,
    periodStart: period.start,
    periodEnd: period.end,
    now: input.now,
  });
  await insertPlanChange(trx, { organizationId: input.organizationId, planId: input.plan.id, effectiveAt: input.now, actorUserId: null });
  const invoice = await issueInvoice(trx, {
    organizationId: input.organizationId,
    numberPrefix: input.invoicePrefix,
    kind: 'first',
    issuedAt: input.now,
    periodStart: period.start,
    periodEnd: period.end,
    creditAppliedCents: 0,
    usagePeriod: null,
    billedTo: { email: input.billingEmail, name: null, address: null, taxId: null, organizationName: input.organizationName },
    lines: [
      {
        kind: 'subscription',
        description: `${input.plan.name} plan, ${describePeriod(period.start, period.end)}`,
        quantity: 1,
        unitPriceCents: input.plan.priceCents,
        amountCents: input.plan.priceCents,
        periodStart: period.start,
        periodEnd: period.end,
      },
    ],
  });
  await recordCompletedAttempt(trx, {
    organizationId: input.organizationId,
    invoiceId: invoice.id,
    idempotencyKey: input.charge.idempotencyKey,
    amountCents: input.plan.priceCents,
    card: input.card,
    result: input.charge.result,
    startedAt: input.charge.startedAt,
    completedAt: input.now,
  });
  await markInvoicePaid(trx, invoice.id, input.plan.priceCents, input.now);
  return { ...invoice, status: 'paid', amountPaidCents: input.plan.priceCents, paidAt: input.now };
}
