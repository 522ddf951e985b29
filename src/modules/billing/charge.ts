import type { Deps } from '../../deps.ts';
import { lockRow } from '../../db/locks.ts';
import { insertRows, type Sql } from '../../db/sql.ts';
import type { AuditActor } from '../audit/record.ts';
import type { ChargeRequest, ChargeResult } from './gateway/types.ts';
import { applyPaymentOutcome, type OutcomeConsequences } from './payment-outcome.ts';
import { findBillingAccount } from './queries.ts';

export type ChargeOutcome =
  | { status: 'succeeded'; invoiceId: number; amountCents: number }
  | { status: 'failed'; invoiceId: number; code: string; message: string }
  | { status: 'unknown'; invoiceId: number }
  | { status: 'skipped'; invoiceId: number; reason: 'not_open' | 'in_flight' | 'no_card' };

/**
 * What started a charge. Kept on the attempt, so an outcome learned late (the
 * settle job, a webhook) has the consequences it would have had at once.
 */
export type ChargeTrigger = 'renewal' | 'retry' | 'pay_now' | 'admin_retry' | 'reactivation' | 'final';

/** Who asks for a charge, and when. */
export interface ChargeContext {
  /** The instant of the request or scheduler pass: the attempt, the outcome and its emails carry it (R12.1). */
  at: Date;
  trigger: ChargeTrigger;
  /** Who status changes are attributed to in the audit log (the system when absent). */
  actor?: AuditActor;
  /** The cause written to the status history when this charge pays the last open invoice. */
  settledCause?: string;
}

export type ChargeDeps = Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>;

/** Locks an organization's billing account row for the transaction (PostgreSQL). */
export async function lockAccount(trx: Sql, organizationId: number): Promise<void> {
  await lockRow(trx, 'billing_accounts', { organization_id: organizationId });
}

interface InvoiceDueRow {
  organization_id: number;
  number: string;
  status: string;
  amount_due_cents: number;
  amount_paid_cents: number;
}
const INVOICE_DUE = 'SELECT organization_id, number, status, amount_due_cents, amount_paid_cents FROM invoices WHERE id = ?';

/** A payment attempt committed as pending, before the gateway hears of it (R9.13). */
export interface ClaimedAttempt {
  organizationId: number;
  invoiceId: number;
  invoiceNumber: string;
  idempotencyKey: string;
  amountCents: number;
  customerRef: string;
  paymentMethodRef: string;
}

/**
 * The first step of a charge: under the account lock, checks that the invoice
 * is open with something due and nothing in flight, and commits a pending
 * attempt with its idempotency key, the card on file now (brand, last four and
 * the gateway's reference, so a resend uses this same card) and its trigger.
 */
export async function claimAttempt(
  deps: Pick<Deps, 'db'>,
  invoiceId: number,
  ctx: Pick<ChargeContext, 'at' | 'trigger'>,
): Promise<ClaimedAttempt | ClaimSkipped> {
  return deps.db.transaction((sql) => claimAttemptIn(sql, invoiceId, ctx));
}

export type ClaimSkipped = { skip: 'not_open' | 'in_flight' | 'no_card' };

/**
 * claimAttempt inside the caller's transaction, so an invoice and the pending
 * attempt that charges it can be committed together (the reactivation
 * invoice, R9.8): no instant exists where the invoice is open with no charge
 * in progress.
 */
export async function claimAttemptIn(sql: Sql, invoiceId: number, ctx: Pick<ChargeContext, 'at' | 'trigger'>): Promise<ClaimedAttempt | ClaimSkipped> {
  const inv = await sql.first<InvoiceDueRow>(INVOICE_DUE, [invoiceId]);
  if (!inv) return { skip: 'not_open' as const };
  await lockAccount(sql, inv.organization_id);
  // PostgreSQL: read the row again now that the account is locked. On SQLite
  // the transaction is the lock and sees one snapshot: the row read above is it.
  const invoice = sql.postgres ? (await sql.first<InvoiceDueRow>(INVOICE_DUE, [invoiceId]))! : inv;
  const due = Number(invoice.amount_due_cents) - Number(invoice.amount_paid_cents);
  if (invoice.status !== 'open' || due <= 0) return { skip: 'not_open' as const };
  // One read tells whether an attempt is in flight and which attempt this is.
  const attempts = await sql.rows<{ status: string }>('SELECT status FROM payment_attempts WHERE invoice_id = ?', [invoiceId]);
  if (attempts.some((a) => a.status === 'pending')) return { skip: 'in_flight' as const };
  const account = await findBillingAccount(sql, invoice.organization_id);
  if (!account?.card) return { skip: 'no_card' as const };
  const n = attempts.length + 1;
  const key = `invoice-${invoiceId}-attempt-${n}`;
  await insertRows(sql, 'payment_attempts', [
    {
      organization_id: invoice.organization_id,
      invoice_id: invoiceId,
      idempotency_key: key,
      amount_cents: due,
      status: 'pending',
      card_brand: account.card.brand,
      card_last4: account.card.last4,
      payment_method_ref: account.card.paymentMethodRef,
      trigger: ctx.trigger,
      created_at: ctx.at.getTime(),
    },
  ]);
  return {
    organizationId: Number(invoice.organization_id),
    invoiceId,
    invoiceNumber: String(invoice.number),
    idempotencyKey: key,
    amountCents: due,
    customerRef: account.customerRef,
    paymentMethodRef: account.card.paymentMethodRef,
  };
}

