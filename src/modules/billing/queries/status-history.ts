import { insertRows } from '../../../db/sql.ts';
import type { Sql } from '../../../db/sql.ts';
import type { BillingStatus } from '../../owners/queries.ts';

/** R9.7, R9.8: every status transition of an organization, with its time and cause. */

export interface StatusChange {
  from: BillingStatus;
  to: BillingStatus;
  cause: string;
  at: Date;
}

/** R9.7, R9.8: keeps a transition (its cause cut to what the column holds). */
export async function insertStatusChange(db: Sql, organizationId: number, change: StatusChange): Promise<void> {
  await insertRows(db, 'billing_status_history', [
    {
      organization_id: organizationId,
      from_status: change.from,
      to_status: change.to,
      cause: change.cause.slice(0, 500),
      at: change.at.getTime(),
    },
  ]);
}

/** R11.2: an organization's transitions, newest first. */
export async function statusHistory(db: Sql, organizationId: number): Promise<StatusChange[]> {
  const rows = await db.rows<Record<string, unknown>>('SELECT * FROM billing_status_history WHERE organization_id = ? ORDER BY id DESC', [organizationId]);
  return rows.map((r) => ({
    from: r.from_status as BillingStatus,
    to: r.to_status as BillingStatus,
    cause: String(r.cause),
    at: new Date(Number(r.at)),
  }));
}
