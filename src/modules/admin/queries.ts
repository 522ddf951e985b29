import { placeholders, type Sql, type SqlValue } from '../../db/sql.ts';
import { periodContaining } from '../owners/periods.ts';
import type { BillingStatus } from '../owners/queries.ts';

/**
 * Read models of the back-office (§11). They read across modules on purpose:
 * a page of the organizations list is a handful of set-based queries, never
 * one query per row.
 */

export const PAGE_SIZE = 25;

export const ORG_STATUS_FILTERS = ['active', 'past_due', 'unpaid', 'deleted_with_debt'] as const;
export type OrgStatusFilter = (typeof ORG_STATUS_FILTERS)[number];
export const ORG_STATUS_FILTER_LABELS: Record<OrgStatusFilter, string> = {
  active: 'Active',
  past_due: 'Past Due',
  unpaid: 'Unpaid',
  deleted_with_debt: 'Deleted with debt',
};

export interface OrgListFilter {
  q: string;
  status: OrgStatusFilter | null;
  /** A tier's code, 'custom' for any custom (Enterprise) plan, or null for all. */
  plan: string | null;
  page: number;
}

export interface OrgListRow {
  id: number;
  slug: string;
  name: string;
  deleted: boolean;
  planName: string;
  planKind: string;
  status: BillingStatus;
  members: number;
  applications: number;
  devices: number;
  payloadsThisPeriod: number;
  balanceDueCents: number;
}

