import type { Config } from '../../config.ts';
import { formatCount, utcDates, type Dates } from '../../format.ts';
import { formatCents } from '../../money.ts';
import type { BillingDetails } from '../owners/queries/billing-accounts.ts';
import { addressLines, type BilledTo } from './billing-details.ts';
import type { PaymentAttempt } from './queries/attempts.ts';
import type { Invoice, InvoiceApplicationUsage, InvoiceStatus } from './queries/invoices.ts';
import type { InvoiceLine } from './queries/lines.ts';
import { brandName, cardName } from './card-names.ts';

/**
 * How an invoice reads on the Invoices tab and its printable detail (R9.4,
 * R9.11): every amount through formatCents (R9.1), every date in the
 * reader's time zone (R1.5). The templates only place these strings.
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


/** What is still owed: nothing on a voided invoice; otherwise what was due and not paid. */
export function balanceRemainingCents(invoice: Pick<Invoice, 'status' | 'amountDueCents' | 'amountPaidCents'>): number {
  if (invoice.status === 'void') return 0;
  return Math.max(0, invoice.amountDueCents - invoice.amountPaidCents);
}

export function invoiceSummary(invoice: Invoice, dates: Dates = utcDates) {
  return {
    id: invoice.id,
    number: invoice.number,
    issuedOn: dates.date(invoice.issuedAt),
    issuedIso: invoice.issuedAt.toISOString(),
    period: dates.dateRange(invoice.periodStart, invoice.periodEnd),
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

export function presentAttempt(attempt: PaymentAttempt, dates: Dates = utcDates) {
  return {
    time: dates.dateTime(attempt.createdAt),
    timeIso: attempt.createdAt.toISOString(),
    card: attempt.cardBrand && attempt.cardLast4 ? `${brandName(attempt.cardBrand)} •••• ${attempt.cardLast4}` : '—',
    cardLabel: attempt.cardBrand && attempt.cardLast4 ? cardName({ brand: attempt.cardBrand, last4: attempt.cardLast4 }) : 'No card',
    amount: formatCents(attempt.amountCents),
    result: ATTEMPT_RESULT[attempt.status],
    failureReason: attempt.status === 'failed' ? (attempt.failureMessage ?? attempt.failureCode ?? 'Declined') : '',
  };
}

/** Who an invoice is made out to: as kept at issue, else (older invoices) the current details. */
function billedToLines(billedTo: BilledTo | null, current: BillingDetails | null, organizationName: string) {
  const d = billedTo ?? (current ? { ...current, organizationName } : null);
  const name = d?.name || d?.organizationName || organizationName;
  return {
    name,
    lines: [
      ...(d?.name && d.name !== d.organizationName ? [d.organizationName] : []),
      ...addressLines(d?.address ?? null),
      ...(d?.email ? [d.email] : []),
      ...(d?.taxId ? [`Tax ID: ${d.taxId}`] : []),
    ],
  };
}

/**
 * The whole invoice as the detail page and the PDF print it (R9.4, R9.14):
 * seller and buyer, both periods of a renewal (the subscription it opens and
 * the usage it bills, R9.3), the lines, the totals and, below them, a net
 * credit moved to the credit balance — signed as a credit, with the balance
 * after it — rather than as a line that reads like a charge.
 */
export function invoiceDetail(input: {
  invoice: Invoice;
  lines: InvoiceLine[];
  attempts: PaymentAttempt[];
  usage: InvoiceApplicationUsage[];
  organizationName: string;
  /** The organization's billing details now (used for invoices issued before they were kept on the invoice). */
  currentDetails: BillingDetails | null;
  seller: Config['seller'];
  /** The credit balance right after this invoice, when it moved credit. */
  creditBalanceAfterCents: number | null;
  /** The reader's dates (R1.5); UTC when there is no reader. */
  dates?: Dates;
}) {
  const { invoice, usage } = input;
  const dates = input.dates ?? utcDates;
  // Invoices issued before the net credit was shown below the total stored it as a positive `credit_balance` line; it is shown as the movement it is (R9.5).
  const lines = input.lines.filter((l) => l.kind !== 'credit_balance');
  const subtotalCents = lines.reduce((s, l) => s + l.amountCents, 0);
  const netCreditCents = subtotalCents < 0 ? -subtotalCents : 0;
  const usagePeriod = invoice.usagePeriod ?? (usage[0] ? { start: usage[0].periodStart, end: usage[0].periodEnd } : null);
  const period = dates.dateRange(invoice.periodStart, invoice.periodEnd);
  const usagePeriodText = usagePeriod ? dates.dateRange(usagePeriod.start, usagePeriod.end) : null;
  return {
    ...invoiceSummary(invoice, dates),
    seller: { name: input.seller.name, lines: [...input.seller.address, ...(input.seller.taxId ? [`Tax ID: ${input.seller.taxId}`] : [])] },
    billedTo: billedToLines(invoice.billedTo, input.currentDetails, input.organizationName),
    /** A final invoice bills usage only: its period is the usage period. */
    periodLabel: invoice.kind === 'final' ? 'Usage period' : 'Subscription period',
    period,
    usagePeriod: usagePeriodText !== null && (invoice.kind !== 'final' || usagePeriodText !== period) ? usagePeriodText : null,
    paidOn: invoice.paidAt ? dates.date(invoice.paidAt) : null,
    lines: lines.map(presentLine),
    subtotal: formatCents(subtotalCents),
    creditApplied: formatCents(invoice.creditAppliedCents === 0 ? 0 : -invoice.creditAppliedCents),
    amountDue: formatCents(invoice.amountDueCents),
    amountPaid: formatCents(invoice.amountPaidCents),
    balanceRemaining: formatCents(balanceRemainingCents(invoice)),
    /** The net credit moved to the credit balance, as a credit (negative); null when none. */
    creditMoved: netCreditCents ? formatCents(-netCreditCents) : null,
    creditBalanceAfter: input.creditBalanceAfterCents === null ? null : formatCents(input.creditBalanceAfterCents),
    attempts: input.attempts.map((a) => presentAttempt(a, dates)),
    usage: usage.map((u) => ({ name: u.applicationName, payloads: formatCount(u.payloads) })),
    usageTotal: formatCount(usage.reduce((s, u) => s + u.payloads, 0)),
    /** The zone the dates above are in: the reader's (R1.5), so the invoice says which. */
    timeZone: dates.timeZone,
  };
}

export type InvoiceDetail = ReturnType<typeof invoiceDetail>;
