import type { Deps } from '../../deps.ts';
import type { Sql } from '../../db/sql.ts';
import { addToCreditBalance } from '../owners/queries/billing-accounts.ts';
import { deliverOutbox, lockAccount } from './charge.ts';
import { billingMailContext, cardPhrase, refundMail } from './emails.ts';
import type { RefundRequest, RefundResult } from './gateway/types.ts';
import { addCreditLedgerEntry } from './queries/credit.ts';
import {
  insertPendingRefund,
  pendingRefundCentsOf,
  pendingRefundsOf,
  recordRefundResult,
  refundableChargesOf,
  refundByKey,
  stalePendingRefunds,
  type CreditRefundRow,
} from './queries/refunds.ts';

type RefundDeps = Pick<Deps, 'db' | 'gateway' | 'mailer' | 'config'>;

const REFUND_REASON = 'Credit balance refunded on deletion';

/**
 * R3.9, R9.13: plans the refund of `amountCents` of credit balance to the
 * card, inside the caller's transaction (the deletion's): pending refunds
 * against the organization's successful charges, newest first, each within
 * what is left of its charge and with the idempotency key the gateway will
 * see. Charges whose refund already failed are skipped. Answers the cents it
 * could not place (no charge left to refund them against).
 */
export async function planCreditRefunds(sql: Sql, input: { organizationId: number; amountCents: number; at: Date }): Promise<number> {
  let remaining = input.amountCents;
  if (remaining <= 0) return 0;
  const charges = await refundableChargesOf(sql, input.organizationId);
  for (const c of charges) {
    if (remaining <= 0) break;
    if (c.refundFailed) continue;
    const part = Math.min(remaining, c.amountCents - c.refundedCents);
    if (part <= 0) continue;
    await insertPendingRefund(sql, { organizationId: input.organizationId, charge: c, amountCents: part, idempotencyKey: `refund-credit-${input.organizationId}-${c.id}`, at: input.at });
    remaining -= part;
  }
  return remaining;
}

/** The gateway request of a refund: the first call and any resend build it here, so a key is never replayed with other parameters. */
const refundRequestFor = (r: CreditRefundRow): RefundRequest => ({ chargeRef: r.charge_ref, amountCents: Number(r.amount_cents), idempotencyKey: r.idempotency_key, reason: REFUND_REASON });

/**
 * Sends the organization's pending refunds to the gateway and records each
 * outcome. A refund the gateway refuses is placed on the next charge with
 * room, as a new pending refund; one whose answer is lost stays pending for
 * the settle job. Answers what was refunded now and what is still pending.
 */
export async function sendPendingRefunds(deps: RefundDeps, organizationId: number, at: Date): Promise<{ refundedCents: number; pendingCents: number }> {
  let refundedCents = 0;
  const unanswered = new Set<number>();
  for (;;) {
    const pending = (await pendingRefundsOf(deps.db, organizationId)).filter((r) => !unanswered.has(Number(r.id)));
    if (!pending.length) break;
    for (const refund of pending) {
      const result = await deps.gateway.refund(refundRequestFor(refund)).catch(() => null);
      if (!result) {
        unanswered.add(Number(refund.id));
        continue;
      }
      if ((await recordRefundOutcome(deps, refund.idempotency_key, result, at)) && result.ok) refundedCents += Number(refund.amount_cents);
    }
  }
  const pendingCents = await pendingRefundCentsOf(deps.db, organizationId);
  await deliverOutbox(deps);
  return { refundedCents, pendingCents };
}

/**
 * Writes a refund's outcome and, in the same transaction, what it causes
 * (R9.12): on success the ledger entry, the lower credit balance and the
 * refund notice; on a refusal the amount placed on the next charge with room.
 * Only a pending refund is written, so each outcome counts once, whoever
 * learns it (the deletion's request, the settle job, two instances at once).
 */
async function recordRefundOutcome(deps: Pick<Deps, 'db' | 'mailer' | 'config'>, key: string, result: RefundResult, at: Date): Promise<boolean> {
  return deps.db.transaction(async (sql) => {
    const found = await refundByKey(sql, key);
    if (!found || found.status !== 'pending') return false;
    await lockAccount(sql, Number(found.organization_id));
    if (!(await recordRefundResult(sql, found.id, result, at))) return false;
    const organizationId = Number(found.organization_id);
    const amount = Number(found.amount_cents);
    if (!result.ok) {
      await planCreditRefunds(sql, { organizationId, amountCents: amount, at });
      return true;
    }
    await addCreditLedgerEntry(sql, { organizationId, amountCents: -amount, reason: `Refunded to card (charge ${found.payment_attempt_id})`, at });
    await addToCreditBalance(sql, organizationId, -amount, at);
    const mailCtx = await billingMailContext(sql, deps.config, organizationId);
    if (mailCtx) await deps.mailer.enqueue(sql, refundMail(mailCtx, { amountCents: amount, card: cardPhrase(found.card_brand, found.card_last4), refundedAt: at }), at);
    return true;
  });
}

/**
 * R9.13: refunds a crash or a lost answer left pending are sent again with
 * their own key and parameters — the gateway answers with the refund it made,
 * or makes it now — and their outcome recorded at the pass's instant.
 */
export async function settlePendingRefunds(deps: RefundDeps, at: Date, olderThan: Date): Promise<number> {
  const stale = await stalePendingRefunds(deps.db, olderThan);
  let settled = 0;
  for (const refund of stale) {
    const result = await deps.gateway.refund(refundRequestFor(refund)).catch(() => null);
    if (result && (await recordRefundOutcome(deps, refund.idempotency_key, result, at))) settled++;
  }
  if (settled) await deliverOutbox(deps);
  return settled;
}
