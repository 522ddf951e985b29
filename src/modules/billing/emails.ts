import type { Deps } from '../../deps.ts';
import { formatDateLong } from '../../format.ts';
import { formatCents } from '../../money.ts';

interface InvoiceMailContext {
  organizationId: number;
  organizationName: string;
  billingEmail: string;
  invoiceNumber: string;
  invoiceUrl: string;
}

/** R9.12: billing emails go to the organization's billing email. */
export async function sendReceipt(deps: Pick<Deps, 'mailer'>, ctx: InvoiceMailContext & { amountCents: number; card: string; paidAt: Date }) {
  await deps.mailer.send({
    to: ctx.billingEmail,
    kind: 'receipt',
    organizationId: ctx.organizationId,
    subject: `Receipt for ${ctx.organizationName}: ${formatCents(ctx.amountCents)} paid (invoice ${ctx.invoiceNumber})`,
    text: [
      `Thank you. We received ${formatCents(ctx.amountCents)} for ${ctx.organizationName} on ${formatDateLong(ctx.paidAt)}, charged to ${ctx.card}.`,
      '',
      `Invoice ${ctx.invoiceNumber}: ${ctx.invoiceUrl}`,
    ].join('\n'),
  });
}

export async function sendPaymentFailed(
  deps: Pick<Deps, 'mailer'>,
  ctx: InvoiceMailContext & { amountCents: number; reason: string; nextAttempt: Date | null; paymentMethodUrl: string },
) {
  await deps.mailer.send({
    to: ctx.billingEmail,
    kind: 'payment_failed',
    organizationId: ctx.organizationId,
    subject: `Payment failed for ${ctx.organizationName} (invoice ${ctx.invoiceNumber})`,
    text: [
      `We could not charge ${formatCents(ctx.amountCents)} for ${ctx.organizationName}: ${ctx.reason}`,
      '',
      ctx.nextAttempt
        ? `We will try again on ${formatDateLong(ctx.nextAttempt)}. Everything keeps working for now. To avoid interruption, update the card: ${ctx.paymentMethodUrl}`
        : `This was the last automatic attempt. Update the card to pay what is owed: ${ctx.paymentMethodUrl}`,
      '',
      `Invoice ${ctx.invoiceNumber}: ${ctx.invoiceUrl}`,
    ].join('\n'),
  });
}
