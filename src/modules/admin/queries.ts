import type { Knex } from 'knex';
import type { DbOrTrx } from '../../db/knex.ts';
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

function filtered(db: DbOrTrx, filter: Pick<OrgListFilter, 'q' | 'plan'>): Knex.QueryBuilder {
  const q = db('organizations as o').join('billing_accounts as b', 'b.organization_id', 'o.id').join('plans as p', 'p.id', 'b.plan_id');
  const term = filter.q.trim();
  if (term) {
    const pattern = likePattern(term);
    q.where((w) => w.whereRaw("lower(o.name) like ? escape '\\'", [pattern]).orWhereRaw("o.slug like ? escape '\\'", [pattern]));
  }
  if (filter.plan === 'custom') q.where('p.kind', 'custom');
  else if (filter.plan) q.where('p.code', filter.plan);
  return q;
}

function withOpenInvoice(db: DbOrTrx, q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.whereExists(db('invoices as i').select(db.raw('1')).whereRaw('i.organization_id = o.id').andWhere('i.status', 'open'));
}

function withStatus(db: DbOrTrx, q: Knex.QueryBuilder, status: OrgStatusFilter | null): Knex.QueryBuilder {
  if (status === 'deleted_with_debt') return withOpenInvoice(db, q.whereNotNull('o.deleted_at'));
  if (status) return q.whereNull('o.deleted_at').andWhere('b.status', status);
  return q;
}

/** How many organizations each status filter holds, within the search and plan filter. */
export async function organizationStatusCounts(db: DbOrTrx, filter: Pick<OrgListFilter, 'q' | 'plan'>): Promise<Record<OrgStatusFilter, number> & { all: number }> {
  const [byStatus, deletedWithDebt, all] = await Promise.all([
    filtered(db, filter).whereNull('o.deleted_at').groupBy('b.status').select<{ status: BillingStatus; n: number | string }[]>('b.status', db.raw('count(*) as n')),
    withOpenInvoice(db, filtered(db, filter).whereNotNull('o.deleted_at')).count({ n: '*' }).first(),
    filtered(db, filter).count({ n: '*' }).first(),
  ]);
  const counts = { all: Number(all?.n ?? 0), active: 0, past_due: 0, unpaid: 0, deleted_with_debt: Number(deletedWithDebt?.n ?? 0) };
  for (const r of byStatus) counts[r.status] = Number(r.n);
  return counts;
}

