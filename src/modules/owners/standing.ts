import type { Sql } from '../../db/sql.ts';
import { retryTermsOf, type BillingStatus } from './queries.ts';
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
 * What the owners module needs to know of billing's invoices: the sum still
 * owed on an organization's open invoices. Invoices are billing's, and billing
 * sits above every module that shows the Past Due bar (modules/README.md), so
 * the answer is handed down through `Deps.billingReads`, which the start-up
 * wiring fills with billing's own query.
 */
export interface BillingReads {
  owedOnOpenInvoices(db: Sql, organizationId: number): Promise<number>;
}

/**
 * An organization's standing when it is not Active, read for the bar on its
 * pages (one more read, only for Past Due and Unpaid organizations); null
 * when it is Active.
 */
export async function billingStandingOf(
  db: Sql,
  billing: BillingReads,
  organizationId: number,
  status: BillingStatus | undefined,
  now: Date,
): Promise<BillingStanding | null> {
  if (status !== 'past_due' && status !== 'unpaid') return null;
  const [account, owedCents] = await Promise.all([retryTermsOf(db, organizationId), billing.owedOnOpenInvoices(db, organizationId)]);
  if (status === 'unpaid' || !account?.pastDueSince) return { status, owedCents, nextAttemptAt: null, unpaidAt: null };
  const pastDueSince = account.pastDueSince;
  const next = nextRetryAt({ status, pastDueSince, retryRoundsDone: account.retryRoundsDone }, now);
  return {
    status,
    owedCents,
    // A retry due but not yet run (the scheduler runs every minute) is "today", not a date in the past.
    nextAttemptAt: next && next.getTime() < now.getTime() ? now : next,
    unpaidAt: new Date(pastDueSince.getTime() + RETRY_ROUNDS * RETRY_EVERY_DAYS * DAY_MS),
  };
}
