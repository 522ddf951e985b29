import type { DbOrTrx } from '../../db/knex.ts';
import type { Role } from './policy.ts';

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
  const row = await db<MembershipRow>('memberships').where({ organization_id: organizationId, user_id: userId }).first();
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
  const rows = await db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.organization_id', organizationId)
    .orderBy([{ column: 'u.name' }, { column: 'u.id' }])
    .select<{ user_id: number; name: string; email: string; role: Role; created_at: number }[]>(
      'm.user_id',
      'u.name',
      'u.email',
      'm.role',
      'm.created_at',
    );
  return rows.map((r) => ({ userId: r.user_id, name: r.name, email: r.email, role: r.role, joinedAt: new Date(r.created_at) }));
}

/** The organizations a user belongs to, with the role in each. */
export async function membershipsOfUser(db: DbOrTrx, userId: number): Promise<{ organizationId: number; role: Role }[]> {
  const rows = await db<MembershipRow>('memberships').where({ user_id: userId }).select('organization_id', 'role');
  return rows.map((r) => ({ organizationId: r.organization_id, role: r.role }));
}
