import { insertSql, type Sql } from '../../db/sql.ts';
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

export async function findInvitationByTokenHash(db: Sql, hash: string): Promise<Invitation | undefined> {
  const row = await db.first<InvitationRow>('SELECT * FROM invitations WHERE token_hash = ?', [hash]);
  return row ? toInvitation(row) : undefined;
}

export async function findInvitation(db: Sql, organizationId: number, id: number): Promise<Invitation | undefined> {
  const row = await db.first<InvitationRow>('SELECT * FROM invitations WHERE organization_id = ? AND id = ?', [organizationId, id]);
  return row ? toInvitation(row) : undefined;
}

/** Pending invitations (expired or not) of an organization, newest first. */
export async function listPendingInvitations(db: Sql, organizationId: number): Promise<Invitation[]> {
  const rows = await db.rows<InvitationRow>("SELECT * FROM invitations WHERE organization_id = ? AND status = 'pending' ORDER BY id DESC", [organizationId]);
  return rows.map(toInvitation);
}

export async function findPendingInvitationFor(db: Sql, organizationId: number, email: string): Promise<Invitation | undefined> {
  const row = await db.first<InvitationRow>("SELECT * FROM invitations WHERE organization_id = ? AND status = 'pending' AND email = ?", [organizationId, email]);
  return row ? toInvitation(row) : undefined;
}

/** R4.3: pending invitations that have not expired count against the member limit. */
export async function countOpenInvitations(db: Sql, organizationId: number, now: Date): Promise<number> {
  const row = await db.first<{ n: number }>("SELECT COUNT(*) AS n FROM invitations WHERE organization_id = ? AND status = 'pending' AND expires_at > ?", [
    organizationId,
    now.getTime(),
  ]);
  return Number(row?.n ?? 0);
}

export async function insertInvitation(
  db: Sql,
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
  const { sql, bindings } = insertSql(
    'invitations',
    [
      {
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
      },
    ],
    '*',
  );
  return toInvitation((await db.first<InvitationRow>(sql, bindings))!);
}

/** Moves a pending invitation to its final state; false when it was no longer pending. */
export async function closeInvitation(
  db: Sql,
  id: number,
  status: Exclude<InvitationStatus, 'pending'>,
  now: Date,
  acceptedByUserId?: number,
): Promise<boolean> {
  const n = await db.run("UPDATE invitations SET status = ?, responded_at = ?, accepted_by_user_id = ? WHERE id = ? AND status = 'pending'", [
    status,
    now.getTime(),
    acceptedByUserId ?? null,
    id,
  ]);
  return n === 1;
}

export async function renewInvitationRow(db: Sql, id: number, tokenHash: string, now: Date, expiresAt: Date): Promise<boolean> {
  const n = await db.run("UPDATE invitations SET token_hash = ?, sent_at = ?, expires_at = ? WHERE id = ? AND status = 'pending'", [
    tokenHash,
    now.getTime(),
    expiresAt.getTime(),
    id,
  ]);
  return n === 1;
}

/** R3.9: an organization's pending invitations stop working. */
export async function cancelPendingInvitations(db: Sql, organizationId: number, now: Date): Promise<number> {
  return db.run("UPDATE invitations SET status = 'cancelled', responded_at = ? WHERE organization_id = ? AND status = 'pending'", [now.getTime(), organizationId]);
}

/** R4.1: the per-resource roles an invitation grants on acceptance. */
export async function invitationResourceRoles(db: Sql, id: number): Promise<{ type: 'application' | 'dashboard'; id: number; role: 'none' | 'viewer' | 'collaborator' }[]> {
  const row = await db.first<{ resource_roles_json: string }>('SELECT resource_roles_json FROM invitations WHERE id = ?', [id]);
  try {
    const parsed = JSON.parse(row?.resource_roles_json ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as never) : [];
  } catch {
    return [];
  }
}
