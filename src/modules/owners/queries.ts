import { type Sql } from '../../db/sql.ts';
import { toPlan, type Plan } from '../plans/queries.ts';

/**
 * What an owner's pages and the device API read of an organization's billing
 * account. Billing owns `billing_accounts` and is the only module that writes
 * it; these reads sit here, below every module that asks them (modules/README.md).
 */

export type BillingStatus = 'active' | 'past_due' | 'unpaid';

/** The plan an organization is on now. */
export async function planOfOrganization(db: Sql, organizationId: number): Promise<Plan | undefined> {
  const row = await db.first<Parameters<typeof toPlan>[0]>(
    'SELECT p.* FROM billing_accounts b JOIN plans p ON p.id = b.plan_id WHERE b.organization_id = ?',
    [organizationId],
  );
  return row ? toPlan(row) : undefined;
}

/** An organization's billing status and period anchor (R9.2, R9.8). */
export async function accountTermsOf(db: Sql, organizationId: number): Promise<{ status: BillingStatus; periodAnchor: Date } | undefined> {
  const row = await db.first<{ status: BillingStatus; period_anchor: number | string }>(
    'SELECT status, period_anchor FROM billing_accounts WHERE organization_id = ?',
    [organizationId],
  );
  return row ? { status: row.status, periodAnchor: new Date(Number(row.period_anchor)) } : undefined;
}
