import { type Sql } from '../../db/sql.ts';
import type { ChargeDeps, ChargeOutcome } from './charge.ts';
import { chargeOpenInvoices } from './charge-open-invoices.ts';
import { planInForce } from './plan-in-force.ts';
import { accruedCharges, issueWithCredit } from './accrued-charges.ts';
import { describePeriod } from './open-subscription.ts';
import { periodAt, periodContaining } from '../owners/periods.ts';
import { accountsDueForRenewal, enterPeriod, findBillingAccount, lockBillingAccountUnlessHeld, type BillingAccount } from '../owners/queries/billing-accounts.ts';
import { findOrganizationById, liveOrganizationIds } from '../tenancy/queries/organizations.ts';

/**
 * R9.3: issues the invoice of one ended period, inside the caller's
 * transaction: overage of the ending period, the proration lines accrued in
 * it, the next period's subscription; credit balance first. Returns the
 * invoice and the end of the period it opened, or null when the account's
 * period has not ended yet.
 */
async function issueNextRenewal(trx: Sql, organizationId: number, account: BillingAccount, at: Date) {
  if (account.currentPeriodEnd.getTime() > at.getTime()) return null;
  const org = await findOrganizationById(trx, organizationId);
  if (!org || org.deletedAt !== null) return null;
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
    billedTo: { ...account.details, organizationName: org.name },
  });
  await enterPeriod(trx, organizationId, { period: next, creditBalanceCents, at });
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
export async function renewOrganization(deps: ChargeDeps, organizationId: number, at: Date): Promise<RenewalReport> {
  const { db } = deps;
  let issued = 0;
  for (;;) {
    const renewed = await db.transaction(async (trx) => {
      if (trx.postgres) {
        // Several instances: whoever holds the row renews it; the others skip it.
        if (!(await lockBillingAccountUnlessHeld(trx, organizationId))) return null;
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
  if (account?.status === 'active') charges.push(...(await chargeOpenInvoices(deps, organizationId, { at, trigger: 'renewal' })));
  return { issued, charges };
}

/** One scheduler pass of renewals: every organization whose period has ended (R9.3, R12.2). */
export async function renewalPass(deps: ChargeDeps, at: Date): Promise<{ organizations: number; invoices: number; failed: number }> {
  const ended = await accountsDueForRenewal(deps.db, at);
  // A deleted organization's billing has stopped (R3.9).
  const live = await liveOrganizationIds(deps.db, ended);
  const due = ended.filter((id) => live.has(id));
  let invoices = 0;
  let failed = 0;
  for (const organizationId of due) {
    const r = await renewOrganization(deps, organizationId, at);
    invoices += r.issued;
    failed += r.charges.filter((c) => c.status === 'failed').length;
  }
  return { organizations: due.length, invoices, failed };
}
