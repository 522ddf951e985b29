import type { Deps } from '../../deps.ts';
import { addressLines } from './billing-details.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import type { User } from '../accounts/queries.ts';
import { findBillingAccount, setBillingDetails, type BillingDetails } from '../owners/queries/billing-accounts.ts';
import { lockAccount } from './charge.ts';

export type UpdateBillingDetailsResult = { ok: true; changed: string[] } | { ok: false; reason: 'no_account' | 'gateway_unavailable' };

/** Each detail as the audit log shows it, by its label. */
function readable(d: BillingDetails): Record<string, string> {
  return {
    'Billing email': d.email,
    'Billing name': d.name ?? '',
    Address: addressLines(d.address).join(', '),
    'Tax ID': d.taxId ?? '',
  };
}

/**
 * R9.14: an Administrator changes the billing email, name, address and tax
 * ID. The payment gateway's customer is updated first (Stripe mails its own
 * receipts to that email): if it cannot be reached nothing changes here and
 * the Administrator is told so. Then our copy, with an audit entry naming
 * what changed, before and after (R4.5). Invoices already issued keep the
 * details they were issued to; the next ones print the new ones.
 */
export async function updateBillingDetails(
  deps: Pick<Deps, 'db' | 'clock' | 'gateway'>,
  input: { organizationId: number; organizationName: string; details: BillingDetails; actor: User },
): Promise<UpdateBillingDetailsResult> {
  const { db, clock, gateway } = deps;
  const account = await findBillingAccount(db, input.organizationId);
  if (!account) return { ok: false, reason: 'no_account' };
  const before = readable(account.details);
  const after = readable(input.details);
  const changed = Object.keys(after).filter((k) => before[k] !== after[k]);
  if (changed.length === 0) return { ok: true, changed };
  try {
    await gateway.updateCustomer(account.customerRef, {
      email: input.details.email,
      name: input.details.name ?? input.organizationName,
      address: input.details.address,
      taxId: input.details.taxId,
    });
  } catch {
    return { ok: false, reason: 'gateway_unavailable' };
  }
  const now = clock.now();
  await db.transaction(async (trx) => {
    await lockAccount(trx, input.organizationId);
    await setBillingDetails(trx, input.organizationId, input.details, now);
    await recordAudit(trx, {
      organizationId: input.organizationId,
      actor: userActor(input.actor),
      action: 'billing.details_changed',
      target: { type: 'billing_details', label: input.details.email },
      before: Object.fromEntries(changed.map((k) => [k, before[k] || '—'])),
      after: Object.fromEntries(changed.map((k) => [k, after[k] || '—'])),
      at: now,
    });
  });
  return { ok: true, changed };
}
