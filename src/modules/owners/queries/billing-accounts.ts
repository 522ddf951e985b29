import { lockRow } from '../../../db/locks.ts';
import { insertRows, placeholders, setClause } from '../../../db/sql.ts';
import type { Sql } from '../../../db/sql.ts';
import { joinPlans } from '../../plans/queries.ts';
import type { BillingStatus } from '../queries.ts';

/**
 * An organization's billing account: what an owner is now — its plan, its
 * status (R9.7, R9.8), its billing period and anchor (R9.2), its Past Due
 * standing, credit balance (R9.3), card (R9.6) and billing details (R9.14).
 * The owners module owns `billing_accounts`; billing's use cases read and
 * write the whole account through these functions, inside their own
 * transactions (the reads of modules below billing are in ../queries.ts).
 */

/** R9.14: the postal address invoices are made out to. */
export interface BillingAddress {
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, as Stripe takes it; '' when not given. */
  country: string;
}

/** R9.14: who invoices are made out to; name, address and tax ID are optional. */
export interface BillingDetails {
  email: string;
  name: string | null;
  address: BillingAddress | null;
  taxId: string | null;
}

export const EMPTY_ADDRESS: BillingAddress = { line1: '', line2: '', city: '', region: '', postalCode: '', country: '' };

/** The columns of billing_accounts that hold the details. */
function detailsColumns(d: BillingDetails) {
  const a = d.address ?? EMPTY_ADDRESS;
  const orNull = (v: string) => (v === '' ? null : v);
  return {
    billing_email: d.email,
    billing_name: d.name,
    address_line1: orNull(a.line1),
    address_line2: orNull(a.line2),
    address_city: orNull(a.city),
    address_region: orNull(a.region),
    address_postal_code: orNull(a.postalCode),
    address_country: orNull(a.country),
    tax_id: d.taxId,
  };
}

/** The details of a billing_accounts row. */
function detailsOfRow(r: {
  billing_email: string;
  billing_name?: string | null;
  address_line1?: string | null;
  address_line2?: string | null;
  address_city?: string | null;
  address_region?: string | null;
  address_postal_code?: string | null;
  address_country?: string | null;
  tax_id?: string | null;
}): BillingDetails {
  const address: BillingAddress = {
    line1: r.address_line1 ?? '',
    line2: r.address_line2 ?? '',
    city: r.address_city ?? '',
    region: r.address_region ?? '',
    postalCode: r.address_postal_code ?? '',
    country: r.address_country ?? '',
  };
  return {
    email: r.billing_email,
    name: r.billing_name ?? null,
    address: Object.values(address).some((v) => v !== '') ? address : null,
    taxId: r.tax_id ?? null,
  };
}

