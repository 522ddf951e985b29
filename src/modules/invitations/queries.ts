import type { DbOrTrx } from '../../db/knex.ts';
import type { Role } from '../tenancy/policy.ts';

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'cancelled';

export interface Invitation {
  id: number;
  organizationId: number;
  email: string;
  role: Role;
  inviterName: string;
  invitedByUserId: number | null;
  status: InvitationStatus;
  sentAt: Date;
  expiresAt: Date;
  createdAt: Date;
}

interface InvitationRow {
  id: number;
  organization_id: number;
  email: string;
  role: Role;
  inviter_name: string;
  token_hash: string;
  resource_roles_json: string;
  invited_by_user_id: number | null;
  status: InvitationStatus;
  sent_at: number;
  expires_at: number;
  created_at: number;
}

const toInvitation = (r: InvitationRow): Invitation => ({
  id: r.id,
  organizationId: r.organization_id,
  email: r.email,
  role: r.role,
  inviterName: r.inviter_name,
  invitedByUserId: r.invited_by_user_id,
  status: r.status,
  sentAt: new Date(Number(r.sent_at)),
  expiresAt: new Date(Number(r.expires_at)),
  createdAt: new Date(Number(r.created_at)),
});

export const isExpired = (inv: Invitation, now: Date) => inv.expiresAt.getTime() <= now.getTime();

export async function findInvitationByTokenHash(db: DbOrTrx, hash: string): Promise<Invitation | undefined> {
  const row = await db<InvitationRow>('invitations').where({ token_hash: hash }).first();
  return row ? toInvitation(row) : undefined;
}

export async function findInvitation(db: DbOrTrx, organizationId: number, id: number): Promise<Invitation | undefined> {
  const row = await db<InvitationRow>('invitations').where({ organization_id: organizationId, id }).first();
  return row ? toInvitation(row) : undefined;
}

/** Pending invitations (expired or not) of an organization, newest first. */
export async function listPendingInvitations(db: DbOrTrx, organizationId: number): Promise<Invitation[]> {
  const rows = await db<InvitationRow>('invitations').where({ organization_id: organizationId, status: 'pending' }).orderBy('id', 'desc');
  return rows.map(toInvitation);
}

export async function findPendingInvitationFor(db: DbOrTrx, organizationId: number, email: string): Promise<Invitation | undefined> {
  const row = await db<InvitationRow>('invitations').where({ organization_id: organizationId, status: 'pending', email }).first();
  return row ? toInvitation(row) : undefined;
}

/** R4.3: pending invitations that have not expired count against the member limit. */
export async function countOpenInvitations(db: DbOrTrx, organizationId: number, now: Date): Promise<number> {
  const row = await db('invitations')
    .where({ organization_id: organizationId, status: 'pending' })
    .andWhere('expires_at', '>', now.getTime())
    .count({ n: '*' })
    .first();
  return Number(row?.n ?? 0);
}

export async function insertInvitation(
  db: DbOrTrx,
  input: {
    organizationId: number;
    email: string;
    role: Role;
    tokenHash: string;
    invitedByUserId: number;
    inviterName: string;
    now: Date;
    expiresAt: Date;
    resourceRoles?: { type: string; id: number; role: string }[];
  },
): Promise<Invitation> {
  const [row] = await db<InvitationRow>('invitations')
    .insert({
      organization_id: input.organizationId,
      email: input.email,
      role: input.role,
      token_hash: input.tokenHash,
      invited_by_user_id: input.invitedByUserId,
      inviter_name: input.inviterName,
      resource_roles_json: JSON.stringify(input.resourceRoles ?? []),
      status: 'pending',
      created_at: input.now.getTime(),
      sent_at: input.now.getTime(),
      expires_at: input.expiresAt.getTime(),
    })
    .returning('*');
  return toInvitation(row as InvitationRow);
}

/** Moves a pending invitation to its final state; false when it was no longer pending. */
export async function closeInvitation(
  db: DbOrTrx,
  id: number,
  status: Exclude<InvitationStatus, 'pending'>,
  now: Date,
  acceptedByUserId?: number,
): Promise<boolean> {
  const n = await db('invitations')
    .where({ id, status: 'pending' })
    .update({ status, responded_at: now.getTime(), accepted_by_user_id: acceptedByUserId ?? null });
  return n === 1;
}

export async function renewInvitationRow(db: DbOrTrx, id: number, tokenHash: string, now: Date, expiresAt: Date): Promise<boolean> {
  const n = await db('invitations')
    .where({ id, status: 'pending' })
    .update({ token_hash: tokenHash, sent_at: now.getTime(), expires_at: expiresAt.getTime() });
  return n === 1;
}

/** R3.9: an organization's pending invitations stop working. */
export async function cancelPendingInvitations(db: DbOrTrx, organizationId: number, now: Date): Promise<number> {
  return db('invitations').where({ organization_id: organizationId, status: 'pending' }).update({ status: 'cancelled', responded_at: now.getTime() });
}

/** R4.1: the per-resource roles an invitation grants on acceptance. */
export async function invitationResourceRoles(db: DbOrTrx, id: number): Promise<{ type: 'application' | 'dashboard'; id: number; role: 'none' | 'viewer' | 'collaborator' }[]> {
  const row = await db('invitations').where({ id }).first('resource_roles_json');
  try {
    const parsed = JSON.parse(row?.resource_roles_json ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as never) : [];
  } catch {
    return [];
  }
}
