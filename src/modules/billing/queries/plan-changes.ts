import { insertRows } from '../../../db/sql.ts';
import type { Sql } from '../../../db/sql.ts';
import { joinPlans, toPlan, type Plan, type PlanRow } from '../../plans/queries.ts';

/** R9.3, R9.5: every plan an organization was put on, and from when. */

/** R9.2, R9.5: the organization is on `planId` from `effectiveAt` (the actor is null for the plan chosen at creation). */
export async function insertPlanChange(db: Sql, input: { organizationId: number; planId: number; effectiveAt: Date; actorUserId: number | null }): Promise<void> {
  await insertRows(db, 'plan_changes', [
    { organization_id: input.organizationId, plan_id: input.planId, effective_at: input.effectiveAt.getTime(), actor_user_id: input.actorUserId },
  ]);
}

/** R9.3: the plan of the organization's last plan change effective at or before `at`; undefined before any. */
export async function planChangedToBy(db: Sql, organizationId: number, at: Date): Promise<Plan | undefined> {
  const row = await db.first<PlanRow>(
    `SELECT p.* FROM plan_changes c ${joinPlans('p', 'c.plan_id')}
     WHERE c.organization_id = ? AND c.effective_at <= ? ORDER BY c.effective_at DESC, c.id DESC LIMIT 1`,
    [organizationId, at.getTime()],
  );
  return row ? toPlan(row) : undefined;
}
