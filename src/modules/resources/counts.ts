import type { DbOrTrx } from '../../db/knex.ts';
import { formatCount } from '../../format.ts';
import { planOfOwner } from '../owners/owner.ts';
import { usagePeriodOf } from '../owners/owner-period.ts';
import { countMembers } from '../tenancy/membership-queries.ts';
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
export async function ownerCounts(db: DbOrTrx, owner: Owner, now: Date): Promise<OwnerCounts> {
  const cols = ownerColumns(owner);
  const period = await usagePeriodOf(db, owner, now);
  const [applications, dashboards, devices, payloads] = await Promise.all([
    db('applications').where(cols).count({ n: '*' }).first(),
    db('dashboards').where(cols).count({ n: '*' }).first(),
    db('devices as d').join('applications as a', 'a.id', 'd.application_id').where({ 'a.owner_type': cols.owner_type, 'a.owner_id': cols.owner_id }).count({ n: '*' }).first(),
    db('usage_counters').where({ ...cols, period_start: period.start.getTime() }).sum({ n: 'payloads' }).first(),
  ]);
  return {
    applications: n(applications),
    dashboards: n(dashboards),
    devices: n(devices),
    members: owner.kind === 'organization' ? await countMembers(db, owner.organizationId) : 1,
    payloadsThisPeriod: n(payloads as { n?: number }),
  };
}

export type LimitedResource = 'applications' | 'dashboards' | 'devices';

const LIMIT_NOUNS: Record<LimitedResource, string> = { applications: 'applications', dashboards: 'dashboards', devices: 'devices' };

export type LimitCheck = { ok: true } | { ok: false; resource: LimitedResource; limit: number; planName: string; message: string };

/** R7.3: would adding `adding` of a resource exceed the owner's plan? The message names the limit and the plan. */
export async function checkLimit(db: DbOrTrx, owner: Owner, resource: LimitedResource, adding: number, now: Date): Promise<LimitCheck> {
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
