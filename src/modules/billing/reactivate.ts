import { inTransaction, statementsOf, type Statements } from '../../db/sql.ts';
import { formatDateTime24 } from '../../format.ts';
import { roundHalfUp } from '../../money.ts';
import type { AuditActor } from '../audit/record.ts';
import { accruedCharges, issueWithCredit } from './accrued-charges.ts';
import { chargeInvoice, deliverOutbox, lockAccount, type ChargeContext, type ChargeDeps, type ChargeOutcome } from './charge.ts';
import { billingMailContext } from './emails.ts';
import { describePeriod } from './open-subscription.ts';
import { reactivateIfSettled } from './payment-outcome.ts';
import { periodContaining } from './periods.ts';
import { remainingSeconds } from './proration.ts';
import { findBillingAccount, type BillingAccount } from './queries.ts';
import { planInForce } from './renew.ts';

export type ReactivationResult =
  | { ok: true; charged: ChargeOutcome[] }
  | { ok: false; failed: { invoiceNumber: string; message: string }; charged: ChargeOutcome[] };

const NO_ANSWER = 'The payment processor did not answer; try again in a moment.';

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
 * The organization becomes Active in the transaction of the payment that
 * settles the last open invoice (payment-outcome.ts), with its email. A
 * failure leaves it Unpaid; what was paid stays paid, and the next attempt
 * starts where this one stopped.
 */
export async function reactivate(deps: ChargeDeps, organizationId: number, input: { actor?: AuditActor; at: Date; cause: string }): Promise<ReactivationResult> {
  const { db } = deps;
  const ctx: ChargeContext = { at: input.at, trigger: 'reactivation', settledCause: input.cause, ...(input.actor ? { actor: input.actor } : {}) };
  const charged: ChargeOutcome[] = [];
  const chargeEach = async (invoices: { id: number; number: string }[]) => {
    for (const inv of invoices) {
      const outcome = await chargeInvoice(deps, inv.id, ctx);
      charged.push(outcome);
      if (outcome.status === 'failed') return { invoiceNumber: inv.number, message: outcome.message };
      // An answer not in yet (now or from an earlier attempt) may still be a payment: not Active before it is known.
      if (outcome.status === 'unknown' || (outcome.status === 'skipped' && outcome.reason === 'in_flight')) return { invoiceNumber: inv.number, message: NO_ANSWER };
      if (outcome.status === 'skipped' && outcome.reason === 'no_card') return { invoiceNumber: inv.number, message: 'There is no card on file.' };
    }
    return null;
  };

  const open = await statementsOf(db).rows<{ id: number; number: string }>("SELECT id, number FROM invoices WHERE organization_id = ? AND status = 'open' ORDER BY seq", [organizationId]);
  const failed = await chargeEach(open.map((r) => ({ id: Number(r.id), number: String(r.number) })));
  if (failed) return { ok: false, failed, charged };

  // Everything owed is paid: the current period, if no invoice covers it yet.
  const current = await inTransaction(db, async (sql) => {
    await lockAccount(sql, organizationId);
    const account = await findBillingAccount(sql, organizationId);
    if (account?.status !== 'unpaid') return null;
    const mailCtx = await billingMailContext(sql, deps.config, organizationId);
    if (!mailCtx) return null;
    const settle = () => reactivateIfSettled(sql, deps, mailCtx, { organizationId, at: input.at, cause: input.cause, ...(input.actor ? { actor: input.actor } : {}) });
    if (account.currentPeriodEnd.getTime() > input.at.getTime()) {
      await settle();
      return null;
    }
    const invoice = await issueReactivationInvoice(sql, account, input.at);
    if (invoice.status === 'paid') {
      await settle();
      return null;
    }
    return { id: invoice.id, number: invoice.number };
  });
  if (current) {
    const failedNow = await chargeEach([current]);
    if (failedNow) return { ok: false, failed: failedNow, charged };
  }
  await deliverOutbox(deps);
  const after = await findBillingAccount(db, organizationId);
  if (after?.status === 'unpaid') {
    // Something was opened meanwhile (an admin, another tab): say so rather than claim success.
    return { ok: false, failed: { invoiceNumber: current?.number ?? '', message: 'An invoice is still open; try again in a moment.' }, charged };
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
async function issueReactivationInvoice(sql: Statements, account: BillingAccount, at: Date) {
  const organizationId = account.organizationId;
  const org = await sql.first<{ slug: string; name: string }>('SELECT slug, name FROM organizations WHERE id = ?', [organizationId]);
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
    numberPrefix: org!.slug,
    kind: 'reactivation',
    issuedAt: at,
    period: { start: at, end: period.end },
    lines,
    creditBalanceCents: account.creditBalanceCents,
    accrued,
    // The ended period's usage is billed here when it had any (or proration lines).
    usagePeriod: accrued.lines.length || accrued.usage.length ? ended : null,
    ledgerNoun: 'invoice',
    billedTo: { ...account.details, organizationName: org!.name },
  });
  await sql.run('UPDATE billing_accounts SET current_period_start = ?, current_period_end = ?, credit_balance_cents = ?, updated_at = ? WHERE organization_id = ?', [
    period.start.getTime(),
    period.end.getTime(),
    creditBalanceCents,
    at.getTime(),
    organizationId,
  ]);
  return invoice;
}