/** One page of the organizations list, by name, with its counts and balance due (R11.1). */
export async function listOrganizations(db: DbOrTrx, filter: OrgListFilter, now: Date): Promise<{ rows: OrgListRow[]; total: number }> {
  const [page, total] = await Promise.all([
    withStatus(db, filtered(db, filter), filter.status)
      .orderBy([{ column: 'o.name' }, { column: 'o.id' }])
      .limit(PAGE_SIZE)
      .offset((filter.page - 1) * PAGE_SIZE)
      .select<
        { id: number; slug: string; name: string; deleted_at: number | null; status: BillingStatus; period_anchor: number; plan_name: string; plan_kind: string }[]
      >('o.id', 'o.slug', 'o.name', 'o.deleted_at', 'b.status', 'b.period_anchor', 'p.name as plan_name', 'p.kind as plan_kind'),
    withStatus(db, filtered(db, filter), filter.status).count({ n: '*' }).first(),
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
async function organizationFigures(db: DbOrTrx, orgs: { id: number; periodStart: Date }[]): Promise<Map<number, Figures>> {
  const out = new Map<number, Figures>(orgs.map((o) => [o.id, { members: 0, applications: 0, devices: 0, payloads: 0, balanceDue: 0 }]));
  if (orgs.length === 0) return out;
  const ids = orgs.map((o) => o.id);
  const starts = [...new Set(orgs.map((o) => o.periodStart.getTime()))];
  const wantedStart = new Map(orgs.map((o) => [o.id, o.periodStart.getTime()]));
  type Counted = { id: number; n: number | string };
  const [members, applications, devices, payloads, balances] = await Promise.all([
    db('memberships').whereIn('organization_id', ids).groupBy('organization_id').select<Counted[]>('organization_id as id', db.raw('count(*) as n')),
    db('applications').where('owner_type', 'organization').whereIn('owner_id', ids).groupBy('owner_id').select<Counted[]>('owner_id as id', db.raw('count(*) as n')),
    db('devices as d')
      .join('applications as a', 'a.id', 'd.application_id')
      .where('a.owner_type', 'organization')
      .whereIn('a.owner_id', ids)
      .groupBy('a.owner_id')
      .select<Counted[]>('a.owner_id as id', db.raw('count(*) as n')),
    db('usage_counters')
      .where('owner_type', 'organization')
      .whereIn('owner_id', ids)
      .whereIn('period_start', starts)
      .groupBy('owner_id', 'period_start')
      .select<{ id: number; period_start: number | string; n: number | string }[]>('owner_id as id', 'period_start', db.raw('sum(payloads) as n')),
    db('invoices')
      .where('status', 'open')
      .whereIn('organization_id', ids)
      .groupBy('organization_id')
      .select<Counted[]>('organization_id as id', db.raw('sum(amount_due_cents - amount_paid_cents) as n')),
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
export async function planFilterChoices(db: DbOrTrx): Promise<{ value: string; label: string }[]> {
  const tiers = await db('plans').where({ kind: 'tier' }).orderBy('sort_order').select<{ code: string; name: string }[]>('code', 'name');
  return [...tiers.map((t) => ({ value: t.code, label: t.name })), { value: 'custom', label: 'Custom (Enterprise)' }];
}

export async function planCodes(db: DbOrTrx): Promise<Set<string>> {
  const rows = await db('plans').where({ kind: 'tier' }).select<{ code: string }[]>('code');
  return new Set([...rows.map((r) => r.code), 'custom']);
}

export interface OpenInvoiceSummary {
  count: number;
  balanceDueCents: number;
}

export async function openInvoiceSummary(db: DbOrTrx, organizationId: number): Promise<OpenInvoiceSummary> {
  const row = await db('invoices')
    .where({ organization_id: organizationId, status: 'open' })
    .first(db.raw('count(*) as n'), db.raw('coalesce(sum(amount_due_cents - amount_paid_cents), 0) as due'));
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
export async function creditLedger(db: DbOrTrx, organizationId: number, limit = 50): Promise<CreditLedgerEntry[]> {
  const rows = await db('credit_ledger as c')
    .leftJoin('users as u', 'u.id', 'c.actor_user_id')
    .where('c.organization_id', organizationId)
    .orderBy('c.id', 'desc')
    .limit(limit)
    .select('c.id', 'c.amount_cents', 'c.reason', 'c.created_at', 'u.name', 'u.email');
  return rows.map((r: Record<string, unknown>) => ({
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
export async function pendingInvoiceLines(db: DbOrTrx, organizationId: number): Promise<PendingLine[]> {
  const rows = await db('pending_invoice_lines').where({ organization_id: organizationId }).whereNull('invoice_id').orderBy('id');
  return rows.map((r: Record<string, unknown>) => ({ description: String(r.description), amountCents: Number(r.amount_cents), createdAt: new Date(Number(r.created_at)) }));
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

export async function listUsers(db: DbOrTrx, filter: { q: string; page: number }): Promise<{ rows: UserListRow[]; total: number }> {
  const base = () => {
    const q = db('users as u');
    const term = filter.q.trim();
    if (term) {
      const pattern = likePattern(term);
      q.where((w) => w.whereRaw("lower(u.name) like ? escape '\\'", [pattern]).orWhereRaw("u.email like ? escape '\\'", [pattern]));
    }
    return q;
  };
  const [rows, total] = await Promise.all([
    base()
      .orderBy([{ column: 'u.name' }, { column: 'u.id' }])
      .limit(PAGE_SIZE)
      .offset((filter.page - 1) * PAGE_SIZE)
      .select<{ id: number; name: string; email: string; is_platform_admin: boolean | number; created_at: number }[]>('u.id', 'u.name', 'u.email', 'u.is_platform_admin', 'u.created_at'),
    base().count({ n: '*' }).first(),
  ]);
  const ids = rows.map((r) => r.id);
  const orgCounts = ids.length
    ? await db('memberships as m')
        .join('organizations as o', 'o.id', 'm.organization_id')
        .whereNull('o.deleted_at')
        .whereIn('m.user_id', ids)
        .groupBy('m.user_id')
        .select<{ user_id: number; n: number | string }[]>('m.user_id', db.raw('count(*) as n'))
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

export async function listInquiries(db: DbOrTrx, filter: { status: InquiryStatus | null; page: number }): Promise<{ rows: Inquiry[]; total: number }> {
  const base = () => (filter.status ? db('enterprise_inquiries').where({ status: filter.status }) : db('enterprise_inquiries'));
  const [rows, total] = await Promise.all([
    base()
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(PAGE_SIZE)
      .offset((filter.page - 1) * PAGE_SIZE),
    base().count({ n: '*' }).first(),
  ]);
  return { rows: rows.map(toInquiry), total: Number(total?.n ?? 0) };
}

export async function inquiryStatusCounts(db: DbOrTrx): Promise<Record<InquiryStatus, number>> {
  const rows = await db('enterprise_inquiries').groupBy('status').select<{ status: InquiryStatus; n: number | string }[]>('status', db.raw('count(*) as n'));
  const counts: Record<InquiryStatus, number> = { new: 0, contacted: 0, closed: 0 };
  for (const r of rows) if (isInquiryStatus(r.status)) counts[r.status] = Number(r.n);
  return counts;
}

export async function findInquiry(db: DbOrTrx, id: number): Promise<Inquiry | undefined> {
  const row = await db('enterprise_inquiries').where({ id }).first();
  return row ? toInquiry(row) : undefined;
}
