import type { DbOrTrx } from '../../db/knex.ts';
import { recordAudit, systemActor, type AuditActor } from '../audit/record.ts';
import type { BillingStatus } from './queries.ts';

export const STATUS_LABELS: Record<BillingStatus, string> = { active: 'Active', past_due: 'Past Due', unpaid: 'Unpaid' };

/**
 * The status machine (R9.7, R9.8): Active → Past Due (a renewal charge
 * failed) → Active (every open invoice paid) or → Unpaid (28 days without
 * success) → Active (reactivated). Every transition is kept with its time and
 * cause and written to the audit log. Runs inside the caller's transaction.
 */
export async function transition(
  trx: DbOrTrx,
  input: { organizationId: number; to: BillingStatus; cause: string; at: Date; actor?: AuditActor },
): Promise<boolean> {
  const account = await trx('billing_accounts').where({ organization_id: input.organizationId }).first('status', 'past_due_since');
  if (!account || account.status === input.to) return false;
  await trx('billing_accounts')
    .where({ organization_id: input.organizationId })
    .update({
      status: input.to,
      past_due_since: input.to === 'past_due' ? input.at.getTime() : input.to === 'active' ? null : account.past_due_since,
      ...(input.to === 'past_due' ? { retry_rounds_done: 0, reminders_sent: 0 } : {}),
      updated_at: input.at.getTime(),
    });
  await trx('billing_status_history').insert({
    organization_id: input.organizationId,
    from_status: account.status,
    to_status: input.to,
    cause: input.cause.slice(0, 500),
    at: input.at.getTime(),
  });
  await recordAudit(trx, {
    organizationId: input.organizationId,
    actor: input.actor ?? systemActor,
    action: 'billing.status_changed',
    target: { type: 'organization', id: input.organizationId, label: STATUS_LABELS[input.to] },
    before: { status: STATUS_LABELS[account.status as BillingStatus] },
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

export async function statusHistory(db: DbOrTrx, organizationId: number): Promise<StatusChange[]> {
  const rows = await db('billing_status_history').where({ organization_id: organizationId }).orderBy('id', 'desc');
  return rows.map((r: Record<string, unknown>) => ({
    from: r.from_status as BillingStatus,
    to: r.to_status as BillingStatus,
    cause: String(r.cause),
    at: new Date(Number(r.at)),
  }));
}
