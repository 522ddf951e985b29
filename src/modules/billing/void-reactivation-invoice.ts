import { insertRows, type Sql } from '../../db/sql.ts';
import { formatCents } from '../../money.ts';
import { recordAudit, systemActor, type AuditActor } from '../audit/record.ts';
import { periodContaining } from '../owners/periods.ts';

interface ReactivationInvoiceRow {
  id: number;
  organization_id: number;
  seq: number;
  number: string;
  kind: string;
  status: string;
  period_end: number;
  credit_applied_cents: number;
  amount_due_cents: number;
  amount_paid_cents: number;
  prior_period_start: number | null;
  prior_period_end: number | null;
}

/**
 * R9.8, R9.13: voids an open reactivation invoice whose charge did not go
 * through, inside the caller's transaction (which holds the account lock).
 *
 * A reactivation invoice bills the rest of the current period from the instant
 * the organization pays up. If that charge is declined the organization stays
 * Unpaid, so the time it bills is time spent Unpaid: keeping it open would
 * have the next reactivation collect it. Voiding undoes everything issuing it
 * did: the credit balance it took comes back (a ledger entry), the proration
 * lines it carried wait for the next invoice again, and the account's current
 * period is the one before it (so the overage still owed is billed by the
 * next reactivation, and a reactivation later in the same period bills
 * again). The invoice itself stays, void, with its failed attempt (R9.4).
 *
 * Never while a charge of it is in flight (a pending attempt): its outcome is
 * unknown and may still pay it. Answers whether it voided the invoice.
 */
export async function voidReactivationInvoice(sql: Sql, input: { invoiceId: number; at: Date; cause: string; actor?: AuditActor }): Promise<boolean> {
  const invoice = await sql.first<ReactivationInvoiceRow>(
    `SELECT id, organization_id, seq, number, kind, status, period_end, credit_applied_cents, amount_due_cents, amount_paid_cents, prior_period_start, prior_period_end
     FROM invoices WHERE id = ?`,
    [input.invoiceId],
  );
  if (!invoice || invoice.kind !== 'reactivation' || invoice.status !== 'open' || Number(invoice.amount_paid_cents) !== 0) return false;
  if (await sql.first("SELECT 1 AS one FROM payment_attempts WHERE invoice_id = ? AND status = 'pending'", [invoice.id])) return false;
  if ((await sql.run("UPDATE invoices SET status = 'void' WHERE id = ? AND status = 'open'", [invoice.id])) !== 1) return false;

  const organizationId = Number(invoice.organization_id);
  const credit = Number(invoice.credit_applied_cents);
  if (credit > 0) {
    await insertRows(sql, 'credit_ledger', [
      { organization_id: organizationId, amount_cents: credit, reason: `Returned from void invoice ${invoice.number}`, invoice_id: invoice.id, created_at: input.at.getTime() },
    ]);
    await sql.run('UPDATE billing_accounts SET credit_balance_cents = credit_balance_cents + ? WHERE organization_id = ?', [credit, organizationId]);
  }
  await sql.run('UPDATE pending_invoice_lines SET invoice_id = NULL WHERE invoice_id = ?', [invoice.id]);
  const prior = await priorPeriodOf(sql, invoice);
  if (prior) {
    // Only if the account is still in the period this invoice opened.
    await sql.run('UPDATE billing_accounts SET current_period_start = ?, current_period_end = ?, updated_at = ? WHERE organization_id = ? AND current_period_end = ?', [
      prior.start,
      prior.end,
      input.at.getTime(),
      organizationId,
      Number(invoice.period_end),
    ]);
  }
  await recordAudit(sql, {
    organizationId,
    actor: input.actor ?? systemActor,
    action: 'billing.invoice_voided',
    target: { type: 'invoice', id: invoice.id, label: String(invoice.number) },
    before: { status: 'open', outstanding: formatCents(Number(invoice.amount_due_cents)) },
    after: { status: 'void', cause: input.cause },
    at: input.at,
  });
  return true;
}

/**
 * Voids the organization's open reactivation invoices with no charge in
 * flight: left by a process that died between issuing one and recording its
 * outcome, or by a decline recorded before declines voided them.
 */
export async function voidIdleReactivationInvoices(sql: Sql, input: { organizationId: number; at: Date; actor?: AuditActor }): Promise<number> {
  const open = await sql.rows<{ id: number }>(
    `SELECT i.id FROM invoices i
     WHERE i.organization_id = ? AND i.kind = 'reactivation' AND i.status = 'open'
       AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.invoice_id = i.id AND a.status = 'pending')
     ORDER BY i.seq`,
    [input.organizationId],
  );
  let voided = 0;
  for (const { id } of open) {
    const cause = 'Its charge did not go through; the time it billed was spent Unpaid';
    if (await voidReactivationInvoice(sql, { invoiceId: Number(id), at: input.at, cause, ...(input.actor ? { actor: input.actor } : {}) })) voided++;
  }
  return voided;
}

/**
 * The account's current period before the invoice was issued. Invoices issued
 * before it was kept on them (20261130-1450): the anchored period of the
 * invoice before, which is what the account's period was then.
 */
async function priorPeriodOf(sql: Sql, invoice: ReactivationInvoiceRow): Promise<{ start: number; end: number } | null> {
  if (invoice.prior_period_start != null && invoice.prior_period_end != null) return { start: Number(invoice.prior_period_start), end: Number(invoice.prior_period_end) };
  const before = await sql.first<{ period_start: number; period_anchor: number }>(
    `SELECT i.period_start, b.period_anchor FROM invoices i JOIN billing_accounts b ON b.organization_id = i.organization_id
     WHERE i.organization_id = ? AND i.seq < ? AND i.kind <> 'final' ORDER BY i.seq DESC LIMIT 1`,
    [invoice.organization_id, invoice.seq],
  );
  if (!before) return null;
  const period = periodContaining(new Date(Number(before.period_anchor)), new Date(Number(before.period_start)));
  return { start: period.start.getTime(), end: period.end.getTime() };
}
