import type { DbOrTrx } from '../../db/knex.ts';
import type { Owner } from './limits.ts';
import { periodContaining, type Period } from './periods.ts';
import { findBillingAccount, type BillingStatus } from './queries.ts';

/**
 * The billing period an owner's usage counts in at `now` (R8.2): an
 * organization's current period; a Sandbox's monthly period anchored at
 * sign-up (R1.2).
 */
export async function usagePeriodOf(db: DbOrTrx, owner: Owner, now: Date): Promise<{ start: Date; end: Date }> {
  if (owner.kind === 'organization') {
    const account = await findBillingAccount(db, owner.organizationId);
    if (!account) throw new Error(`organization ${owner.organizationId} has no billing account`);
    // From the anchor, not the renewal pass's progress: usage lands in the
    // right period even when a pass runs late.
    const p = periodContaining(account.periodAnchor, now);
    return { start: p.start, end: p.end };
  }
  const user = await db('users').where({ id: owner.userId }).first('created_at');
  if (!user) throw new Error(`user ${owner.userId} not found`);
  const p: Period = periodContaining(new Date(Number(user.created_at)), now);
  return { start: p.start, end: p.end };
}

/** An owner's billing status: a Sandbox is always active. */
export async function billingStatusOf(db: DbOrTrx, owner: Owner): Promise<BillingStatus> {
  if (owner.kind === 'sandbox') return 'active';
  const account = await findBillingAccount(db, owner.organizationId);
  return account?.status ?? 'active';
}
