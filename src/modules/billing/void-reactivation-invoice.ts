import type { Sql } from '../../db/sql.ts';
import { formatCents } from '../../money.ts';
import { recordAudit, systemActor, type AuditActor } from '../audit/record.ts';
import { periodContaining } from '../owners/periods.ts';
import { addToCreditBalance, returnToPeriod } from '../owners/queries/billing-accounts.ts';
import { hasPendingAttempt } from './queries/attempts.ts';
import { addCreditLedgerEntry } from './queries/credit.ts';
import { closeOpenInvoice, idleReactivationInvoiceIds, invoiceBeforeOf, invoiceToVoidOf, type InvoiceToVoid } from './queries/invoices.ts';
import { releasePendingLinesOf } from './queries/lines.ts';

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
  const invoice = await invoiceToVoidOf(sql, input.invoiceId);
  if (!invoice || invoice.kind !== 'reactivation' || invoice.status !== 'open' || invoice.amountPaidCents !== 0) return false;
  if (await hasPendingAttempt(sql, invoice.id)) return false;
  if (!(await closeOpenInvoice(sql, invoice.id, 'void'))) return false;

  const organizationId = invoice.organizationId;
  const credit = invoice.creditAppliedCents;
  if (credit > 0) {
    await addCreditLedgerEntry(sql, { organizationId, amountCents: credit, reason: `Returned from void invoice ${invoice.number}`, invoiceId: invoice.id, at: input.at });
    await addToCreditBalance(sql, organizationId, credit, input.at);
  }
  await releasePendingLinesOf(sql, invoice.id);
  const prior = await priorPeriodOf(sql, invoice);
  // Only if the account is still in the period this invoice opened.
  if (prior) await returnToPeriod(sql, organizationId, { period: prior, ifPeriodEnd: invoice.periodEnd, at: input.at });
  await recordAudit(sql, {
    organizationId,
    actor: input.actor ?? systemActor,
    action: 'billing.invoice_voided',
    target: { type: 'invoice', id: invoice.id, label: invoice.number },
    before: { status: 'open', outstanding: formatCents(invoice.amountDueCents) },
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
  const idle = await idleReactivationInvoiceIds(sql, input.organizationId);
  let voided = 0;
  for (const id of idle) {
    const cause = 'Its charge did not go through; the time it billed was spent Unpaid';
    if (await voidReactivationInvoice(sql, { invoiceId: id, at: input.at, cause, ...(input.actor ? { actor: input.actor } : {}) })) voided++;
  }
  return voided;
}

/**
 * The account's current period before the invoice was issued. Invoices issued
 * before it was kept on them (20261130-1450): the anchored period of the
 * invoice before, which is what the account's period was then.
 */
async function priorPeriodOf(sql: Sql, invoice: InvoiceToVoid): Promise<{ start: number; end: number } | null> {
  if (invoice.priorPeriod) return invoice.priorPeriod;
  const before = await invoiceBeforeOf(sql, invoice.organizationId, invoice.seq);
  if (!before) return null;
  const period = periodContaining(before.periodAnchor, before.periodStart);
  return { start: period.start.getTime(), end: period.end.getTime() };
}
