import type { Sql, SqlValue } from '../../db/sql.ts';
import { likePattern, pageUsers, userLabelsOf, type UserListRow as UserRow } from '../accounts/queries.ts';
import { applicationCountsOf, deviceCountsOf } from '../applications/queries.ts';
import { creditLedgerOf } from '../billing/queries/credit.ts';
import { openBalancesOf, openInvoiceExists } from '../billing/queries/invoices.ts';
import { STATUS_LABELS } from '../billing/status.ts';
import { periodContaining } from '../owners/periods.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { tierCodes, tierNames } from '../plans/queries.ts';
import { liveOrganizationCountsOf, memberCountsOf } from '../tenancy/queries/memberships.ts';
import { ORGANIZATIONS_WITH_ACCOUNTS_FROM } from '../tenancy/queries/organizations.ts';
import { payloadsOfOrganizations } from '../usage/queries.ts';
import type { InquiryStatus } from '../organizations/queries/enterprise-inquiries.ts';

/**
 * The back-office's lists (§11), composed from each module's queries: a page
 * of the organizations list is a handful of set-based reads, never one read
 * per row. The organizations list filters and orders on an organization, its
 * billing account and its plan in one statement, whose FROM tenancy hands out
 * (with the owners' and plans' joins) and whose "has an open invoice"
 * condition billing does; every count beside it is asked of its owner.
 */

export const PAGE_SIZE = 25;

export const ORG_STATUS_FILTERS = ['active', 'past_due', 'unpaid', 'deleted_with_debt'] as const;
export type OrgStatusFilter = (typeof ORG_STATUS_FILTERS)[number];
export const ORG_STATUS_FILTER_LABELS: Record<OrgStatusFilter, string> = { ...STATUS_LABELS, deleted_with_debt: 'Deleted with debt' };

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


/** A WHERE clause and its bindings, composed from code (values only ever as bindings). */
interface Where {
  sql: string;
  bindings: SqlValue[];
}

const ORGS_FROM = ORGANIZATIONS_WITH_ACCOUNTS_FROM;
const OPEN_INVOICE = openInvoiceExists('o.id');

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

/** Members, applications, devices, payloads of the current period and balance due of several organizations: five grouped reads, each of its owner. */
async function organizationFigures(db: Sql, orgs: { id: number; periodStart: Date }[]): Promise<Map<number, Figures>> {
  const out = new Map<number, Figures>(orgs.map((o) => [o.id, { members: 0, applications: 0, devices: 0, payloads: 0, balanceDue: 0 }]));
  if (orgs.length === 0) return out;
  const ids = orgs.map((o) => o.id);
  const [members, applications, devices, payloads, balances] = await Promise.all([
    memberCountsOf(db, ids),
    applicationCountsOf(db, ids),
    deviceCountsOf(db, ids),
    payloadsOfOrganizations(db, new Map(orgs.map((o) => [o.id, o.periodStart.getTime()]))),
    openBalancesOf(db, ids),
  ]);
  const put = (counts: Map<number, number>, key: keyof Figures) => {
    for (const [id, n] of counts) {
      const f = out.get(id);
      if (f) f[key] = n;
    }
  };
  put(members, 'members');
  put(applications, 'applications');
  put(devices, 'devices');
  put(payloads, 'payloads');
  put(balances, 'balanceDue');
  return out;
}

/** The plans the list can be filtered by: the tiers, then "custom". */
export async function planFilterChoices(db: Sql): Promise<{ value: string; label: string }[]> {
  const tiers = await tierNames(db);
  return [...tiers.map((t) => ({ value: t.code, label: t.name })), { value: 'custom', label: 'Custom (Enterprise)' }];
}

export async function planCodes(db: Sql): Promise<Set<string>> {
  return new Set([...(await tierCodes(db)), 'custom']);
}

export interface CreditLedgerLine {
  id: number;
  amountCents: number;
  reason: string;
  actorLabel: string | null;
  createdAt: Date;
}

/** Every movement of an organization's credit balance, newest first, with who made it. */
export async function creditLedger(db: Sql, organizationId: number, limit = 50): Promise<CreditLedgerLine[]> {
  const entries = await creditLedgerOf(db, organizationId, limit);
  const labels = await userLabelsOf(db, [...new Set(entries.flatMap((e) => (e.actorUserId === null ? [] : [e.actorUserId])))]);
  return entries.map((e) => ({ id: e.id, amountCents: e.amountCents, reason: e.reason, actorLabel: e.actorUserId === null ? null : (labels.get(e.actorUserId) ?? null), createdAt: e.createdAt }));
}

// Users

export interface UserListRow extends UserRow {
  organizations: number;
}

/** One page of the users (R11.1), with how many live organizations each belongs to. */
export async function listUsers(db: Sql, filter: { q: string; page: number }): Promise<{ rows: UserListRow[]; total: number }> {
  const { rows, total } = await pageUsers(db, { ...filter, pageSize: PAGE_SIZE });
  const byUser = await liveOrganizationCountsOf(
    db,
    rows.map((r) => r.id),
  );
  return { total, rows: rows.map((r) => ({ ...r, organizations: byUser.get(r.id) ?? 0 })) };
}

// Enterprise inquiries (R3.4): the organizations module keeps them; the back-office labels their statuses.

export const INQUIRY_STATUS_LABELS: Record<InquiryStatus, string> = { new: 'New', contacted: 'Contacted', closed: 'Closed' };
/** The badge class of each inquiry status: a new one stands out, a closed one recedes. */
export const INQUIRY_STATUS_BADGES: Record<InquiryStatus, string> = { new: 'badge badge-warning', contacted: 'badge', closed: 'badge badge-muted' };
