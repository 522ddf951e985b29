import type { Deps } from '../../deps.ts';
import { formatCents } from '../../money.ts';
import { recordAudit, type AuditActor } from '../audit/record.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';
import { lockAccount } from './charge.ts';
import { addToCreditBalance, findBillingAccount } from '../owners/queries/billing-accounts.ts';
import { addCreditLedgerEntry } from './queries/credit.ts';

export type GrantCreditResult = { ok: true; balanceCents: number } | { ok: false; reason: 'not_found' | 'deleted' };

/**
 * R11.2: a platform admin adds to an organization's credit balance, with its ledger row and
 * audit entry, in one transaction. The balance is applied first on the next
 * invoice issued (R9.3); it does not pay invoices already open.
 */
export async function grantCredit(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { organizationId: number; amountCents: number; reason: string; actor: AuditActor },
): Promise<GrantCreditResult> {
  if (!Number.isSafeInteger(input.amountCents) || input.amountCents <= 0) throw new RangeError('a credit is a positive number of cents');
  const { db, clock } = deps;
  const now = clock.now();
  return db.transaction(async (trx) => {
    const org = await findOrganizationById(trx, input.organizationId);
    if (!org) return { ok: false, reason: 'not_found' } as const;
    if (org.deletedAt) return { ok: false, reason: 'deleted' } as const;
    await lockAccount(trx, org.id);
    const account = await findBillingAccount(trx, org.id);
    if (!account) return { ok: false, reason: 'not_found' } as const;
    const balanceCents = account.creditBalanceCents + input.amountCents;
    await addToCreditBalance(trx, org.id, input.amountCents, now);
    await addCreditLedgerEntry(trx, { organizationId: org.id, amountCents: input.amountCents, reason: input.reason.slice(0, 500), actorUserId: input.actor.userId, at: now });
    await recordAudit(trx, {
      organizationId: org.id,
      actor: input.actor,
      action: 'billing.credit_granted',
      target: { type: 'organization', id: org.id, label: org.name },
      before: { creditBalance: formatCents(account.creditBalanceCents) },
      after: { creditBalance: formatCents(balanceCents), granted: formatCents(input.amountCents), reason: input.reason },
      at: now,
    });
    return { ok: true, balanceCents } as const;
  });
}
