import { insertRows, insertSql, placeholders } from '../../../db/sql.ts';
import type { Sql } from '../../../db/sql.ts';
import { joinBillingAccounts } from '../../owners/queries.ts';
import { billedToJson, parseBilledTo, type BilledTo } from '../billing-details.ts';

/**
 * Invoices (R9.4): issued, charged, paid, voided or marked uncollectible,
 * and what the Invoices tab reads of them (R9.11). Reads for a reader are
 * scoped by the organization, so another organization's invoice id finds
 * nothing.
 */

export type InvoiceStatus = 'open' | 'paid' | 'void' | 'uncollectible';
export type InvoiceKind = 'first' | 'renewal' | 'final' | 'reactivation';

export interface Invoice {
  id: number;
  organizationId: number;
  seq: number;
  number: string;
  kind: InvoiceKind;
  status: InvoiceStatus;
  issuedAt: Date;
  periodStart: Date;
  periodEnd: Date;
  subtotalCents: number;
  creditAppliedCents: number;
  amountDueCents: number;
  amountPaidCents: number;
  paidAt: Date | null;
  /** The period whose overage and application usage this invoice bills (R9.3), when it bills one. */
  usagePeriod: { start: Date; end: Date } | null;
  /** Who it was made out to when issued (R9.14); null for invoices issued before that was kept. */
  billedTo: BilledTo | null;
}

interface InvoiceRow {
  id: number;
  organization_id: number;
  seq: number;
  number: string;
  kind: InvoiceKind;
  status: InvoiceStatus;
  issued_at: number;
  period_start: number;
  period_end: number;
  subtotal_cents: number;
  credit_applied_cents: number;
  amount_due_cents: number;
  amount_paid_cents: number;
  paid_at: number | null;
  usage_period_start?: number | null;
  usage_period_end?: number | null;
  billed_to_json?: string | null;
}

export const toInvoice = (r: InvoiceRow): Invoice => ({
  id: r.id,
  organizationId: r.organization_id,
  seq: r.seq,
  number: r.number,
  kind: r.kind,
  status: r.status,
  issuedAt: new Date(r.issued_at),
  periodStart: new Date(r.period_start),
  periodEnd: new Date(r.period_end),
  subtotalCents: Number(r.subtotal_cents),
  creditAppliedCents: Number(r.credit_applied_cents),
  amountDueCents: Number(r.amount_due_cents),
  amountPaidCents: Number(r.amount_paid_cents),
  paidAt: r.paid_at === null ? null : new Date(Number(r.paid_at)),
  usagePeriod: r.usage_period_start == null || r.usage_period_end == null ? null : { start: new Date(Number(r.usage_period_start)), end: new Date(Number(r.usage_period_end)) },
  billedTo: parseBilledTo(r.billed_to_json ?? null),
});

/** R9.4: writes an issued invoice (its number taken by the caller) and answers it as stored. */
export async function insertInvoice(
  db: Sql,
  /** Every column but the id (the database's) and the amount paid (nothing yet: payments settle it). */
  input: Omit<Invoice, 'id' | 'amountPaidCents'>,
): Promise<Invoice> {
  const insert = insertSql('invoices', [
    {
      organization_id: input.organizationId,
      seq: input.seq,
      number: input.number,
      kind: input.kind,
      status: input.status,
      issued_at: input.issuedAt.getTime(),
      period_start: input.periodStart.getTime(),
      period_end: input.periodEnd.getTime(),
      subtotal_cents: input.subtotalCents,
      credit_applied_cents: input.creditAppliedCents,
      amount_due_cents: input.amountDueCents,
      amount_paid_cents: 0,
      paid_at: input.paidAt?.getTime() ?? null,
      usage_period_start: input.usagePeriod?.start.getTime() ?? null,
      usage_period_end: input.usagePeriod?.end.getTime() ?? null,
      billed_to_json: input.billedTo ? billedToJson(input.billedTo) : null,
    },
  ], '*');
  const row = await db.first<InvoiceRow>(insert.sql, insert.bindings);
  return toInvoice(row!);
}

