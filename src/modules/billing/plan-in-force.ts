import { type Sql } from '../../db/sql.ts';
import { planOfOrganization } from '../owners/queries.ts';
import { toPlan, type Plan, type PlanRow } from '../plans/queries.ts';

/** The plan in force for an organization at an instant (R9.3: overage uses the plan at period end). */
export async function planInForce(trx: Sql, organizationId: number, at: Date): Promise<Plan> {
  const changed = await trx.first<PlanRow>(
    `SELECT p.* FROM plan_changes c JOIN plans p ON p.id = c.plan_id
     WHERE c.organization_id = ? AND c.effective_at <= ? ORDER BY c.effective_at DESC, c.id DESC LIMIT 1`,
    [organizationId, at.getTime()],
  );
  if (changed) return toPlan(changed);
  const plan = await planOfOrganization(trx, organizationId);
  if (!plan) throw new Error(`organization ${organizationId} has no billing account`);
  return plan;
}