/** `%term%` for LIKE, with the wildcards of the term itself escaped (ESCAPE '\'). */
export const likePattern = (term: string) => `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A WHERE clause and its bindings, composed from code (values only ever as bindings). */
interface Where {
  sql: string;
  bindings: SqlValue[];
}

const ORGS_FROM = 'FROM organizations o JOIN billing_accounts b ON b.organization_id = o.id JOIN plans p ON p.id = b.plan_id';
const OPEN_INVOICE = "EXISTS (SELECT 1 FROM invoices i WHERE i.organization_id = o.id AND i.status = 'open')";

/** The search and plan filter of the organizations list, plus the given conditions. */
function filtered(filter: Pick<OrgListFilter, 'q' | 'plan'>, ...more: string[]): Where {
  const conditions: string[] = [];
  const bindings: SqlValue[] = [];
  const term = filter.q.trim();
  if (term) {
    const pattern = likePattern(term);
    conditions.push("(lower(o.name) LIKE ? ESCAPE '\\' OR o.slug LIKE ? ESCAPE '\\')");
    bindings.push(pattern, pattern);
  }
  if (filter.plan === 'custom') conditions.push("p.kind = 'custom'");
  else if (filter.plan) {
    conditions.push('p.code = ?');
    bindings.push(filter.plan);
  }
  conditions.push(...more);
  return { sql: conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '', bindings };
}

function withStatus(filter: Pick<OrgListFilter, 'q' | 'plan'>, status: OrgStatusFilter | null): Where {
  if (status === 'deleted_with_debt') return filtered(filter, 'o.deleted_at IS NOT NULL', OPEN_INVOICE);
  if (status) {
    const where = filtered(filter, 'o.deleted_at IS NULL', 'b.status = ?');
    return { sql: where.sql, bindings: [...where.bindings, status] };
  }
  return filtered(filter);
}

/** How many organizations each status filter holds, within the search and plan filter. */
export async function organizationStatusCounts(db: Sql, filter: Pick<OrgListFilter, 'q' | 'plan'>): Promise<Record<OrgStatusFilter, number> & { all: number }> {
  const live = filtered(filter, 'o.deleted_at IS NULL');
  const deleted = filtered(filter, 'o.deleted_at IS NOT NULL', OPEN_INVOICE);
  const every = filtered(filter);
  const [byStatus, deletedWithDebt, all] = await Promise.all([
    db.rows<{ status: BillingStatus; n: number | string }>(`SELECT b.status, COUNT(*) AS n ${ORGS_FROM}${live.sql} GROUP BY b.status`, live.bindings),
    db.first<{ n: number }>(`SELECT COUNT(*) AS n ${ORGS_FROM}${deleted.sql}`, deleted.bindings),
    db.first<{ n: number }>(`SELECT COUNT(*) AS n ${ORGS_FROM}${every.sql}`, every.bindings),
  ]);
  const counts = { all: Number(all?.n ?? 0), active: 0, past_due: 0, unpaid: 0, deleted_with_debt: Number(deletedWithDebt?.n ?? 0) };
  for (const r of byStatus) counts[r.status] = Number(r.n);
  return counts;
}

/** One page of the organizations list, by name, with its counts and balance due (R11.1). */
export async function listOrganizations(db: Sql, filter: OrgListFilter, now: Date): Promise<{ rows: OrgListRow[]; total: number }> {
  const where = withStatus(filter, filter.status);
  const [page, total] = await Promise.all([
    db.rows<{ id: number; slug: string; name: string; deleted_at: number | null; status: BillingStatus; period_anchor: number; plan_name: string; plan_kind: string }>(
      `SELECT o.id, o.slug, o.name, o.deleted_at, b.status, b.period_anchor, p.name AS plan_name, p.kind AS plan_kind ${ORGS_FROM}${where.sql}
       ORDER BY o.name, o.id LIMIT ? OFFSET ?`,
      [...where.bindings, PAGE_SIZE, (filter.page - 1) * PAGE_SIZE],
    ),
    db.first<{ n: number }>(`SELECT COUNT(*) AS n ${ORGS_FROM}${where.sql}`, where.bindings),
  ]);
  const figures = await organizationFigures(
    db,
    page.map((r) => ({ id: r.id, periodStart: periodContaining(new Date(Number(r.period_anchor)), now).start })),
  );
  return {
    total: Number(total?.n ?? 0),
    rows: page.map((r) => {
      const f = figures.get(r.id);
      return {
        id: r.id,
        slug: r.slug,
        name: r.name,
        deleted: r.deleted_at !== null,
        planName: r.plan_name,
        planKind: r.plan_kind,
        status: r.status,
        members: f?.members ?? 0,
        applications: f?.applications ?? 0,
        devices: f?.devices ?? 0,
        payloadsThisPeriod: f?.payloads ?? 0,
        balanceDueCents: f?.balanceDue ?? 0,
      };
    }),
  };
}

interface Figures {
  members: number;
  applications: number;
  devices: number;
  payloads: number;
  balanceDue: number;
}

/** Members, applications, devices, payloads of the current period and balance due of several organizations: five grouped queries. */
async function organizationFigures(db: Sql, orgs: { id: number; periodStart: Date }[]): Promise<Map<number, Figures>> {
  const out = new Map<number, Figures>(orgs.map((o) => [o.id, { members: 0, applications: 0, devices: 0, payloads: 0, balanceDue: 0 }]));
  if (orgs.length === 0) return out;
  const ids = orgs.map((o) => o.id);
  const starts = [...new Set(orgs.map((o) => o.periodStart.getTime()))];
  const wantedStart = new Map(orgs.map((o) => [o.id, o.periodStart.getTime()]));
  type Counted = { id: number; n: number | string };
  const inIds = placeholders(ids.length);
  const [members, applications, devices, payloads, balances] = await Promise.all([
    db.rows<Counted>(`SELECT organization_id AS id, COUNT(*) AS n FROM memberships WHERE organization_id IN (${inIds}) GROUP BY organization_id`, ids),
    db.rows<Counted>(`SELECT owner_id AS id, COUNT(*) AS n FROM applications WHERE owner_type = 'organization' AND owner_id IN (${inIds}) GROUP BY owner_id`, ids),
    db.rows<Counted>(
      `SELECT a.owner_id AS id, COUNT(*) AS n FROM devices d JOIN applications a ON a.id = d.application_id
       WHERE a.owner_type = 'organization' AND a.owner_id IN (${inIds}) GROUP BY a.owner_id`,
      ids,
    ),
    db.rows<{ id: number; period_start: number | string; n: number | string }>(
      `SELECT owner_id AS id, period_start, SUM(payloads) AS n FROM usage_counters
       WHERE owner_type = 'organization' AND owner_id IN (${inIds}) AND period_start IN (${placeholders(starts.length)}) GROUP BY owner_id, period_start`,
      [...ids, ...starts],
    ),
    db.rows<Counted>(
      `SELECT organization_id AS id, SUM(amount_due_cents - amount_paid_cents) AS n FROM invoices
       WHERE status = 'open' AND organization_id IN (${inIds}) GROUP BY organization_id`,
      ids,
    ),
  ]);
  const put = (rows: Counted[], key: keyof Figures) => {
    for (const r of rows) {
      const f = out.get(Number(r.id));
      if (f) f[key] = Number(r.n);
    }
  };
  put(members, 'members');
  put(applications, 'applications');
  put(devices, 'devices');
  put(balances, 'balanceDue');
  for (const r of payloads) {
    const f = out.get(Number(r.id));
    if (f && wantedStart.get(Number(r.id)) === Number(r.period_start)) f.payloads = Number(r.n);
  }
  return out;
}

/** The plans the list can be filtered by: the tiers, then "custom". */
export async function planFilterChoices(db: Sql): Promise<{ value: string; label: string }[]> {
  const tiers = await db.rows<{ code: string; name: string }>("SELECT code, name FROM plans WHERE kind = 'tier' ORDER BY sort_order");
  return [...tiers.map((t) => ({ value: t.code, label: t.name })), { value: 'custom', label: 'Custom (Enterprise)' }];
}

export async function planCodes(db: Sql): Promise<Set<string>> {
  const rows = await db.rows<{ code: string }>("SELECT code FROM plans WHERE kind = 'tier'");
  return new Set([...rows.map((r) => r.code), 'custom']);
}

export interface OpenInvoiceSummary {
  count: number;
  balanceDueCents: number;
}

export async function openInvoiceSummary(db: Sql, organizationId: number): Promise<OpenInvoiceSummary> {
  const row = await db.first<{ n: number; due: number }>(
    "SELECT COUNT(*) AS n, COALESCE(SUM(amount_due_cents - amount_paid_cents), 0) AS due FROM invoices WHERE organization_id = ? AND status = 'open'",
    [organizationId],
  );
  return { count: Number(row?.n ?? 0), balanceDueCents: Number(row?.due ?? 0) };
}

export interface CreditLedgerEntry {
  id: number;
  amountCents: number;
  reason: string;
  actorLabel: string | null;
  createdAt: Date;
}

/** Every movement of an organization's credit balance, newest first. */
export async function creditLedger(db: Sql, organizationId: number, limit = 50): Promise<CreditLedgerEntry[]> {
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT c.id, c.amount_cents, c.reason, c.created_at, u.name, u.email FROM credit_ledger c LEFT JOIN users u ON u.id = c.actor_user_id
     WHERE c.organization_id = ? ORDER BY c.id DESC LIMIT ?`,
    [organizationId, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    amountCents: Number(r.amount_cents),
    reason: String(r.reason),
    actorLabel: r.name ? `${String(r.name)} <${String(r.email)}>` : null,
    createdAt: new Date(Number(r.created_at)),
  }));
}

