import { formatCount } from '../../format.ts';
import { formatCents } from '../../money.ts';
import type { BilledTo } from './billing-details.ts';
import type { Plan } from '../plans/queries.ts';
import { issueInvoice, type Invoice, type InvoiceKind, type InvoiceLineInput } from './invoices.ts';
import { describePeriod } from './open-subscription.ts';
import { overageCents } from '../plans/overage.ts';
import { insertRows, type Sql } from '../../db/sql.ts';

type Period = { start: Date; end: Date };

interface PendingRow {
  id: number;
  kind: InvoiceLineInput['kind'];
  description: string;
  quantity: number;
  unit_price_cents: number;
  amount_cents: number;
  period_start: number | null;
  period_end: number | null;
}

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
  trx: Sql,
  input: { organizationId: number; plan: Plan; usagePeriod: Period; usagePeriodStart: Date; pendingBefore?: Date },
): Promise<AccruedCharges> {
  const { organizationId, plan, usagePeriod } = input;
  const sql = trx;
  const usage = await sql.rows<UsageRow>(
    `SELECT application_id, application_name, payloads FROM usage_counters
     WHERE owner_type = 'organization' AND owner_id = ? AND period_start = ?`,
    [organizationId, input.usagePeriodStart.getTime()],
  );
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
  const pending = await sql.rows<PendingRow>(
    `SELECT * FROM pending_invoice_lines WHERE organization_id = ? AND invoice_id IS NULL${input.pendingBefore ? ' AND created_at < ?' : ''} ORDER BY id`,
    input.pendingBefore ? [organizationId, input.pendingBefore.getTime()] : [organizationId],
  );
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
  return { lines, usage, pendingIds: pending.map((p) => Number(p.id)) };
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
  await insertRows(
    trx,
    'invoice_usage',
    input.accrued.usage.map((u) => ({
        invoice_id: invoice.id,
        application_id: u.application_id,
        application_name: u.application_name,
        payloads: u.payloads,
        usage_period_start: (input.usagePeriod ?? input.period).start.getTime(),
        usage_period_end: (input.usagePeriod ?? input.period).end.getTime(),
    })),
  );
  const ids = input.accrued.pendingIds;
  if (ids.length) {
    await trx.run(`UPDATE pending_invoice_lines SET invoice_id = ? WHERE id IN (${ids.map(() => '?').join(', ')})`, [invoice.id, ...ids]);
  }
  const ledger = (amount: number, reason: string) =>
    insertRows(trx, 'credit_ledger', [{ organization_id: input.organizationId, amount_cents: amount, reason, invoice_id: invoice.id, created_at: input.issuedAt.getTime() }]);
  if (applied) await ledger(-applied, `Applied to ${input.ledgerNoun} ${invoice.number}`);
  if (netCredit) await ledger(netCredit, `Net credit of ${input.ledgerNoun} ${invoice.number}`);
  return { invoice, creditBalanceCents: balanceAfterCents };
}
