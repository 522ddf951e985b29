import { insertRows, type Sql } from '../../db/sql.ts';
import { recordAudit, systemActor, type AuditActor } from '../audit/record.ts';
import type { BillingStatus } from '../owners/queries.ts';

export const STATUS_LABELS: Record<BillingStatus, string> = { active: 'Active', past_due: 'Past Due', unpaid: 'Unpaid' };
/** The badge colour of each status, wherever a status is shown. */
export const STATUS_BADGES: Record<BillingStatus, string> = { active: 'badge-success', past_due: 'badge-warning', unpaid: 'badge-danger' };

/**
 * The status machine (R9.7, R9.8): Active → Past Due (a renewal charge
 * failed) → Active (every open invoice paid) or → Unpaid (28 days without
 * success) → Active (reactivated). Every transition is kept with its time and
 * cause and written to the audit log. Runs inside the caller's transaction.
 */
export async function transition(
  trx: Sql,
  input: { organizationId: number; to: BillingStatus; cause: string; at: Date; actor?: AuditActor },
): Promise<boolean> {
  const sql = trx;
  const account = await sql.first<{ status: BillingStatus; past_due_since: number | null }>(
    'SELECT status, past_due_since FROM billing_accounts WHERE organization_id = ?',
    [input.organizationId],
  );
  if (!account || account.status === input.to) return false;
  const pastDueSince = input.to === 'past_due' ? input.at.getTime() : input.to === 'active' ? null : account.past_due_since;
  await sql.run(
    input.to === 'past_due'
      ? 'UPDATE billing_accounts SET status = ?, past_due_since = ?, retry_rounds_done = 0, reminders_sent = 0, updated_at = ? WHERE organization_id = ?'
      : 'UPDATE billing_accounts SET status = ?, past_due_since = ?, updated_at = ? WHERE organization_id = ?',
    [input.to, pastDueSince === null ? null : Number(pastDueSince), input.at.getTime(), input.organizationId],
  );
  await insertRows(sql, 'billing_status_history', [
    {
      organization_id: input.organizationId,
      from_status: account.status,
      to_status: input.to,
      cause: input.cause.slice(0, 500),
      at: input.at.getTime(),
    },
  ]);
  await recordAudit(sql, {
    organizationId: input.organizationId,
    actor: input.actor ?? systemActor,
    action: 'billing.status_changed',
    target: { type: 'organization', id: input.organizationId, label: STATUS_LABELS[input.to] },
    before: { status: STATUS_LABELS[account.status] },
    after: { status: STATUS_LABELS[input.to], cause: input.cause },
    at: input.at,
  });
  return true;
}

export interface StatusChange {
  from: BillingStatus;
  to: BillingStatus;
  cause: string;
  at: Date;
}

export async function statusHistory(db: Sql, organizationId: number): Promise<StatusChange[]> {
  const rows = await db.rows<Record<string, unknown>>('SELECT * FROM billing_status_history WHERE organization_id = ? ORDER BY id DESC', [organizationId]);
  return rows.map((r) => ({
    from: r.from_status as BillingStatus,
    to: r.to_status as BillingStatus,
    cause: String(r.cause),
    at: new Date(Number(r.at)),
  }));
}
