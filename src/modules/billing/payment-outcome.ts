import type { Deps } from '../../deps.ts';
import type { Sql } from '../../db/sql.ts';
import type { AuditActor } from '../audit/record.ts';
import { accountStatusOf } from '../owners/queries/billing-accounts.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';
import { billingMailContext, cardPhrase, paymentFailedMail, reactivatedMail, receiptMail, unpaidNoticeMail, type BillingMailContext } from './emails.ts';
import type { ChargeResult } from './gateway/types.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { nextRetryAt, RETRY_EVERY_DAYS, RETRY_ROUNDS } from '../owners/retry-schedule.ts';
import type { ChargeTrigger } from './queries/attempts.ts';
import { invoiceDueOf, openBalanceOf } from './queries/invoices.ts';
import { transition } from './status.ts';
import { voidReactivationInvoice } from './void-reactivation-invoice.ts';

/** What an outcome changed besides the attempt and the invoice. */
export interface OutcomeConsequences {
  /** The status the organization moved to, if it moved. */
  statusTo: BillingStatus | null;
  /** The kinds of the emails written to the outbox, in order. */
  mails: string[];
}

const UNPAID_CAUSE = `No successful payment within ${RETRY_ROUNDS * RETRY_EVERY_DAYS} days of becoming Past Due`;

/**
 * R9.7, R9.8: an Unpaid organization whose every open invoice is paid, and
 * whose current period is already invoiced, is Active again on its original
 * anchor — in the transaction that paid the last invoice, with its email.
 * Never a deleted one.
 */
export async function reactivateIfSettled(
  sql: Sql,
  deps: Pick<Deps, 'mailer'>,
  mailCtx: BillingMailContext,
  input: { organizationId: number; at: Date; cause: string; actor?: AuditActor },
): Promise<boolean> {
  const account = await accountStatusOf(sql, input.organizationId);
  if (account?.status !== 'unpaid' || account.currentPeriodEnd.getTime() <= input.at.getTime()) return false;
  // A deleted organization stays as it is: its billing has stopped (R3.9).
  const organization = await findOrganizationById(sql, input.organizationId);
  if (!organization || organization.deletedAt !== null) return false;
  if ((await openBalanceOf(sql, input.organizationId)).count > 0) return false;
  const moved = await transition(sql, { organizationId: input.organizationId, to: 'active', cause: input.cause, at: input.at, ...(input.actor ? { actor: input.actor } : {}) });
  if (moved) await deps.mailer.enqueue(sql, reactivatedMail(mailCtx, { periodEnd: account.currentPeriodEnd }), input.at);
  return moved;
}

/**
 * The consequences of one payment outcome, inside the transaction that
 * records it (R9.12):
 *
 * - success: a receipt for the amount charged, to the card the attempt used;
 *   a Past Due organization with nothing left open is Active again (R9.7); an
 *   Unpaid one with nothing left open and its current period invoiced is
 *   reactivated (R9.8).
 * - failure: an Active organization becomes Past Due (R9.7); the
 *   payment-failed email names the next attempt; the failure of the day-28
 *   retry makes the organization Unpaid, with its notice (R9.8). A declined
 *   reactivation invoice is voided (void-reactivation-invoice.ts). An Unpaid
 *   organization gets nothing (a reactivation's failure is shown to whoever
 *   saved the card); a deleted one only the email (its debt stays open, R3.9).
 */
