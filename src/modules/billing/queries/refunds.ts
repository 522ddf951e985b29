import { insertRows } from '../../../db/sql.ts';
import type { Sql } from '../../../db/sql.ts';
import type { RefundResult } from '../gateway/types.ts';

/**
 * Refunds of credit balance to the card on deletion (R3.9, R9.13): each
 * planned against one successful charge, committed as pending with its
 * idempotency key before the gateway hears of it, then written with its
 * outcome exactly once.
 */

export interface CreditRefundRow {
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

/** A successful charge a refund can be placed on, with what is already refunded of it. */
export interface RefundableCharge {
  id: number;
  amountCents: number;
  chargeRef: string;
  cardBrand: string | null;
  cardLast4: string | null;
  /** Refunded or being refunded (failed refunds left out). */
  refundedCents: number;
  /** Whether a refund of it failed: such a charge takes no more. */
  refundFailed: boolean;
}

/** R3.9: the organization's successful charges, newest first, with what is refunded of each. */
export async function refundableChargesOf(db: Sql, organizationId: number): Promise<RefundableCharge[]> {
  const rows = await db.rows<{ id: number; amount_cents: number; charge_ref: string; card_brand: string | null; card_last4: string | null; refunded: number | string | null; failed: number | string }>(
    `SELECT a.id, a.amount_cents, a.charge_ref, a.card_brand, a.card_last4,
       (SELECT SUM(r.amount_cents) FROM credit_refunds r WHERE r.payment_attempt_id = a.id AND r.status <> 'failed') AS refunded,
       (SELECT COUNT(*) FROM credit_refunds r WHERE r.payment_attempt_id = a.id AND r.status = 'failed') AS failed
     FROM payment_attempts a
     WHERE a.organization_id = ? AND a.status = 'succeeded' AND a.charge_ref IS NOT NULL
     ORDER BY a.id DESC`,
    [organizationId],
  );
  return rows.map((c) => ({
    id: Number(c.id),
    amountCents: Number(c.amount_cents),
    chargeRef: c.charge_ref,
    cardBrand: c.card_brand,
    cardLast4: c.card_last4,
    refundedCents: Number(c.refunded ?? 0),
    refundFailed: Number(c.failed) > 0,
  }));
}

/** R3.9, R9.13: a refund of `amountCents` against one charge, pending, with the idempotency key the gateway will see. */
export async function insertPendingRefund(
  db: Sql,
  input: { organizationId: number; charge: Pick<RefundableCharge, 'id' | 'chargeRef' | 'cardBrand' | 'cardLast4'>; amountCents: number; idempotencyKey: string; at: Date },
): Promise<void> {
  await insertRows(db, 'credit_refunds', [
    {
      organization_id: input.organizationId,
      payment_attempt_id: input.charge.id,
      charge_ref: input.charge.chargeRef,
      card_brand: input.charge.cardBrand,
      card_last4: input.charge.cardLast4,
      amount_cents: input.amountCents,
      idempotency_key: input.idempotencyKey,
      status: 'pending',
      created_at: input.at.getTime(),
    },
  ]);
}

/** R9.13: the organization's refunds not sent or not answered yet, oldest first. */
export async function pendingRefundsOf(db: Sql, organizationId: number): Promise<CreditRefundRow[]> {
  return db.rows<CreditRefundRow>("SELECT * FROM credit_refunds WHERE organization_id = ? AND status = 'pending' ORDER BY id", [organizationId]);
}

/** R3.9: what is still pending of the organization's refunds, in cents. */
export async function pendingRefundCentsOf(db: Sql, organizationId: number): Promise<number> {
  const left = await db.first<{ n: number | null }>("SELECT SUM(amount_cents) AS n FROM credit_refunds WHERE organization_id = ? AND status = 'pending'", [organizationId]);
  return Number(left?.n ?? 0);
}

/** R9.13: the refund of an idempotency key. */
export async function refundByKey(db: Sql, idempotencyKey: string): Promise<CreditRefundRow | undefined> {
  return db.first<CreditRefundRow>('SELECT * FROM credit_refunds WHERE idempotency_key = ?', [idempotencyKey]);
}

/**
 * R9.13: writes the gateway's answer to a pending refund and answers whether
 * this caller wrote it (false when someone else recorded it first).
 */
export async function recordRefundResult(db: Sql, refundId: number, result: RefundResult, at: Date): Promise<boolean> {
  const updated = await db.run("UPDATE credit_refunds SET status = ?, refund_ref = ?, failure_message = ?, completed_at = ? WHERE id = ? AND status = 'pending'", [
    result.ok ? 'succeeded' : 'failed',
    result.ok ? result.refundRef : null,
    result.ok ? null : result.failure.message.slice(0, 500),
    at.getTime(),
    refundId,
  ]);
  return updated === 1;
}

/** R9.13: refunds of any organization still pending that were made before `olderThan`, oldest first. */
export async function stalePendingRefunds(db: Sql, olderThan: Date): Promise<CreditRefundRow[]> {
  return db.rows<CreditRefundRow>("SELECT * FROM credit_refunds WHERE status = 'pending' AND created_at < ? ORDER BY id", [olderThan.getTime()]);
}
