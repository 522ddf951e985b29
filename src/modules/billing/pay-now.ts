import { formatCents } from '../../money.ts';
import { recordAudit, type AuditActor } from '../audit/record.ts';
import { deliverOutbox, lockAccount, type ChargeDeps, type ChargeOutcome } from './charge.ts';
import { findBillingAccount } from '../owners/queries/billing-accounts.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';
import { openBalanceOf } from './queries/invoices.ts';
import { describeReactivationFailure, reactivate } from './reactivate.ts';
import { chargeOpenInvoices } from './charge-open-invoices.ts';

export type PayNowResult =
  | {
      ok: true;
      outcomes: ChargeOutcome[];
      /** What the charges paid, in cents. */
      paidCents: number;
      /** The first failure's message, or that the gateway did not answer. */
      failure: string | null;
      /** Open invoices left. */
      stillOpen: number;
      /** Past Due or Unpaid before, Active now. */
      reactivated: boolean;
    }
  | { ok: false; reason: 'not_found' | 'nothing_open' | 'no_card' };

const UNKNOWN = 'The payment processor did not answer; the attempt is settled by the next scheduler pass.';

/**
 * R9.7 Pay now (an Administrator) and R11.2 retry a charge now (a platform
 * admin): every open invoice, oldest first, at once, with the card on file;
 * the first failure stops the run. Each outcome has its usual consequences
 * (receipt, Active again, payment-failed email) in the transaction that
 * records it. On an Unpaid organization it is the reactivation (R9.8). The
 * request is audited with its actor, before and after.
 */
export async function payNow(
  deps: ChargeDeps,
  input: { organizationId: number; actor: AuditActor; by: 'administrator' | 'platform_admin' },
): Promise<PayNowResult> {
  const { db, clock } = deps;
  const at = clock.now();
  const org = await findOrganizationById(db, input.organizationId);
  const account = org ? await findBillingAccount(db, input.organizationId) : undefined;
  if (!org || !account) return { ok: false, reason: 'not_found' };
  const before = await openBalanceOf(db, input.organizationId);
  const reactivating = account.status === 'unpaid' && org.deletedAt === null;
  if (before.count === 0 && !reactivating) return { ok: false, reason: 'nothing_open' };
  if (!account.card) return { ok: false, reason: 'no_card' };

  let outcomes: ChargeOutcome[];
  let failure: string | null;
  if (reactivating) {
    const cause = input.by === 'platform_admin' ? 'Reactivated: every open invoice paid after an admin retry' : 'Reactivated: every open invoice paid (Pay now)';
    const r = await reactivate(deps, input.organizationId, { actor: input.actor, at, cause });
    outcomes = r.charged;
    failure = r.ok ? null : describeReactivationFailure(r.failed);
  } else {
    const settledCause = input.by === 'platform_admin' ? 'Paid after an admin retry' : 'Every open invoice paid (Pay now)';
    outcomes = await chargeOpenInvoices(deps, input.organizationId, { at, trigger: input.by === 'platform_admin' ? 'admin_retry' : 'pay_now', actor: input.actor, settledCause });
    const failed = outcomes.find((o) => o.status === 'failed');
    failure = failed?.status === 'failed' ? failed.message : outcomes.some((o) => o.status === 'unknown') ? UNKNOWN : null;
  }
  const paidCents = outcomes.reduce((s, o) => s + (o.status === 'succeeded' ? o.amountCents : 0), 0);

  const result = await db.transaction(async (sql) => {
    await lockAccount(sql, input.organizationId);
    const after = await openBalanceOf(sql, input.organizationId);
    const current = await findBillingAccount(sql, input.organizationId);
    await recordAudit(sql, {
      organizationId: input.organizationId,
      actor: input.actor,
      action: 'billing.charge_retried',
      target: { type: 'organization', id: input.organizationId, label: org.name },
      before: { openInvoices: before.count, balanceDue: formatCents(before.owedCents) },
      after: { openInvoices: after.count, balanceDue: formatCents(after.owedCents), paid: formatCents(paidCents), ...(failure ? { failure } : {}) },
      at,
    });
    return { ok: true as const, outcomes, paidCents, failure, stillOpen: after.count, reactivated: account.status !== 'active' && current?.status === 'active' };
  });
  await deliverOutbox(deps);
  return result;
}
