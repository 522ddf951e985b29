import type { Deps } from '../../deps.ts';
import { openInvitation } from './respond-to-invitation.ts';
import { ROLE_LABELS } from '../tenancy/policy.ts';

const INVITATION_PATH = /^\/invites\/([A-Za-z0-9_-]{43})$/;

/**
 * R4.1: a visitor sent to sign up or log in from an invitation page: the
 * invitation behind `next`, so the form can name the organization and
 * prefill the invited address. Null for any other `next`, or a link that no
 * longer works.
 */
export async function invitationBehind(deps: Pick<Deps, 'db' | 'clock'>, next: string | undefined) {
  const token = next ? INVITATION_PATH.exec(next)?.[1] : undefined;
  if (!token) return null;
  const opened = await openInvitation(deps, token);
  if (!opened.ok) return null;
  return {
    organizationName: opened.organization.name,
    inviterName: opened.invitation.inviterName,
    roleLabel: ROLE_LABELS[opened.invitation.role],
    email: opened.invitation.email,
  };
}
