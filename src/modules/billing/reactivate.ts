import type { Sql } from '../../db/sql.ts';
import { formatDateTime24 } from '../../format.ts';
import { roundHalfUp } from '../../money.ts';
import type { AuditActor } from '../audit/record.ts';
import { accruedCharges, issueWithCredit } from './accrued-charges.ts';
import { chargeClaimed, chargeInvoice, claimAttemptIn, deliverOutbox, lockAccount, type ChargeContext, type ChargeDeps, type ChargeOutcome, type ClaimedAttempt } from './charge.ts';
import { billingMailContext } from './emails.ts';
import { describePeriod } from './open-subscription.ts';
import { reactivateIfSettled } from './payment-outcome.ts';
import { periodContaining } from '../owners/periods.ts';
import { remainingSeconds } from './proration.ts';
import { enterPeriod, findBillingAccount, type BillingAccount } from '../owners/queries/billing-accounts.ts';
import { findOrganizationById, type Organization } from '../tenancy/queries/organizations.ts';
import { keepPriorPeriod, openInvoicesOf } from './queries/invoices.ts';
import { planInForce } from './plan-in-force.ts';
import { voidIdleReactivationInvoices } from './void-reactivation-invoice.ts';
import { assertNever } from '../../assert-never.ts';

export type ReactivationResult =
  | { ok: true; charged: ChargeOutcome[] }
  | { ok: false; failed: ReactivationFailure; charged: ChargeOutcome[] };

export interface ReactivationFailure {
  /** The invoice whose charge failed; null when no charge was the reason. */
  invoiceNumber: string | null;
  message: string;
  /** The reactivation invoice was voided: its charge was declined, so nothing is owed for it. */
  voided?: boolean;
}

/** One sentence for whoever asked: an Administrator, a platform admin. */
export function describeReactivationFailure(failed: ReactivationFailure): string {
  if (failed.invoiceNumber === null) return failed.message;
  if (failed.voided) return `Invoice ${failed.invoiceNumber}, for the rest of the current period, could not be paid and is void: ${failed.message}`;
  return `Invoice ${failed.invoiceNumber}: ${failed.message}`;
}

const NO_ANSWER = 'The payment processor did not answer; try again in a moment.';
const NO_CARD = 'There is no card on file.';
const DELETED = 'The organization has been deleted.';

/**
 * R9.8: an Unpaid organization pays what it owes and is Active again on its
 * original anchor. Every open invoice is charged, oldest first. Then the
 * current anchored period: if an invoice already covers it (the organization
 * became Unpaid during its last invoiced period), nothing more is billed;
 * otherwise (periods that began while Unpaid issued no invoice) one
 * reactivation invoice is issued and charged at once, for the charges of the
 * last invoiced period not billed yet (its overage, pending proration lines)
 * and the rest of the current period: price × remaining seconds ÷ period
 * seconds, rounded half up. Time already invoiced is never billed twice, and
 * the time spent Unpaid after the last invoice is not billed at all.
 *
 * The reactivation invoice is committed together with the pending attempt
 * that charges it (R9.13), so it is never open without a charge in progress.
 * If that charge is declined, the organization stays Unpaid and the invoice
 * is voided in the transaction that records the decline
 * (void-reactivation-invoice.ts): the time it billed is spent Unpaid, and the
 * next reactivation bills from its own instant. One whose outcome is not
 * known yet is left to the settle job. An open reactivation invoice with no
 * charge in flight (left by older code) is voided before anything is charged.
 *
 * The organization becomes Active in the transaction of the payment that
 * settles the last open invoice (payment-outcome.ts), with its email. A
 * failure leaves it Unpaid; what was paid stays paid, and the next attempt
 * starts where this one stopped. A deleted organization is never reactivated
 * nor billed for a new period: the check runs under the account lock, which
 * the deletion takes too.
 */
