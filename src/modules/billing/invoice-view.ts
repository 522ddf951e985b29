import { formatCount, formatDateShort, formatDateTime24 } from '../../format.ts';
import { formatCents } from '../../money.ts';
import type { PaymentAttempt } from './attempts.ts';
import type { InvoiceApplicationUsage } from './invoice-queries.ts';
import type { Invoice, InvoiceLine, InvoiceStatus } from './invoices.ts';
import { describePeriod } from './open-subscription.ts';

/**
 * How an invoice reads on the Invoices tab and its printable detail (R9.4,
 * R9.11): every amount through formatCents (R9.1), every date in UTC. The
 * templates only place these strings.
 */

export const INVOICE_STATUS: Record<InvoiceStatus, { label: string; badge: string }> = {
  open: { label: 'Open', badge: 'badge-warning' },
  paid: { label: 'Paid', badge: 'badge-success' },
  void: { label: 'Void', badge: '' },
  uncollectible: { label: 'Uncollectible', badge: 'badge-danger' },
};

const ATTEMPT_RESULT: Record<PaymentAttempt['status'], { label: string; badge: string }> = {
  succeeded: { label: 'Succeeded', badge: 'badge-success' },
  failed: { label: 'Failed', badge: 'badge-danger' },
  pending: { label: 'Pending', badge: 'badge-warning' },
};

const brandName = (brand: string) => (brand === 'amex' ? 'American Express' : brand.charAt(0).toUpperCase() + brand.slice(1));

/** What is still owed: nothing on a voided invoice; otherwise what was due and not paid. */
export function balanceRemainingCents(invoice: Pick<Invoice, 'status' | 'amountDueCents' | 'amountPaidCents'>): number {
  if (invoice.status === 'void') return 0;
  return Math.max(0, invoice.amountDueCents - invoice.amountPaidCents);
}

export function invoiceSummary(invoice: Invoice) {
  return {
    id: invoice.id,
    number: invoice.number,
    issuedOn: formatDateShort(invoice.issuedAt),
    issuedIso: invoice.issuedAt.toISOString(),
    period: describePeriod(invoice.periodStart, invoice.periodEnd),
    status: INVOICE_STATUS[invoice.status],
    amountDue: formatCents(invoice.amountDueCents),
  };
}

/**
 * One line as printed. An overage line's quantity is the payloads over the
 * allotment and its unit price the plan's cents per million (R9.3), so its
 * price reads "$10.00 / million".
 */
export function presentLine(line: InvoiceLine) {
  return {
    description: line.description,
    quantity: formatCount(line.quantity),
    unitPrice: line.kind === 'overage' ? `${formatCents(line.unitPriceCents)} / million` : formatCents(line.unitPriceCents),
    amount: formatCents(line.amountCents),
  };
}

export function presentAttempt(attempt: PaymentAttempt) {
  return {
    time: formatDateTime24(attempt.createdAt),
    timeIso: attempt.createdAt.toISOString(),
    card: attempt.cardBrand && attempt.cardLast4 ? `${brandName(attempt.cardBrand)} •••• ${attempt.cardLast4}` : '—',
    cardLabel: attempt.cardBrand && attempt.cardLast4 ? `${brandName(attempt.cardBrand)} ending in ${attempt.cardLast4}` : 'No card',
    amount: formatCents(attempt.amountCents),
    result: ATTEMPT_RESULT[attempt.status],
    failureReason: attempt.status === 'failed' ? (attempt.failureMessage ?? attempt.failureCode ?? 'Declined') : '',
  };
}

export function invoiceDetail(input: {
  invoice: Invoice;
  lines: InvoiceLine[];
  attempts: PaymentAttempt[];
  usage: InvoiceApplicationUsage[];
  organizationName: string;
  billingEmail: string | null;
}) {
  const { invoice, usage } = input;
  const usagePeriod = usage[0] ? describePeriod(usage[0].periodStart, usage[0].periodEnd) : null;
  return {
    ...invoiceSummary(invoice),
    billedTo: { name: input.organizationName, email: input.billingEmail },
    paidOn: invoice.paidAt ? formatDateShort(invoice.paidAt) : null,
    lines: input.lines.map(presentLine),
    subtotal: formatCents(invoice.subtotalCents),
    creditApplied: formatCents(invoice.creditAppliedCents === 0 ? 0 : -invoice.creditAppliedCents),
    amountPaid: formatCents(invoice.amountPaidCents),
    balanceRemaining: formatCents(balanceRemainingCents(invoice)),
    attempts: input.attempts.map(presentAttempt),
    usagePeriod,
    usage: usage.map((u) => ({ name: u.applicationName, payloads: formatCount(u.payloads) })),
    usageTotal: formatCount(usage.reduce((s, u) => s + u.payloads, 0)),
  };
}
