import { insertRows, insertSql, type Sql } from '../../db/sql.ts';
import { billedToJson, parseBilledTo, type BilledTo } from './billing-details.ts';
import { takeInvoiceSeq } from './queries.ts';

export type InvoiceStatus = 'open' | 'paid' | 'void' | 'uncollectible';
export type InvoiceKind = 'first' | 'renewal' | 'final' | 'reactivation';
/**
 * `credit_balance` only on invoices issued before the net credit of an
 * invoice was shown below its total (issue #14): such a line is the movement
 * to the credit balance, not a charge, and is presented that way.
 */
export type LineKind = 'subscription' | 'overage' | 'proration_credit' | 'proration_charge' | 'credit_balance';

export interface InvoiceLineInput {
  kind: LineKind;
  description: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
  periodStart?: Date;
  periodEnd?: Date;
}

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

/** R9.4: numbers are sequential per organization, e.g. `K7Q2MZP4-000001`. */
export const invoiceNumber = (prefix: string, seq: number) => `${prefix.toUpperCase()}-${String(seq).padStart(6, '0')}`;

/**
 * Issues an invoice with its lines, inside the caller's transaction. The
 * subtotal is the sum of the lines; a negative one (a net credit, R9.5) is
 * due as $0.00 and its amount goes to the credit balance (the caller's
 * ledger), shown below the total rather than as a line.
 */
export async function issueInvoice(
  db: Sql,
  input: {
    organizationId: number;
    numberPrefix: string;
    kind: InvoiceKind;
    issuedAt: Date;
    periodStart: Date;
    periodEnd: Date;
    lines: InvoiceLineInput[];
    creditAppliedCents: number;
    /** The period whose usage it bills (a renewal's ended period), if any. */
    usagePeriod?: { start: Date; end: Date } | null;
    /** Who it is made out to, kept with it (R9.14). */
    billedTo?: BilledTo | null;
  },
): Promise<Invoice> {
  const subtotal = input.lines.reduce((sum, l) => sum + l.amountCents, 0);
  if (input.creditAppliedCents < 0 || (input.creditAppliedCents > 0 && input.creditAppliedCents > subtotal)) throw new Error('credit applied exceeds the subtotal');
  const amountDue = Math.max(0, subtotal - input.creditAppliedCents);
  const seq = await takeInvoiceSeq(db, input.organizationId);
  const insert = insertSql('invoices', [
    {
      organization_id: input.organizationId,
      seq,
      number: invoiceNumber(input.numberPrefix, seq),
      kind: input.kind,
      status: amountDue === 0 ? 'paid' : 'open',
      issued_at: input.issuedAt.getTime(),
      period_start: input.periodStart.getTime(),
      period_end: input.periodEnd.getTime(),
      subtotal_cents: subtotal,
      credit_applied_cents: input.creditAppliedCents,
      amount_due_cents: amountDue,
      amount_paid_cents: 0,
      paid_at: amountDue === 0 ? input.issuedAt.getTime() : null,
      usage_period_start: input.usagePeriod?.start.getTime() ?? null,
      usage_period_end: input.usagePeriod?.end.getTime() ?? null,
      billed_to_json: input.billedTo ? billedToJson(input.billedTo) : null,
    },
  ], '*');
  const row = await db.first<InvoiceRow>(insert.sql, insert.bindings);
  const invoice = toInvoice(row!);
  if (input.lines.length) {
    await insertRows(
      db,
      'invoice_lines',
      input.lines.map((l, i) => ({
        invoice_id: invoice.id,
        position: i + 1,
        kind: l.kind,
        description: l.description,
        quantity: l.quantity,
        unit_price_cents: l.unitPriceCents,
        amount_cents: l.amountCents,
        period_start: l.periodStart?.getTime() ?? null,
        period_end: l.periodEnd?.getTime() ?? null,
      })),
    );
  }
  return invoice;
}

export async function markInvoicePaid(db: Sql, invoiceId: number, amountCents: number, paidAt: Date): Promise<void> {
  await db.run("UPDATE invoices SET status = 'paid', amount_paid_cents = ?, paid_at = ? WHERE id = ?", [amountCents, paidAt.getTime(), invoiceId]);
}

export async function listInvoices(db: Sql, organizationId: number, limit = 12): Promise<Invoice[]> {
  const rows = await db.rows<InvoiceRow>('SELECT * FROM invoices WHERE organization_id = ? ORDER BY seq DESC LIMIT ?', [organizationId, limit]);
  return rows.map(toInvoice);
}

export interface InvoiceLine {
  position: number;
  kind: LineKind;
  description: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
}

export async function invoiceLines(db: Sql, invoiceId: number): Promise<InvoiceLine[]> {
  const rows = await db.rows<Record<string, number | string>>('SELECT * FROM invoice_lines WHERE invoice_id = ? ORDER BY position', [invoiceId]);
  return rows.map((r) => ({
    position: Number(r.position),
    kind: r.kind as LineKind,
    description: String(r.description),
    quantity: Number(r.quantity),
    unitPriceCents: Number(r.unit_price_cents),
    amountCents: Number(r.amount_cents),
  }));
}
