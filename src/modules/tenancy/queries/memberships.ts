import type { ResourceRole, ResourceType, Role } from '../policy.ts';
import { insertRows, placeholders, type Sql } from '../../../db/sql.ts';
import { joinUsers } from '../../accounts/queries.ts';

export interface Membership {
  organizationId: number;
  userId: number;
  role: Role;
  createdAt: Date;
}

interface MembershipRow {
  organization_id: number;
  user_id: number;
  role: Role;
  created_at: number;
}

const toMembership = (r: MembershipRow): Membership => ({
  organizationId: r.organization_id,
  userId: r.user_id,
  role: r.role,
  createdAt: new Date(r.created_at),
});

export async function findMembership(db: Sql, organizationId: number, userId: number): Promise<Membership | undefined> {
  const row = await db.first<MembershipRow>('SELECT * FROM memberships WHERE organization_id = ? AND user_id = ?', [organizationId, userId]);
  return row ? toMembership(row) : undefined;
}

export async function insertMembership(
  db: Sql,
  input: { organizationId: number; userId: number; role: Role; createdAt: Date },
): Promise<void> {
  await insertRows(db, 'memberships', [
    { organization_id: input.organizationId, user_id: input.userId, role: input.role, created_at: input.createdAt.getTime() },
  ]);
}

export async function deleteMembership(db: Sql, organizationId: number, userId: number): Promise<number> {
  return db.run('DELETE FROM memberships WHERE organization_id = ? AND user_id = ?', [organizationId, userId]);
}

export async function countAdministrators(db: Sql, organizationId: number): Promise<number> {
  const row = await db.first<{ n: number }>("SELECT COUNT(*) AS n FROM memberships WHERE organization_id = ? AND role = 'administrator'", [organizationId]);
  return Number(row?.n ?? 0);
}

export async function countMembers(db: Sql, organizationId: number): Promise<number> {
  const row = await db.first<{ n: number }>('SELECT COUNT(*) AS n FROM memberships WHERE organization_id = ?', [organizationId]);
  return Number(row?.n ?? 0);
}

export interface MemberListing {
  userId: number;
  name: string;
  email: string;
  role: Role;
  joinedAt: Date;
}

export async function listMembers(db: Sql, organizationId: number): Promise<MemberListing[]> {
  const rows = await db.rows<{ user_id: number; name: string; email: string; role: Role; created_at: number }>(
    `SELECT m.user_id, u.name, u.email, m.role, m.created_at FROM memberships m ${joinUsers('u', 'm.user_id')}
     WHERE m.organization_id = ? ORDER BY u.name, u.id`,
    [organizationId],
  );
  return rows.map(toMemberListing);
}

type MemberListingRow = { user_id: number; name: string; email: string; role: Role; created_at: number | string };
const toMemberListing = (r: MemberListingRow): MemberListing => ({ userId: Number(r.user_id), name: r.name, email: r.email, role: r.role, joinedAt: new Date(Number(r.created_at)) });

/** One page of an organization's members by name, and how many there are in all: one statement. */
export async function pageMembers(db: Sql, organizationId: number, window: { limit: number; offset: number }): Promise<{ rows: MemberListing[]; total: number }> {
  const rows = await db.rows<MemberListingRow & { total: number | string }>(
    // The total as a scalar subquery: on SQLite a window count doubles the statement's time.
    `SELECT m.user_id, u.name, u.email, m.role, m.created_at, (SELECT count(*) FROM memberships WHERE organization_id = ?) AS total
     FROM memberships m ${joinUsers('u', 'm.user_id')}
     WHERE m.organization_id = ? ORDER BY u.name, u.id LIMIT ? OFFSET ?`,
    [organizationId, organizationId, window.limit, window.offset],
  );
  // Past the last page no row carries the total: the caller reads the first page for it.
  const total = rows.length > 0 ? Number(rows[0]!.total) : 0;
  return { rows: rows.map(toMemberListing), total };
}

