import type { Owner } from './owner.ts';
import { periodContaining, type Period } from './periods.ts';
import { accountTermsOf, type BillingStatus } from './queries.ts';
import type { Sql } from '../../db/sql.ts';
import { sandboxPlan, toPlan, type Plan, type PlanRow } from '../plans/queries.ts';

/**
 * The billing period an owner's usage counts in at `now` (R8.2): an
 * organization's current period; a Sandbox's monthly period anchored at
 * sign-up (R1.2).
 */
export async function usagePeriodOf(db: Sql, owner: Owner, now: Date): Promise<{ start: Date; end: Date }> {
  if (owner.kind === 'organization') {
    const account = await accountTermsOf(db, owner.organizationId);
    if (!account) throw new Error(`organization ${owner.organizationId} has no billing account`);
    // From the anchor, not the renewal pass's progress: usage lands in the
    // right period even when a pass runs late.
    const p = periodContaining(account.periodAnchor, now);
    return { start: p.start, end: p.end };
  }
  const user = await db.first<{ created_at: number }>('SELECT created_at FROM users WHERE id = ?', [owner.userId]);
  if (!user) throw new Error(`user ${owner.userId} not found`);
  const p: Period = periodContaining(new Date(Number(user.created_at)), now);
  return { start: p.start, end: p.end };
}

/** What a device report needs to know of its owner (R8.1, R7.1, R9.8). */
export interface OwnerUsageTerms {
  status: BillingStatus;
  plan: Plan;
  period: { start: Date; end: Date };
}

/**
 * An owner's billing status, the plan in force and the period usage counts
 * in at `now`, read together: for an organization one read of its billing
 * account with its plan (the device API asks this on every request).
 */
export async function ownerUsageTerms(db: Sql, owner: Owner, now: Date): Promise<OwnerUsageTerms> {
  if (owner.kind === 'sandbox') {
    return { status: 'active', plan: await sandboxPlan(db), period: await usagePeriodOf(db, owner, now) };
  }
  const row = await db.first<PlanRow & { billing_status: BillingStatus; period_anchor: number }>(
    `SELECT p.*, b.status AS billing_status, b.period_anchor FROM billing_accounts b JOIN plans p ON p.id = b.plan_id
     WHERE b.organization_id = ?`,
    [owner.organizationId],
  );
  if (!row) throw new Error(`organization ${owner.organizationId} has no billing account`);
  const p = periodContaining(new Date(Number(row.period_anchor)), now);
  return { status: row.billing_status, plan: toPlan(row), period: { start: p.start, end: p.end } };
}

/** An owner's billing status: a Sandbox is always active. */
export async function billingStatusOf(db: Sql, owner: Owner): Promise<BillingStatus> {
  if (owner.kind === 'sandbox') return 'active';
  const account = await accountTermsOf(db, owner.organizationId);
  return account?.status ?? 'active';
}
