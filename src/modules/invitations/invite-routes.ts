import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { parseId } from '../../http/ids.ts';
import { currentUser, requireUser } from '../../http/auth.ts';
import { notFound } from '../../http/errors.ts';
import { fieldErrors, formBody, formText } from '../../http/forms.ts';
import { renderConfirmation } from '../../http/confirm.ts';
import { datesFor, seeOther, setFlash } from '../../http/render.ts';
import { normalizeEmail } from '../accounts/queries.ts';
import { setRetryAfter, waitInWords } from '../rate-limits/http.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { organizationFor, type OrgContext } from '../tenancy/access.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import { ROLE_LABELS, type Role } from '../tenancy/policy.ts';
import type { ResourceRoleChange } from '../tenancy/queries/memberships.ts';
import { inviteMember } from './invite-member.ts';
import { renewInvitation, revokeInvitation } from './manage-invitation.ts';
import { findInvitation } from './queries.ts';
import { inviteSchema } from './schemas.ts';
import { assertNever } from '../../assert-never.ts';

/**
 * Settings → Members, the page the invite form is on. The page is the members
 * module's, a layer above this one (modules/README.md), so app.ts hands it in
 * (members/routes.ts, `membersPage`).
 */
export interface MembersPage {
  /** The page again, the form keeping what was typed, with a message under a field. */
  show(request: FastifyRequest, reply: FastifyReply, ctx: OrgContext, form: { invite: { email: string; role: string }; inviteErrors: Record<string, string>; status: number }): Promise<FastifyReply>;
  /** The per-resource roles the form asks for (R2.2), read against the organization's applications and dashboards; or why one is not valid. */
  resourceRolesFromForm(organizationId: number, body: Record<string, unknown>): Promise<ResourceRoleChange[] | { invalid: string }>;
}

export interface InviteRoutesOptions {
  membersPage: (deps: Pick<Deps, 'db' | 'clock'>) => MembersPage;
}

type Params = { slug: string };
type InvitationParams = Params & { id: string };

/** R4.1–R4.3: an Administrator invites an address, renews or revokes a pending invitation. */
export async function inviteRoutes(app: FastifyInstance, { membersPage }: InviteRoutesOptions): Promise<void> {
  const { db } = app.deps;
  const page = membersPage(app.deps);
  const inviteRule = rateLimitRules(app.deps.config).invitationsByUser;
  app.addHook('preHandler', requireUser);

  app.post<{ Params: Params }>('/orgs/:slug/invitations', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    const body = formBody(request.body);
    const invite = { email: formText(body.email, 400), role: formText(body.role) };
    // R13.1, R13.3: invitations per inviting user, shared by every instance.
    const admitted = await app.deps.limiter.take(inviteRule, String(currentUser(request).id));
    if (!admitted.ok) {
      setRetryAfter(reply, admitted.retryAfterMs);
      return page.show(request, reply, ctx, { invite, inviteErrors: { email: `You have sent many invitations in a short time. Wait ${waitInWords(admitted.retryAfterMs)} and try again.` }, status: 429 });
    }
    const parsed = inviteSchema.safeParse(invite);
    if (!parsed.success) return page.show(request, reply, ctx, { invite, inviteErrors: fieldErrors(parsed.error), status: 422 });
    const grants = await page.resourceRolesFromForm(ctx.organization.id, body);
    if ('invalid' in grants) return page.show(request, reply, ctx, { invite, inviteErrors: { role: grants.invalid }, status: 422 });
    const result = await inviteMember(app.deps, {
      organization: ctx.organization,
      inviter: currentUser(request),
      email: parsed.data.email,
      role: parsed.data.role as Role,
      resourceRoles: grants.flatMap((g) => (g.role ? [{ type: g.type, id: g.id, role: g.role }] : [])),
    });
    if (!result.ok) {
      const email = normalizeEmail(parsed.data.email);
      let message: string;
      switch (result.reason) {
        case 'already_member':
          message = `${email} is already a member of ${ctx.organization.name}.`;
          break;
        case 'already_invited':
          message = `${email} already has a pending invitation. Renew it below to send a new link.`;
          break;
        case 'invitation_expired':
          message = `${email} has an expired invitation. Renew it below to send a new link.`;
          break;
        case 'member_limit':
          message = `Your ${result.planName} plan allows ${result.limit} members, counting pending invitations, and that limit is reached. Upgrade the plan or revoke a pending invitation.`;
          break;
        default:
          return assertNever(result);
      }
      return page.show(request, reply, ctx, { invite, inviteErrors: { email: message }, status: 409 });
    }
    setFlash(reply, 'success', `Invitation sent to ${normalizeEmail(parsed.data.email)}.`);
    return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/members`);
  });

  // Revoking stops the link at once, and the list is newest first: asked on a page of its own.
  app.get<{ Params: InvitationParams }>('/orgs/:slug/invitations/:id/revoke', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    const invitationId = parseId(request.params.id);
    const invitation = invitationId === null ? undefined : await findInvitation(db, ctx.organization.id, invitationId);
    if (!invitation || invitation.status !== 'pending') throw notFound('That invitation is no longer pending.');
    const members = `/orgs/${ctx.organization.slug}/settings/members`;
    return renderConfirmation(
      request,
      reply,
      {
        question: `Revoke the invitation of ${invitation.email}?`,
        consequences: [
          `The link sent to ${invitation.email} (${ROLE_LABELS[invitation.role]}, sent ${datesFor(request).date(invitation.sentAt)}) stops working at once, and its place no longer counts toward the member limit.`,
          'You can invite the address again later; a new link is sent then.',
        ],
        action: `/orgs/${ctx.organization.slug}/invitations/${invitation.id}/revoke`,
        button: 'Revoke invitation',
        cancelHref: members,
      },
      orgChrome(ctx, 'settings'),
    );
  });

  for (const action of ['renew', 'revoke'] as const) {
    app.post<{ Params: InvitationParams }>(`/orgs/:slug/invitations/:id/${action}`, async (request, reply) => {
      const ctx = await organizationFor(request, request.params.slug, 'members.manage');
      const invitationId = parseId(request.params.id);
      if (invitationId === null) throw notFound();
      const input = { organization: ctx.organization, actor: currentUser(request), invitationId };
      const result = action === 'renew' ? await renewInvitation(app.deps, input) : await revokeInvitation(app.deps, input);
      if (!result.ok) throw notFound('That invitation is no longer pending.');
      setFlash(reply, 'success', action === 'renew' ? 'Invitation renewed for 7 days; a new link was sent.' : 'Invitation revoked; its link no longer works.');
      return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/members`);
    });
  }
}
