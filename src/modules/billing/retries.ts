import type { Deps } from '../../deps.ts';
import { formatCents } from '../../money.ts';
import { userActor } from '../audit/record.ts';
import type { User } from '../accounts/queries.ts';
import { lockAccount, type ChargeOutcome } from './charge.ts';
import { findBillingAccount } from './queries.ts';
import { chargeOpenInvoices } from './renew.ts';
import { transition } from './status.ts';

const DAY = 86_400_000;
export const RETRY_EVERY_DAYS = 7;
export const RETRY_ROUNDS = 4; // days 7, 14, 21, 28 (R9.7)

type BillingDeps = Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>;

async function openBalance(deps: Pick<Deps, 'db'>, organizationId: number) {
  const rows = await deps.db('invoices').where({ organization_id: organizationId, status: 'open' }).select('amount_due_cents', 'amount_paid_cents');
  return { count: rows.length, cents: rows.reduce((s: number, r: { amount_due_cents: number; amount_paid_cents: number }) => s + Number(r.amount_due_cents) - Number(r.amount_paid_cents), 0) };
}

/** When nothing is owed any more, a Past Due or Unpaid organization is Active again (R9.7). */
export async function activateIfSettled(deps: Pick<Deps, 'db'>, organizationId: number, at: Date, cause: string, actor?: User): Promise<boolean> {
  if ((await openBalance(deps, organizationId)).count > 0) return false;
  return deps.db.transaction(async (trx) => {
    await lockAccount(trx, organizationId);
    const account = await findBillingAccount(trx, organizationId);
    if (!account || account.status === 'active') return false;
    return transition(trx, { organizationId, to: 'active', cause, at, ...(actor ? { actor: userActor(actor) } : {}) });
  });
}

/** Administrators' Pay now (R9.7): every open invoice, oldest first, at once. */
export async function payNow(deps: BillingDeps, organizationId: number, actor: User): Promise<{ outcomes: ChargeOutcome[]; settled: boolean }> {
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
      if (roundsDue >= RETRY_ROUNDS) {
        const became = await db.transaction(async (trx) => {
          await lockAccount(trx, orgId);
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
          `${row.name} owes ${formatCents(balance.cents)}. We will charge the card on file again on ${new Date(nextRetry).toLocaleDateString('en-US', { dateStyle: 'long', timeZone: 'UTC' })}.`,
          `To use another card, update it before then: ${deps.config.publicUrl}/orgs/${row.slug}/settings/payment-method`,
        ].join('\n\n'),
      });
      report.reminders++;
    }
  }
  return report;
}