/**
 * The gateway request for an attempt. The first call and any later resend
 * (settlePendingAttempts) build it here, so a key is never replayed with
 * different parameters (Stripe refuses that).
 */
export function chargeRequestFor(attempt: ClaimedAttempt): ChargeRequest {
  return {
    customerRef: attempt.customerRef,
    paymentMethodRef: attempt.paymentMethodRef,
    amountCents: attempt.amountCents,
    idempotencyKey: attempt.idempotencyKey,
    description: `Orgplane invoice ${attempt.invoiceNumber}`,
    metadata: { invoice_id: String(attempt.invoiceId) },
  };
}

/**
 * R9.13: charges what is still due on one open invoice with the card on file
 * now. The attempt, with its idempotency key, is committed before the gateway
 * is called (claimAttempt); the gateway sees the key; the outcome is written
 * afterwards with all its consequences (recordOutcome). A crash in between
 * leaves a pending attempt that `settlePendingAttempts` finishes with the same
 * key and card, so an invoice is never charged twice.
 */
export async function chargeInvoice(deps: ChargeDeps, invoiceId: number, ctx: ChargeContext): Promise<ChargeOutcome> {
  const claimed = await claimAttempt(deps, invoiceId, ctx);
  if ('skip' in claimed) return { status: 'skipped', invoiceId, reason: claimed.skip };
  return chargeClaimed(deps, claimed, ctx);
}

/** The rest of chargeInvoice once the attempt is committed: the gateway call with the attempt's key, then the outcome. */
export async function chargeClaimed(deps: ChargeDeps, claimed: ClaimedAttempt, ctx: ChargeContext): Promise<ChargeOutcome> {
  const invoiceId = claimed.invoiceId;
  let result: ChargeResult;
  try {
    result = await deps.gateway.charge(chargeRequestFor(claimed));
  } catch {
    return { status: 'unknown', invoiceId };
  }
  await recordOutcome(deps, claimed.idempotencyKey, result, ctx);
  return result.status === 'succeeded'
    ? { status: 'succeeded', invoiceId, amountCents: claimed.amountCents }
    : { status: 'failed', invoiceId, code: result.failure.code, message: result.failure.message };
}

/** The attempt an outcome was just written to. */
export interface RecordedAttempt {
  organizationId: number;
  invoiceId: number;
  amountCents: number;
  consequences: OutcomeConsequences;
}

interface AttemptRow {
  id: number;
  organization_id: number;
  invoice_id: number;
  amount_cents: number;
  status: string;
  card_brand: string | null;
  card_last4: string | null;
  trigger: ChargeTrigger | null;
}
const ATTEMPT_BY_KEY = 'SELECT id, organization_id, invoice_id, amount_cents, status, card_brand, card_last4, trigger FROM payment_attempts WHERE idempotency_key = ?';

/**
 * Writes a gateway outcome to its attempt and, in the same transaction, all
 * it causes (R9.12): the invoice paid, the status change (Past Due, Active
 * again, Unpaid, reactivated) and the emails (receipt, payment failed, unpaid
 * notice, reactivated) in the outbox. Idempotent: only a pending attempt is
 * written, and the attempt is returned only to the caller that wrote it (null
 * otherwise), so the consequences happen exactly once. Then the outbox is
 * delivered (SMTP), after the commit.
 *
 * `ctx.trigger` is what the caller started; an outcome learned late (`late`)
 * takes the trigger stored on the attempt.
 */
