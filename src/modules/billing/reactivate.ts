import type { Deps } from '../../deps.ts';
import type { User } from '../accounts/queries.ts';
import { userActor } from '../audit/record.ts';
import { chargeInvoice, lockAccount, type ChargeOutcome } from './charge.ts';
import { issueInvoice } from './invoices.ts';
import { describePeriod } from './open-subscription.ts';
import { periodAt } from './periods.ts';
import { findBillingAccount } from './queries.ts';
import { notifyChargeOutcome, planInForce } from './renew.ts';
import { transition } from './status.ts';

export type ReactivationResult =
  | { ok: true; charged: ChargeOutcome[] }
  | { ok: false; failed: { invoiceNumber: string; message: string }; charged: ChargeOutcome[] };

/**
 * R9.8: with a new card on an Unpaid organization, every open invoice is
 * charged oldest first; when all are paid, a new billing period starts now and
 * its subscription is charged as part of the reactivation, and the
 * organization is Active again. A failure leaves it Unpaid; what was paid
 * stays paid.
 */
export async function reactivate(deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>, organizationId: number, actor: User): Promise<ReactivationResult> {
  const { db, clock } = deps;
  const charged: ChargeOutcome[] = [];
  const chargeAll = async () => {
    const open = await db('invoices').where({ organization_id: organizationId, status: 'open' }).orderBy('seq').select('id', 'number');
    for (const inv of open) {
      const outcome = await chargeInvoice(deps, inv.id);
      charged.push(outcome);
      // Receipts (R9.12); a failure is shown on the page to the Administrator who saved the card.
      if (outcome.status === 'succeeded') await notifyChargeOutcome(deps, organizationId, outcome, clock.now());
      if (outcome.status === 'failed') return { invoiceNumber: String(inv.number), message: outcome.message };
      // An answer not in yet (now or from an earlier attempt) may still be a payment: not Active before it is known.
      if (outcome.status === 'unknown' || (outcome.status === 'skipped' && outcome.reason === 'in_flight')) {
        return { invoiceNumber: String(inv.number), message: 'The payment processor did not answer; try again in a moment.' };
      }
    }
    return null;
  };
  const firstFailure = await chargeAll();
  if (firstFailure) return { ok: false, failed: firstFailure, charged };

  // Everything owed is paid: a new period starts now, charged with the reactivation.
  const now = clock.now();
  const invoiceId = await db.transaction(async (trx) => {
    await lockAccount(trx, organizationId);
    const account = await findBillingAccount(trx, organizationId);
    if (!account || account.status !== 'unpaid') return null;
    // A reactivation whose own charge failed earlier already started its period: it was just paid above.
    const unpaidSince = await trx('billing_status_history').where({ organization_id: organizationId, to_status: 'unpaid' }).max({ at: 'at' }).first();
    const already = await trx('invoices')
      .where({ organization_id: organizationId, kind: 'reactivation' })
      .andWhere('issued_at', '>=', Number(unpaidSince?.at ?? 0))
      .first('id');
    if (already) return 0;
    const org = await trx('organizations').where({ id: organizationId }).first('slug');
    const plan = await planInForce(trx, organizationId, now);
    const period = periodAt(now, 0);
    const applied = Math.min(account.creditBalanceCents, plan.priceCents);
    const invoice = await issueInvoice(trx, {
      organizationId,
      numberPrefix: org.slug,
      kind: 'reactivation',
      issuedAt: now,
      periodStart: period.start,
      periodEnd: period.end,
      lines: [{ kind: 'subscription', description: `${plan.name} plan, ${describePeriod(period.start, period.end)}`, quantity: 1, unitPriceCents: plan.priceCents, amountCents: plan.priceCents, periodStart: period.start, periodEnd: period.end }],
      creditAppliedCents: applied,
    });
    if (applied) await trx('credit_ledger').insert({ organization_id: organizationId, amount_cents: -applied, reason: `Applied to invoice ${invoice.number}`, invoice_id: invoice.id, created_at: now.getTime() });
    await trx('billing_accounts').where({ organization_id: organizationId }).update({
      period_anchor: period.start.getTime(),
      current_period_start: period.start.getTime(),
      current_period_end: period.end.getTime(),
      credit_balance_cents: account.creditBalanceCents - applied,
      updated_at: now.getTime(),
    });
    return invoice.status === 'open' ? invoice.id : 0;
  });
  if (invoiceId === null) return { ok: true, charged };
  if (invoiceId) {
    const outcome = await chargeInvoice(deps, invoiceId);
    charged.push(outcome);
    if (outcome.status === 'succeeded') await notifyChargeOutcome(deps, organizationId, outcome, clock.now());
    if (outcome.status !== 'succeeded') {
      const inv = await db('invoices').where({ id: invoiceId }).first('number');
      return { ok: false, failed: { invoiceNumber: String(inv.number), message: outcome.status === 'failed' ? outcome.message : 'The payment processor did not answer; try again in a moment.' }, charged };
    }
  }
  await db.transaction(async (trx) => {
    await lockAccount(trx, organizationId);
    await transition(trx, { organizationId, to: 'active', cause: 'Reactivated: every open invoice paid with a new card', at: clock.now(), actor: userActor(actor) });
  });
  const org = await db('organizations').where({ id: organizationId }).first('name', 'slug');
  const account = await findBillingAccount(db, organizationId);
  if (org && account) {
    await deps.mailer.send({
      to: account.billingEmail,
      kind: 'reactivated',
      organizationId,
      subject: `${org.name} is active again`,
      text: `Thank you: every open invoice of ${org.name} is paid and the organization is active again. A new billing period started today.

${deps.config.publicUrl}/orgs/${org.slug}/settings/invoices`,
    });
  }
  return { ok: true, charged };
}
