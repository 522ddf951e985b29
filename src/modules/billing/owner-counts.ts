import type { Sql } from '../../db/sql.ts';
import { countApplicationsOf, countDevicesOf } from '../applications/queries.ts';
import { countDashboardsOf } from '../dashboards/queries.ts';
import { countOpenInvitations } from '../invitations/queries.ts';
import type { Owner } from '../owners/columns.ts';
import { usagePeriodOf } from '../owners/owner-period.ts';
import { countMembers } from '../tenancy/queries/memberships.ts';
import { payloadsInPeriod } from '../usage/queries.ts';

export interface OwnerCounts {
  applications: number;
  dashboards: number;
  devices: number;
  members: number;
  payloadsThisPeriod: number;
}

/**
 * R7.3, R8.3, R9.5: everything an owner holds against its plan's limits,
 * each count asked of the module that owns it: the Usage page, the Sandbox
 * page, the back-office and a plan change read these.
 */
export async function ownerCounts(db: Sql, owner: Owner, now: Date): Promise<OwnerCounts> {
  const period = await usagePeriodOf(db, owner, now);
  const [applications, dashboards, devices, payloadsThisPeriod] = await Promise.all([
    countApplicationsOf(db, owner),
    countDashboardsOf(db, owner),
    countDevicesOf(db, owner),
    payloadsInPeriod(db, owner, period.start),
  ]);
  return {
    applications,
    dashboards,
    devices,
    members: owner.kind === 'organization' ? await countMembers(db, owner.organizationId) : 1,
    payloadsThisPeriod,
  };
}

/**
 * An organization's counts with its open invitations, which count toward the
 * member limit (R4.1): the Usage page (R8.3) and a downgrade's check (R9.5).
 */
export async function organizationHoldings(db: Sql, organizationId: number, now: Date): Promise<OwnerCounts & { openInvitations: number }> {
  const [counts, openInvitations] = await Promise.all([ownerCounts(db, { kind: 'organization', organizationId }, now), countOpenInvitations(db, organizationId, now)]);
  return { ...counts, openInvitations };
}
