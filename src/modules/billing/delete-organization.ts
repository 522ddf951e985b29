import type { Deps } from '../../deps.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { deleteDashboardsOf } from '../dashboards/queries.ts';
import { cancelPendingInvitations } from '../invitations/queries.ts';
import type { Organization } from '../organizations/queries.ts';
import { chargeInvoice, lockAccount, type ChargeOutcome } from './charge.ts';
import { accruedCharges, issueWithCredit } from './accrued-charges.ts';
import { findBillingAccount } from './queries.ts';
import { planInForce } from './renew.ts';

export type DeleteOrganizationResult =
  | { ok: true; finalInvoice: { id: number; number: string; amountDueCents: number } | null; charge: ChargeOutcome | null; refundedCents: number; refundFailedCents: number }
  | { ok: false; reason: 'name_mismatch' };

/**
 * R3.9, R9.9: deletes an organization's applications (with devices,
 * workflows, keys, payloads and counters) and dashboards, cancels pending
 * invitations and future billing, issues a final invoice for overage and
 * proration accrued since the last one (when there is any) and charges it,
 * and refunds a remaining credit balance to the card. Open invoices stay
 * collectible: the organization remains as a tombstone for billing.
 */
export async function deleteOrganization(
  deps: Pick<Deps, 'db' | 'clock' | 'gateway'>,
  input: { organization: Organization; actor: User; confirmName: string },
): Promise<DeleteOrganizationResult> {
  const { db, clock } = deps;
  if (input.confirmName.trim() !== input.organization.name) return { ok: false, reason: 'name_mismatch' };
  const orgId = input.organization.id;
  const now = clock.now();
  const outcome = await db.transaction(async (trx) => {
    await lockAccount(trx, orgId);
    const account = await findBillingAccount(trx, orgId);
    if (!account) throw new Error('no billing account');
    const period = { start: account.currentPeriodStart, end: now };
    const plan = await planInForce(trx, orgId, now);

    // The final invoice: overage of the period so far and the proration lines not yet billed.
    const accrued = await accruedCharges(trx, { organizationId: orgId, plan, usagePeriod: period, usagePeriodStart: account.currentPeriodStart });
    let credit = account.creditBalanceCents;
    let finalInvoice: { id: number; number: string; amountDueCents: number } | null = null;
    if (accrued.lines.length) {
      const issued = await issueWithCredit(trx, {
        organizationId: orgId,
        numberPrefix: input.organization.slug,
        kind: 'final',
        issuedAt: now,
        period,
        lines: accrued.lines,
        creditBalanceCents: credit,
        accrued,
        usagePeriod: period,
        ledgerNoun: 'final invoice',
      });
      credit = issued.creditBalanceCents;
      finalInvoice = { id: issued.invoice.id, number: issued.invoice.number, amountDueCents: issued.invoice.amountDueCents };
    }

    // Resources and everything in them; counters go too (the final invoice above is their record).
    const appIds = (await trx('applications').where({ owner_type: 'organization', owner_id: orgId }).select('id')).map((r: { id: number }) => r.id);
    if (appIds.length) {
      await trx('payloads').whereIn('application_id', appIds).delete();
      await trx('resource_roles').where({ resource_type: 'application' }).whereIn('resource_id', appIds).delete();
      await trx('applications').whereIn('id', appIds).delete();
    }
    await trx('usage_counters').where({ owner_type: 'organization', owner_id: orgId }).delete();
    await trx('usage_daily').where({ owner_type: 'organization', owner_id: orgId }).delete();
    const dashboards = await deleteDashboardsOf(trx, { kind: 'organization', organizationId: orgId });
    const invitations = await cancelPendingInvitations(trx, orgId, now);
    await trx('organizations').where({ id: orgId }).update({ deleted_at: now.getTime() });
    await trx('billing_accounts').where({ organization_id: orgId }).update({ credit_balance_cents: credit, updated_at: now.getTime() });
    await recordAudit(trx, {
      organizationId: orgId,
      actor: userActor(input.actor),
      action: 'organization.deleted',
      target: { type: 'organization', id: orgId, label: input.organization.name },
      after: { applications: appIds.length, dashboards, invitationsCancelled: invitations, finalInvoice: finalInvoice?.number ?? null, creditToRefund: credit },
      at: now,
    });
    return { finalInvoice, credit };
  });

  const charge = outcome.finalInvoice && outcome.finalInvoice.amountDueCents > 0 ? await chargeInvoice(deps, outcome.finalInvoice.id) : null;
  const refund = await refundCredit(deps, orgId, outcome.credit);
  return { ok: true, finalInvoice: outcome.finalInvoice, charge, ...refund };
}

/** Refunds a credit balance to the card, against the newest successful charges first (R3.9). */
async function refundCredit(deps: Pick<Deps, 'db' | 'clock' | 'gateway'>, organizationId: number, amount: number) {
  const { db, clock, gateway } = deps;
  let remaining = amount;
  let refunded = 0;
  if (remaining <= 0) return { refundedCents: 0, refundFailedCents: 0 };
  const charges = await db('payment_attempts').where({ organization_id: organizationId, status: 'succeeded' }).whereNotNull('charge_ref').orderBy('id', 'desc');
  for (const c of charges) {
    if (remaining <= 0) break;
    const already = Number((await db('credit_ledger').where({ organization_id: organizationId }).andWhere('reason', 'like', `Refunded to card (charge ${c.id})%`).sum({ n: 'amount_cents' }).first())?.n ?? 0);
    const room = Number(c.amount_cents) + already; // already is ≤ 0
    const part = Math.min(remaining, room);
    if (part <= 0) continue;
    const result = await gateway.refund({ chargeRef: c.charge_ref, amountCents: part, idempotencyKey: `refund-credit-${organizationId}-${c.id}`, reason: 'Credit balance refunded on deletion' }).catch(() => null);
    if (!result?.ok) continue;
    await db.transaction(async (trx) => {
      await trx('credit_ledger').insert({ organization_id: organizationId, amount_cents: -part, reason: `Refunded to card (charge ${c.id})`, created_at: clock.now().getTime() });
      await trx('billing_accounts').where({ organization_id: organizationId }).update({ credit_balance_cents: trx.raw('credit_balance_cents - ?', [part]) });
    });
    remaining -= part;
    refunded += part;
  }
  return { refundedCents: refunded, refundFailedCents: remaining };
}