/** R9.3: the first invoice, paid by the charge that opened the subscription. */
export async function markInvoicePaid(db: Sql, invoiceId: number, amountCents: number, paidAt: Date): Promise<void> {
  await db.run("UPDATE invoices SET status = 'paid', amount_paid_cents = ?, paid_at = ? WHERE id = ?", [amountCents, paidAt.getTime(), invoiceId]);
}

/**
 * R9.12: a successful charge pays its invoice — only while the invoice is
 * still open (an admin may have voided it meanwhile).
 */
export async function recordInvoicePayment(db: Sql, invoiceId: number, amountCents: number, paidAt: Date): Promise<void> {
  await db.run(`UPDATE invoices SET status = 'paid', amount_paid_cents = amount_paid_cents + ?, paid_at = ? WHERE id = ? AND status = 'open'`, [
    amountCents,
    paidAt.getTime(),
    invoiceId,
  ]);
}

/** R9.11: an organization's invoices, newest first. */
export async function listInvoices(db: Sql, organizationId: number, limit = 12): Promise<Invoice[]> {
  const rows = await db.rows<InvoiceRow>('SELECT * FROM invoices WHERE organization_id = ? ORDER BY seq DESC LIMIT ?', [organizationId, limit]);
  return rows.map(toInvoice);
}

/** R9.4, R9.11: one invoice of this organization; another organization's invoice id finds nothing. */
export async function findInvoiceOfOrganization(db: Sql, organizationId: number, invoiceId: number): Promise<Invoice | undefined> {
  const row = await db.first<InvoiceRow>('SELECT * FROM invoices WHERE id = ? AND organization_id = ?', [invoiceId, organizationId]);
  return row ? toInvoice(row) : undefined;
}

/** What a charge of an invoice, and its outcome, need to know of it (R9.12, R9.13). */
export interface InvoiceDue {
  organizationId: number;
  number: string;
  kind: InvoiceKind;
  status: InvoiceStatus;
  amountDueCents: number;
  amountPaidCents: number;
}

/** R9.13: an invoice's organization, number, status and what is due and paid on it (unscoped: the scheduler's and the gateway's side). */
export async function invoiceDueOf(db: Sql, invoiceId: number): Promise<InvoiceDue | undefined> {
  const row = await db.first<{ organization_id: number; number: string; kind: InvoiceKind; status: InvoiceStatus; amount_due_cents: number; amount_paid_cents: number }>(
    'SELECT organization_id, number, kind, status, amount_due_cents, amount_paid_cents FROM invoices WHERE id = ?',
    [invoiceId],
  );
  return row
    ? {
        organizationId: Number(row.organization_id),
        number: String(row.number),
        kind: row.kind,
        status: row.status,
        amountDueCents: Number(row.amount_due_cents),
        amountPaidCents: Number(row.amount_paid_cents),
      }
    : undefined;
}

/** R9.7: an organization's open invoices, oldest first (the order they are charged in). */
export async function openInvoicesOf(db: Sql, organizationId: number): Promise<{ id: number; number: string }[]> {
  const rows = await db.rows<{ id: number; number: string }>("SELECT id, number FROM invoices WHERE organization_id = ? AND status = 'open' ORDER BY seq", [organizationId]);
  return rows.map((r) => ({ id: Number(r.id), number: String(r.number) }));
}

/** R9.7, R11.2: whether the organization has an invoice still open. */
export async function hasOpenInvoice(db: Sql, organizationId: number): Promise<boolean> {
  return (await db.first("SELECT id FROM invoices WHERE organization_id = ? AND status = 'open' LIMIT 1", [organizationId])) !== undefined;
}

/** What an organization owes: how many invoices are open, and the sum still due on them. */
export interface OpenBalance {
  count: number;
  owedCents: number;
}

/**
 * R9.7, R9.8, R9.10, R11.2: an organization's open invoices, counted, and
 * what is still owed on them (amount due minus amount paid). Whether it is
 * settled (Active again, reactivated), what the emails and the audit log
 * state, and the back-office's balance due all read it here.
 */
