import type { Sql } from '../../db/sql.ts';
import { formatCount } from '../../format.ts';
import { planOfOwner } from '../owners/owner.ts';
import type { Owner } from '../owners/columns.ts';

export type LimitedResource = 'applications' | 'dashboards' | 'devices';

const LIMIT_NOUNS: Record<LimitedResource, string> = { applications: 'applications', dashboards: 'dashboards', devices: 'devices' };

export type LimitCheck = { ok: true } | { ok: false; resource: LimitedResource; limit: number; planName: string; message: string };

/**
 * R7.3: would adding `adding` of a resource to the `inUse` the owner has
 * exceed its plan? The message names the limit and the plan. The module that
 * owns the resource counts it (in the caller's transaction, after locking the
 * owner), so two additions cannot both pass on the same count.
 */
export async function checkLimit(db: Sql, owner: Owner, resource: LimitedResource, count: { inUse: number; adding: number }): Promise<LimitCheck> {
  const plan = await planOfOwner(db, owner);
  const limit = plan.limits[resource];
  if (count.inUse + count.adding <= limit) return { ok: true };
  const who = owner.kind === 'sandbox' ? 'Your Sandbox' : `The ${plan.name} plan`;
  return {
    ok: false,
    resource,
    limit,
    planName: plan.name,
    message: `${who} allows ${formatCount(limit)} ${LIMIT_NOUNS[resource]}${owner.kind === 'sandbox' ? ` (${plan.name} limit)` : ''}, and ${formatCount(count.inUse)} are in use. Remove some or move to a larger plan.`,
  };
}
