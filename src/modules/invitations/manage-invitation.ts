import type { Deps } from '../../deps.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import type { Organization } from '../tenancy/queries/organizations.ts';
import { sendInvitationEmail } from './emails.ts';
import { invitationLink } from './invite-member.ts';
import { closeInvitation, findInvitation, renewInvitationRow } from './queries.ts';
import { INVITATION_TTL_MS, newInvitationToken } from './tokens.ts';

export type ManageInvitationResult = { ok: true } | { ok: false; reason: 'not_found' };

/**
 * R4.2: Renew restarts the 7 days of a pending or expired invitation. A new
 * link is mailed; the old one stops working.
 */
export async function renewInvitation(
  deps: Pick<Deps, 'db' | 'clock' | 'mailer' | 'config'>,
  input: { organization: Organization; actor: User; invitationId: number },
): Promise<ManageInvitationResult> {
  const { db, clock } = deps;
  const { token, hash } = newInvitationToken();
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  const invitation = await db.transaction(async (trx) => {
    const inv = await findInvitation(trx, input.organization.id, input.invitationId);
    if (!inv || inv.status !== 'pending') return undefined;
    if (!(await renewInvitationRow(trx, inv.id, hash, now, expiresAt))) return undefined;
    await recordAudit(trx, {
      organizationId: input.organization.id,
      actor: userActor(input.actor),
      action: 'invitation.renewed',
      target: { type: 'invitation', id: inv.id, label: inv.email },
      before: { expiresAt: inv.expiresAt.toISOString() },
      after: { expiresAt: expiresAt.toISOString() },
      at: now,
    });
    return inv;
  });
  if (!invitation) return { ok: false, reason: 'not_found' };
  await sendInvitationEmail(deps.mailer, {
    to: invitation.email,
    organizationId: input.organization.id,
    organizationName: input.organization.name,
    inviterName: input.actor.name,
    inviterEmail: input.actor.email,
    role: invitation.role,
    link: invitationLink(deps.config.publicUrl, token),
    expiresAt,
  });
  return { ok: true };
}

/** R4.2: Revoke removes the invitation from the list; its link answers 410. */
export async function revokeInvitation(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { organization: Organization; actor: User; invitationId: number },
): Promise<ManageInvitationResult> {
  const { db, clock } = deps;
  return db.transaction(async (trx) => {
    const inv = await findInvitation(trx, input.organization.id, input.invitationId);
    if (!inv || inv.status !== 'pending') return { ok: false, reason: 'not_found' } as const;
    const now = clock.now();
    if (!(await closeInvitation(trx, inv.id, 'revoked', now))) return { ok: false, reason: 'not_found' } as const;
    await recordAudit(trx, {
      organizationId: input.organization.id,
      actor: userActor(input.actor),
      action: 'invitation.revoked',
      target: { type: 'invitation', id: inv.id, label: inv.email },
      at: now,
    });
    return { ok: true } as const;
  });
}