export async function openBalanceOf(db: Sql, organizationId: number): Promise<OpenBalance> {
  const row = await db.first<{ n: number | string; owed: number | string | null }>(
    "SELECT COUNT(*) AS n, SUM(amount_due_cents - amount_paid_cents) AS owed FROM invoices WHERE organization_id = ? AND status = 'open'",
    [organizationId],
  );
  return { count: Number(row?.n ?? 0), owedCents: Number(row?.owed ?? 0) };
}

/**
 * R11.2, R9.8: closes an open invoice — void, or uncollectible — and answers
 * whether it did (false when it was no longer open).
 */
export async function closeOpenInvoice(db: Sql, invoiceId: number, to: 'void' | 'uncollectible'): Promise<boolean> {
  return (await db.run("UPDATE invoices SET status = ? WHERE id = ? AND status = 'open'", [to, invoiceId])) === 1;
}

/** A reactivation invoice as voiding it reads it (R9.8). */
export interface InvoiceToVoid {
  id: number;
  organizationId: number;
  seq: number;
  number: string;
  kind: InvoiceKind;
  status: InvoiceStatus;
  periodEnd: number;
  creditAppliedCents: number;
  amountDueCents: number;
  amountPaidCents: number;
  /** The account's period before the invoice was issued, as kept on it (null on invoices issued before it was kept). */
  priorPeriod: { start: number; end: number } | null;
}

/** R9.8: an invoice with what voiding it gives back: the credit it took and the account's period before it. */
export async function invoiceToVoidOf(db: Sql, invoiceId: number): Promise<InvoiceToVoid | undefined> {
  const row = await db.first<{
    id: number;
    organization_id: number;
    seq: number;
    number: string;
    kind: InvoiceKind;
    status: InvoiceStatus;
    period_end: number;
    credit_applied_cents: number;
    amount_due_cents: number;
    amount_paid_cents: number;
    prior_period_start: number | null;
    prior_period_end: number | null;
  }>(
    `SELECT id, organization_id, seq, number, kind, status, period_end, credit_applied_cents, amount_due_cents, amount_paid_cents, prior_period_start, prior_period_end
     FROM invoices WHERE id = ?`,
    [invoiceId],
  );
  if (!row) return undefined;
  return {
    id: Number(row.id),
    organizationId: Number(row.organization_id),
    seq: Number(row.seq),
    number: String(row.number),
    kind: row.kind,
    status: row.status,
    periodEnd: Number(row.period_end),
    creditAppliedCents: Number(row.credit_applied_cents),
    amountDueCents: Number(row.amount_due_cents),
    amountPaidCents: Number(row.amount_paid_cents),
    priorPeriod: row.prior_period_start != null && row.prior_period_end != null ? { start: Number(row.prior_period_start), end: Number(row.prior_period_end) } : null,
  };
}

/** R9.8: where the account goes back to if a reactivation invoice's charge is declined, kept on the invoice. */
export async function keepPriorPeriod(db: Sql, invoiceId: number, prior: { start: Date; end: Date }): Promise<void> {
  await db.run('UPDATE invoices SET prior_period_start = ?, prior_period_end = ? WHERE id = ?', [prior.start.getTime(), prior.end.getTime(), invoiceId]);
}

/**
 * R9.8: the start of the period of the invoice before `seq` (not a final
 * one), with the account's anchor: for reactivation invoices issued before
 * the prior period was kept on them, the anchored period the account was in then.
 */
export async function invoiceBeforeOf(db: Sql, organizationId: number, seq: number): Promise<{ periodStart: Date; periodAnchor: Date } | undefined> {
  const row = await db.first<{ period_start: number; period_anchor: number }>(
    `SELECT i.period_start, b.period_anchor FROM invoices i ${joinBillingAccounts('b', 'i.organization_id')}
     WHERE i.organization_id = ? AND i.seq < ? AND i.kind <> 'final' ORDER BY i.seq DESC LIMIT 1`,
    [organizationId, seq],
  );
  return row ? { periodStart: new Date(Number(row.period_start)), periodAnchor: new Date(Number(row.period_anchor)) } : undefined;
}

