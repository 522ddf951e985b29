import type { Owner } from './owner.ts';
import { periodContaining, type Period } from './periods.ts';
import { accountTermsOf, type BillingStatus } from './queries.ts';
import type { Sql } from '../../db/sql.ts';
import { signedUpAt } from '../accounts/queries.ts';
import { toPlan, type Plan } from '../plans/queries.ts';

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
  const signedUp = await signedUpAt(db, owner.userId);
  if (!signedUp) throw new Error(`user ${owner.userId} not found`);
  const p: Period = periodContaining(signedUp, now);
  return { start: p.start, end: p.end };
}

/** What a device report needs to know of its owner (R8.1, R7.1, R9.8). */
export interface OwnerUsageTerms {
  status: BillingStatus;
  plan: Plan;
  period: { start: Date; end: Date };
}

/**
 * An owner's billing terms as read, before a period is taken from them: its
 * status, the plan in force, and the anchor its periods start from (an
 * organization's billing account; a Sandbox's sign-up).
 */
export interface OwnerTerms {
  status: BillingStatus;
  plan: Plan;
  periodAnchor: Date;
}

/** The usage period of `now` under an owner's terms (R8.2). */
export function usageTermsAt(terms: OwnerTerms, now: Date): OwnerUsageTerms {
  const p = periodContaining(terms.periodAnchor, now);
  return { status: terms.status, plan: terms.plan, period: { start: p.start, end: p.end } };
}

/** The columns of OWNER_TERMS_COLUMNS, as a row holds them. */
export interface OwnerTermsColumns {
  ot_status: BillingStatus | null;
  ot_period_anchor: number | string | null;
  ot_user_created_at: number | string | null;
  ot_plan_id: number | null;
  ot_plan_code: string;
  ot_plan_name: string;
  ot_plan_kind: Plan['kind'];
  ot_price_cents: number;
  ot_max_devices: number;
  ot_max_applications: number;
  ot_max_dashboards: number;
  ot_max_members: number;
  ot_max_payloads_per_month: number;
  ot_retention_days: number;
  ot_overage_cents_per_million: number | null;
  ot_support_level: string;
}

/** An owner's terms from the columns of OWNER_TERMS_COLUMNS. */
export function ownerTermsFromColumns(owner: Owner, row: OwnerTermsColumns): OwnerTerms {
  if (owner.kind === 'organization' && row.ot_status == null) throw new Error(`organization ${owner.organizationId} has no billing account`);
  if (owner.kind === 'sandbox' && row.ot_user_created_at == null) throw new Error(`user ${owner.userId} not found`);
  if (row.ot_plan_id == null) {
    throw new Error(owner.kind === 'sandbox' ? 'The sandbox plan is missing: run the migrations' : `organization ${owner.organizationId} has no plan`);
  }
  const plan = toPlan({
    id: row.ot_plan_id,
    code: row.ot_plan_code,
    name: row.ot_plan_name,
    kind: row.ot_plan_kind,
    price_cents: row.ot_price_cents,
    max_devices: row.ot_max_devices,
    max_applications: row.ot_max_applications,
    max_dashboards: row.ot_max_dashboards,
    max_members: row.ot_max_members,
    max_payloads_per_month: row.ot_max_payloads_per_month,
    retention_days: row.ot_retention_days,
    overage_cents_per_million: row.ot_overage_cents_per_million,
    support_level: row.ot_support_level,
  });
  // An organization's periods run from its billing anchor, a Sandbox's from sign-up (R1.2).
  const anchor = owner.kind === 'organization' ? row.ot_period_anchor : row.ot_user_created_at;
  return { status: owner.kind === 'organization' ? row.ot_status! : 'active', plan, periodAnchor: new Date(Number(anchor)) };
}

/** An owner's billing status: a Sandbox is always active. */
export async function billingStatusOf(db: Sql, owner: Owner): Promise<BillingStatus> {
  if (owner.kind === 'sandbox') return 'active';
  const account = await accountTermsOf(db, owner.organizationId);
  return account?.status ?? 'active';
}
