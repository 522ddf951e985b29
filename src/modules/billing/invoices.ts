import type { Sql } from '../../db/sql.ts';
import { takeInvoiceSeq } from '../owners/queries/billing-accounts.ts';
import type { BilledTo } from './billing-details.ts';
import { insertInvoice, type Invoice, type InvoiceKind } from './queries/invoices.ts';
import { insertInvoiceLines, type InvoiceLineInput } from './queries/lines.ts';

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
  const invoice = await insertInvoice(db, {
    organizationId: input.organizationId,
    seq,
    number: invoiceNumber(input.numberPrefix, seq),
    kind: input.kind,
    status: amountDue === 0 ? 'paid' : 'open',
    issuedAt: input.issuedAt,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    subtotalCents: subtotal,
    creditAppliedCents: input.creditAppliedCents,
    amountDueCents: amountDue,
    paidAt: amountDue === 0 ? input.issuedAt : null,
    usagePeriod: input.usagePeriod ?? null,
    billedTo: input.billedTo ?? null,
  });
  await insertInvoiceLines(db, invoice.id, input.lines);
  return invoice;
}
