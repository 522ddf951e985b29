import { randomBytes } from 'node:crypto';
import { insertSql, type Sql } from '../../../db/sql.ts';
import { joinBillingAccounts } from '../../owners/queries.ts';
import { joinPlans } from '../../plans/queries.ts';

export interface Organization {
  id: number;
  slug: string;
  name: string;
  description: string;
  iconColor: string;
  createdByUserId: number;
  createdAt: Date;
  deletedAt: Date | null;
}

interface OrganizationRow {
  id: number;
  slug: string;
  name: string;
  description: string;
  icon_color: string;
  created_by_user_id: number;
  created_at: number;
  deleted_at: number | null;
}

const toOrganization = (r: OrganizationRow): Organization => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  description: r.description,
  iconColor: r.icon_color,
  createdByUserId: r.created_by_user_id,
  createdAt: new Date(r.created_at),
  deletedAt: r.deleted_at === null ? null : new Date(r.deleted_at),
});

// Lower-case letters and digits without look-alikes; 8 of them are ~40 bits.
const SLUG_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export function newSlug(): string {
  const bytes = randomBytes(8);
  return [...bytes].map((b) => SLUG_ALPHABET[b % SLUG_ALPHABET.length]).join('');
}

export async function insertOrganization(
  db: Sql,
  input: { name: string; description: string; iconColor: string; createdByUserId: number; createdAt: Date },
): Promise<Organization> {
  const { sql, bindings } = insertSql(
    'organizations',
    [
      {
        slug: newSlug(),
        name: input.name,
        description: input.description,
        icon_color: input.iconColor,
        created_by_user_id: input.createdByUserId,
        created_at: input.createdAt.getTime(),
      },
    ],
    '*',
  );
  return toOrganization((await db.first<OrganizationRow>(sql, bindings))!);
}

/** A live (not deleted) organization by its address. */
export async function findOrganizationBySlug(db: Sql, slug: string): Promise<Organization | undefined> {
  const row = await db.first<OrganizationRow>('SELECT * FROM organizations WHERE slug = ? AND deleted_at IS NULL', [slug]);
  return row ? toOrganization(row) : undefined;
}

export async function findOrganizationById(db: Sql, id: number): Promise<Organization | undefined> {
  const row = await db.first<OrganizationRow>('SELECT * FROM organizations WHERE id = ?', [id]);
  return row ? toOrganization(row) : undefined;
}

export async function updateOrganizationGeneral(
  db: Sql,
  id: number,
  input: { name: string; description: string; iconColor: string },
): Promise<void> {
  await db.run('UPDATE organizations SET name = ?, description = ?, icon_color = ? WHERE id = ?', [input.name, input.description, input.iconColor, id]);
}

/** The live organizations a user is a member of, with their role, by name. */
export async function organizationsOfUser(
  db: Sql,
  userId: number,
): Promise<(Organization & { role: string })[]> {
  const rows = await db.rows<OrganizationRow & { role: string }>(
    `SELECT o.*, m.role FROM organizations o JOIN memberships m ON m.organization_id = o.id
     WHERE m.user_id = ? AND o.deleted_at IS NULL ORDER BY o.name, o.id`,
    [userId],
  );
  return rows.map((r) => ({ ...toOrganization(r), role: r.role }));
}

/** Organizations a user belonged to that were deleted since `since`, with the role they had (the listing's notice, R3.9, R9.14). */
export async function recentlyDeletedOrganizationsOf(db: Sql, userId: number, since: Date): Promise<{ name: string; slug: string; role: string; deletedAt: Date }[]> {
  const rows = await db.rows<{ name: string; slug: string; role: string; deleted_at: number }>(
    `SELECT o.name, o.slug, m.role, o.deleted_at FROM organizations o JOIN memberships m ON m.organization_id = o.id
     WHERE m.user_id = ? AND o.deleted_at IS NOT NULL AND o.deleted_at >= ? ORDER BY o.deleted_at DESC`,
    [userId, since.getTime()],
  );
  return rows.map((r) => ({ name: r.name, slug: r.slug, role: r.role, deletedAt: new Date(Number(r.deleted_at)) }));
}

/** A deleted organization by its former address. */
export async function findDeletedOrganizationBySlug(db: Sql, slug: string): Promise<Organization | undefined> {
  const row = await db.first<OrganizationRow>('SELECT * FROM organizations WHERE slug = ? AND deleted_at IS NOT NULL', [slug]);
  return row ? toOrganization(row) : undefined;
}

/** R3.9: an organization is deleted by stamping it; its invoices stay readable. */
export async function markOrganizationDeleted(db: Sql, id: number, at: Date): Promise<void> {
  await db.run('UPDATE organizations SET deleted_at = ? WHERE id = ?', [at.getTime(), id]);
}

/**
 * Which of `ids` are live (not deleted) organizations: the scheduler's
 * billing passes leave deleted ones alone (R3.9). The ids travel as one JSON
 * array parameter, so the SQL text is the same whatever their number (one
 * prepared statement; no limit on bound parameters).
 */
export async function liveOrganizationIds(db: Sql, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const list = db.postgres ? 'SELECT value::int FROM json_array_elements_text(?::json)' : 'SELECT value FROM json_each(?)';
  const rows = await db.rows<{ id: number }>(`SELECT id FROM organizations WHERE deleted_at IS NULL AND id IN (${list})`, [JSON.stringify(ids)]);
  return new Set(rows.map((r) => Number(r.id)));
}

/**
 * The FROM of a list of organizations with their billing account (`b`) and
 * plan (`p`) as `o`: the back-office's organizations list (R11.1) filters
 * and orders on all three in one statement.
 */
export const ORGANIZATIONS_WITH_ACCOUNTS_FROM = `FROM organizations o ${joinBillingAccounts('b', 'o.id')} ${joinPlans('p', 'b.plan_id')}`;
