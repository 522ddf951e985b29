import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../http/errors.ts';
import { renderConfirmation } from '../../http/confirm.ts';
import { renderPage, seeOther, setFlash } from '../../http/render.ts';
import { ROLE_LABELS } from '../tenancy/policy.ts';
import { acceptInvitation, declineInvitation, openInvitation, type InvitationGone } from './respond-to-invitation.ts';
import { assertNever } from '../../assert-never.ts';
import { inviteRoutes, type InviteRoutesOptions } from './invite-routes.ts';

type Params = { token: string };

const GONE_MESSAGES: Record<InvitationGone, string> = {
  expired: 'This invitation has expired. Ask an Administrator of the organization to renew it.',
  used: 'This invitation has already been used. If you accepted it, the organization is in your list.',
  revoked: 'This invitation was withdrawn and no longer works. Ask an Administrator of the organization for a new one.',
};

/**
 * R4.1: inviting, renewing and revoking (invite-routes.ts, for Administrators),
 * and the page the invitation link opens: no login needed to see it or to decline.
 */
export async function invitationRoutes(app: FastifyInstance, { membersPage }: InviteRoutesOptions): Promise<void> {
  const deps = app.deps;
  await app.register(inviteRoutes, { membersPage });

  const gone = (request: FastifyRequest, reply: FastifyReply, reason: InvitationGone, organizationName?: string) =>
    renderPage(
      request,
      reply,
      'pages/invitation-gone.eta',
      { message: GONE_MESSAGES[reason], organizationName, reason },
      { status: 410, title: 'Invitation no longer valid', forms: false },
    );

  app.get<{ Params: Params }>('/invites/:token', async (request, reply) => {
    const opened = await openInvitation(deps, request.params.token);
    if (!opened.ok) {
      if (opened.reason === 'not_found') throw notFound('This invitation link is not valid. Check that you copied the whole link.');
      return gone(request, reply, opened.reason, opened.organizationName);
    }
    reply.header('Referrer-Policy', 'no-referrer');
    return renderPage(
      request,
      reply,
      'pages/invitation.eta',
      {
        token: request.params.token,
        organizationName: opened.organization.name,
        inviterName: opened.invitation.inviterName,
        roleLabel: ROLE_LABELS[opened.invitation.role],
        email: opened.invitation.email,
        expiresAt: opened.invitation.expiresAt,
        next: `/invites/${request.params.token}`,
      },
      { title: `Join ${opened.organization.name} · Orgplane` },
    );
  });

  app.post<{ Params: Params }>('/invites/:token/accept', async (request, reply) => {
    if (!request.user) return seeOther(reply, `/login?next=${encodeURIComponent(`/invites/${request.params.token}`)}`);
    const result = await acceptInvitation(deps, request.params.token, request.user);
    if (!result.ok) {
      switch (result.reason) {
        case 'not_found':
          throw notFound('This invitation link is not valid.');
        case 'expired':
        case 'used':
        case 'revoked':
          return gone(request, reply, result.reason);
        case 'already_member':
          return renderPage(
            request,
            reply,
            'errors/error.eta',
            { status: 409, heading: 'You are already a member', message: 'You already belong to this organization, so the invitation was left for someone else to use or for an Administrator to revoke.' },
            { status: 409, title: 'Already a member' },
          );
        case 'member_limit':
          return renderPage(
            request,
            reply,
            'errors/error.eta',
            {
              status: 409,
              heading: 'The organization is full',
              message: `Its ${result.planName} plan allows ${result.limit} members and all places are taken. Ask an Administrator to upgrade the plan or free a place, then open the link again.`,
            },
            { status: 409, title: 'Member limit reached' },
          );
        default:
          return assertNever(result);
      }
    }
    setFlash(reply, 'success', `Welcome to ${result.organization.name}.`);
    return seeOther(reply, `/orgs/${result.organization.slug}`);
  });

  // Declining spends the link: asked first on a page of its own (works without JavaScript).
  app.get<{ Params: Params }>('/invites/:token/decline', async (request, reply) => {
    const opened = await openInvitation(deps, request.params.token);
    if (!opened.ok) {
      if (opened.reason === 'not_found') throw notFound('This invitation link is not valid. Check that you copied the whole link.');
      return gone(request, reply, opened.reason, opened.organizationName);
    }
    reply.header('Referrer-Policy', 'no-referrer');
    const name = opened.organization.name;
    return renderConfirmation(request, reply, {
      question: `Decline the invitation to ${name}?`,
      consequences: [`The link stops working, and ${name}'s Administrators see that the invitation was declined. To join ${name} later you would need a new invitation.`],
      action: `/invites/${request.params.token}/decline`,
      button: 'Decline invitation',
      cancelHref: `/invites/${request.params.token}`,
    });
  });

  app.post<{ Params: Params }>('/invites/:token/decline', async (request, reply) => {
    const result = await declineInvitation(deps, request.params.token, request.user);
    if (!result.ok) {
      if (result.reason === 'not_found') throw notFound('This invitation link is not valid.');
      return gone(request, reply, result.reason);
    }
    setFlash(reply, 'success', `You declined the invitation to ${result.organizationName}.`);
    return seeOther(reply, request.user ? '/orgs' : '/login');
  });
}
