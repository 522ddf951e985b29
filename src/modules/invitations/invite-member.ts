import type { Deps } from '../../deps.ts';
import { lockRow } from '../../db/locks.ts';
import type { User } from '../accounts/queries.ts';
import { findUserByEmail, normalizeEmail } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { planOfOwner } from '../owners/owner.ts';
import { ROLE_LABELS, type Role } from '../tenancy/policy.ts';
import { countMembers, findMembership } from '../tenancy/queries/memberships.ts';
import type { Organization } from '../tenancy/queries/organizations.ts';
import { sendInvitationEmail } from './emails.ts';
import { countOpenInvitations, findPendingInvitationFor, insertInvitation, isExpired, type Invitation } from './queries.ts';
import { INVITATION_TTL_MS, newInvitationToken } from './tokens.ts';

export type InviteResult =
  | { ok: true; invitation: Invitation }
  | { ok: false; reason: 'already_member' | 'already_invited' | 'invitation_expired' }
  | { ok: false; reason: 'member_limit'; limit: number; planName: string };

export const invitationLink = (publicUrl: string, token: string) => `${publicUrl}/invites/${token}`;

/**
 * R4.1–R4.3: an Administrator invites an address with a role. Refuses a
 * current member, an address already invited, and an invitation the member
 * limit has no room for (pending invitations count, R4.3, R7.3).
 */
export async function inviteMember(
  deps: Pick<Deps, 'db' | 'clock' | 'mailer' | 'config'>,
  input: { organization: Organization; inviter: User; email: string; role: Role; resourceRoles?: { type: 'application' | 'dashboard'; id: number; role: 'none' | 'viewer' | 'collaborator' }[] },
): Promise<InviteResult> {
  const { db, clock } = deps;
  const email = normalizeEmail(input.email);
  const { token, hash } = newInvitationToken();
  const result = await db.transaction(async (trx): Promise<InviteResult> => {
    const now = clock.now();
    await lockRow(trx, 'organizations', { id: input.organization.id });
    const existingUser = await findUserByEmail(trx, email);
    if (existingUser && (await findMembership(trx, input.organization.id, existingUser.id))) return { ok: false, reason: 'already_member' };
    const pending = await findPendingInvitationFor(trx, input.organization.id, email);
    if (pending) return { ok: false, reason: isExpired(pending, now) ? 'invitation_expired' : 'already_invited' };
    const plan = await planOfOwner(trx, { kind: 'organization', organizationId: input.organization.id });
    const used = (await countMembers(trx, input.organization.id)) + (await countOpenInvitations(trx, input.organization.id, now));
    if (used + 1 > plan.limits.members) return { ok: false, reason: 'member_limit', limit: plan.limits.members, planName: plan.name };
    const invitation = await insertInvitation(trx, {
      organizationId: input.organization.id,
      email,
      role: input.role,
      tokenHash: hash,
      invitedByUserId: input.inviter.id,
      inviterName: input.inviter.name,
      now,
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      resourceRoles: input.resourceRoles ?? [],
    });
    await recordAudit(trx, {
      organizationId: input.organization.id,
      actor: userActor(input.inviter),
      action: 'invitation.sent',
      target: { type: 'invitation', id: invitation.id, label: email },
      after: { email, role: ROLE_LABELS[input.role], expiresAt: invitation.expiresAt.toISOString(), ...(input.resourceRoles?.length ? { resourceRoles: input.resourceRoles.length } : {}) },
      at: now,
    });
    return { ok: true, invitation };
  });
  // The email goes out once the invitation is committed.
  if (result.ok) {
    await sendInvitationEmail(deps.mailer, {
      to: email,
      organizationId: input.organization.id,
      organizationName: input.organization.name,
      inviterName: input.inviter.name,
      inviterEmail: input.inviter.email,
      role: input.role,
      link: invitationLink(deps.config.publicUrl, token),
      expiresAt: result.invitation.expiresAt,
    });
  }
  return result;
}
