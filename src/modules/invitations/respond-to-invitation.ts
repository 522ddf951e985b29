import type { Deps } from '../../deps.ts';
import { lockRow } from '../../db/locks.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { planOfOwner } from '../owners/owner.ts';
import { isResourceRole, ROLE_LABELS } from '../tenancy/policy.ts';
import { applyResourceRoles, countMembers, findMembership, insertMembership } from '../tenancy/queries/memberships.ts';
import { findOrganizationById, type Organization } from '../tenancy/queries/organizations.ts';
import { closeInvitation, findInvitationByTokenHash, invitationResourceRoles, isExpired, type Invitation } from './queries.ts';
import { applicationIdsOf } from '../applications/queries.ts';
import { dashboardIdsOf } from '../dashboards/queries.ts';
import { resourceKey } from '../tenancy/policy.ts';
import { hashInvitationToken, looksLikeToken } from './tokens.ts';

export type InvitationGone = 'expired' | 'used' | 'revoked';

export type OpenInvitationResult =
  | { ok: true; invitation: Invitation; organization: Organization }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: InvitationGone; organizationName?: string };

/** What the invitation link shows, without login (R4.1). */
export async function openInvitation(deps: Pick<Deps, 'db' | 'clock'>, token: string): Promise<OpenInvitationResult> {
  if (!looksLikeToken(token)) return { ok: false, reason: 'not_found' };
  const invitation = await findInvitationByTokenHash(deps.db, hashInvitationToken(token));
  if (!invitation) return { ok: false, reason: 'not_found' };
  const organization = await findOrganizationById(deps.db, invitation.organizationId);
  if (!organization || organization.deletedAt) return { ok: false, reason: 'revoked' };
  const gone = goneReason(invitation, deps.clock.now());
  if (gone) return { ok: false, reason: gone, organizationName: organization.name };
  return { ok: true, invitation, organization };
}

function goneReason(inv: Invitation, now: Date): InvitationGone | undefined {
  switch (inv.status) {
    case 'accepted':
    case 'declined':
      return 'used';
    case 'revoked':
    case 'cancelled':
      return 'revoked';
    case 'pending':
      return isExpired(inv, now) ? 'expired' : undefined;
  }
}

export type AcceptResult =
  | { ok: true; organization: Organization }
  | { ok: false; reason: 'not_found' | InvitationGone | 'already_member' }
  | { ok: false; reason: 'member_limit'; limit: number; planName: string };

/** R4.1, R4.3, R7.3: the signed-in person (any email: the link is the proof) joins with the invited role. */
export async function acceptInvitation(deps: Pick<Deps, 'db' | 'clock'>, token: string, user: User): Promise<AcceptResult> {
  const opened = await openInvitation(deps, token);
  if (!opened.ok) return { ok: false, reason: opened.reason };
  const { invitation, organization } = opened;
  return deps.db.transaction(async (trx): Promise<AcceptResult> => {
    const now = deps.clock.now();
    await lockRow(trx, 'organizations', { id: organization.id });
    if (await findMembership(trx, organization.id, user.id)) return { ok: false, reason: 'already_member' };
    const plan = await planOfOwner(trx, { kind: 'organization', organizationId: organization.id });
    if ((await countMembers(trx, organization.id)) + 1 > plan.limits.members) {
      return { ok: false, reason: 'member_limit', limit: plan.limits.members, planName: plan.name };
    }
    if (!(await closeInvitation(trx, invitation.id, 'accepted', now, user.id))) return { ok: false, reason: 'used' };
    await insertMembership(trx, { organizationId: organization.id, userId: user.id, role: invitation.role, createdAt: now });
    // Per-resource roles of the invitation, for resources the organization still owns (R2.2, R4.1).
    const owner = { kind: 'organization' as const, organizationId: organization.id };
    // One after the other: both read in the caller's transaction.
    const applications = await applicationIdsOf(trx, owner);
    const dashboards = await dashboardIdsOf(trx, owner);
    const owned = new Set([...applications.map((id) => resourceKey({ type: 'application', id })), ...dashboards.map((id) => resourceKey({ type: 'dashboard', id }))]);
    const grants = (await invitationResourceRoles(trx, invitation.id)).filter((r) => owned.has(`${r.type}:${r.id}`) && isResourceRole(r.role));
    await applyResourceRoles(trx, organization.id, user.id, grants, new Map());
    await recordAudit(trx, {
      organizationId: organization.id,
      actor: userActor(user),
      action: 'invitation.accepted',
      target: { type: 'member', id: user.id, label: `${user.name} <${user.email}>` },
      after: { role: ROLE_LABELS[invitation.role], invitedAs: invitation.email },
      at: now,
    });
    return { ok: true, organization };
  });
}

export type DeclineResult = { ok: true; organizationName: string } | { ok: false; reason: 'not_found' | InvitationGone };

/** Declining needs no account. */
export async function declineInvitation(deps: Pick<Deps, 'db' | 'clock'>, token: string, user: User | null): Promise<DeclineResult> {
  const opened = await openInvitation(deps, token);
  if (!opened.ok) return { ok: false, reason: opened.reason };
  const { invitation, organization } = opened;
  return deps.db.transaction(async (trx): Promise<DeclineResult> => {
    const now = deps.clock.now();
    if (!(await closeInvitation(trx, invitation.id, 'declined', now))) return { ok: false, reason: 'used' };
    await recordAudit(trx, {
      organizationId: organization.id,
      actor: user ? userActor(user) : { userId: null, label: `Invitee <${invitation.email}>` },
      action: 'invitation.declined',
      target: { type: 'invitation', id: invitation.id, label: invitation.email },
      at: now,
    });
    return { ok: true, organizationName: organization.name };
  });
}