export interface PendingLine {
  description: string;
  amountCents: number;
  createdAt: Date;
}

/** Proration lines accrued for the next invoice (R9.5). */
export async function pendingInvoiceLines(db: Sql, organizationId: number): Promise<PendingLine[]> {
  const rows = await db.rows<Record<string, unknown>>('SELECT * FROM pending_invoice_lines WHERE organization_id = ? AND invoice_id IS NULL ORDER BY id', [organizationId]);
  return rows.map((r) => ({ description: String(r.description), amountCents: Number(r.amount_cents), createdAt: new Date(Number(r.created_at)) }));
}

// Users

export interface UserListRow {
  id: number;
  name: string;
  email: string;
  isPlatformAdmin: boolean;
  createdAt: Date;
  organizations: number;
}

export async function listUsers(db: Sql, filter: { q: string; page: number }): Promise<{ rows: UserListRow[]; total: number }> {
  const term = filter.q.trim();
  const pattern = likePattern(term);
  const where = term ? { sql: " WHERE (lower(u.name) LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\')", bindings: [pattern, pattern] } : { sql: '', bindings: [] };
  const [rows, total] = await Promise.all([
    db.rows<{ id: number; name: string; email: string; is_platform_admin: boolean | number; created_at: number }>(
      `SELECT u.id, u.name, u.email, u.is_platform_admin, u.created_at FROM users u${where.sql} ORDER BY u.name, u.id LIMIT ? OFFSET ?`,
      [...where.bindings, PAGE_SIZE, (filter.page - 1) * PAGE_SIZE],
    ),
    db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM users u${where.sql}`, where.bindings),
  ]);
  const ids = rows.map((r) => r.id);
  const orgCounts = ids.length
    ? await db.rows<{ user_id: number; n: number | string }>(
        `SELECT m.user_id, COUNT(*) AS n FROM memberships m JOIN organizations o ON o.id = m.organization_id
         WHERE o.deleted_at IS NULL AND m.user_id IN (${placeholders(ids.length)}) GROUP BY m.user_id`,
        ids,
      )
    : [];
  const byUser = new Map(orgCounts.map((r) => [Number(r.user_id), Number(r.n)]));
  return {
    total: Number(total?.n ?? 0),
    rows: rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      isPlatformAdmin: Boolean(r.is_platform_admin),
      createdAt: new Date(Number(r.created_at)),
      organizations: byUser.get(r.id) ?? 0,
    })),
  };
}

// Enterprise inquiries (R3.4)

export const INQUIRY_STATUSES = ['new', 'contacted', 'closed'] as const;
export type InquiryStatus = (typeof INQUIRY_STATUSES)[number];
export const INQUIRY_STATUS_LABELS: Record<InquiryStatus, string> = { new: 'New', contacted: 'Contacted', closed: 'Closed' };
/** The badge class of each inquiry status: a new one stands out, a closed one recedes. */
export const INQUIRY_STATUS_BADGES: Record<InquiryStatus, string> = { new: 'badge badge-warning', contacted: 'badge', closed: 'badge badge-muted' };
export const isInquiryStatus = (v: unknown): v is InquiryStatus => typeof v === 'string' && (INQUIRY_STATUSES as readonly string[]).includes(v);

export interface Inquiry {
  id: number;
  userId: number | null;
  name: string;
  email: string;
  company: string;
  expectedDevices: number | null;
  message: string;
  status: InquiryStatus;
  createdAt: Date;
}

const toInquiry = (r: Record<string, unknown>): Inquiry => ({
  id: Number(r.id),
  userId: r.user_id == null ? null : Number(r.user_id),
  name: String(r.name),
  email: String(r.email),
  company: String(r.company),
  expectedDevices: r.expected_devices == null ? null : Number(r.expected_devices),
  message: String(r.message),
  status: r.status as InquiryStatus,
  createdAt: new Date(Number(r.created_at)),
});

export async function listInquiries(db: Sql, filter: { status: InquiryStatus | null; page: number }): Promise<{ rows: Inquiry[]; total: number }> {
  const where = filter.status ? { sql: ' WHERE status = ?', bindings: [filter.status] } : { sql: '', bindings: [] };
  const [rows, total] = await Promise.all([
    db.rows<Record<string, unknown>>(`SELECT * FROM enterprise_inquiries${where.sql} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, [
      ...where.bindings,
      PAGE_SIZE,
      (filter.page - 1) * PAGE_SIZE,
    ]),
    db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM enterprise_inquiries${where.sql}`, where.bindings),
  ]);
  return { rows: rows.map(toInquiry), total: Number(total?.n ?? 0) };
}

export async function inquiryStatusCounts(db: Sql): Promise<Record<InquiryStatus, number>> {
  const rows = await db.rows<{ status: InquiryStatus; n: number | string }>('SELECT status, COUNT(*) AS n FROM enterprise_inquiries GROUP BY status');
  const counts: Record<InquiryStatus, number> = { new: 0, contacted: 0, closed: 0 };
  for (const r of rows) if (isInquiryStatus(r.status)) counts[r.status] = Number(r.n);
  return counts;
}

export async function findInquiry(db: Sql, id: number): Promise<Inquiry | undefined> {
  const row = await db.first<Record<string, unknown>>('SELECT * FROM enterprise_inquiries WHERE id = ?', [id]);
  return row ? toInquiry(row) : undefined;
}
