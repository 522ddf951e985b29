import { insertRows, type Sql } from '../../db/sql.ts';
import type { ChargeResult } from './gateway/types.ts';

export type AttemptStatus = 'pending' | 'succeeded' | 'failed';

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
