import type { Sql } from '../../db/sql.ts';
import type { BillingStatus } from './queries.ts';
import { nextRetryAt, RETRY_EVERY_DAYS, RETRY_ROUNDS } from './retry-schedule.ts';
import { DAY_MS } from '../../clock.ts';

/** R9.10: what the Past Due (or Unpaid) bar states. */
export interface BillingStanding {
  status: 'past_due' | 'unpaid';
  /** The sum still owed on open invoices. */
  owedCents: number;
  /** The next automatic attempt (Past Due only; none after the last retry). */
  nextAttemptAt: Date | null;
  /** When a Past Due organization becomes Unpaid if no payment succeeds before. */
  unpaidAt: Date | null;
}

/**
 * An organization's standing when it is not Active, read for the bar on its
 * pages (one more read, only for Past Due and Unpaid organizations); null
 * when it is Active.
 */
export async function billingStandingOf(db: Sql, organizationId: number, status: BillingStatus | undefined, now: Date): Promise<BillingStanding | null> {
  if (status !== 'past_due' && status !== 'unpaid') return null;
  const sql = db;
  const [account, owed] = await Promise.all([
    sql.first<{ past_due_since: number | null; retry_rounds_done: number }>('SELECT past_due_since, retry_rounds_done FROM billing_accounts WHERE organization_id = ?', [organizationId]),
    sql.first<{ owed: number | string | null }>("SELECT SUM(amount_due_cents - amount_paid_cents) AS owed FROM invoices WHERE organization_id = ? AND status = 'open'", [organizationId]),
  ]);
  const owedCents = Number(owed?.owed ?? 0);
  if (status === 'unpaid' || account?.past_due_since == null) return { status, owedCents, nextAttemptAt: null, unpaidAt: null };
  const pastDueSince = new Date(Number(account.past_due_since));
  const next = nextRetryAt({ status, pastDueSince, retryRoundsDone: Number(account.retry_rounds_done) }, now);
  return {
    status,
    owedCents,
    // A retry due but not yet run (the scheduler runs every minute) is "today", not a date in the past.
    nextAttemptAt: next && next.getTime() < now.getTime() ? now : next,
    unpaidAt: new Date(pastDueSince.getTime() + RETRY_ROUNDS * RETRY_EVERY_DAYS * DAY_MS),
  };
}
