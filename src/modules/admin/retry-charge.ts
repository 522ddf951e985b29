import type { Deps } from '../../deps.ts';
import { formatCents } from '../../money.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit } from '../audit/record.ts';
import { lockAccount, type ChargeOutcome } from '../billing/charge.ts';
import { findBillingAccount } from '../billing/queries.ts';
import { reactivate } from '../billing/reactivate.ts';
import { chargeOpenInvoices } from '../billing/renew.ts';
import { transition } from '../billing/status.ts';
import { findOrganizationById } from '../organizations/queries.ts';
import { adminActor } from './events.ts';
import { openInvoiceSummary } from './queries.ts';

export type RetryChargeResult =
  | { ok: true; outcomes: ChargeOutcome[]; paidCents: number; failure: string | null; stillOpen: number; reactivated: boolean }
  | { ok: false; reason: 'not_found' | 'nothing_open' | 'no_card' };

const UNKNOWN = 'The payment gateway did not answer; the attempt will be settled by the next scheduler pass.';

/**
 * R11.2: charges every open invoice now, oldest first, with the card on file,
 * through the billing engine's own path (attempts recorded first, receipts
 * and failure emails sent). When nothing is left open a Past Due
 * organization is Active again. An Unpaid one is reactivated instead (R9.8):
 * its open invoices, then a new billing period starting now — so the months
 * it spent Unpaid are never billed by a later renewal pass. Audited on the
 * organization with the admin as actor.
 */
export async function retryCharge(
  deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>,
  input: { organizationId: number; admin: User },
): Promise<RetryChargeResult> {
  const { db, clock } = deps;
  const org = await findOrganizationById(db, input.organizationId);
  const account = org ? await findBillingAccount(db, org.id) : undefined;
  if (!org || !account) return { ok: false, reason: 'not_found' };
  const before = await openInvoiceSummary(db, org.id);
  const reactivating = account.status === 'unpaid' && !org.deletedAt;
  if (before.count === 0 && !reactivating) return { ok: false, reason: 'nothing_open' };
  if (!account.card) return { ok: false, reason: 'no_card' };

  const now = clock.now();
  const actor = adminActor(input.admin);
  let outcomes: ChargeOutcome[];
  let failure: string | null;
  let reactivated = false;
  if (reactivating) {
    const r = await reactivate(deps, org.id, input.admin);
    outcomes = r.charged;
    failure = r.ok ? null : `Invoice ${r.failed.invoiceNumber}: ${r.failed.message}`;
    reactivated = r.ok;
  } else {
    outcomes = await chargeOpenInvoices(deps, org.id, now);
    const failed = outcomes.find((o) => o.status === 'failed');
    failure = failed?.status === 'failed' ? failed.message : outcomes.some((o) => o.status === 'unknown') ? UNKNOWN : null;
  }
  const paidCents = outcomes.reduce((s, o) => s + (o.status === 'succeeded' ? o.amountCents : 0), 0);

  return db.transaction(async (trx) => {
    await lockAccount(trx, org.id);
    const after = await openInvoiceSummary(trx, org.id);
    const current = await findBillingAccount(trx, org.id);
    await recordAudit(trx, {
      organizationId: org.id,
      actor,
      action: 'billing.charge_retried',
      target: { type: 'organization', id: org.id, label: org.name },
      before: { openInvoices: before.count, balanceDue: formatCents(before.balanceDueCents) },
      after: { openInvoices: after.count, balanceDue: formatCents(after.balanceDueCents), paid: formatCents(paidCents), ...(failure ? { failure } : {}) },
      at: now,
    });
    if (!reactivating && after.count === 0 && current?.status === 'past_due') {
      reactivated = await transition(trx, { organizationId: org.id, to: 'active', cause: 'Paid after an admin retry', at: now, actor });
    }
    return { ok: true, outcomes, paidCents, failure, stillOpen: after.count, reactivated } as const;
  });
}
