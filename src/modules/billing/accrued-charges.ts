import type { Knex } from 'knex';
import { formatCount } from '../../format.ts';
import type { Plan } from '../plans/queries.ts';
import { issueInvoice, type Invoice, type InvoiceKind, type InvoiceLineInput } from './invoices.ts';
import { describePeriod } from './open-subscription.ts';
import { overageCents } from './proration.ts';

type Period = { start: Date; end: Date };

interface UsageRow {
  application_id: number;
  application_name: string;
  payloads: number;
}

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
  trx: Knex.Transaction,
  input: { organizationId: number; plan: Plan; usagePeriod: Period; usagePeriodStart: Date; pendingBefore?: Date },
): Promise<AccruedCharges> {
  const { organizationId, plan, usagePeriod } = input;
  const usage: UsageRow[] = await trx('usage_counters')
    .where({ owner_type: 'organization', owner_id: organizationId, period_start: input.usagePeriodStart.getTime() })
    .select('application_id', 'application_name', 'payloads');
  const payloads = usage.reduce((s, u) => s + Number(u.payloads), 0);
  const lines: InvoiceLineInput[] = [];
  const overage = overageCents(payloads, plan.limits.payloadsPerMonth, plan.overageCentsPerMillion);
  if (overage.over > 0 && plan.overageCentsPerMillion !== null) {
    lines.push({
      kind: 'overage',
      description: `Overage: ${formatCount(overage.over)} payloads over the ${formatCount(plan.limits.payloadsPerMonth)} of ${plan.name}, ${describePeriod(usagePeriod.start, usagePeriod.end)}, at ${(plan.overageCentsPerMillion / 100).toFixed(2)} USD per million`,
      quantity: overage.over,
      unitPriceCents: plan.overageCentsPerMillion,
      amountCents: overage.cents,
      periodStart: usagePeriod.start,
      periodEnd: usagePeriod.end,
    });
  }
  let pendingQuery = trx('pending_invoice_lines').where({ organization_id: organizationId }).whereNull('invoice_id');
  if (input.pendingBefore) pendingQuery = pendingQuery.andWhere('created_at', '<', input.pendingBefore.getTime());
  const pending = await pendingQuery.orderBy('id');
  for (const p of pending) {
    lines.push({
      kind: p.kind,
      description: p.description,
      quantity: Number(p.quantity),
      unitPriceCents: Number(p.unit_price_cents),
      amountCents: Number(p.amount_cents),
      ...(p.period_start != null ? { periodStart: new Date(Number(p.period_start)) } : {}),
      ...(p.period_end != null ? { periodEnd: new Date(Number(p.period_end)) } : {}),
    });
  }
  return { lines, usage, pendingIds: pending.map((p: { id: number }) => p.id) };
}

/**
 * Issues an invoice of `lines` with the credit balance applied first (R9.3);
 * a negative subtotal is billed as zero and becomes credit balance (R9.5).
 * Records the usage snapshot, marks the pending lines invoiced and writes the
 * credit ledger. Returns the invoice and the new credit balance, which the
 * caller stores with the rest of its account update.
 */
export async function issueWithCredit(
  trx: Knex.Transaction,
  input: {
    organizationId: number;
    numberPrefix: string;
    kind: InvoiceKind;
    issuedAt: Date;
    period: Period;
    lines: InvoiceLineInput[];
    creditBalanceCents: number;
    accrued: AccruedCharges;
    usagePeriod: Period;
    /** How ledger entries name the invoice, e.g. "invoice" or "final invoice". */
    ledgerNoun: string;
  },
): Promise<{ invoice: Invoice; creditBalanceCents: number }> {
  const subtotal = input.lines.reduce((s, l) => s + l.amountCents, 0);
  const applied = subtotal > 0 ? Math.min(input.creditBalanceCents, subtotal) : 0;
  const netCredit = subtotal < 0 ? -subtotal : 0;
  const invoice = await issueInvoice(trx, {
    organizationId: input.organizationId,
    numberPrefix: input.numberPrefix,
    kind: input.kind,
    issuedAt: input.issuedAt,
    periodStart: input.period.start,
    periodEnd: input.period.end,
    lines: netCredit
      ? [...input.lines, { kind: 'credit_balance', description: 'Net credit moved to your credit balance', quantity: 1, unitPriceCents: netCredit, amountCents: netCredit }]
      : input.lines,
    creditAppliedCents: applied,
  });
  if (input.accrued.usage.length) {
    await trx('invoice_usage').insert(
      input.accrued.usage.map((u) => ({
        invoice_id: invoice.id,
        application_id: u.application_id,
        application_name: u.application_name,
        payloads: u.payloads,
        usage_period_start: input.usagePeriod.start.getTime(),
        usage_period_end: input.usagePeriod.end.getTime(),
      })),
    );
  }
  if (input.accrued.pendingIds.length) await trx('pending_invoice_lines').whereIn('id', input.accrued.pendingIds).update({ invoice_id: invoice.id });
  const ledger = (amount: number, reason: string) =>
    trx('credit_ledger').insert({ organization_id: input.organizationId, amount_cents: amount, reason, invoice_id: invoice.id, created_at: input.issuedAt.getTime() });
  if (applied) await ledger(-applied, `Applied to ${input.ledgerNoun} ${invoice.number}`);
  if (netCredit) await ledger(netCredit, `Net credit of ${input.ledgerNoun} ${invoice.number}`);
  return { invoice, creditBalanceCents: input.creditBalanceCents - applied + netCredit };
}
