import type { Deps } from '../../deps.ts';
import { inTransaction, statementsOf, type Executor, type Statements } from '../../db/sql.ts';
import { toPlan, type Plan, type PlanRow } from '../plans/queries.ts';
import { chargeInvoice, lockAccount, type ChargeOutcome } from './charge.ts';
import { sendPaymentFailed, sendReceipt } from './emails.ts';
import { accruedCharges, issueWithCredit } from './accrued-charges.ts';
import { describePeriod } from './open-subscription.ts';
import { periodAt, periodContaining } from './periods.ts';
import { findBillingAccount, planOfOrganization, type BillingAccount, type BillingStatus } from './queries.ts';
import { nextRetryAt } from './retry-schedule.ts';
import { transition } from './status.ts';

/** The plan in force for an organization at an instant (R9.3: overage uses the plan at period end). */
export async function planInForce(trx: Executor, organizationId: number, at: Date): Promise<Plan> {
  const changed = await statementsOf(trx).first<PlanRow>(
    `SELECT p.* FROM plan_changes c JOIN plans p ON p.id = c.plan_id
     WHERE c.organization_id = ? AND c.effective_at <= ? ORDER BY c.effective_at DESC, c.id DESC LIMIT 1`,
    [organizationId, at.getTime()],
  );
  if (changed) return toPlan(changed);
  const plan = await planOfOrganization(trx, organizationId);
  if (!plan) throw new Error(`organization ${organizationId} has no billing account`);
  return plan;
}

/**
 * R9.3: issues the invoice of one ended period, inside the caller's
 * transaction: overage of the ending period, the proration lines accrued in
 * it, the next period's subscription; credit balance first. Returns the
 * invoice and the end of the period it opened, or null when the account's
 * period has not ended yet.
 */
async function issueNextRenewal(trx: Statements, organizationId: number, account: BillingAccount, at: Date) {
  if (account.currentPeriodEnd.getTime() > at.getTime()) return null;
  const org = await trx.first<{ slug: string; deleted_at: number | null }>('SELECT slug, deleted_at FROM organizations WHERE id = ?', [organizationId]);
  if (!org || org.deleted_at !== null) return null;
  const ending = { start: account.currentPeriodStart, end: account.currentPeriodEnd };
  const index = periodContaining(account.periodAnchor, ending.start).index;
  const next = periodAt(account.periodAnchor, index + 1);
  const plan = await planInForce(trx, organizationId, ending.end);

  const accrued = await accruedCharges(trx, { organizationId, plan, usagePeriod: ending, usagePeriodStart: ending.start, pendingBefore: ending.end });
  const lines = [...accrued.lines];
  // Periods are contiguous, so this is usually the instant `plan` was read at.
  const nextPlan = next.start.getTime() === ending.end.getTime() ? plan : await planInForce(trx, organizationId, next.start);
  lines.push({
    kind: 'subscription',
    description: `${nextPlan.name} plan, ${describePeriod(next.start, next.end)}`,
    quantity: 1,
    unitPriceCents: nextPlan.priceCents,
    amountCents: nextPlan.priceCents,
    periodStart: next.start,
    periodEnd: next.end,
  });
  const { invoice, creditBalanceCents } = await issueWithCredit(trx, {
    organizationId,
    numberPrefix: org.slug,
    kind: 'renewal',
    issuedAt: ending.end,
    period: next,
    lines,
    creditBalanceCents: account.creditBalanceCents,
    accrued,
    usagePeriod: ending,
    ledgerNoun: 'invoice',
  });
  await trx.run(
    'UPDATE billing_accounts SET current_period_start = ?, current_period_end = ?, credit_balance_cents = ?, updated_at = ? WHERE organization_id = ?',
    [next.start.getTime(), next.end.getTime(), creditBalanceCents, at.getTime(), organizationId],
  );
  return { invoice, nextPeriodEnd: next.end };
}

export interface RenewalReport {
  issued: number;
  charges: ChargeOutcome[];
}

/**
 * Issues every ended period's invoice of one organization, in order, once
 * (R9.3, R12.2) — a late pass catches up period by period — then, if the
 * organization is Active, charges its open invoices oldest first; the first
 * failure makes it Past Due (R9.7). Past Due organizations still get their
 * period invoices; their retries follow the retry schedule. Unpaid ones get
 * nothing (R9.8).
 */
export async function renewOrganization(deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>, organizationId: number, at: Date): Promise<RenewalReport> {
  const { db } = deps;
  let issued = 0;
  for (;;) {
    const renewed = await inTransaction(db, async (trx) => {
      if (trx.postgres) {
        // Several instances: whoever holds the row renews it; the others skip it.
        const got = await trx.first('SELECT status FROM billing_accounts WHERE organization_id = ? FOR UPDATE SKIP LOCKED', [organizationId]);
        if (!got) return null;
      }
      const account = await findBillingAccount(trx, organizationId);
      if (!account || account.status === 'unpaid') return null;
      return issueNextRenewal(trx, organizationId, account, at);
    });
    if (!renewed) break;
    issued++;
    // The period just opened ends after `at`: nothing more is due, and another
    // transaction would only read the account to find that out.
    if (renewed.nextPeriodEnd.getTime() > at.getTime()) break;
  }
  const account = await findBillingAccount(db, organizationId);
  const charges: ChargeOutcome[] = [];
  if (account?.status === 'active') charges.push(...(await chargeOpenInvoices(deps, organizationId, at)));
  return { issued, charges };
}