export async function updateMembershipRole(db: Sql, organizationId: number, userId: number, role: Role): Promise<void> {
  await db.run('UPDATE memberships SET role = ? WHERE organization_id = ? AND user_id = ?', [role, organizationId, userId]);
}

export async function deleteResourceRolesOf(db: Sql, organizationId: number, userId: number): Promise<void> {
  await db.run('DELETE FROM resource_roles WHERE organization_id = ? AND user_id = ?', [organizationId, userId]);
}

/** A member's per-resource roles (R2.2), keyed `application:12`. */
export async function resourceRolesOf(db: Sql, organizationId: number, userId: number): Promise<Map<string, ResourceRole>> {
  const rows = await db.rows<{ resource_type: string; resource_id: number; role: ResourceRole }>(
    'SELECT resource_type, resource_id, role FROM resource_roles WHERE organization_id = ? AND user_id = ?',
    [organizationId, userId],
  );
  return new Map(rows.map((r) => [`${r.resource_type}:${r.resource_id}`, r.role]));
}

export async function setResourceRole(
  db: Sql,
  input: { organizationId: number; userId: number; resource: { type: string; id: number }; role: ResourceRole | null },
): Promise<void> {
  const where = { user_id: input.userId, resource_type: input.resource.type, resource_id: input.resource.id };
  await db.run('DELETE FROM resource_roles WHERE user_id = ? AND resource_type = ? AND resource_id = ?', [where.user_id, where.resource_type, where.resource_id]);
  if (input.role) await insertRows(db, 'resource_roles', [{ ...where, organization_id: input.organizationId, role: input.role }]);
}

export interface ResourceRoleChange {
  type: ResourceType;
  id: number;
  /** null: back to the member's organization role. */
  role: ResourceRole | null;
}

/** Writes the changes that differ from `before`; returns them. */
export async function applyResourceRoles(
  trx: Sql,
  organizationId: number,
  userId: number,
  changes: ResourceRoleChange[],
  before: Map<string, ResourceRole>,
): Promise<ResourceRoleChange[]> {
  const changed = changes.filter((c) => (before.get(`${c.type}:${c.id}`) ?? null) !== c.role);
  for (const c of changed) await setResourceRole(trx, { organizationId, userId, resource: { type: c.type, id: c.id }, role: c.role });
  return changed;
}

/** Per-resource roles on resources that are deleted or leave their organization (R2.2). */
export async function deleteResourceRolesOn(db: Sql, resourceType: ResourceType, resourceIds: number[]): Promise<void> {
  if (resourceIds.length === 0) return;
  await db.run(`DELETE FROM resource_roles WHERE resource_type = ? AND resource_id IN (${placeholders(resourceIds.length)})`, [resourceType, ...resourceIds]);
}

/** Members of each organization given, by organization id (the back-office list, R11.1). */
export async function memberCountsOf(db: Sql, organizationIds: readonly number[]): Promise<Map<number, number>> {
  if (organizationIds.length === 0) return new Map();
  const rows = await db.rows<{ id: number; n: number | string }>(
    `SELECT organization_id AS id, COUNT(*) AS n FROM memberships WHERE organization_id IN (${placeholders(organizationIds.length)}) GROUP BY organization_id`,
    [...organizationIds],
  );
  return new Map(rows.map((r) => [Number(r.id), Number(r.n)]));
}

/** How many live (not deleted) organizations each user given belongs to (the back-office's users list). */
export async function liveOrganizationCountsOf(db: Sql, userIds: readonly number[]): Promise<Map<number, number>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.rows<{ user_id: number; n: number | string }>(
    `SELECT m.user_id, COUNT(*) AS n FROM memberships m JOIN organizations o ON o.id = m.organization_id
     WHERE o.deleted_at IS NULL AND m.user_id IN (${placeholders(userIds.length)}) GROUP BY m.user_id`,
    [...userIds],
  );
  return new Map(rows.map((r) => [Number(r.user_id), Number(r.n)]));
}
