import type { Deps } from '../../deps.ts';
import type { Sql } from '../../db/sql.ts';
import type { AuditActor } from '../audit/record.ts';
import { findBillingAccount, lockBillingAccount } from '../owners/queries/billing-accounts.ts';
import type { ChargeRequest, ChargeResult } from './gateway/types.ts';
import { applyPaymentOutcome, type OutcomeConsequences } from './payment-outcome.ts';
import { attemptByKey, attemptStatusesOf, insertPendingAttempt, recordAttemptOutcome, stalePendingAttempts, type ChargeTrigger } from './queries/attempts.ts';
import { invoiceDueOf, recordInvoicePayment } from './queries/invoices.ts';

export type ChargeOutcome =
  | { status: 'succeeded'; invoiceId: number; amountCents: number }
  | { status: 'failed'; invoiceId: number; code: string; message: string }
  | { status: 'unknown'; invoiceId: number }
  | { status: 'skipped'; invoiceId: number; reason: 'not_open' | 'in_flight' | 'no_card' };

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
  await lockBillingAccount(trx, organizationId);
}

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
  const inv = await invoiceDueOf(sql, invoiceId);
  if (!inv) return { skip: 'not_open' as const };
  await lockAccount(sql, inv.organizationId);
  // PostgreSQL: read the row again now that the account is locked. On SQLite
  // the transaction is the lock and sees one snapshot: the row read above is it.
  const invoice = sql.postgres ? (await invoiceDueOf(sql, invoiceId))! : inv;
  const due = invoice.amountDueCents - invoice.amountPaidCents;
  if (invoice.status !== 'open' || due <= 0) return { skip: 'not_open' as const };
  // One read tells whether an attempt is in flight and which attempt this is.
  const attempts = await attemptStatusesOf(sql, invoiceId);
  if (attempts.some((status) => status === 'pending')) return { skip: 'in_flight' as const };
  const account = await findBillingAccount(sql, invoice.organizationId);
  if (!account?.card) return { skip: 'no_card' as const };
  const n = attempts.length + 1;
  const key = `invoice-${invoiceId}-attempt-${n}`;
  await insertPendingAttempt(sql, {
    organizationId: invoice.organizationId,
    invoiceId,
    idempotencyKey: key,
    amountCents: due,
    card: account.card,
    trigger: ctx.trigger,
    at: ctx.at,
  });
  return {
    organizationId: invoice.organizationId,
    invoiceId,
    invoiceNumber: invoice.number,
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
    const found = await attemptByKey(sql, key);
    if (!found || found.status !== 'pending') return null;
    // Under the account lock, like claimAttempt: otherwise a claim could read
    // the invoice still open, then (after this commits) find no pending
    // attempt, and charge the invoice a second time. PostgreSQL: read the
    // attempt again under the lock; a SQLite transaction sees one snapshot.
    await lockAccount(sql, found.organizationId);
    const attempt = sql.postgres ? await attemptByKey(sql, key) : found;
    if (!attempt || attempt.status !== 'pending') return null;
    const at = ctx.at;
    // Another writer (an instance settling the same attempt, a webhook) got there first.
    if (!(await recordAttemptOutcome(sql, attempt.id, result, at))) return null;
    if (result.status === 'succeeded') await recordInvoicePayment(sql, attempt.invoiceId, attempt.amountCents, at);
    const consequences = await applyPaymentOutcome(sql, deps, {
      organizationId: attempt.organizationId,
      invoiceId: attempt.invoiceId,
      amountCents: attempt.amountCents,
      card: { brand: attempt.cardBrand, last4: attempt.cardLast4 },
      trigger: attempt.trigger ?? 'renewal',
      result,
      ctx,
    });
    return { organizationId: attempt.organizationId, invoiceId: attempt.invoiceId, amountCents: attempt.amountCents, consequences };
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
  const pending = await stalePendingAttempts(db, olderThan);
  const settled: SettledAttempt[] = [];
  for (const p of pending) {
    let result: ChargeResult | null;
    try {
      result = await gateway.findChargeByIdempotencyKey(p.idempotencyKey);
      result ??= await gateway.charge(
        chargeRequestFor({
          organizationId: p.organizationId,
          invoiceId: p.invoiceId,
          invoiceNumber: p.invoiceNumber,
          idempotencyKey: p.idempotencyKey,
          amountCents: p.amountCents,
          customerRef: p.customerRef,
          paymentMethodRef: p.paymentMethodRef,
        }),
      );
    } catch {
      continue;
    }
    const recorded = await recordOutcome(deps, p.idempotencyKey, result, { at, late: true });
    if (recorded) settled.push({ ...recorded, result });
  }
  return settled;
}
