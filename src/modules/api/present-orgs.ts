import type { Sql } from '../../db/sql.ts';
import { listApplicationsOf } from '../applications/queries.ts';
import { findBillingAccount } from '../owners/queries/billing-accounts.ts';
import { listDashboardsOf } from '../dashboards/queries.ts';
import { countOpenInvitations } from '../invitations/queries.ts';
import type { Owner } from '../owners/owner.ts';
import { planOfOwner } from '../owners/owner.ts';
import type { BillingStatus } from '../owners/queries.ts';
import type { Plan } from '../plans/queries.ts';
import { listMembers, resourceRolesOf } from '../tenancy/queries/memberships.ts';
import type { Organization } from '../tenancy/queries/organizations.ts';
import { can, type ResourceRole, type ResourceType, type Role } from '../tenancy/policy.ts';
import { usageTotals } from '../usage/queries.ts';
import { toApiId } from './ids.ts';
import { isoDate, nameParts } from './present.ts';
import { API_ROLE } from './roles.ts';

/**
 * R16.1: an organization as Losant's `org` schema has it, for the fields
 * Orgplane has, showing a member what the pages show them (R2.1, R2.6):
 * - a member with role None (in `orgs.get` only): name, description, icon
 *   color and plan, as the listing page;
 * - everyone with Viewer or more: name, description, icon color, the plan
 *   (`planId` is the plan's code, e.g. "professional"), its `limits`, the
 *   members with their roles, and counts of the applications and dashboards
 *   they can see (a None override hides one from the counts too);
 * - Administrators also: the billing fields (billing email, subscription
 *   status, current period), this period's payloads and pending invitations
 *   in `summary`, and each member's per-resource roles (R2.2).
 * `limits.dataTTL` is the plan's data retention in seconds, as Losant gives it.
 */

export const SUBSCRIPTION_STATUS: Record<BillingStatus, 'active' | 'past_due' | 'unpaid'> = { active: 'active', past_due: 'past_due', unpaid: 'unpaid' };

const API_RESOURCE_ROLE: Record<ResourceRole, 'view' | 'collaborate' | 'none'> = { none: 'none', viewer: 'view', collaborator: 'collaborate' };

/** A plan's limits under Losant's names (those that match ours). */
export function presentLimits(plan: Plan) {
  return {
    application: plan.limits.applications,
    dashboard: plan.limits.dashboards,
    device: plan.limits.devices,
    member: plan.limits.members,
    payload: plan.limits.payloadsPerMonth,
    dataTTL: plan.limits.retentionDays * 86_400,
  };
}

/** `summaryExclude` / `summaryInclude` query parameters of the actions that answer with an organization (org.json). */
export const summaryQuery = {
  summaryExclude: { type: 'string', maxLength: 1024 },
  summaryInclude: { type: 'string', maxLength: 1024 },
} as const;
export type SummaryQuery = { summaryExclude?: string; summaryInclude?: string };
export const summaryFields = (q: SummaryQuery) => ({
  include: q.summaryInclude?.split(',').map((s) => s.trim()),
  exclude: q.summaryExclude?.split(',').map((s) => s.trim()),
});

export interface PresentOrgOptions {
  /** The caller's role in the organization. */
  role: Role;
  /** The caller's user id (their per-resource roles decide what they see, R2.6). */
  userId: number;
  now: Date;
  /** `summaryExclude` / `summaryInclude` of the request: summary fields to leave out, or the only ones to give. */
  summaryFields?: { include?: string[]; exclude?: string[] };
}

export async function presentOrg(db: Sql, org: Organization, opts: PresentOrgOptions) {
  const owner: Owner = { kind: 'organization', organizationId: org.id };
  const basics = { id: toApiId(org.id), orgId: toApiId(org.id), creationDate: isoDate(org.createdAt), name: org.name, description: org.description, iconColor: org.iconColor };
  if (!can(opts.role, 'organization.view')) {
    // R2.1: a member with role None sees nothing of the organization but what the listing page shows: its name and plan.
    const plan = await planOfOwner(db, owner);
    return { ...basics, planId: plan.code, isEnterprise: plan.kind === 'custom' };
  }
  const administrator = can(opts.role, 'billing.manage');
  const seesResourceRoles = can(opts.role, 'members.manage');
  const mine = { role: opts.role, resourceRoles: await resourceRolesOf(db, org.id, opts.userId) };
  const visible = (type: ResourceType) => (r: { id: number }) => can(mine, 'resources.view', { type, id: r.id });
  const [plan, members, applications, dashboards, account] = await Promise.all([
    planOfOwner(db, owner),
    listMembers(db, org.id),
    listApplicationsOf(db, owner),
    listDashboardsOf(db, owner),
    findBillingAccount(db, org.id),
  ]);
  const shownApplications = applications.filter(visible('application'));
  const shownDashboards = dashboards.filter(visible('dashboard'));

  const presentedMembers = await Promise.all(
    members.map(async (m) => {
      const out: Record<string, unknown> = { userId: toApiId(m.userId), email: m.email, ...nameParts(m.name), role: API_ROLE[m.role] };
      if (seesResourceRoles) {
        const roles = await resourceRolesOf(db, org.id, m.userId);
        const of = (type: ResourceType) =>
          [...roles]
            .filter(([key]) => key.startsWith(`${type}:`))
            .map(([key, role]) => ({ resourceId: toApiId(Number(key.split(':')[1])), role: API_RESOURCE_ROLE[role] }));
        out.applicationRoles = of('application');
        out.dashboardRoles = of('dashboard');
      }
      return out;
    }),
  );

  const summary: Record<string, unknown> = {
    appCount: shownApplications.length,
    dashCount: shownDashboards.length,
    deviceCount: shownApplications.reduce((sum, a) => sum + a.devices, 0),
    memberCount: members.length,
  };
  if (administrator && account) {
    const totals = await usageTotals(db, owner, account.currentPeriodStart);
    summary.payloadCount = presentPayloadCounts(totals.payloads);
    summary.pendingInviteCount = await countOpenInvitations(db, org.id, opts.now);
  }
  const include = opts.summaryFields?.include?.filter(Boolean);
  const exclude = new Set(opts.summaryFields?.exclude ?? []);
  for (const key of Object.keys(summary)) {
    if ((include && include.length && !include.includes(key)) || exclude.has(key)) delete summary[key];
  }

  return {
    ...basics,
    members: presentedMembers,
    planId: plan.code,
    isEnterprise: plan.kind === 'custom',
    limits: presentLimits(plan),
    summary,
    ...(administrator && account
      ? {
          billingEmail: account.billingEmail,
          subscriptionStatus: SUBSCRIPTION_STATUS[account.status],
          currentPeriodStart: isoDate(account.currentPeriodStart),
          currentPeriodEnd: isoDate(account.currentPeriodEnd),
        }
      : {}),
  };
}

/** R8.2: payloads under Losant's `payloadStats`: every Orgplane payload is a device state reported through the REST API (R8.1), Losant's source `rest`. */
export const presentPayloadCounts = (payloads: number) => ({ deviceState: { rest: payloads } });

