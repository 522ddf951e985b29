import type { Deps } from '../../deps.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import type { CardSetupInput, Failure } from './gateway/types.ts';
import { lockAccount } from './charge.ts';
import { findBillingAccount, setCardOnFile } from '../owners/queries/billing-accounts.ts';
import { reactivate, type ReactivationResult } from './reactivate.ts';

export type ReplaceCardResult =
  | { ok: true; card: { brand: string; last4: string }; reactivation: ReactivationResult | null }
  | { ok: false; failure: Failure };

/**
 * R9.6: an Administrator replaces the card on file through the gateway; a
 * card that fails to save leaves the old one in place. On an Unpaid
 * organization the new card pays what is owed at once (R9.8); on a Past Due
 * one it is used at the next retry (R9.7).
 */
export async function replaceCard(deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>, input: { organizationId: number; actor: User; card: CardSetupInput }): Promise<ReplaceCardResult> {
  const { db, clock, gateway } = deps;
  const account = await findBillingAccount(db, input.organizationId);
  if (!account) throw new Error('no billing account');
  const saved = await gateway.saveCard(account.customerRef, input.card);
  if (!saved.ok) return { ok: false, failure: saved.failure };
  const before = account.card ? `${account.card.brand} •••• ${account.card.last4}` : null;
  await db.transaction(async (trx) => {
    await lockAccount(trx, input.organizationId);
    await setCardOnFile(trx, input.organizationId, saved.card, clock.now());
    await recordAudit(trx, {
      organizationId: input.organizationId,
      actor: userActor(input.actor),
      action: 'billing.payment_method_changed',
      target: { type: 'payment_method', label: `${saved.card.brand} •••• ${saved.card.last4}` },
      before: { card: before },
      after: { card: `${saved.card.brand} •••• ${saved.card.last4}`, expires: `${String(saved.card.expMonth).padStart(2, '0')}/${saved.card.expYear}` },
      at: clock.now(),
    });
  });
  const reactivation =
    account.status === 'unpaid'
      ? await reactivate(deps, input.organizationId, { actor: userActor(input.actor), at: clock.now(), cause: 'Reactivated: every open invoice paid with a new card' })
      : null;
  return { ok: true, card: { brand: saved.card.brand, last4: saved.card.last4 }, reactivation };
}
