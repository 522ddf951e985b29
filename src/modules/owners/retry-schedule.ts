import type { BillingStatus } from './queries.ts';
import { DAY_MS } from '../../clock.ts';
export const RETRY_EVERY_DAYS = 7;
export const RETRY_ROUNDS = 4; // days 7, 14, 21, 28 after the first failure (R9.7)

/**
 * When the card is charged again after a failure (R9.7), or null when no
 * automatic attempt follows. An Active organization failing now becomes Past
 * Due now, so its first retry is 7 days away; a Past Due one is on the
 * schedule counted from when it became Past Due; an Unpaid one gets none.
 */
export function nextRetryAt(account: { status: BillingStatus; pastDueSince: Date | null; retryRoundsDone: number }, now: Date): Date | null {
  if (account.status === 'unpaid') return null;
  if (account.status === 'active' || account.pastDueSince === null) return new Date(now.getTime() + RETRY_EVERY_DAYS * DAY_MS);
  const round = account.retryRoundsDone + 1;
  if (round > RETRY_ROUNDS) return null;
  return new Date(account.pastDueSince.getTime() + round * RETRY_EVERY_DAYS * DAY_MS);
}
