import type { Sql } from '../../db/sql.ts';
import { sandboxPlan, type Plan } from '../plans/queries.ts';
import { planOfOrganization } from './queries.ts';

/** Who owns applications and dashboards: a user's Sandbox or an organization (R1.2, §5). */
export type Owner = { kind: 'sandbox'; userId: number } | { kind: 'organization'; organizationId: number };

/** The plan (and so the limits, R7.1) in force for an owner now. */
export async function planOfOwner(db: Sql, owner: Owner): Promise<Plan> {
  if (owner.kind === 'sandbox') return sandboxPlan(db);
  const plan = await planOfOrganization(db, owner.organizationId);
  if (!plan) throw new Error(`organization ${owner.organizationId} has no billing account`);
  return plan;
}
