import type { DbOrTrx } from '../../db/knex.ts';
import { updateDashboardDetails, type Dashboard } from './queries.ts';

export type UpdateDashboardResult = { ok: true };

/** Renames a dashboard and changes its description. */
export async function updateDashboard(db: DbOrTrx, dashboard: Dashboard, input: { name: string; description: string }): Promise<UpdateDashboardResult> {
  await updateDashboardDetails(db, dashboard.id, input);
  return { ok: true };
}
