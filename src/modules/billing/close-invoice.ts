import { formatCents } from '../../money.ts';
import { recordAudit, type AuditActor } from '../audit/record.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';
import { deliverOutbox, lockAccount, type ChargeDeps } from './charge.ts';
import { findBillingAccount } from '../owners/queries/billing-accounts.ts';
import { hasPendingAttempt } from './queries/attempts.ts';
import { closeOpenInvoice, findInvoiceOfOrganization, hasOpenInvoice } from './queries/invoices.ts';
import { describeReactivationFailure, reactivate } from './reactivate.ts';
import { transition } from './status.ts';

export type InvoiceClosing = 'void' | 'uncollectible';

export type CloseInvoiceResult =
  | { ok: true; invoiceNumber: string; reactivated: boolean; reactivationFailure: string | null }
  | { ok: false; reason: 'not_found' | 'not_open' | 'charge_in_flight' };

const ACTIONS: Record<InvoiceClosing, string> = { void: 'billing.invoice_voided', uncollectible: 'billing.invoice_marked_uncollectible' };
const CAUSES: Record<InvoiceClosing, string> = { void: 'voided', uncollectible: 'marked uncollectible' };

/**
 * R11.2: a platform admin voids an open invoice or marks it uncollectible.
 * If it was the last open one, a Past Due organization is Active again
 * (R9.7); an Unpaid one is reactivated (R9.8: on its original anchor, the
 * rest of the current period billed if no invoice covers it; if that charge
 * fails it stays Unpaid). An invoice with a charge in flight is left alone:
 * its outcome could still pay it.
 */
export async function closeInvoice(
  deps: ChargeDeps,
  input: { organizationId: number; invoiceId: number; to: InvoiceClosing; actor: AuditActor },
): Promise<CloseInvoiceResult> {
  const { db, clock } = deps;
  const now = clock.now();
  const actor = input.actor;
  const closed = await db.transaction(async (trx) => {
    const org = await findOrganizationById(trx, input.organizationId);
    if (!org) return { ok: false, reason: 'not_found' } as const;
    await lockAccount(trx, org.id);
    const invoice = await findInvoiceOfOrganization(trx, org.id, input.invoiceId);
    if (!invoice) return { ok: false, reason: 'not_found' } as const;
    if (invoice.status !== 'open') return { ok: false, reason: 'not_open' } as const;
    if (await hasPendingAttempt(trx, invoice.id)) return { ok: false, reason: 'charge_in_flight' } as const;
    if (!(await closeOpenInvoice(trx, invoice.id, input.to))) return { ok: false, reason: 'not_open' } as const;
    const due = invoice.amountDueCents - invoice.amountPaidCents;
    await recordAudit(trx, {
      organizationId: org.id,
      actor,
      action: ACTIONS[input.to],
      target: { type: 'invoice', id: invoice.id, label: String(invoice.number) },
      before: { status: 'open', outstanding: formatCents(due) },
      after: { status: input.to },
      at: now,
    });
    const stillOpen = await hasOpenInvoice(trx, org.id);
    const account = await findBillingAccount(trx, org.id);
    let reactivated = false;
    if (!stillOpen && account?.status === 'past_due') {
      reactivated = await transition(trx, {
        organizationId: org.id,
        to: 'active',
        cause: `Invoice ${String(invoice.number)} ${CAUSES[input.to]} by a platform admin; no invoice left open`,
        at: now,
        actor,
      });
    }
    const needsReactivation = !stillOpen && account?.status === 'unpaid' && !org.deletedAt;
    return { ok: true, invoiceNumber: String(invoice.number), reactivated, needsReactivation } as const;
  });
  if (!closed.ok) return closed;
  if (!closed.needsReactivation) return { ok: true, invoiceNumber: closed.invoiceNumber, reactivated: closed.reactivated, reactivationFailure: null };
  // Outside the transaction: reactivation calls the payment gateway.
  const r = await reactivate(deps, input.organizationId, { actor, at: now, cause: `Reactivated: invoice ${closed.invoiceNumber} ${CAUSES[input.to]} by a platform admin, nothing left open` });
  await deliverOutbox(deps);
  return {
    ok: true,
    invoiceNumber: closed.invoiceNumber,
    reactivated: r.ok,
    reactivationFailure: r.ok ? null : describeReactivationFailure(r.failed),
  };
}