export async function reactivate(deps: ChargeDeps, organizationId: number, input: { actor?: AuditActor; at: Date; cause: string }): Promise<ReactivationResult> {
  const { db } = deps;
  const actor = input.actor ? { actor: input.actor } : {};
  const ctx: ChargeContext = { at: input.at, trigger: 'reactivation', settledCause: input.cause, ...actor };
  const charged: ChargeOutcome[] = [];
  const failure = (outcome: ChargeOutcome, invoiceNumber: string): ReactivationFailure | null => {
    switch (outcome.status) {
      case 'succeeded':
        return null;
      case 'failed':
        return { invoiceNumber, message: outcome.message };
      // An answer not in yet (now or from an earlier attempt) may still be a payment: not Active before it is known.
      case 'unknown':
        return { invoiceNumber, message: NO_ANSWER };
      case 'skipped':
        switch (outcome.reason) {
          case 'in_flight':
            return { invoiceNumber, message: NO_ANSWER };
          case 'no_card':
            return { invoiceNumber, message: NO_CARD };
          // Paid or voided since the list was read: nothing left to pay on it.
          case 'not_open':
            return null;
          default:
            return assertNever(outcome.reason);
        }
      default:
        return assertNever(outcome);
    }
  };

  await db.transaction(async (sql) => {
    await lockAccount(sql, organizationId);
    await voidIdleReactivationInvoices(sql, { organizationId, at: input.at, ...actor });
  });
  const open = await openInvoicesOf(db, organizationId);
  for (const inv of open) {
    const outcome = await chargeInvoice(deps, inv.id, ctx);
    charged.push(outcome);
    const failed = failure(outcome, inv.number);
    if (failed) return { ok: false, failed, charged };
  }

  // Everything owed is paid: the current period, if no invoice covers it yet.
  const current = await db.transaction(async (sql): Promise<{ claimed: ClaimedAttempt } | { stop: ReactivationFailure } | null> => {
    await lockAccount(sql, organizationId);
    const org = await findOrganizationById(sql, organizationId);
    if (!org || org.deletedAt !== null) return { stop: { invoiceNumber: null, message: DELETED } };
    const account = await findBillingAccount(sql, organizationId);
    if (account?.status !== 'unpaid') return null;
    const mailCtx = await billingMailContext(sql, deps.config, organizationId);
    if (!mailCtx) return null;
    const settle = () => reactivateIfSettled(sql, deps, mailCtx, { organizationId, at: input.at, cause: input.cause, ...actor });
    if (account.currentPeriodEnd.getTime() > input.at.getTime()) {
      await settle();
      return null;
    }
    if (!account.card) return { stop: { invoiceNumber: null, message: NO_CARD } };
    const invoice = await issueReactivationInvoice(sql, account, org, input.at);
    if (invoice.status === 'paid') {
      await settle();
      return null;
    }
    const claimed = await claimAttemptIn(sql, invoice.id, ctx);
    // The account is locked and the invoice new: nothing else can have claimed it.
    if ('skip' in claimed) throw new Error(`reactivation invoice ${invoice.number} not claimed: ${claimed.skip}`);
    return { claimed };
  });
  if (current && 'stop' in current) return { ok: false, failed: current.stop, charged };
  if (current) {
    const outcome = await chargeClaimed(deps, current.claimed, ctx);
    charged.push(outcome);
    const failed = failure(outcome, current.claimed.invoiceNumber);
    if (failed) return { ok: false, failed: outcome.status === 'failed' ? { ...failed, voided: true } : failed, charged };
  }
  await deliverOutbox(deps);
  const after = await findBillingAccount(db, organizationId);
  if (after?.status === 'unpaid') {
    // Something was opened meanwhile (an admin, another tab): say so rather than claim success.
    return { ok: false, failed: { invoiceNumber: current?.claimed.invoiceNumber ?? null, message: 'An invoice is still open; try again in a moment.' }, charged };
  }
  return { ok: true, charged };
}

/**
 * The reactivation invoice (R9.8), inside the caller's transaction: what the
 * last invoiced period (which ended while Unpaid) still owes — overage and
 * pending proration lines — and the subscription for the rest of the anchored
 * period containing `at`. The account's current period becomes that period,
 * so the next renewal falls on the original anchor.
 */
async function issueReactivationInvoice(sql: Sql, account: BillingAccount, org: Organization, at: Date) {
  const organizationId = account.organizationId;
  const ended = { start: account.currentPeriodStart, end: account.currentPeriodEnd };
  const accrued = await accruedCharges(sql, {
    organizationId,
    plan: await planInForce(sql, organizationId, ended.end),
    usagePeriod: ended,
    usagePeriodStart: ended.start,
  });
  const period = periodContaining(account.periodAnchor, at);
  const plan = await planInForce(sql, organizationId, at);
  const { remaining, total } = remainingSeconds(at, period);
  const rest = roundHalfUp(BigInt(plan.priceCents) * BigInt(remaining), BigInt(total));
  const lines = [
    ...accrued.lines,
    {
      kind: 'subscription' as const,
      description: `${plan.name} plan, the rest of the period ${describePeriod(period.start, period.end)} (${formatDateTime24(at)} – ${formatDateTime24(period.end)})`,
      quantity: 1,
      unitPriceCents: rest,
      amountCents: rest,
      periodStart: at,
      periodEnd: period.end,
    },
  ];
  const { invoice, creditBalanceCents } = await issueWithCredit(sql, {
    organizationId,
    numberPrefix: org.slug,
    kind: 'reactivation',
    issuedAt: at,
    period: { start: at, end: period.end },
    lines,
    creditBalanceCents: account.creditBalanceCents,
    accrued,
    // The ended period's usage is billed here when it had any (or proration lines).
    usagePeriod: accrued.lines.length || accrued.usage.length ? ended : null,
    ledgerNoun: 'invoice',
    billedTo: { ...account.details, organizationName: org.name },
  });
  await enterPeriod(sql, organizationId, { period, creditBalanceCents, at });
  // Where the account goes back to if this invoice's charge is declined (void-reactivation-invoice.ts).
  await keepPriorPeriod(sql, invoice.id, ended);
  return invoice;
}
