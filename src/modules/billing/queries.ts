import type { BillingStatus } from '../owners/queries.ts';
import { insertRows, placeholders, type Sql } from '../../db/sql.ts';
import { detailsOfRow, type BillingDetails } from './billing-details.ts';


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

export async function findBillingAccount(db: Sql, organizationId: number): Promise<BillingAccount | undefined> {
  // Read on every organization page and device report.
  const row = await db.first<AccountRow>('SELECT * FROM billing_accounts WHERE organization_id = ?', [organizationId]);
  return row ? toAccount(row) : undefined;
}

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

export interface BillingSummary {
  organizationId: number;
  planName: string;
  status: BillingStatus;
}

/** Plan name and status of several organizations at once (listing pages). */
export async function billingSummaries(db: Sql, organizationIds: number[]): Promise<Map<number, BillingSummary>> {
  if (organizationIds.length === 0) return new Map();
  const rows = await db.rows<{ organization_id: number; name: string; status: BillingStatus }>(
    `SELECT b.organization_id, p.name, b.status FROM billing_accounts b JOIN plans p ON p.id = b.plan_id WHERE b.organization_id IN (${placeholders(organizationIds.length)})`,
    organizationIds,
  );
  return new Map(rows.map((r) => [r.organization_id, { organizationId: r.organization_id, planName: r.name, status: r.status }]));
}

/** Takes the organization's next invoice sequence number (inside the caller's transaction). */
export async function takeInvoiceSeq(db: Sql, organizationId: number): Promise<number> {
  // One atomic statement: concurrent takers each get their own number.
  const row = await db.first<{ seq: number | string }>(
    'UPDATE billing_accounts SET next_invoice_seq = next_invoice_seq + 1 WHERE organization_id = ? RETURNING next_invoice_seq - 1 AS seq',
    [organizationId],
  );
  if (!row) throw new Error(`no billing account for organization ${organizationId}`);
  return Number(row.seq);
}

/** Proration lines waiting for the next invoice (R9.5). */
export async function pendingInvoiceLines(db: Sql, organizationId: number): Promise<{ description: string; amountCents: number }[]> {
  const rows = await db.rows<{ description: string; amount_cents: number }>(
    'SELECT description, amount_cents FROM pending_invoice_lines WHERE organization_id = ? AND invoice_id IS NULL ORDER BY id',
    [organizationId],
  );
  return rows.map((r) => ({ description: r.description, amountCents: Number(r.amount_cents) }));
}

/** The credit balance as a use case settled it (every movement is also in credit_ledger). */
export async function setCreditBalance(db: Sql, organizationId: number, creditBalanceCents: number, now: Date): Promise<void> {
  await db.run('UPDATE billing_accounts SET credit_balance_cents = ?, updated_at = ? WHERE organization_id = ?', [creditBalanceCents, now.getTime(), organizationId]);
}
