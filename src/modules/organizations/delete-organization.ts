import type { Sql } from '../../db/sql.ts';
import { formatCents } from '../../money.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { deleteDashboardsOf } from '../dashboards/queries.ts';
import { cancelPendingInvitations } from '../invitations/queries.ts';
import { applicationIdsOf, deleteApplications } from '../applications/queries.ts';
import { deleteResourceRolesOn } from '../tenancy/queries/memberships.ts';
import { markOrganizationDeleted, type Organization } from '../tenancy/queries/organizations.ts';
import { deletePayloadsOfApplications, deleteUsageOf } from '../usage/queries.ts';
import { chargeInvoice, deliverOutbox, lockAccount, type ChargeDeps, type ChargeOutcome } from '../billing/charge.ts';
import { accruedCharges, creditMovement, issueWithCredit, type AccruedCharges } from '../billing/accrued-charges.ts';
import { findBillingAccount, setCreditBalance, type BillingAccount } from '../owners/queries/billing-accounts.ts';
import { planCreditRefunds, sendPendingRefunds } from '../billing/refund-credit.ts';
import { planInForce } from '../billing/plan-in-force.ts';
import { openBalanceOf } from '../billing/queries/invoices.ts';


export type DeleteOrganizationResult =
  | {
      ok: true;
      finalInvoice: { id: number; number: string; amountDueCents: number } | null;
      charge: ChargeOutcome | null;
      /** Credit refunded to the card now. */
      refundedCents: number;
      /** Credit whose refund the gateway has not answered yet: the scheduler settles it (R9.13). */
      refundPendingCents: number;
      /** Credit that could not be refunded (no charge left to refund it against, or every refund refused). */
      refundFailedCents: number;
    }
  | { ok: false; reason: 'name_mismatch' };

/** What deleting now would bill and refund (R9.15), computed as the deletion computes it. */
export interface DeletionPreview {
  /** The final invoice's lines (overage so far, proration not billed yet); empty when there is none. */
  finalLines: AccruedCharges['lines'];
  /** Its subtotal, the credit balance applied to it, and what would be charged to the card. */
  finalSubtotalCents: number;
  finalCreditAppliedCents: number;
  finalAmountDueCents: number;
  /** The credit balance refunded to the card after the final invoice. */
  refundCents: number;
  /** Open invoices that stay due after deletion (R3.9). */
  openInvoices: number;
  openBalanceCents: number;
}

async function finalCharges(trx: Sql, account: BillingAccount, at: Date) {
  const period = { start: account.currentPeriodStart, end: at };
  const plan = await planInForce(trx, account.organizationId, at);
  const accrued = await accruedCharges(trx, { organizationId: account.organizationId, plan, usagePeriod: period, usagePeriodStart: account.currentPeriodStart });
  return { period, accrued };
}

/** R9.15: the final invoice's amount and the refund, before the Administrator confirms. */
export async function previewDeletion(db: Sql, organizationId: number, at: Date): Promise<DeletionPreview> {
  const account = await findBillingAccount(db, organizationId);
  if (!account) throw new Error('no billing account');
  const { accrued } = await finalCharges(db, account, at);
  const subtotal = accrued.lines.reduce((s, l) => s + l.amountCents, 0);
  const movement = accrued.lines.length ? creditMovement(subtotal, account.creditBalanceCents) : { appliedCents: 0, netCreditCents: 0, balanceAfterCents: account.creditBalanceCents };
  const open = await openBalanceOf(db, organizationId);
  return {
    finalLines: accrued.lines,
    finalSubtotalCents: subtotal,
    finalCreditAppliedCents: movement.appliedCents,
    finalAmountDueCents: accrued.lines.length ? Math.max(0, subtotal - movement.appliedCents) : 0,
    refundCents: Math.max(0, movement.balanceAfterCents),
    openInvoices: open.count,
    openBalanceCents: open.owedCents,
  };
}

/**
 * R3.9, R9.9: deletes an organization's applications (with devices,
 * workflows, keys, payloads and counters) and dashboards, cancels pending
 * invitations and future billing, issues a final invoice for overage and
 * proration accrued since the last one (when there is any) and charges it
 * (with its receipt, R9.12), and refunds a remaining credit balance to the
 * card (with a refund notice): the refunds are recorded, pending, in the
 * deletion's transaction and sent afterwards (refund-credit.ts, R9.13). Open invoices stay collectible: the
 * organization remains as a tombstone for billing, and its former
 * Administrators keep reading its invoices (R9.14).
 */
export async function deleteOrganization(deps: ChargeDeps, input: { organization: Organization; actor: User; confirmName: string }): Promise<DeleteOrganizationResult> {
  const { db, clock } = deps;
  if (input.confirmName.trim() !== input.organization.name) return { ok: false, reason: 'name_mismatch' };
  const orgId = input.organization.id;
  const now = clock.now();
  const outcome = await db.transaction(async (trx) => {
    await lockAccount(trx, orgId);
    const account = await findBillingAccount(trx, orgId);
    if (!account) throw new Error('no billing account');
    // The final invoice: overage of the period so far and the proration lines not yet billed.
    const { period, accrued } = await finalCharges(trx, account, now);
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
        billedTo: { ...account.details, organizationName: input.organization.name },
      });
      credit = issued.creditBalanceCents;
      finalInvoice = { id: issued.invoice.id, number: issued.invoice.number, amountDueCents: issued.invoice.amountDueCents };
    }

    // Resources and everything in them; counters go too (the final invoice above is their record).
    const owner = { kind: 'organization', organizationId: orgId } as const;
    const appIds = await applicationIdsOf(trx, owner);
    await deletePayloadsOfApplications(trx, appIds);
    await deleteResourceRolesOn(trx, 'application', appIds);
    await deleteApplications(trx, appIds);
    await deleteUsageOf(trx, owner);
    const dashboards = await deleteDashboardsOf(trx, owner);
    const invitations = await cancelPendingInvitations(trx, orgId, now);
    await markOrganizationDeleted(trx, orgId, now);
    await setCreditBalance(trx, orgId, credit, now);
    // The refund of the credit balance, recorded before the gateway hears of it (R9.13).
    await planCreditRefunds(trx, { organizationId: orgId, amountCents: credit, at: now });
    await recordAudit(trx, {
      organizationId: orgId,
      actor: userActor(input.actor),
      action: 'organization.deleted',
      target: { type: 'organization', id: orgId, label: input.organization.name },
      after: { applications: appIds.length, dashboards, invitationsCancelled: invitations, finalInvoice: finalInvoice?.number ?? null, creditToRefund: formatCents(Math.max(0, credit)) },
      at: now,
    });
    return { finalInvoice, credit };
  });

  const charge = outcome.finalInvoice && outcome.finalInvoice.amountDueCents > 0 ? await chargeInvoice(deps, outcome.finalInvoice.id, { at: now, trigger: 'final', actor: userActor(input.actor) }) : null;
  const refund = await sendPendingRefunds(deps, orgId, now);
  await deliverOutbox(deps);
  const toRefund = Math.max(0, outcome.credit);
  return {
    ok: true,
    finalInvoice: outcome.finalInvoice,
    charge,
    refundedCents: refund.refundedCents,
    refundPendingCents: refund.pendingCents,
    refundFailedCents: toRefund - refund.refundedCents - refund.pendingCents,
  };
}
