import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { deleteDashboardRow, type Dashboard } from './queries.ts';

export type DeleteDashboardResult = { ok: true };

/** Deletes a dashboard and its blocks; its share link stops working at once. The device data it showed is untouched. */
export async function deleteDashboard(db: Sql, clock: Clock, actor: User, dashboard: Dashboard): Promise<DeleteDashboardResult> {
  await db.transaction(async (trx) => {
    await deleteDashboardRow(trx, dashboard.id);
    if (dashboard.owner.kind === 'organization') {
      await recordAudit(trx, {
        organizationId: dashboard.owner.organizationId,
        actor: userActor(actor),
        action: 'dashboard.deleted',
        target: { type: 'dashboard', id: dashboard.id, label: dashboard.name },
        at: clock.now(),
      });
    }
  });
  return { ok: true };
}
