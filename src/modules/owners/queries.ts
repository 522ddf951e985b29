import { type Sql } from '../../db/sql.ts';
import { leftJoinUsers } from '../accounts/queries.ts';
import { joinPlans, leftJoinPlans, SANDBOX_PLAN_ID_SQL, toPlan, type Plan } from '../plans/queries.ts';

/**
 * An organization's billing account as every module below billing reads it:
 * its plan, status and period anchor. The owners module owns
 * `billing_accounts` (its writes, which billing's use cases make, are in
 * `queries/billing-accounts.ts`), so the pages and the device API that gate on
 * these on every request read them from below billing (modules/README.md).
 */

export type BillingStatus = 'active' | 'past_due' | 'unpaid';

/** The plan an organization is on now. */
export async function planOfOrganization(db: Sql, organizationId: number): Promise<Plan | undefined> {
  const row = await db.first<Parameters<typeof toPlan>[0]>(
    `SELECT p.* FROM billing_accounts b ${joinPlans('p', 'b.plan_id')} WHERE b.organization_id = ?`,
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

/** When an organization went Past Due (null when it is not) and how many retry rounds have run since (R9.10). */
export async function retryTermsOf(db: Sql, organizationId: number): Promise<{ pastDueSince: Date | null; retryRoundsDone: number } | undefined> {
  const row = await db.first<{ past_due_since: number | string | null; retry_rounds_done: number | string }>(
    'SELECT past_due_since, retry_rounds_done FROM billing_accounts WHERE organization_id = ?',
    [organizationId],
  );
  return row ? { pastDueSince: row.past_due_since == null ? null : new Date(Number(row.past_due_since)), retryRoundsDone: Number(row.retry_rounds_done) } : undefined;
}

/**
 * The joins and columns that read an owner's terms alongside another read,
 * for a query with the owner's stored columns (`owner_type`, `owner_id`)
 * under the alias given: its billing account (organizations) or user
 * (Sandboxes), and its plan — the organization's, or the Sandbox plan. The
 * device API reads them with its access key, in one statement (R16.2: its
 * every report pays for each round trip).
 * Aliases start with `ot_`.
 */
export function ownerTermsJoins(ownerAlias: string): string {
  return `LEFT JOIN billing_accounts ot_b ON ${ownerAlias}.owner_type = 'organization' AND ot_b.organization_id = ${ownerAlias}.owner_id
  ${leftJoinUsers('ot_u', `${ownerAlias}.owner_type = 'user' AND ot_u.id = ${ownerAlias}.owner_id`)}
  ${leftJoinPlans('ot_p', `CASE WHEN ${ownerAlias}.owner_type = 'user' THEN ${SANDBOX_PLAN_ID_SQL} ELSE ot_b.plan_id END`)}`;
}
export const OWNER_TERMS_COLUMNS = `ot_b.status AS ot_status, ot_b.period_anchor AS ot_period_anchor, ot_u.created_at AS ot_user_created_at,
  ot_p.id AS ot_plan_id, ot_p.code AS ot_plan_code, ot_p.name AS ot_plan_name, ot_p.kind AS ot_plan_kind, ot_p.price_cents AS ot_price_cents,
  ot_p.max_devices AS ot_max_devices, ot_p.max_applications AS ot_max_applications, ot_p.max_dashboards AS ot_max_dashboards,
  ot_p.max_members AS ot_max_members, ot_p.max_payloads_per_month AS ot_max_payloads_per_month, ot_p.retention_days AS ot_retention_days,
  ot_p.overage_cents_per_million AS ot_overage_cents_per_million, ot_p.support_level AS ot_support_level`;

/** `JOIN billing_accounts <alias> ON <alias>.organization_id = <organizationId>`: an organization's account in a read model (the back-office's list). */
export const joinBillingAccounts = (alias: string, organizationId: string) => `JOIN billing_accounts ${alias} ON ${alias}.organization_id = ${organizationId}`;
