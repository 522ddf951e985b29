import type { Deps } from '../../deps.ts';
import { insertRows, type Sql } from '../../db/sql.ts';
import { deliverOutbox, lockAccount } from './charge.ts';
import { billingMailContext, cardPhrase, refundMail } from './emails.ts';
import type { RefundRequest, RefundResult } from './gateway/types.ts';

type RefundDeps = Pick<Deps, 'db' | 'gateway' | 'mailer' | 'config'>;

interface RefundRow {
  id: number;
  organization_id: number;
  payment_attempt_id: number;
  charge_ref: string;
  card_brand: string | null;
  card_last4: string | null;
  amount_cents: number;
  idempotency_key: string;
  status: 'pending' | 'succeeded' | 'failed';
}

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
  const charges = await sql.rows<{ id: number; amount_cents: number; charge_ref: string; card_brand: string | null; card_last4: string | null; refunded: number | string | null; failed: number | string }>(
    `SELECT a.id, a.amount_cents, a.charge_ref, a.card_brand, a.card_last4,
       (SELECT SUM(r.amount_cents) FROM credit_refunds r WHERE r.payment_attempt_id = a.id AND r.status <> 'failed') AS refunded,
       (SELECT COUNT(*) FROM credit_refunds r WHERE r.payment_attempt_id = a.id AND r.status = 'failed') AS failed
     FROM payment_attempts a
     WHERE a.organization_id = ? AND a.status = 'succeeded' AND a.charge_ref IS NOT NULL
     ORDER BY a.id DESC`,
    [input.organizationId],
  );
  for (const c of charges) {
    if (remaining <= 0) break;
    if (Number(c.failed) > 0) continue;
    const part = Math.min(remaining, Number(c.amount_cents) - Number(c.refunded ?? 0));
    if (part <= 0) continue;
    await insertRows(sql, 'credit_refunds', [
      {
        organization_id: input.organizationId,
        payment_attempt_id: c.id,
        charge_ref: c.charge_ref,
        card_brand: c.card_brand,
        card_last4: c.card_last4,
        amount_cents: part,
        idempotency_key: `refund-credit-${input.organizationId}-${c.id}`,
        status: 'pending',
        created_at: input.at.getTime(),
      },
    ]);
    remaining -= part;
  }
  return remaining;
}

/** The gateway request of a refund: the first call and any resend build it here, so a key is never replayed with other parameters. */
const refundRequestFor = (r: RefundRow): RefundRequest => ({ chargeRef: r.charge_ref, amountCents: Number(r.amount_cents), idempotencyKey: r.idempotency_key, reason: REFUND_REASON });

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
    const pending = (await deps.db.rows<RefundRow>("SELECT * FROM credit_refunds WHERE organization_id = ? AND status = 'pending' ORDER BY id", [organizationId])).filter(
      (r) => !unanswered.has(Number(r.id)),
    );
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
  const left = await deps.db.first<{ n: number | null }>("SELECT SUM(amount_cents) AS n FROM credit_refunds WHERE organization_id = ? AND status = 'pending'", [organizationId]);
  await deliverOutbox(deps);
  return { refundedCents, pendingCents: Number(left?.n ?? 0) };
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
    const found = await sql.first<RefundRow>('SELECT * FROM credit_refunds WHERE idempotency_key = ?', [key]);
    if (!found || found.status !== 'pending') return false;
    await lockAccount(sql, Number(found.organization_id));
    const updated = await sql.run("UPDATE credit_refunds SET status = ?, refund_ref = ?, failure_message = ?, completed_at = ? WHERE id = ? AND status = 'pending'", [
      result.ok ? 'succeeded' : 'failed',
      result.ok ? result.refundRef : null,
      result.ok ? null : result.failure.message.slice(0, 500),
      at.getTime(),
      found.id,
    ]);
    if (updated !== 1) return false;
    const organizationId = Number(found.organization_id);
    const amount = Number(found.amount_cents);
    if (!result.ok) {
      await planCreditRefunds(sql, { organizationId, amountCents: amount, at });
      return true;
    }
    await insertRows(sql, 'credit_ledger', [
      { organization_id: organizationId, amount_cents: -amount, reason: `Refunded to card (charge ${found.payment_attempt_id})`, created_at: at.getTime() },
    ]);
    await sql.run('UPDATE billing_accounts SET credit_balance_cents = credit_balance_cents - ?, updated_at = ? WHERE organization_id = ?', [amount, at.getTime(), organizationId]);
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
  const stale = await deps.db.rows<RefundRow>("SELECT * FROM credit_refunds WHERE status = 'pending' AND created_at < ? ORDER BY id", [olderThan.getTime()]);
  let settled = 0;
  for (const refund of stale) {
    const result = await deps.gateway.refund(refundRequestFor(refund)).catch(() => null);
    if (result && (await recordRefundOutcome(deps, refund.idempotency_key, result, at))) settled++;
  }
  if (settled) await deliverOutbox(deps);
  return settled;
}