/** Charges every open invoice oldest first; stops at the first failure, which makes the organization Past Due. */
export async function chargeOpenInvoices(deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>, organizationId: number, at: Date): Promise<ChargeOutcome[]> {
  const { db } = deps;
  const open = await statementsOf(db).rows<{ id: number }>("SELECT id FROM invoices WHERE organization_id = ? AND status = 'open' ORDER BY seq", [organizationId]);
  const outcomes: ChargeOutcome[] = [];
  for (const { id } of open) {
    const outcome = await chargeInvoice(deps, id);
    outcomes.push(outcome);
    await notifyChargeOutcome(deps, organizationId, outcome, at);
    if (outcome.status === 'failed') {
      await becomePastDue(deps, organizationId, outcome.message, at);
      break;
    }
    if (outcome.status === 'unknown') break;
  }
  return outcomes;
}

/**
 * R9.7: a failed charge makes an Active organization Past Due. Only an Active
 * one: a Past Due one keeps the day its retries count from, and an Unpaid one
 * becomes Active again only by reactivation (R9.8).
 */
export async function becomePastDue(deps: Pick<Deps, 'db'>, organizationId: number, failure: string, at: Date): Promise<boolean> {
  return deps.db.transaction(async (trx) => {
    await lockAccount(trx, organizationId);
    const account = await findBillingAccount(trx, organizationId);
    if (account?.status !== 'active') return false;
    return transition(trx, { organizationId, to: 'past_due', cause: `Payment of invoice failed: ${failure}`, at });
  });
}

/** R9.12: the receipt of a payment, or the payment-failed email with the next attempt date (if one follows). */
export async function notifyChargeOutcome(deps: Pick<Deps, 'db' | 'mailer' | 'config'>, organizationId: number, outcome: ChargeOutcome, at: Date) {
  if (outcome.status !== 'succeeded' && outcome.status !== 'failed') return;
  const sql = statementsOf(deps.db);
  const [org, account, invoice] = await Promise.all([
    sql.first<{ name: string; slug: string }>('SELECT name, slug FROM organizations WHERE id = ?', [organizationId]),
    findBillingAccount(deps.db, organizationId),
    sql.first<{ number: string; id: number }>('SELECT number, id FROM invoices WHERE id = ?', [outcome.invoiceId]),
  ]);
  if (!org || !account || !invoice) return;
  const base = deps.config.publicUrl;
  const ctx = {
    organizationId,
    organizationName: org.name as string,
    billingEmail: account.billingEmail,
    invoiceNumber: invoice.number as string,
    invoiceUrl: `${base}/orgs/${org.slug}/settings/invoices/${invoice.id}`,
  };
  if (outcome.status === 'succeeded') {
    const card = account.card ? `${account.card.brand} ending in ${account.card.last4}` : 'your card';
    await sendReceipt(deps, { ...ctx, amountCents: outcome.amountCents, card, paidAt: at });
  } else {
    const due = await deps.db('invoices').where({ id: outcome.invoiceId }).first('amount_due_cents', 'amount_paid_cents');
    const schedule = await deps.db('billing_accounts').where({ organization_id: organizationId }).first('status', 'past_due_since', 'retry_rounds_done');
    const nextAttempt = nextRetryAt(
      {
        status: schedule.status as BillingStatus,
        pastDueSince: schedule.past_due_since == null ? null : new Date(Number(schedule.past_due_since)),
        retryRoundsDone: Number(schedule.retry_rounds_done),
      },
      at,
    );
    await sendPaymentFailed(deps, {
      ...ctx,
      amountCents: Number(due.amount_due_cents) - Number(due.amount_paid_cents),
      reason: outcome.message,
      nextAttempt,
      paymentMethodUrl: `${base}/orgs/${org.slug}/settings/payment-method`,
    });
  }
}

/** One scheduler pass of renewals: every organization whose period has ended (R9.3, R12.2). */
export async function renewalPass(deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>, at: Date): Promise<{ organizations: number; invoices: number; failed: number }> {
  const due = await deps.db('billing_accounts as b')
    .join('organizations as o', 'o.id', 'b.organization_id')
    .whereNull('o.deleted_at')
    .whereIn('b.status', ['active', 'past_due'])
    .andWhere('b.current_period_end', '<=', at.getTime())
    .orderBy('b.current_period_end')
    .select('b.organization_id');
  let invoices = 0;
  let failed = 0;
  for (const { organization_id } of due) {
    const r = await renewOrganization(deps, organization_id, at);
    invoices += r.issued;
    failed += r.charges.filter((c) => c.status === 'failed').length;
  }
  return { organizations: due.length, invoices, failed };
}
