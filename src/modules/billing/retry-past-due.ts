import type { Deps } from '../../deps.ts';
import type { Sql } from '../../db/sql.ts';
import type { AuditActor } from '../audit/record.ts';
import { deliverOutbox, lockAccount, type ChargeDeps } from './charge.ts';
import { billingMailContext, pastDueReminderMail } from './emails.ts';
import { becomeUnpaid } from './payment-outcome.ts';
import { claimReminder, claimRetryRound, findBillingAccount, pastDueAccounts } from '../owners/queries/billing-accounts.ts';
import { liveOrganizationIds } from '../tenancy/queries/organizations.ts';
import { hasPendingAttemptOfOrganization } from './queries/attempts.ts';
import { openBalanceOf } from './queries/invoices.ts';
import { chargeOpenInvoices } from './charge-open-invoices.ts';
import { RETRY_EVERY_DAYS, RETRY_ROUNDS } from '../owners/retry-schedule.ts';
import { transition } from './status.ts';
import { DAY_MS } from '../../clock.ts';


/**
 * When nothing is owed any more, a Past Due organization is Active again
 * (R9.7) — e.g. its last open invoice was voided, or paid by an outcome whose
 * follow-up predates the outbox. Not an Unpaid one: that takes a reactivation
 * (R9.8).
 */
export async function activateIfSettled(deps: Pick<Deps, 'db'>, organizationId: number, at: Date, cause: string, actor?: AuditActor): Promise<boolean> {
  return deps.db.transaction(async (sql) => {
    await lockAccount(sql, organizationId);
    const account = await findBillingAccount(sql, organizationId);
    if (account?.status !== 'past_due') return false;
    if ((await openBalanceOf(sql, organizationId)).count > 0) return false;
    return transition(sql, { organizationId, to: 'active', cause, at, ...(actor ? { actor } : {}) });
  });
}

/**
 * R9.7, R9.8: for each Past Due organization, the retry due at days 7, 14,
 * 21 and 28 after it became Past Due (once each, whatever the pass times),
 * with a reminder the day before each. Each charge's outcome makes it Active
 * again, or (the day-28 retry failing) Unpaid, with its emails (R9.12).
 * Unpaid organizations get no retries. Everything happens at the pass's
 * instant `at` (R12.1).
 */
export async function retryPastDue(deps: ChargeDeps, at: Date): Promise<{ retried: number; recovered: number; unpaid: number; reminders: number }> {
  const { db } = deps;
  const accounts = await pastDueAccounts(db);
  // A deleted organization is left alone (R3.9).
  const live = await liveOrganizationIds(db, accounts.map((a) => a.organizationId));
  const report = { retried: 0, recovered: 0, unpaid: 0, reminders: 0 };
  for (const account of accounts.filter((a) => live.has(a.organizationId))) {
    const orgId = account.organizationId;
    const since = account.pastDueSince.getTime();
    const roundsDue = Math.min(RETRY_ROUNDS, Math.floor((at.getTime() - since) / (RETRY_EVERY_DAYS * DAY_MS)));
    const done = account.retryRoundsDone;

    // Nothing open any more (voided, or paid by an outcome learned late).
    if (await activateIfSettled(deps, orgId, at, 'Every open invoice paid')) {
      report.recovered++;
      continue;
    }

    if (roundsDue > done) {
      // Claim the round first so a second pass (or instance) does not retry it again.
      if (!(await claimRetryRound(db, orgId, roundsDue, done))) continue;
      report.retried++;
      await chargeOpenInvoices(deps, orgId, { at, trigger: 'retry', settledCause: `Paid on the day-${roundsDue * RETRY_EVERY_DAYS} retry` });
      const status = (await findBillingAccount(db, orgId))?.status;
      if (status === 'active') report.recovered++;
      if (status === 'unpaid') report.unpaid++;
      if (status !== 'past_due' || roundsDue < RETRY_ROUNDS) continue;
    }

    if (roundsDue >= RETRY_ROUNDS) {
      // The last retry is over and the organization is still Past Due (its
      // charge could not be made, or a crash cut the pass short). A charge
      // whose answer is not in yet may have succeeded: it is settled first
      // (R9.13), and a later pass decides.
      if (await hasPendingAttemptOfOrganization(db, orgId)) continue;
      const became = await db.transaction(async (sql) => {
        await lockAccount(sql, orgId);
        return becomeUnpaid(sql, deps, orgId, at);
      });
      if (became) report.unpaid++;
      continue;
    }

    // The reminder the day before the next retry, claimed and written to the outbox together.
    const nextRound = done + 1;
    const nextRetry = since + nextRound * RETRY_EVERY_DAYS * DAY_MS;
    if (nextRound <= RETRY_ROUNDS && at.getTime() >= nextRetry - DAY_MS && account.remindersSent < nextRound) {
      const reminded = await db.transaction(async (sql) => {
        if (!(await claimReminder(sql, orgId, nextRound, account.remindersSent))) return false;
        const ctx = await billingMailContext(sql, deps.config, orgId);
        if (!ctx) return false;
        await deps.mailer.enqueue(sql, pastDueReminderMail(ctx, { owedCents: (await openBalanceOf(sql, orgId)).owedCents, retryAt: new Date(nextRetry) }), at);
        return true;
      });
      if (reminded) report.reminders++;
    }
  }
  await deliverOutbox(deps);
  return report;
}