export async function recordOutcome(
  deps: Pick<Deps, 'db' | 'mailer' | 'config'>,
  key: string,
  result: ChargeResult,
  ctx: Omit<ChargeContext, 'trigger'> & { late?: boolean },
): Promise<RecordedAttempt | null> {
  const recorded = await deps.db.transaction(async (sql) => {
    const found = await sql.first<AttemptRow>(ATTEMPT_BY_KEY, [key]);
    if (!found || found.status !== 'pending') return null;
    // Under the account lock, like claimAttempt: otherwise a claim could read
    // the invoice still open, then (after this commits) find no pending
    // attempt, and charge the invoice a second time. PostgreSQL: read the
    // attempt again under the lock; a SQLite transaction sees one snapshot.
    await lockAccount(sql, Number(found.organization_id));
    const attempt = sql.postgres ? await sql.first<AttemptRow>(ATTEMPT_BY_KEY, [key]) : found;
    if (!attempt || attempt.status !== 'pending') return null;
    const at = ctx.at;
    const updated = await sql.run(
      `UPDATE payment_attempts SET status = ?, charge_ref = ?, failure_code = ?, failure_message = ?, completed_at = ?
       WHERE id = ? AND status = 'pending'`,
      [
        result.status,
        result.chargeRef,
        result.status === 'failed' ? result.failure.code : null,
        result.status === 'failed' ? result.failure.message.slice(0, 500) : null,
        at.getTime(),
        attempt.id,
      ],
    );
    // Another writer (an instance settling the same attempt, a webhook) got there first.
    if (updated !== 1) return null;
    if (result.status === 'succeeded') {
      await sql.run(`UPDATE invoices SET status = 'paid', amount_paid_cents = amount_paid_cents + ?, paid_at = ? WHERE id = ? AND status = 'open'`, [
        Number(attempt.amount_cents),
        at.getTime(),
        attempt.invoice_id,
      ]);
    }
    const consequences = await applyPaymentOutcome(sql, deps, {
      organizationId: Number(attempt.organization_id),
      invoiceId: Number(attempt.invoice_id),
      amountCents: Number(attempt.amount_cents),
      card: { brand: attempt.card_brand, last4: attempt.card_last4 },
      trigger: attempt.trigger ?? 'renewal',
      result,
      ctx,
    });
    return { organizationId: Number(attempt.organization_id), invoiceId: Number(attempt.invoice_id), amountCents: Number(attempt.amount_cents), consequences };
  });
  if (recorded) await deliverOutbox(deps);
  return recorded;
}

/** Sends what the outbox holds for SMTP; a relay that is down leaves the mails for the scheduler's mail job. */
export async function deliverOutbox(deps: Pick<Deps, 'mailer'>): Promise<void> {
  await deps.mailer.deliverQueued().catch(() => 0);
}

/** An attempt finished by settlePendingAttempts, with what the gateway said. */
export interface SettledAttempt extends RecordedAttempt {
  result: ChargeResult;
}

/**
 * R9.13: attempts left pending by a crash or a lost answer are finished with
 * their own key and the card they were made with: the gateway tells what
 * happened, or (if it never saw the key) the same request is sent again —
 * safe because the key is the same. Each outcome then has the consequences
 * it would have had at once (recordOutcome, `late`), at the pass's instant.
 */
export async function settlePendingAttempts(deps: ChargeDeps, at: Date, olderThan: Date): Promise<SettledAttempt[]> {
  const { db, gateway } = deps;
  const pending = await db.rows<{
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
     FROM payment_attempts a JOIN billing_accounts b ON b.organization_id = a.organization_id JOIN invoices i ON i.id = a.invoice_id
     WHERE a.status = 'pending' AND a.created_at < ? ORDER BY a.id`,
    [olderThan.getTime()],
  );
  const settled: SettledAttempt[] = [];
  for (const p of pending) {
    let result: ChargeResult | null;
    try {
      result = await gateway.findChargeByIdempotencyKey(p.idempotency_key);
      result ??= await gateway.charge(
        chargeRequestFor({
          organizationId: Number(p.organization_id),
          invoiceId: Number(p.invoice_id),
          invoiceNumber: String(p.number),
          idempotencyKey: p.idempotency_key,
          amountCents: Number(p.amount_cents),
          customerRef: p.customer_ref,
          // Attempts recorded before the card was kept on them fall back to the card on file.
          paymentMethodRef: p.payment_method_ref ?? p.card_on_file,
        }),
      );
    } catch {
      continue;
    }
    const recorded = await recordOutcome(deps, p.idempotency_key, result, { at, late: true });
    if (recorded) settled.push({ ...recorded, result });
  }
  return settled;
}
