import type { Deps } from '../../deps.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { deleteDashboardsOf } from '../dashboards/queries.ts';
import { cancelPendingInvitations } from '../invitations/queries.ts';
import type { Organization } from '../organizations/queries.ts';
import { chargeInvoice, lockAccount, type ChargeOutcome } from './charge.ts';
import { issueInvoice, type InvoiceLineInput } from './invoices.ts';
import { describePeriod } from './open-subscription.ts';
import { overageCents } from './proration.ts';
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
  const { db, clock, gateway } = deps;
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
    const usage = await trx('usage_counters').where({ owner_type: 'organization', owner_id: orgId, period_start: account.currentPeriodStart.getTime() }).select('application_id', 'application_name', 'payloads');
    const payloads = usage.reduce((s: number, u: { payloads: number }) => s + Number(u.payloads), 0);
    const lines: InvoiceLineInput[] = [];
    const overage = overageCents(payloads, plan.limits.payloadsPerMonth, plan.overageCentsPerMillion);
    if (overage.over > 0 && plan.overageCentsPerMillion !== null) {
      lines.push({
        kind: 'overage',
        description: `Overage: ${overage.over.toLocaleString('en-US')} payloads over the ${plan.limits.payloadsPerMonth.toLocaleString('en-US')} of ${plan.name}, ${describePeriod(period.start, period.end)}`,
        quantity: overage.over,
        unitPriceCents: plan.overageCentsPerMillion,
        amountCents: overage.cents,
        periodStart: period.start,
        periodEnd: period.end,
      });
    }
    const pending = await trx('pending_invoice_lines').where({ organization_id: orgId }).whereNull('invoice_id').orderBy('id');
    for (const p of pending) {
      lines.push({ kind: p.kind, description: p.description, quantity: Number(p.quantity), unitPriceCents: Number(p.unit_price_cents), amountCents: Number(p.amount_cents) });
    }
    let credit = account.creditBalanceCents;
    let finalInvoice: { id: number; number: string; amountDueCents: number } | null = null;
    if (lines.length) {
      const subtotal = lines.reduce((s, l) => s + l.amountCents, 0);
      const applied = subtotal > 0 ? Math.min(credit, subtotal) : 0;
      const invoice = await issueInvoice(trx, {
        organizationId: orgId,
        numberPrefix: input.organization.slug,
        kind: 'final',
        issuedAt: now,
        periodStart: period.start,
        periodEnd: period.end,
        lines: subtotal < 0 ? [...lines, { kind: 'credit_balance', description: 'Net credit moved to your credit balance', quantity: 1, unitPriceCents: -subtotal, amountCents: -subtotal }] : lines,
        creditAppliedCents: applied,
      });
      if (usage.length) {
        await trx('invoice_usage').insert(
          usage.map((u: { application_id: number; application_name: string; payloads: number }) => ({
            invoice_id: invoice.id,
            application_id: u.application_id,
            application_name: u.application_name,
            payloads: u.payloads,
            usage_period_start: period.start.getTime(),
            usage_period_end: period.end.getTime(),
          })),
        );
      }
      await trx('pending_invoice_lines').whereIn('id', pending.map((p: { id: number }) => p.id)).update({ invoice_id: invoice.id });
      if (applied) await trx('credit_ledger').insert({ organization_id: orgId, amount_cents: -applied, reason: `Applied to final invoice ${invoice.number}`, invoice_id: invoice.id, created_at: now.getTime() });
      if (subtotal < 0) await trx('credit_ledger').insert({ organization_id: orgId, amount_cents: -subtotal, reason: `Net credit of final invoice ${invoice.number}`, invoice_id: invoice.id, created_at: now.getTime() });
      credit = credit - applied + (subtotal < 0 ? -subtotal : 0);
      finalInvoice = { id: invoice.id, number: invoice.number, amountDueCents: invoice.amountDueCents };
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
