import { formatCount } from '../../format.ts';
import { formatCents } from '../../money.ts';
import type { BilledTo } from './billing-details.ts';
import type { Plan } from '../plans/queries.ts';
import { issueInvoice } from './invoices.ts';
import { describePeriod } from './open-subscription.ts';
import { overageCents } from '../plans/overage.ts';
import type { Sql } from '../../db/sql.ts';
import { addCreditLedgerEntry } from './queries/credit.ts';
import { insertInvoiceUsage, type Invoice, type InvoiceKind } from './queries/invoices.ts';
import { markPendingLinesInvoiced, pendingLinesToInvoice, type InvoiceLineInput } from './queries/lines.ts';
import { periodUsageOfOrganization, type InvoicedApplicationUsage } from '../usage/queries.ts';


type Period = { start: Date; end: Date };

type UsageRow = InvoicedApplicationUsage;

export interface AccruedCharges {
  /** Overage of the usage period, then the proration lines waiting for an invoice. */
  lines: InvoiceLineInput[];
  usage: UsageRow[];
  pendingIds: number[];
}

/**
 * What an organization owes for a usage period besides its subscription
 * (R9.3, R9.5, R9.9): overage at the given plan's price, and the pending
 * proration lines (those accrued before `pendingBefore`, when given).
 */
export async function accruedCharges(
  trx: Sql,
  input: { organizationId: number; plan: Plan; usagePeriod: Period; usagePeriodStart: Date; pendingBefore?: Date },
): Promise<AccruedCharges> {
  const { organizationId, plan, usagePeriod } = input;
  const usage = await periodUsageOfOrganization(trx, organizationId, input.usagePeriodStart);
  const payloads = usage.reduce((s, u) => s + Number(u.payloads), 0);
  const lines: InvoiceLineInput[] = [];
  const overage = overageCents(payloads, plan.limits.payloadsPerMonth, plan.overageCentsPerMillion);
  if (overage.over > 0 && plan.overageCentsPerMillion !== null) {
    lines.push({
      kind: 'overage',
      description: `Overage: ${formatCount(overage.over)} payloads over the ${formatCount(plan.limits.payloadsPerMonth)} of ${plan.name}, ${describePeriod(usagePeriod.start, usagePeriod.end)}, at ${formatCents(plan.overageCentsPerMillion)} per million`,
      quantity: overage.over,
      unitPriceCents: plan.overageCentsPerMillion,
      amountCents: overage.cents,
      periodStart: usagePeriod.start,
      periodEnd: usagePeriod.end,
    });
  }
  const pending = await pendingLinesToInvoice(trx, organizationId, input.pendingBefore);
  lines.push(...pending.lines);
  return { lines, usage, pendingIds: pending.ids };
}

/** R9.3, R9.5: how much credit balance an invoice takes, and how much it gives back (a net credit). */
export function creditMovement(subtotalCents: number, creditBalanceCents: number): { appliedCents: number; netCreditCents: number; balanceAfterCents: number } {
  const appliedCents = subtotalCents > 0 ? Math.min(Math.max(0, creditBalanceCents), subtotalCents) : 0;
  const netCreditCents = subtotalCents < 0 ? -subtotalCents : 0;
  return { appliedCents, netCreditCents, balanceAfterCents: creditBalanceCents - appliedCents + netCreditCents };
}

/**
 * Issues an invoice of `lines` with the credit balance applied first (R9.3);
 * a negative subtotal is billed as zero and becomes credit balance (R9.5),
 * shown on the invoice below its total (not as a line).
 * Records the usage snapshot, marks the pending lines invoiced and writes the
 * credit ledger. Returns the invoice and the new credit balance, which the
 * caller stores with the rest of its account update.
 */
export async function issueWithCredit(
  trx: Sql,
  input: {
    organizationId: number;
    numberPrefix: string;
    kind: InvoiceKind;
    issuedAt: Date;
    period: Period;
    lines: InvoiceLineInput[];
    creditBalanceCents: number;
    accrued: AccruedCharges;
    /** The period whose usage is billed; null when the invoice bills none. */
    usagePeriod: Period | null;
    /** How ledger entries name the invoice, e.g. "invoice" or "final invoice". */
    ledgerNoun: string;
    billedTo: BilledTo | null;
  },
): Promise<{ invoice: Invoice; creditBalanceCents: number }> {
  const subtotal = input.lines.reduce((s, l) => s + l.amountCents, 0);
  const { appliedCents: applied, netCreditCents: netCredit, balanceAfterCents } = creditMovement(subtotal, input.creditBalanceCents);
  const invoice = await issueInvoice(trx, {
    organizationId: input.organizationId,
    numberPrefix: input.numberPrefix,
    kind: input.kind,
    issuedAt: input.issuedAt,
    periodStart: input.period.start,
    periodEnd: input.period.end,
    lines: input.lines,
    creditAppliedCents: applied,
    usagePeriod: input.usagePeriod,
    billedTo: input.billedTo,
  });
  await insertInvoiceUsage(trx, invoice.id, input.accrued.usage, input.usagePeriod ?? input.period);
  await markPendingLinesInvoiced(trx, invoice.id, input.accrued.pendingIds);
  const ledger = (amount: number, reason: string) =>
    addCreditLedgerEntry(trx, { organizationId: input.organizationId, amountCents: amount, reason, invoiceId: invoice.id, at: input.issuedAt });
  if (applied) await ledger(-applied, `Applied to ${input.ledgerNoun} ${invoice.number}`);
  if (netCredit) await ledger(netCredit, `Net credit of ${input.ledgerNoun} ${invoice.number}`);
  return { invoice, creditBalanceCents: balanceAfterCents };
}
