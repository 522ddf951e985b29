import type { DbOrTrx } from '../../db/knex.ts';
import type { ResourceRole, ResourceType, Role } from './policy.ts';
import { statementsOf } from '../../db/sql.ts';

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

export async function findMembership(db: DbOrTrx, organizationId: number, userId: number): Promise<Membership | undefined> {
  const row = await statementsOf(db).first<MembershipRow>('SELECT * FROM memberships WHERE organization_id = ? AND user_id = ?', [organizationId, userId]);
  return row ? toMembership(row) : undefined;
}

export async function insertMembership(
  db: DbOrTrx,
  input: { organizationId: number; userId: number; role: Role; createdAt: Date },
): Promise<void> {
  await db('memberships').insert({
    organization_id: input.organizationId,
    user_id: input.userId,
    role: input.role,
    created_at: input.createdAt.getTime(),
  });
}

export async function deleteMembership(db: DbOrTrx, organizationId: number, userId: number): Promise<number> {
  return db('memberships').where({ organization_id: organizationId, user_id: userId }).delete();
}

export async function countAdministrators(db: DbOrTrx, organizationId: number): Promise<number> {
  const row = await db('memberships').where({ organization_id: organizationId, role: 'administrator' }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function countMembers(db: DbOrTrx, organizationId: number): Promise<number> {
  const row = await db('memberships').where({ organization_id: organizationId }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export interface MemberListing {
  userId: number;
  name: string;
  email: string;
  role: Role;
  joinedAt: Date;
}

export async function listMembers(db: DbOrTrx, organizationId: number): Promise<MemberListing[]> {
  const rows = await statementsOf(db).rows<{ user_id: number; name: string; email: string; role: Role; created_at: number }>(
    `SELECT m.user_id, u.name, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.organization_id = ? ORDER BY u.name, u.id`,
    [organizationId],
  );
  return rows.map((r) => ({ userId: r.user_id, name: r.name, email: r.email, role: r.role, joinedAt: new Date(r.created_at) }));
}

export async function updateMembershipRole(db: DbOrTrx, organizationId: number, userId: number, role: Role): Promise<void> {
  await db('memberships').where({ organization_id: organizationId, user_id: userId }).update({ role });
}

export async function deleteResourceRolesOf(db: DbOrTrx, organizationId: number, userId: number): Promise<void> {
  await db('resource_roles').where({ organization_id: organizationId, user_id: userId }).delete();
}

/** A member's per-resource roles (R2.2), keyed `application:12`. */
export async function resourceRolesOf(db: DbOrTrx, organizationId: number, userId: number): Promise<Map<string, ResourceRole>> {
  const rows = await db('resource_roles').where({ organization_id: organizationId, user_id: userId }).select('resource_type', 'resource_id', 'role');
  return new Map(rows.map((r: { resource_type: string; resource_id: number; role: ResourceRole }) => [`${r.resource_type}:${r.resource_id}`, r.role]));
}

export async function setResourceRole(
  db: DbOrTrx,
  input: { organizationId: number; userId: number; resource: { type: string; id: number }; role: ResourceRole | null },
): Promise<void> {
  const where = { user_id: input.userId, resource_type: input.resource.type, resource_id: input.resource.id };
  await db('resource_roles').where(where).delete();
  if (input.role) await db('resource_roles').insert({ ...where, organization_id: input.organizationId, role: input.role });
}

export interface ResourceRoleChange {
  type: ResourceType;
  id: number;
  /** null: back to the member's organization role. */
  role: ResourceRole | null;
}

/** Writes the changes that differ from `before`; returns them. */
export async function applyResourceRoles(
  trx: DbOrTrx,
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
export async function deleteResourceRolesOn(db: DbOrTrx, resourceType: ResourceType, resourceIds: number[]): Promise<void> {
  if (resourceIds.length) await db('resource_roles').where({ resource_type: resourceType }).whereIn('resource_id', resourceIds).delete();
}