/** R9.8: the organization's open reactivation invoices with no charge in flight, oldest first. */
export async function idleReactivationInvoiceIds(db: Sql, organizationId: number): Promise<number[]> {
  const rows = await db.rows<{ id: number }>(
    `SELECT i.id FROM invoices i
     WHERE i.organization_id = ? AND i.kind = 'reactivation' AND i.status = 'open'
       AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.invoice_id = i.id AND a.status = 'pending')
     ORDER BY i.seq`,
    [organizationId],
  );
  return rows.map((r) => Number(r.id));
}

export interface InvoiceApplicationUsage {
  applicationId: number;
  /** The application's name when the invoice was issued (R9.4). */
  applicationName: string;
  payloads: number;
  periodStart: Date;
  periodEnd: Date;
}

/** R9.3, R9.4: the payloads per application an invoice billed, kept with it as issued (nothing for none). */
export async function insertInvoiceUsage(
  db: Sql,
  invoiceId: number,
  usage: readonly { application_id: number; application_name: string; payloads: number }[],
  period: { start: Date; end: Date },
): Promise<void> {
  await insertRows(
    db,
    'invoice_usage',
    usage.map((u) => ({
      invoice_id: invoiceId,
      application_id: u.application_id,
      application_name: u.application_name,
      payloads: u.payloads,
      usage_period_start: period.start.getTime(),
      usage_period_end: period.end.getTime(),
    })),
  );
}

/** Payloads per application of the usage period an invoice billed, most first. */
export async function invoiceUsageOf(db: Sql, invoiceId: number): Promise<InvoiceApplicationUsage[]> {
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT application_id, application_name, payloads, usage_period_start, usage_period_end FROM invoice_usage
     WHERE invoice_id = ? ORDER BY payloads DESC, application_name ASC, id ASC`,
    [invoiceId],
  );
  return rows.map((r) => ({
    applicationId: Number(r.application_id),
    applicationName: String(r.application_name),
    payloads: Number(r.payloads),
    periodStart: new Date(Number(r.usage_period_start)),
    periodEnd: new Date(Number(r.usage_period_end)),
  }));
}

/**
 * The credit balance right after an invoice moved credit (applied it, or
 * added a net credit), from the ledger; null when the invoice moved none.
 */
export async function creditBalanceAfterInvoice(db: Sql, organizationId: number, invoiceId: number): Promise<number | null> {
  const last = await db.first<{ id: number | null }>('SELECT MAX(id) AS id FROM credit_ledger WHERE organization_id = ? AND invoice_id = ?', [organizationId, invoiceId]);
  if (last?.id == null) return null;
  const sum = await db.first<{ n: number | null }>('SELECT SUM(amount_cents) AS n FROM credit_ledger WHERE organization_id = ? AND id <= ?', [organizationId, Number(last.id)]);
  return Number(sum?.n ?? 0);
}

/** What is still owed on open invoices, for each organization given that owes anything, by id (the back-office's list, R11.1). */
export async function openBalancesOf(db: Sql, organizationIds: readonly number[]): Promise<Map<number, number>> {
  if (organizationIds.length === 0) return new Map();
  const rows = await db.rows<{ id: number; n: number | string }>(
    `SELECT organization_id AS id, SUM(amount_due_cents - amount_paid_cents) AS n FROM invoices
     WHERE status = 'open' AND organization_id IN (${placeholders(organizationIds.length)}) GROUP BY organization_id`,
    [...organizationIds],
  );
  return new Map(rows.map((r) => [Number(r.id), Number(r.n)]));
}

/** An SQL condition: the organization whose id is `organizationId` (an SQL expression) has an open invoice (a deleted organization "with debt", R11.1). */
export const openInvoiceExists = (organizationId: string) => `EXISTS (SELECT 1 FROM invoices i WHERE i.organization_id = ${organizationId} AND i.status = 'open')`;
