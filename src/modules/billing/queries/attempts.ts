import { insertRows } from '../../../db/sql.ts';
import type { Sql } from '../../../db/sql.ts';
import { joinBillingAccounts } from '../../owners/queries.ts';
import type { ChargeResult } from '../gateway/types.ts';

/**
 * Payment attempts (R9.13): each charge of an invoice, committed as pending
 * with its idempotency key before the gateway hears of it, then written with
 * its outcome exactly once.
 */

export type AttemptStatus = 'pending' | 'succeeded' | 'failed';

/**
 * What started a charge. Kept on the attempt, so an outcome learned late (the
 * settle job, a webhook) has the consequences it would have had at once.
 */
export type ChargeTrigger = 'renewal' | 'retry' | 'pay_now' | 'admin_retry' | 'reactivation' | 'final';

export interface PaymentAttempt {
  id: number;
  invoiceId: number;
  idempotencyKey: string;
  amountCents: number;
  status: AttemptStatus;
  cardBrand: string | null;
  cardLast4: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** Records an attempt whose outcome is already known (the first charge, whose invoice is written after it). */
export async function recordCompletedAttempt(
  db: Sql,
  input: {
    organizationId: number;
    invoiceId: number;
    idempotencyKey: string;
    amountCents: number;
    card: { brand: string; last4: string };
    result: ChargeResult;
    startedAt: Date;
    completedAt: Date;
  },
): Promise<void> {
  const r = input.result;
  await insertRows(db, 'payment_attempts', [{
    organization_id: input.organizationId,
    invoice_id: input.invoiceId,
    idempotency_key: input.idempotencyKey,
    amount_cents: input.amountCents,
    status: r.status,
    card_brand: input.card.brand,
    card_last4: input.card.last4,
    failure_code: r.status === 'failed' ? r.failure.code : null,
    failure_message: r.status === 'failed' ? r.failure.message : null,
    charge_ref: r.chargeRef,
    created_at: input.startedAt.getTime(),
    completed_at: input.completedAt.getTime(),
  }]);
}

/** R9.4: an invoice's attempts, in the order they were made. */
export async function attemptsOfInvoice(db: Sql, invoiceId: number): Promise<PaymentAttempt[]> {
  const rows = await db.rows<Record<string, unknown>>('SELECT * FROM payment_attempts WHERE invoice_id = ? ORDER BY id', [invoiceId]);
  return rows.map((r) => ({
    id: Number(r.id),
    invoiceId: Number(r.invoice_id),
    idempotencyKey: String(r.idempotency_key),
    amountCents: Number(r.amount_cents),
    status: r.status as AttemptStatus,
    cardBrand: (r.card_brand as string | null) ?? null,
    cardLast4: (r.card_last4 as string | null) ?? null,
    failureCode: (r.failure_code as string | null) ?? null,
    failureMessage: (r.failure_message as string | null) ?? null,
    createdAt: new Date(Number(r.created_at)),
    completedAt: r.completed_at == null ? null : new Date(Number(r.completed_at)),
  }));
}

/** R9.13: the statuses of an invoice's attempts: whether one is in flight, and how many were made (the next key's number). */
export async function attemptStatusesOf(db: Sql, invoiceId: number): Promise<AttemptStatus[]> {
  const rows = await db.rows<{ status: AttemptStatus }>('SELECT status FROM payment_attempts WHERE invoice_id = ?', [invoiceId]);
  return rows.map((r) => r.status);
}

/** R9.13: whether a charge of the invoice is in flight (a pending attempt): its outcome may still pay it. */
export async function hasPendingAttempt(db: Sql, invoiceId: number): Promise<boolean> {
  return (await db.first("SELECT id FROM payment_attempts WHERE invoice_id = ? AND status = 'pending' LIMIT 1", [invoiceId])) !== undefined;
}

/** R9.13: whether any charge of the organization is in flight (a pending attempt). */
export async function hasPendingAttemptOfOrganization(db: Sql, organizationId: number): Promise<boolean> {
  return (await db.first("SELECT id FROM payment_attempts WHERE organization_id = ? AND status = 'pending' LIMIT 1", [organizationId])) !== undefined;
}

/**
 * R9.13: commits a pending attempt before the gateway hears of it, with its
 * idempotency key, the card on file now (brand, last four and the gateway's
 * reference, so a resend uses this same card) and its trigger.
 */
export async function insertPendingAttempt(
  db: Sql,
  input: {
    organizationId: number;
    invoiceId: number;
    idempotencyKey: string;
    amountCents: number;
    card: { brand: string; last4: string; paymentMethodRef: string };
    trigger: ChargeTrigger;
    at: Date;
  },
): Promise<void> {
  await insertRows(db, 'payment_attempts', [
    {
      organization_id: input.organizationId,
      invoice_id: input.invoiceId,
      idempotency_key: input.idempotencyKey,
      amount_cents: input.amountCents,
      status: 'pending',
      card_brand: input.card.brand,
      card_last4: input.card.last4,
      payment_method_ref: input.card.paymentMethodRef,
      trigger: input.trigger,
      created_at: input.at.getTime(),
    },
  ]);
}

/** An attempt as writing its outcome reads it. */
export interface AttemptByKey {
  id: number;
  organizationId: number;
  invoiceId: number;
  amountCents: number;
  status: AttemptStatus;
  cardBrand: string | null;
  cardLast4: string | null;
  /** Null on attempts made before the trigger was kept. */
  trigger: ChargeTrigger | null;
}

/** R9.13: the attempt of an idempotency key (ours, as the gateway and Stripe's events carry it). */
export async function attemptByKey(db: Sql, idempotencyKey: string): Promise<AttemptByKey | undefined> {
  const row = await db.first<{
    id: number;
    organization_id: number;
    invoice_id: number;
    amount_cents: number;
    status: AttemptStatus;
    card_brand: string | null;
    card_last4: string | null;
    trigger: ChargeTrigger | null;
  }>('SELECT id, organization_id, invoice_id, amount_cents, status, card_brand, card_last4, trigger FROM payment_attempts WHERE idempotency_key = ?', [idempotencyKey]);
  return row
    ? {
        id: Number(row.id),
        organizationId: Number(row.organization_id),
        invoiceId: Number(row.invoice_id),
        amountCents: Number(row.amount_cents),
        status: row.status,
        cardBrand: row.card_brand,
        cardLast4: row.card_last4,
        trigger: row.trigger,
      }
    : undefined;
}

/**
 * R9.13: writes a gateway outcome to a pending attempt and answers whether
 * this caller wrote it (false when another writer — an instance settling the
 * same attempt, a webhook — got there first).
 */
export async function recordAttemptOutcome(db: Sql, attemptId: number, result: ChargeResult, at: Date): Promise<boolean> {
  const updated = await db.run(
    `UPDATE payment_attempts SET status = ?, charge_ref = ?, failure_code = ?, failure_message = ?, completed_at = ?
     WHERE id = ? AND status = 'pending'`,
    [
      result.status,
      result.chargeRef,
      result.status === 'failed' ? result.failure.code : null,
      result.status === 'failed' ? result.failure.message.slice(0, 500) : null,
      at.getTime(),
      attemptId,
    ],
  );
  return updated === 1;
}

/** An attempt left pending, with what resending it needs. */
export interface StalePendingAttempt {
  idempotencyKey: string;
  amountCents: number;
  invoiceId: number;
  invoiceNumber: string;
  organizationId: number;
  /** The organization's customer at the gateway. */
  customerRef: string;
  /** The card the attempt was made with; attempts recorded before the card was kept on them fall back to the card on file. */
  paymentMethodRef: string;
}

/** R9.13: attempts still pending that were made before `olderThan` (a crash, a lost answer), oldest first. */
export async function stalePendingAttempts(db: Sql, olderThan: Date): Promise<StalePendingAttempt[]> {
  const rows = await db.rows<{
    idempotency_key: string;
    amount_cents: number;
    invoice_id: number;
    organization_id: number;
    number: string;
    customer_ref: string;
    card_on_file: string;
    payment_method_ref: string | null;
  }>(
    `SELECT a.idempotency_key, a.amount_cents, a.invoice_id, a.organization_id, i.number, b.customer_ref, b.payment_method_ref AS card_on_file, a.payment_method_ref
     FROM payment_attempts a ${joinBillingAccounts('b', 'a.organization_id')} JOIN invoices i ON i.id = a.invoice_id
     WHERE a.status = 'pending' AND a.created_at < ? ORDER BY a.id`,
    [olderThan.getTime()],
  );
  return rows.map((r) => ({
    idempotencyKey: r.idempotency_key,
    amountCents: Number(r.amount_cents),
    invoiceId: Number(r.invoice_id),
    invoiceNumber: String(r.number),
    organizationId: Number(r.organization_id),
    customerRef: r.customer_ref,
    paymentMethodRef: r.payment_method_ref ?? r.card_on_file,
  }));
}
