import type { Knex } from 'knex';
import type { Deps } from '../../deps.ts';
import { isPostgres, type Db } from '../../db/knex.ts';
import type { ChargeResult } from './gateway/types.ts';
import { findBillingAccount } from './queries.ts';

export type ChargeOutcome =
  | { status: 'succeeded'; invoiceId: number; amountCents: number }
  | { status: 'failed'; invoiceId: number; code: string; message: string }
  | { status: 'unknown'; invoiceId: number }
  | { status: 'skipped'; invoiceId: number; reason: 'not_open' | 'in_flight' | 'no_card' };

/** Locks an organization's billing account row for the transaction (PostgreSQL). */
export async function lockAccount(trx: Knex.Transaction, organizationId: number): Promise<void> {
  if (isPostgres(trx as unknown as Knex)) await trx('billing_accounts').where({ organization_id: organizationId }).forUpdate().first('organization_id');
}

/**
 * R9.13: charges what is still due on one open invoice with the card on file
 * now. The attempt, with its idempotency key, is committed before the gateway
 * is called; the gateway sees the key; the outcome is written afterwards. A
 * crash in between leaves a pending attempt that `settlePendingAttempts`
 * finishes with the same key, so an invoice is never charged twice.
 */
export async function chargeInvoice(deps: Pick<Deps, 'db' | 'clock' | 'gateway'>, invoiceId: number): Promise<ChargeOutcome> {
  const { db, clock, gateway } = deps;
  const claimed = await db.transaction(async (trx) => {
    const inv = await trx('invoices').where({ id: invoiceId }).first();
    if (!inv) return { skip: 'not_open' as const };
    await lockAccount(trx, inv.organization_id);
    const invoice = await trx('invoices').where({ id: invoiceId }).first();
    const due = Number(invoice.amount_due_cents) - Number(invoice.amount_paid_cents);
    if (invoice.status !== 'open' || due <= 0) return { skip: 'not_open' as const };
    const pending = await trx('payment_attempts').where({ invoice_id: invoiceId, status: 'pending' }).first('id');
    if (pending) return { skip: 'in_flight' as const };
    const account = await findBillingAccount(trx, invoice.organization_id);
    if (!account?.card) return { skip: 'no_card' as const };
    const n = Number((await trx('payment_attempts').where({ invoice_id: invoiceId }).count({ n: '*' }).first())?.n ?? 0) + 1;
    const key = `invoice-${invoiceId}-attempt-${n}`;
    await trx('payment_attempts').insert({
      organization_id: invoice.organization_id,
      invoice_id: invoiceId,
      idempotency_key: key,
      amount_cents: due,
      status: 'pending',
      card_brand: account.card.brand,
      card_last4: account.card.last4,
      created_at: clock.now().getTime(),
    });
    return { key, due, customerRef: account.customerRef, paymentMethodRef: account.card.paymentMethodRef, number: String(invoice.number) };
  });
  if ('skip' in claimed) return { status: 'skipped', invoiceId, reason: claimed.skip! };

  let result: ChargeResult;
  try {
    result = await gateway.charge({
      customerRef: claimed.customerRef,
      paymentMethodRef: claimed.paymentMethodRef,
      amountCents: claimed.due,
      idempotencyKey: claimed.key,
      description: `Orgplane invoice ${claimed.number}`,
      metadata: { invoice_id: String(invoiceId) },
    });
  } catch {
    return { status: 'unknown', invoiceId };
  }
  await recordOutcome(db, claimed.key, result, clock.now());
  return result.status === 'succeeded'
    ? { status: 'succeeded', invoiceId, amountCents: claimed.due }
    : { status: 'failed', invoiceId, code: result.failure.code, message: result.failure.message };
}

/** Writes a gateway outcome to its attempt and, on success, pays the invoice. Idempotent. */
export async function recordOutcome(db: Db, key: string, result: ChargeResult, at: Date): Promise<void> {
  await db.transaction(async (trx) => {
    const attempt = await trx('payment_attempts').where({ idempotency_key: key }).first();
    if (!attempt || attempt.status !== 'pending') return;
    await trx('payment_attempts')
      .where({ id: attempt.id })
      .update({
        status: result.status,
        charge_ref: result.chargeRef,
        failure_code: result.status === 'failed' ? result.failure.code : null,
        failure_message: result.status === 'failed' ? result.failure.message.slice(0, 500) : null,
        completed_at: at.getTime(),
      });
    if (result.status === 'succeeded') {
      await trx('invoices')
        .where({ id: attempt.invoice_id, status: 'open' })
        .update({ status: 'paid', amount_paid_cents: trx.raw('amount_paid_cents + ?', [Number(attempt.amount_cents)]), paid_at: at.getTime() });
    }
  });
}

/**
 * R9.13: attempts left pending by a crash or a lost answer are finished with
 * their own key: the gateway tells what happened, or (if it never saw the
 * key) the same request is sent again — safe because the key is the same.
 */
export async function settlePendingAttempts(deps: Pick<Deps, 'db' | 'clock' | 'gateway'>, olderThan: Date): Promise<number> {
  const { db, clock, gateway } = deps;
  const pending = await db('payment_attempts as a')
    .join('billing_accounts as b', 'b.organization_id', 'a.organization_id')
    .where('a.status', 'pending')
    .andWhere('a.created_at', '<', olderThan.getTime())
    .select('a.idempotency_key', 'a.amount_cents', 'a.invoice_id', 'b.customer_ref', 'b.payment_method_ref');
  let settled = 0;
  for (const p of pending) {
    let result: ChargeResult | null;
    try {
      result = await gateway.findChargeByIdempotencyKey(p.idempotency_key);
      result ??= await gateway.charge({
        customerRef: p.customer_ref,
        paymentMethodRef: p.payment_method_ref,
        amountCents: Number(p.amount_cents),
        idempotencyKey: p.idempotency_key,
        description: `Orgplane invoice ${p.invoice_id}`,
      });
    } catch {
      continue;
    }
    await recordOutcome(db, p.idempotency_key, result, clock.now());
    settled++;
  }
  return settled;
}
