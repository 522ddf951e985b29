import type { Sql } from '../../db/sql.ts';
import { formatCount } from '../../format.ts';
import { planOfOwner } from '../owners/owner.ts';
import { usagePeriodOf } from '../owners/owner-period.ts';
import { countMembers } from '../tenancy/queries/memberships.ts';
import { ownerColumns, type Owner } from '../owners/columns.ts';

export interface OwnerCounts {
  applications: number;
  dashboards: number;
  devices: number;
  members: number;
  payloadsThisPeriod: number;
}

const n = (row: { n?: number | string } | undefined) => Number(row?.n ?? 0);

/**
 * R7.3, R8.3: an owner's current counts, each one indexed query; the usage
 * page, the limit checks and transfers all read these.
 */
export async function ownerCounts(db: Sql, owner: Owner, now: Date): Promise<OwnerCounts> {
  const cols = ownerColumns(owner);
  const period = await usagePeriodOf(db, owner, now);
  const [applications, dashboards, devices, payloads] = await Promise.all([
    db.first<{ n: number }>('SELECT COUNT(*) AS n FROM applications WHERE owner_type = ? AND owner_id = ?', [cols.owner_type, cols.owner_id]),
    db.first<{ n: number }>('SELECT COUNT(*) AS n FROM dashboards WHERE owner_type = ? AND owner_id = ?', [cols.owner_type, cols.owner_id]),
    db.first<{ n: number }>('SELECT COUNT(*) AS n FROM devices d JOIN applications a ON a.id = d.application_id WHERE a.owner_type = ? AND a.owner_id = ?', [
      cols.owner_type,
      cols.owner_id,
    ]),
    db.first<{ n: number | null }>('SELECT SUM(payloads) AS n FROM usage_counters WHERE owner_type = ? AND owner_id = ? AND period_start = ?', [
      cols.owner_type,
      cols.owner_id,
      period.start.getTime(),
    ]),
  ]);
  return {
    applications: n(applications),
    dashboards: n(dashboards),
    devices: n(devices),
    members: owner.kind === 'organization' ? await countMembers(db, owner.organizationId) : 1,
    payloadsThisPeriod: Number(payloads?.n ?? 0),
  };
}

export type LimitedResource = 'applications' | 'dashboards' | 'devices';

const LIMIT_NOUNS: Record<LimitedResource, string> = { applications: 'applications', dashboards: 'dashboards', devices: 'devices' };

export type LimitCheck = { ok: true } | { ok: false; resource: LimitedResource; limit: number; planName: string; message: string };

/** R7.3: would adding `adding` of a resource exceed the owner's plan? The message names the limit and the plan. */
export async function checkLimit(db: Sql, owner: Owner, resource: LimitedResource, adding: number, now: Date): Promise<LimitCheck> {
  const plan = await planOfOwner(db, owner);
  const counts = await ownerCounts(db, owner, now);
  const limit = plan.limits[resource];
  if (counts[resource] + adding <= limit) return { ok: true };
  const who = owner.kind === 'sandbox' ? 'Your Sandbox' : `The ${plan.name} plan`;
  return {
    ok: false,
    resource,
    limit,
    planName: plan.name,
    message: `${who} allows ${formatCount(limit)} ${LIMIT_NOUNS[resource]}${owner.kind === 'sandbox' ? ` (${plan.name} limit)` : ''}, and ${formatCount(counts[resource])} are in use. Remove some or move to a larger plan.`,
  };
}
