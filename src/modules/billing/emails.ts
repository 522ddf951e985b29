import type { Deps } from '../../deps.ts';
import type { Sql } from '../../db/sql.ts';
import { formatDateLong } from '../../format.ts';
import { formatCents } from '../../money.ts';
import type { OutgoingMail } from '../mail/mailer.ts';
import { billingEmailOf } from '../owners/queries/billing-accounts.ts';
import { RETRY_EVERY_DAYS, RETRY_ROUNDS } from '../owners/retry-schedule.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';
import { cardName } from './card-names.ts';

/**
 * R9.12: the billing emails, all to the organization's billing email. Each is
 * built here and written to the outbox (`mailer.enqueue`) inside the
 * transaction of the change that causes it — the payment outcome, the status
 * change, the refund — so a crash can neither lose one nor send one twice.
 */

/** Who a billing email is about and where its links point. */
export interface BillingMailContext {
  organizationId: number;
  organizationName: string;
  billingEmail: string;
  /** Settings pages of a live organization; null once it is deleted. */
  settingsUrl: string | null;
  /** Where its invoices are read: Settings → Invoices, or the deleted organization's invoices (R9.14). */
  invoicesUrl: string;
}

/** Reads the context inside the caller's transaction. */
export async function billingMailContext(db: Sql, config: Deps['config'], organizationId: number): Promise<BillingMailContext | null> {
  const organization = await findOrganizationById(db, organizationId);
  const billingEmail = organization ? await billingEmailOf(db, organizationId) : undefined;
  if (!organization || billingEmail === undefined) return null;
  const live = organization.deletedAt === null;
  const slug = organization.slug;
  return {
    organizationId,
    organizationName: organization.name,
    billingEmail,
    settingsUrl: live ? `${config.publicUrl}/orgs/${slug}/settings` : null,
    invoicesUrl: live ? `${config.publicUrl}/orgs/${slug}/settings/invoices` : `${config.publicUrl}/orgs/deleted/${slug}/invoices`,
  };
}

const mail = (ctx: BillingMailContext, kind: string, subject: string, lines: string[]): OutgoingMail => ({
  to: ctx.billingEmail,
  kind,
  organizationId: ctx.organizationId,
  subject,
  text: lines.join('\n'),
});

const paymentMethodUrl = (ctx: BillingMailContext) => `${ctx.settingsUrl}/payment-method`;

/** A receipt for every successful charge (R9.12). */
export function receiptMail(ctx: BillingMailContext, p: { invoiceId: number; invoiceNumber: string; amountCents: number; card: string; paidAt: Date }): OutgoingMail {
  return mail(ctx, 'receipt', `Receipt for ${ctx.organizationName}: ${formatCents(p.amountCents)} paid (invoice ${p.invoiceNumber})`, [
    `Thank you. We received ${formatCents(p.amountCents)} for ${ctx.organizationName} on ${formatDateLong(p.paidAt)}, charged to ${p.card}.`,
    '',
    `Invoice ${p.invoiceNumber}: ${ctx.invoicesUrl}/${p.invoiceId}`,
    `PDF: ${ctx.invoicesUrl}/${p.invoiceId}/pdf`,
  ]);
}

export function paymentFailedMail(
  ctx: BillingMailContext,
  p: { invoiceId: number; invoiceNumber: string; amountCents: number; reason: string; nextAttempt: Date | null },
): OutgoingMail {
  const next = !ctx.settingsUrl
    ? `The invoice stays open. The organization was deleted, so its card can no longer be changed here: reply to this email to settle it.`
    : p.nextAttempt
      ? `We will try again on ${formatDateLong(p.nextAttempt)}. Everything keeps working for now. To avoid interruption, update the card: ${paymentMethodUrl(ctx)}`
      : `This was the last automatic attempt. Update the card to pay what is owed: ${paymentMethodUrl(ctx)}`;
  return mail(ctx, 'payment_failed', `Payment failed for ${ctx.organizationName} (invoice ${p.invoiceNumber})`, [
    `We could not charge ${formatCents(p.amountCents)} for ${ctx.organizationName}: ${p.reason}`,
    '',
    next,
    '',
    `Invoice ${p.invoiceNumber}: ${ctx.invoicesUrl}/${p.invoiceId}`,
  ]);
}

/** The day before each retry (R9.7). */
export function pastDueReminderMail(ctx: BillingMailContext, p: { owedCents: number; retryAt: Date }): OutgoingMail {
  return mail(ctx, 'past_due_reminder', `Reminder: ${ctx.organizationName} is Past Due — we retry the payment tomorrow`, [
    `${ctx.organizationName} owes ${formatCents(p.owedCents)}. We will charge the card on file again on ${formatDateLong(p.retryAt)}.`,
    '',
    `To use another card, update it before then: ${paymentMethodUrl(ctx)}`,
  ]);
}

/** R9.8: day 28 without a successful payment. */
export function unpaidNoticeMail(ctx: BillingMailContext, p: { owedCents: number }): OutgoingMail {
  return mail(ctx, 'unpaid_notice', `${ctx.organizationName} is Unpaid: applications and dashboards are paused`, [
    `We could not collect ${formatCents(p.owedCents)} for ${ctx.organizationName} within ${RETRY_ROUNDS * RETRY_EVERY_DAYS} days, so the organization is now Unpaid.`,
    '',
    'Devices are refused, and applications and dashboards are paused. Your data is kept, and Administrators can still export it.',
    '',
    `Update the card to pay what is owed and reactivate at once: ${paymentMethodUrl(ctx)}`,
  ]);
}

/** R9.8: Active again, on the organization's own billing dates. */
export function reactivatedMail(ctx: BillingMailContext, p: { periodEnd: Date }): OutgoingMail {
  return mail(ctx, 'reactivated', `${ctx.organizationName} is active again`, [
    `Thank you: every open invoice of ${ctx.organizationName} is paid and the organization is active again.`,
    `Its billing dates are unchanged: the current period ends on ${formatDateLong(p.periodEnd)}, when the next invoice is issued.`,
    '',
    ctx.invoicesUrl,
  ]);
}

/** R3.9, R9.12: a credit balance refunded to the card on deletion. */
export function refundMail(ctx: BillingMailContext, p: { amountCents: number; card: string; refundedAt: Date }): OutgoingMail {
  return mail(ctx, 'refund', `Refund for ${ctx.organizationName}: ${formatCents(p.amountCents)}`, [
    `We refunded ${formatCents(p.amountCents)} of credit balance for ${ctx.organizationName} to ${p.card} on ${formatDateLong(p.refundedAt)}.`,
    'Depending on the bank, it shows on the statement within 5 to 10 business days.',
    '',
    `Invoices: ${ctx.invoicesUrl}`,
  ]);
}

/** How a card reads in an email. */
export const cardPhrase = (brand: string | null | undefined, last4: string | null | undefined) => (brand && last4 ? cardName({ brand, last4 }) : 'your card');
