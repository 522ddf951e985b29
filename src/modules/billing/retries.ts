import type { Deps } from '../../deps.ts';
import { formatDateLong } from '../../format.ts';
import { formatCents } from '../../money.ts';
import { userActor } from '../audit/record.ts';
import type { User } from '../accounts/queries.ts';
import { lockAccount, settlePendingAttempts, type ChargeOutcome, type SettledAttempt } from './charge.ts';
import { findBillingAccount } from './queries.ts';
import { reactivate } from './reactivate.ts';
import { becomePastDue, chargeOpenInvoices, notifyChargeOutcome } from './renew.ts';
import { RETRY_EVERY_DAYS, RETRY_ROUNDS } from './retry-schedule.ts';
import { transition } from './status.ts';

export { RETRY_EVERY_DAYS, RETRY_ROUNDS } from './retry-schedule.ts';

const DAY = 86_400_000;

type BillingDeps = Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>;

async function openBalance(deps: Pick<Deps, 'db'>, organizationId: number) {
  const rows = await deps.db('invoices').where({ organization_id: organizationId, status: 'open' }).select('amount_due_cents', 'amount_paid_cents');
  return { count: rows.length, cents: rows.reduce((s: number, r: { amount_due_cents: number; amount_paid_cents: number }) => s + Number(r.amount_due_cents) - Number(r.amount_paid_cents), 0) };
}

/**
 * When nothing is owed any more, a Past Due organization is Active again
 * (R9.7). Not an Unpaid one: that takes a reactivation, which also starts a
 * new billing period (R9.8) — activating it here would bill the months it
 * spent Unpaid at the next renewal pass.
 */
export async function activateIfSettled(deps: Pick<Deps, 'db'>, organizationId: number, at: Date, cause: string, actor?: User): Promise<boolean> {
  if ((await openBalance(deps, organizationId)).count > 0) return false;
  return deps.db.transaction(async (trx) => {
    await lockAccount(trx, organizationId);
    const account = await findBillingAccount(trx, organizationId);
    if (account?.status !== 'past_due') return false;
    return transition(trx, { organizationId, to: 'active', cause, at, ...(actor ? { actor: userActor(actor) } : {}) });
  });
}

/** Administrators' Pay now (R9.7): every open invoice, oldest first, at once. On an Unpaid organization it is a reactivation (R9.8). */
export async function payNow(deps: BillingDeps, organizationId: number, actor: User): Promise<{ outcomes: ChargeOutcome[]; settled: boolean }> {
  const account = await findBillingAccount(deps.db, organizationId);
  if (account?.status === 'unpaid') {
    const r = await reactivate(deps, organizationId, actor);
    return { outcomes: r.charged, settled: r.ok };
  }
  const now = deps.clock.now();
  const outcomes = await chargeOpenInvoices(deps, organizationId, now);
  const settled = await activateIfSettled(deps, organizationId, now, 'Every open invoice paid (Pay now)', actor);
  return { outcomes, settled };
}

/**
 * R9.7, R9.8: for each Past Due organization, the retry due at days 7, 14,
 * 21 and 28 after it became Past Due (once each, whatever the pass times),
 * with a reminder the day before each; success makes it Active, and day 28
 * without success makes it Unpaid. Unpaid organizations get no retries.
 */
