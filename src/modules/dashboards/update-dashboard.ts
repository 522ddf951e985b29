import type { Sql } from '../../db/sql.ts';
import { updateDashboardDetails, type Dashboard } from './queries.ts';

export type UpdateDashboardResult = { ok: true };

/** Renames a dashboard and changes its description. */
export async function updateDashboard(db: Sql, dashboard: Dashboard, input: { name: string; description: string }): Promise<UpdateDashboardResult> {
  await updateDashboardDetails(db, dashboard.id, input);
  return { ok: true };
}