export async function applyPaymentOutcome(
  sql: Sql,
  deps: Pick<Deps, 'mailer' | 'config'>,
  input: {
    organizationId: number;
    invoiceId: number;
    amountCents: number;
    card: { brand: string | null; last4: string | null };
    trigger: ChargeTrigger;
    result: ChargeResult;
    ctx: { at: Date; actor?: AuditActor; settledCause?: string; late?: boolean };
  },
): Promise<OutcomeConsequences> {
  const { organizationId, result, ctx } = input;
  const at = ctx.at;
  const out: OutcomeConsequences = { statusTo: null, mails: [] };
  const mailCtx = await billingMailContext(sql, deps.config, organizationId);
  const invoice = await invoiceDueOf(sql, input.invoiceId);
  const account = await accountStatusOf(sql, organizationId);
  if (!mailCtx || !invoice || !account) return out;
  const enqueue = async (mail: ReturnType<typeof receiptMail>) => {
    await deps.mailer.enqueue(sql, mail, at);
    out.mails.push(mail.kind);
  };
  const move = async (to: BillingStatus, cause: string) => {
    if (await transition(sql, { organizationId, to, cause, at, ...(ctx.actor ? { actor: ctx.actor } : {}) })) out.statusTo = to;
  };
  const live = mailCtx.settingsUrl !== null;

  if (result.status === 'succeeded') {
    await enqueue(receiptMail(mailCtx, { invoiceId: input.invoiceId, invoiceNumber: invoice.number, amountCents: input.amountCents, card: cardPhrase(input.card.brand, input.card.last4), paidAt: at }));
    if (!live) return out;
    if (account.status === 'past_due' && (await openBalanceOf(sql, organizationId)).count === 0) {
      await move('active', ctx.late ? 'Every open invoice paid (a late payment confirmation)' : (ctx.settledCause ?? 'Every open invoice paid'));
    } else if (account.status === 'unpaid') {
      const cause = ctx.late ? 'Reactivated: every open invoice paid (a late payment confirmation)' : (ctx.settledCause ?? 'Reactivated: every open invoice paid');
      if (await reactivateIfSettled(sql, deps, mailCtx, { organizationId, at, cause, ...(ctx.actor ? { actor: ctx.actor } : {}) })) {
        out.statusTo = 'active';
        out.mails.push('reactivated');
      }
    }
    return out;
  }

  // R9.8: a declined reactivation charge leaves the organization Unpaid, so the
  // rest of the period that invoice billed is time spent Unpaid: it is voided.
  // Nothing is owed for it, so no payment-failed email either.
  if (invoice.kind === 'reactivation') {
    const cause = `The reactivation charge failed: ${result.failure.message}`;
    if (await voidReactivationInvoice(sql, { invoiceId: input.invoiceId, at, cause, ...(ctx.actor ? { actor: ctx.actor } : {}) })) return out;
  }
  const owed = invoice.amountDueCents - invoice.amountPaidCents;
  const failed = { invoiceId: input.invoiceId, invoiceNumber: invoice.number, amountCents: owed, reason: result.failure.message };
  if (!live) {
    await enqueue(paymentFailedMail(mailCtx, { ...failed, nextAttempt: null }));
    return out;
  }
  if (account.status === 'unpaid') return out;
  let status = account.status;
  let pastDueSince = account.pastDueSince;
  let rounds = account.retryRoundsDone;
  if (status === 'active') {
    // Past Due from now: the retries count from this instant (R9.7).
    await move('past_due', `Payment of invoice failed: ${result.failure.message}`);
    status = 'past_due';
    pastDueSince = at;
    rounds = 0;
  }
  // The day-28 retry was the last one: its failure makes the organization Unpaid.
  const lastRetry = input.trigger === 'retry' && account.status === 'past_due' && rounds >= RETRY_ROUNDS;
  const nextAttempt = lastRetry ? null : nextRetryAt({ status, pastDueSince, retryRoundsDone: rounds }, at);
  await enqueue(paymentFailedMail(mailCtx, { ...failed, nextAttempt }));
  if (lastRetry) {
    await move('unpaid', UNPAID_CAUSE);
    if (out.statusTo === 'unpaid') await enqueue(unpaidNoticeMail(mailCtx, { owedCents: (await openBalanceOf(sql, organizationId)).owedCents }));
  }
  return out;
}

/** R9.8, day 28 without success: Unpaid and its notice, in the caller's transaction (the retry pass's catch-up). */
export async function becomeUnpaid(sql: Sql, deps: Pick<Deps, 'mailer' | 'config'>, organizationId: number, at: Date): Promise<boolean> {
  const account = await accountStatusOf(sql, organizationId);
  if (account?.status !== 'past_due') return false;
  const mailCtx = await billingMailContext(sql, deps.config, organizationId);
  if (!mailCtx || !(await transition(sql, { organizationId, to: 'unpaid', cause: UNPAID_CAUSE, at }))) return false;
  await deps.mailer.enqueue(sql, unpaidNoticeMail(mailCtx, { owedCents: (await openBalanceOf(sql, organizationId)).owedCents }), at);
  return true;
}
