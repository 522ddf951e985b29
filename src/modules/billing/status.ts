import type { Sql } from '../../db/sql.ts';
import { recordAudit, systemActor, type AuditActor } from '../audit/record.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { accountStatusOf, setBillingStatus, setPastDue } from '../owners/queries/billing-accounts.ts';
import { insertStatusChange } from './queries/status-history.ts';

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
  const account = await accountStatusOf(sql, input.organizationId);
  if (!account || account.status === input.to) return false;
  // Past Due from now: the retries count from this instant (R9.7); Unpaid keeps when it became Past Due.
  if (input.to === 'past_due') await setPastDue(sql, input.organizationId, input.at);
  else await setBillingStatus(sql, input.organizationId, input.to, input.to === 'active' ? null : account.pastDueSince, input.at);
  await insertStatusChange(sql, input.organizationId, { from: account.status, to: input.to, cause: input.cause, at: input.at });
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