export interface Card {
  paymentMethodRef: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface BillingAccount {
  organizationId: number;
  planId: number;
  status: BillingStatus;
  billingEmail: string;
  /** R9.14: billing email, name, address and tax ID. */
  details: BillingDetails;
  customerRef: string;
  card: Card | null;
  periodAnchor: Date;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  creditBalanceCents: number;
}

interface AccountRow {
  organization_id: number;
  plan_id: number;
  status: BillingStatus;
  billing_email: string;
  customer_ref: string;
  payment_method_ref: string | null;
  card_brand: string | null;
  card_last4: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  period_anchor: number;
  current_period_start: number;
  current_period_end: number;
  credit_balance_cents: number;
  next_invoice_seq: number;
  billing_name: string | null;
  address_line1: string | null;
  address_line2: string | null;
  address_city: string | null;
  address_region: string | null;
  address_postal_code: string | null;
  address_country: string | null;
  tax_id: string | null;
}

const toAccount = (r: AccountRow): BillingAccount => ({
  organizationId: r.organization_id,
  planId: r.plan_id,
  status: r.status,
  billingEmail: r.billing_email,
  details: detailsOfRow(r),
  customerRef: r.customer_ref,
  card:
    r.payment_method_ref && r.card_brand && r.card_last4
      ? { paymentMethodRef: r.payment_method_ref, brand: r.card_brand, last4: r.card_last4, expMonth: r.card_exp_month ?? 0, expYear: r.card_exp_year ?? 0 }
      : null,
  periodAnchor: new Date(r.period_anchor),
  currentPeriodStart: new Date(r.current_period_start),
  currentPeriodEnd: new Date(r.current_period_end),
  creditBalanceCents: Number(r.credit_balance_cents),
});

/** An organization's billing account; none before its first charge succeeded (R3.6). */
export async function findBillingAccount(db: Sql, organizationId: number): Promise<BillingAccount | undefined> {
  // Read on every organization page and device report.
  const row = await db.first<AccountRow>('SELECT * FROM billing_accounts WHERE organization_id = ?', [organizationId]);
  return row ? toAccount(row) : undefined;
}

/** R3.6, R9.2: the account opened by the first successful charge, Active, anchored at the first period's start. */
export async function insertBillingAccount(
  db: Sql,
  input: {
    organizationId: number;
    planId: number;
    billingEmail: string;
    customerRef: string;
    card: Card;
    periodStart: Date;
    periodEnd: Date;
    now: Date;
  },
): Promise<void> {
  await insertRows(db, 'billing_accounts', [{
    organization_id: input.organizationId,
    plan_id: input.planId,
    status: 'active',
    billing_email: input.billingEmail,
    customer_ref: input.customerRef,
    payment_method_ref: input.card.paymentMethodRef,
    card_brand: input.card.brand,
    card_last4: input.card.last4,
    card_exp_month: input.card.expMonth,
    card_exp_year: input.card.expYear,
    period_anchor: input.periodStart.getTime(),
    current_period_start: input.periodStart.getTime(),
    current_period_end: input.periodEnd.getTime(),
    credit_balance_cents: 0,
    next_invoice_seq: 1,
    created_at: input.now.getTime(),
    updated_at: input.now.getTime(),
  }]);
}

/**
 * Locks an organization's billing account row for the rest of the
 * transaction (PostgreSQL; on SQLite the transaction is the lock). Every
 * change to an account, its invoices or its charges (R9.13) and the
 * organization's deletion (R3.9) take it first.
 */
export async function lockBillingAccount(trx: Sql, organizationId: number): Promise<void> {
  await lockRow(trx, 'billing_accounts', { organization_id: organizationId });
}

/**
 * PostgreSQL: locks the account row unless another transaction holds it, and
 * answers whether it got it — several instances renewing (R12.2): whoever
 * holds the row renews it, the others skip it.
 */
export async function lockBillingAccountUnlessHeld(trx: Sql, organizationId: number): Promise<boolean> {
  const got = await trx.first('SELECT status FROM billing_accounts WHERE organization_id = ? FOR UPDATE SKIP LOCKED', [organizationId]);
  return got !== undefined;
}

/** An account's status and the Past Due standing the retry schedule counts from (R9.7, R9.8). */
export interface AccountStatus {
  status: BillingStatus;
  /** When it became Past Due (kept while Unpaid); null when Active. */
  pastDueSince: Date | null;
  /** The retries of the schedule already made (R9.7). */
  retryRoundsDone: number;
  currentPeriodEnd: Date;
}

/** R9.7, R9.8: an organization's status and Past Due standing, read inside the caller's transaction. */
export async function accountStatusOf(db: Sql, organizationId: number): Promise<AccountStatus | undefined> {
  const row = await db.first<{ status: BillingStatus; past_due_since: number | null; retry_rounds_done: number; current_period_end: number }>(
    'SELECT status, past_due_since, retry_rounds_done, current_period_end FROM billing_accounts WHERE organization_id = ?',
    [organizationId],
  );
  return row
    ? {
        status: row.status,
        pastDueSince: row.past_due_since === null ? null : new Date(Number(row.past_due_since)),
        retryRoundsDone: Number(row.retry_rounds_done),
        currentPeriodEnd: new Date(Number(row.current_period_end)),
      }
    : undefined;
}

/** R9.7: the account becomes Past Due at `at`; the retries and their reminders count afresh from then. */
export async function setPastDue(db: Sql, organizationId: number, at: Date): Promise<void> {
  await db.run('UPDATE billing_accounts SET status = ?, past_due_since = ?, retry_rounds_done = 0, reminders_sent = 0, updated_at = ? WHERE organization_id = ?', [
    'past_due',
    at.getTime(),
    at.getTime(),
    organizationId,
  ]);
}

/** R9.7, R9.8: the account's status (Active, or Unpaid keeping when it became Past Due). */
export async function setBillingStatus(db: Sql, organizationId: number, status: BillingStatus, pastDueSince: Date | null, at: Date): Promise<void> {
  await db.run('UPDATE billing_accounts SET status = ?, past_due_since = ?, updated_at = ? WHERE organization_id = ?', [
    status,
    pastDueSince === null ? null : pastDueSince.getTime(),
    at.getTime(),
    organizationId,
  ]);
}

/** A Past Due account as the retry pass reads it (R9.7). */
export interface PastDueAccount {
  organizationId: number;
  pastDueSince: Date;
  retryRoundsDone: number;
  /** How many of the reminders (the day before each retry) were sent. */
  remindersSent: number;
}

/** R9.7: every Past Due account (of live and deleted organizations alike: the caller keeps the live ones). */
export async function pastDueAccounts(db: Sql): Promise<PastDueAccount[]> {
  const rows = await db.rows<{ organization_id: number; past_due_since: number; retry_rounds_done: number; reminders_sent: number }>(
    "SELECT organization_id, past_due_since, retry_rounds_done, reminders_sent FROM billing_accounts WHERE status = 'past_due' AND past_due_since IS NOT NULL",
  );
  return rows.map((r) => ({
    organizationId: Number(r.organization_id),
    pastDueSince: new Date(Number(r.past_due_since)),
    retryRoundsDone: Number(r.retry_rounds_done),
    remindersSent: Number(r.reminders_sent),
  }));
}

/**
 * R9.7: claims a retry round (the rounds due now, `done` before), so a second
 * pass or instance does not retry it again; answers whether this caller got it.
 */
export async function claimRetryRound(db: Sql, organizationId: number, roundsDue: number, done: number): Promise<boolean> {
  const claimed = await db.run("UPDATE billing_accounts SET retry_rounds_done = ? WHERE organization_id = ? AND status = 'past_due' AND retry_rounds_done = ?", [
    roundsDue,
    organizationId,
    done,
  ]);
  return claimed === 1;
}

/** R9.7: claims the reminder before retry `round` (`sent` before), so it is written once; answers whether this caller got it. */
export async function claimReminder(db: Sql, organizationId: number, round: number, sent: number): Promise<boolean> {
  const claimed = await db.run('UPDATE billing_accounts SET reminders_sent = ? WHERE organization_id = ? AND reminders_sent = ?', [round, organizationId, sent]);
  return claimed === 1;
}

/**
 * R9.3, R12.2: the organizations whose current period has ended by `at` and
 * that are still billed (Active or Past Due; Unpaid ones are not, R9.8),
 * the longest ended first. Deleted organizations are among them: the caller
 * keeps the live ones.
 */
export async function accountsDueForRenewal(db: Sql, at: Date): Promise<number[]> {
  const rows = await db.rows<{ organization_id: number }>(
    "SELECT organization_id FROM billing_accounts WHERE status IN ('active', 'past_due') AND current_period_end <= ? ORDER BY current_period_end",
    [at.getTime()],
  );
  return rows.map((r) => Number(r.organization_id));
}

/**
 * R9.2, R9.3: the account enters `period` (a renewal's next period, or the
 * period a reactivation bills the rest of, R9.8) with the credit balance left
 * after that period's invoice.
 */
export async function enterPeriod(db: Sql, organizationId: number, input: { period: { start: Date; end: Date }; creditBalanceCents: number; at: Date }): Promise<void> {
  await db.run('UPDATE billing_accounts SET current_period_start = ?, current_period_end = ?, credit_balance_cents = ?, updated_at = ? WHERE organization_id = ?', [
    input.period.start.getTime(),
    input.period.end.getTime(),
    input.creditBalanceCents,
    input.at.getTime(),
    organizationId,
  ]);
}

/**
 * R9.8: a voided reactivation invoice gives the account back the period it
 * was in before — only if the account is still in the period that invoice
 * opened (it ends at `ifPeriodEnd`).
 */
export async function returnToPeriod(db: Sql, organizationId: number, input: { period: { start: number; end: number }; ifPeriodEnd: number; at: Date }): Promise<void> {
  await db.run('UPDATE billing_accounts SET current_period_start = ?, current_period_end = ?, updated_at = ? WHERE organization_id = ? AND current_period_end = ?', [
    input.period.start,
    input.period.end,
    input.at.getTime(),
    organizationId,
    input.ifPeriodEnd,
  ]);
}

/** R9.5: the plan the account is on from now (the change itself is kept in plan_changes by billing). */
export async function setAccountPlan(db: Sql, organizationId: number, planId: number, at: Date): Promise<void> {
  await db.run('UPDATE billing_accounts SET plan_id = ?, updated_at = ? WHERE organization_id = ?', [planId, at.getTime(), organizationId]);
}

/** R9.6: the card on file, as the gateway saved it. */
export async function setCardOnFile(db: Sql, organizationId: number, card: Card, at: Date): Promise<void> {
  await db.run(
    'UPDATE billing_accounts SET payment_method_ref = ?, card_brand = ?, card_last4 = ?, card_exp_month = ?, card_exp_year = ?, updated_at = ? WHERE organization_id = ?',
    [card.paymentMethodRef, card.brand, card.last4, card.expMonth, card.expYear, at.getTime(), organizationId],
  );
}

/** R9.14: the billing email, name, address and tax ID the next invoices are made out to. */
export async function setBillingDetails(db: Sql, organizationId: number, details: BillingDetails, at: Date): Promise<void> {
  const set = setClause({ ...detailsColumns(details), updated_at: at.getTime() });
  await db.run(`UPDATE billing_accounts SET ${set.sql} WHERE organization_id = ?`, [...set.bindings, organizationId]);
}

/** R9.12: where the billing emails go; undefined when the organization has no billing account. */
export async function billingEmailOf(db: Sql, organizationId: number): Promise<string | undefined> {
  const row = await db.first<{ billing_email: string }>('SELECT billing_email FROM billing_accounts WHERE organization_id = ?', [organizationId]);
  return row?.billing_email;
}

export interface BillingSummary {
  organizationId: number;
  planName: string;
  status: BillingStatus;
}

/** Plan name and status of several organizations at once (listing pages). */
export async function billingSummaries(db: Sql, organizationIds: number[]): Promise<Map<number, BillingSummary>> {
  if (organizationIds.length === 0) return new Map();
  const rows = await db.rows<{ organization_id: number; name: string; status: BillingStatus }>(
    `SELECT b.organization_id, p.name, b.status FROM billing_accounts b ${joinPlans('p', 'b.plan_id')} WHERE b.organization_id IN (${placeholders(organizationIds.length)})`,
    organizationIds,
  );
  return new Map(rows.map((r) => [r.organization_id, { organizationId: r.organization_id, planName: r.name, status: r.status }]));
}

/** R9.4: takes the organization's next invoice sequence number (inside the caller's transaction). */
export async function takeInvoiceSeq(db: Sql, organizationId: number): Promise<number> {
  // One atomic statement: concurrent takers each get their own number.
  const row = await db.first<{ seq: number | string }>(
    'UPDATE billing_accounts SET next_invoice_seq = next_invoice_seq + 1 WHERE organization_id = ? RETURNING next_invoice_seq - 1 AS seq',
    [organizationId],
  );
  if (!row) throw new Error(`no billing account for organization ${organizationId}`);
  return Number(row.seq);
}

/** R9.3: the credit balance as a use case settled it (every movement is also in credit_ledger). */
export async function setCreditBalance(db: Sql, organizationId: number, creditBalanceCents: number, now: Date): Promise<void> {
  await db.run('UPDATE billing_accounts SET credit_balance_cents = ?, updated_at = ? WHERE organization_id = ?', [creditBalanceCents, now.getTime(), organizationId]);
}

/**
 * R9.3, R11.2, R3.9: moves the credit balance by `cents` (negative takes from
 * it), in one statement so concurrent movements add up; the caller writes
 * the matching credit_ledger row in the same transaction.
 */
export async function addToCreditBalance(db: Sql, organizationId: number, cents: number, at: Date): Promise<void> {
  await db.run('UPDATE billing_accounts SET credit_balance_cents = credit_balance_cents + ?, updated_at = ? WHERE organization_id = ?', [cents, at.getTime(), organizationId]);
}