export async function retryPass(deps: BillingDeps, at: Date): Promise<{ retried: number; recovered: number; unpaid: number; reminders: number }> {
  const { db } = deps;
  const pastDue = await db('billing_accounts as b')
    .join('organizations as o', 'o.id', 'b.organization_id')
    .whereNull('o.deleted_at')
    .where('b.status', 'past_due')
    .whereNotNull('b.past_due_since')
    .select('b.organization_id', 'b.past_due_since', 'b.retry_rounds_done', 'b.reminders_sent', 'b.billing_email', 'o.name', 'o.slug');
  const report = { retried: 0, recovered: 0, unpaid: 0, reminders: 0 };
  for (const row of pastDue) {
    const orgId = Number(row.organization_id);
    const since = Number(row.past_due_since);
    const roundsDue = Math.min(RETRY_ROUNDS, Math.floor((at.getTime() - since) / (RETRY_EVERY_DAYS * DAY)));
    const done = Number(row.retry_rounds_done);

    // Nothing open any more (paid by a late-settled charge whose follow-up a crash cut short, or voided).
    if (await activateIfSettled(deps, orgId, at, 'Every open invoice paid')) {
      report.recovered++;
      continue;
    }

    if (roundsDue > done) {
      // Claim the round first so a second pass (or instance) does not retry it again.
      const claimed = await db('billing_accounts').where({ organization_id: orgId, status: 'past_due', retry_rounds_done: done }).update({ retry_rounds_done: roundsDue });
      if (claimed !== 1) continue;
      report.retried++;
      await chargeOpenInvoices(deps, orgId, at);
      if (await activateIfSettled(deps, orgId, at, `Paid on the day-${roundsDue * RETRY_EVERY_DAYS} retry`)) {
        report.recovered++;
        continue;
      }
      if (roundsDue < RETRY_ROUNDS) continue;
    }

    if (roundsDue >= RETRY_ROUNDS) {
      // A charge whose answer is not in yet may have succeeded: it is settled
      // first (R9.13), and a later pass decides.
      if (await db('payment_attempts').where({ organization_id: orgId, status: 'pending' }).first('id')) continue;
      const became = await db.transaction(async (trx) => {
        await lockAccount(trx, orgId);
        const account = await findBillingAccount(trx, orgId);
        if (account?.status !== 'past_due') return false;
        return transition(trx, { organizationId: orgId, to: 'unpaid', cause: `No successful payment within ${RETRY_ROUNDS * RETRY_EVERY_DAYS} days of becoming Past Due`, at });
      });
      if (became) {
        report.unpaid++;
        const balance = await openBalance(deps, orgId);
        await deps.mailer.send({
          to: row.billing_email,
          kind: 'unpaid_notice',
          organizationId: orgId,
          subject: `${row.name} is Unpaid: applications and dashboards are paused`,
          text: [
            `We could not collect ${formatCents(balance.cents)} for ${row.name} within ${RETRY_ROUNDS * RETRY_EVERY_DAYS} days, so the organization is now Unpaid.`,
            'Devices are refused, and applications and dashboards are paused. Your data is kept, and Administrators can still export it.',
            `Update the card to pay what is owed and reactivate at once: ${deps.config.publicUrl}/orgs/${row.slug}/settings/payment-method`,
          ].join('\n\n'),
        });
      }
      continue;
    }

    // The reminder the day before the next retry.
    const nextRound = done + 1;
    const nextRetry = since + nextRound * RETRY_EVERY_DAYS * DAY;
    if (nextRound <= RETRY_ROUNDS && at.getTime() >= nextRetry - DAY && Number(row.reminders_sent) < nextRound) {
      const claimed = await db('billing_accounts').where({ organization_id: orgId, reminders_sent: row.reminders_sent }).update({ reminders_sent: nextRound });
      if (claimed !== 1) continue;
      const balance = await openBalance(deps, orgId);
      await deps.mailer.send({
        to: row.billing_email,
        kind: 'past_due_reminder',
        organizationId: orgId,
        subject: `Reminder: ${row.name} is Past Due — we retry the payment tomorrow`,
        text: [
          `${row.name} owes ${formatCents(balance.cents)}. We will charge the card on file again on ${formatDateLong(new Date(nextRetry))}.`,
          `To use another card, update it before then: ${deps.config.publicUrl}/orgs/${row.slug}/settings/payment-method`,
        ].join('\n\n'),
      });
      report.reminders++;
    }
  }
  return report;
}

/**
 * R9.13: an outcome learned late — by the settle pass or a Stripe webhook,
 * after the answer to the charge itself was lost — has the consequences it
 * would have had at once: a receipt and, once nothing is open, Active again;
 * or the payment-failed email and, for an Active organization, Past Due.
 * Deleted organizations only get the record (their debt stays open, R3.9),
 * and an Unpaid one stays Unpaid until it is reactivated (R9.8).
 */
export async function applyLateOutcome(deps: BillingDeps, settled: SettledAttempt, at: Date): Promise<void> {
  const org = await deps.db('organizations').where({ id: settled.organizationId }).first('deleted_at');
  if (!org || org.deleted_at !== null) return;
  const { result } = settled;
  if (result.status === 'succeeded') {
    await notifyChargeOutcome(deps, settled.organizationId, { status: 'succeeded', invoiceId: settled.invoiceId, amountCents: settled.amountCents }, at);
    await activateIfSettled(deps, settled.organizationId, at, 'Every open invoice paid (a late payment confirmation)');
    return;
  }
  const account = await findBillingAccount(deps.db, settled.organizationId);
  if (account?.status === 'unpaid') return;
  await notifyChargeOutcome(deps, settled.organizationId, { status: 'failed', invoiceId: settled.invoiceId, code: result.failure.code, message: result.failure.message }, at);
  await becomePastDue(deps, settled.organizationId, result.failure.message, at);
}

/** The scheduler's settle job: pending attempts older than `olderThan`, then their consequences. */
export async function settleAttemptsPass(deps: BillingDeps, at: Date, olderThan: Date): Promise<number> {
  const settled = await settlePendingAttempts(deps, olderThan);
  for (const s of settled) await applyLateOutcome(deps, s, at);
  return settled.length;
}
