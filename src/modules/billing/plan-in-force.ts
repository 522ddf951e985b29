import { type Sql } from '../../db/sql.ts';
import { planOfOrganization } from '../owners/queries.ts';
import type { Plan } from '../plans/queries.ts';
import { planChangedToBy } from './queries/plan-changes.ts';

/** The plan in force for an organization at an instant (R9.3: overage uses the plan at period end). */
export async function planInForce(trx: Sql, organizationId: number, at: Date): Promise<Plan> {
  const changed = await planChangedToBy(trx, organizationId, at);
  if (changed) return changed;
  const plan = await planOfOrganization(trx, organizationId);
  if (!plan) throw new Error(`organization ${organizationId} has no billing account`);
  return plan;
}
