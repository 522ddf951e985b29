import { parseId } from '../../http/ids.ts';
import { listDashboardsOf } from '../dashboards/queries.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { currentUser, requireUser } from '../../http/auth.ts';
import { badRequest, notFound } from '../../http/errors.ts';
import { fieldErrors, formBody, formText } from '../../http/forms.ts';
import { renderConfirmation } from '../../http/confirm.ts';
import { datesFor, renderPage, seeOther, setFlash } from '../../http/render.ts';
import { normalizeEmail } from '../accounts/queries.ts';
import { Readable } from 'node:stream';
import { auditEventsFor, auditFilterChoices, listAuditEvents, type AuditFilter } from '../audit/queries.ts';
import { actionLabel, entriesText, presentAuditEvent } from '../audit/present.ts';
import { csvLine, parseExportRange } from '../usage/export.ts';
import { inviteMember } from '../invitations/invite-member.ts';
import { renewInvitation, revokeInvitation } from '../invitations/manage-invitation.ts';
import { findInvitation, isExpired, listPendingInvitations } from '../invitations/queries.ts';
import { organizationFor, type OrgContext } from '../tenancy/access.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import { changeRole } from './change-role.ts';
import { isRole, RESOURCE_ROLES, ROLE_LABELS, ROLES } from '../tenancy/policy.ts';
import { listMembers, pageMembers } from '../tenancy/queries/memberships.ts';
import { renderOrgList } from '../tenancy/org-list-page.ts';
import { removeMember } from './remove-member.ts';
import { resourceRoleChangesFromForm, setResourceRoles, type OrgResource } from './set-resource-roles.ts';
import { resourceRolesOf } from '../tenancy/queries/memberships.ts';
import { listApplicationsOf } from '../applications/queries.ts';
import { setRetryAfter, waitInWords } from '../rate-limits/http.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { assertNever } from '../../assert-never.ts';

/** R2.2: the roles one resource can be given, for the pickers. */
const RESOURCE_ROLE_OPTIONS = RESOURCE_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] }));

type Params = { slug: string };
type MemberParams = Params & { userId: string };
type InvitationParams = Params & { id: string };

const inviteSchema = z.object({
  email: z
    .string({ error: 'Enter the email address to invite.' })
    .trim()
    .min(1, 'Enter the email address to invite.')
    .max(320, 'That email address is too long.')
    .pipe(z.email({ error: 'Enter a valid email address, like name@example.com.' })),
  role: z.string({ error: 'Choose a role.' }).refine(isRole, 'Choose one of the roles in the list.'),
});

const idParam = parseId;
const AUDIT_PAGE_SIZE = 25;

/** R4.1–R4.5: Settings → Members (with invitations) and Audit Log, for Administrators. */
export async function memberRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock } = app.deps;
  const inviteRule = rateLimitRules(app.deps.config).invitationsByUser;
  app.addHook('preHandler', requireUser);

  async function showMembers(
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: OrgContext,
    opts: { invite?: { email: string; role: string }; inviteErrors?: Record<string, string>; error?: string; status?: number } = {},
  ) {
    const user = currentUser(request);
    const now = clock.now();
    const [members, invitations, resources] = await Promise.all([listMembers(db, ctx.organization.id), listPendingInvitations(db, ctx.organization.id), orgResources(ctx.organization.id)]);
    return renderPage(
      request,
      reply,
      'pages/orgs/settings-members.eta',
      {
        ...orgChrome(ctx, 'settings'),
        tab: 'members',
        members: members.map((m) => ({ ...m, roleLabel: ROLE_LABELS[m.role], isSelf: m.userId === user.id })),
        invitations: invitations.map((i) => ({ ...i, roleLabel: ROLE_LABELS[i.role], expired: isExpired(i, now) })),
        roles: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })),
        resourceRoles: RESOURCE_ROLE_OPTIONS,
        resources,
        invite: opts.invite ?? { email: '', role: 'viewer' },
        inviteErrors: opts.inviteErrors ?? {},
        error: opts.error,
      },
      { status: opts.status ?? 200, title: `Members · ${ctx.organization.name}` },
    );
  }

  // Issue 18: every member, paged, behind the overview's "View all" link, for
  // anyone who may see the overview's members list.
  app.get<{ Params: Params; Querystring: { page?: string } }>('/orgs/:slug/members', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.view');
    return renderOrgList(request, reply, ctx, {
      name: 'members',
      partial: '/partials/member-list',
      read: (window) => pageMembers(db, ctx.organization.id, window),
      present: (m) => ({ ...m, roleLabel: ROLE_LABELS[m.role] }),
      empty: 'No members.',
    });
  });

  app.get<{ Params: Params }>('/orgs/:slug/settings/members', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    return showMembers(request, reply, ctx);
  });

  app.post<{ Params: MemberParams }>('/orgs/:slug/settings/members/:userId/role', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    const targetUserId = idParam(request.params.userId);
    const role = formBody(request.body).role;
    if (targetUserId === null) throw notFound();
    const target = (await listMembers(db, ctx.organization.id)).find((m) => m.userId === targetUserId);
    if (!target) throw notFound();
    if (!isRole(role)) return showMembers(request, reply, ctx, { error: 'Choose one of the roles in the list.', status: 422 });
    const result = await changeRole(db, clock, {
      organizationId: ctx.organization.id,
      actor: currentUser(request),
      targetUserId,
      targetLabel: `${target.name} <${target.email}>`,
      role,
    });
    if (!result.ok) {
      switch (result.reason) {
        case 'not_a_member':
          throw notFound();
        case 'own_role':
          return showMembers(request, reply, ctx, { error: 'You cannot change your own role. Ask another Administrator to do it.', status: 409 });
        case 'last_administrator':
          return showMembers(request, reply, ctx, {
            error: `${target.name} is the last Administrator of ${ctx.organization.name}. Make another member an Administrator first.`,
            status: 409,
          });
        default:
          return assertNever(result.reason);
      }
    }
    setFlash(reply, 'success', `${target.name} is now ${ROLE_LABELS[role]}.`);
    return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/members`);
  });

  // Removal is confirmed on its own page, which works the same with and without JavaScript.
  app.get<{ Params: MemberParams }>('/orgs/:slug/settings/members/:userId/remove', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    const targetUserId = idParam(request.params.userId);
    const target = (await listMembers(db, ctx.organization.id)).find((m) => m.userId === targetUserId);
    if (!target) throw notFound();
    // The header says the viewer's own role; the member's is `targetRoleLabel`.
    return renderPage(request, reply, 'pages/orgs/confirm-remove.eta', { ...orgChrome(ctx, 'settings'), target, targetRoleLabel: ROLE_LABELS[target.role] }, { title: `Remove ${target.name}` });
  });

  app.post<{ Params: MemberParams }>('/orgs/:slug/settings/members/:userId/remove', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    const targetUserId = idParam(request.params.userId);
    const target = (await listMembers(db, ctx.organization.id)).find((m) => m.userId === targetUserId);
    if (!target || targetUserId === null) throw notFound();
    const result = await removeMember(db, clock, {
      organizationId: ctx.organization.id,
      actor: currentUser(request),
      targetUserId,
      targetLabel: `${target.name} <${target.email}>`,
    });
    if (!result.ok) {
      switch (result.reason) {
        case 'not_a_member':
          throw notFound();
        case 'self':
          return showMembers(request, reply, ctx, { error: 'To leave the organization yourself, use Leave Organization on its overview.', status: 409 });
        case 'last_administrator':
          return showMembers(request, reply, ctx, {
            error: `${target.name} is the last Administrator of ${ctx.organization.name} and cannot be removed.`,
            status: 409,
          });
        default:
          return assertNever(result.reason);
      }
    }
    setFlash(reply, 'success', `${target.name} was removed from ${ctx.organization.name}. Their account and Sandbox are untouched.`);
    return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/members`);
  });

  app.post<{ Params: Params }>(
    '/orgs/:slug/invitations',
    async (request, reply) => {
      const ctx = await organizationFor(request, request.params.slug, 'members.manage');
      const body = formBody(request.body);
      const invite = { email: formText(body.email, 400), role: formText(body.role) };
      // R13.1, R13.3: invitations per inviting user, shared by every instance.
      const admitted = await app.deps.limiter.take(inviteRule, String(currentUser(request).id));
      if (!admitted.ok) {
        setRetryAfter(reply, admitted.retryAfterMs);
        return showMembers(request, reply, ctx, { invite, inviteErrors: { email: `You have sent many invitations in a short time. Wait ${waitInWords(admitted.retryAfterMs)} and try again.` }, status: 429 });
      }
      const parsed = inviteSchema.safeParse(invite);
      if (!parsed.success) return showMembers(request, reply, ctx, { invite, inviteErrors: fieldErrors(parsed.error), status: 422 });
      const resources = await orgResources(ctx.organization.id);
      const grants = resourceRoleChangesFromForm(body, resources);
      if ('invalid' in grants) return showMembers(request, reply, ctx, { invite, inviteErrors: { role: grants.invalid }, status: 422 });
      const result = await inviteMember(app.deps, {
        organization: ctx.organization,
        inviter: currentUser(request),
        email: parsed.data.email,
        role: parsed.data.role as (typeof ROLES)[number],
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
        return showMembers(request, reply, ctx, { invite, inviteErrors: { email: message }, status: 409 });
      }
      setFlash(reply, 'success', `Invitation sent to ${normalizeEmail(parsed.data.email)}.`);
      return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/members`);
    },
  );

  // Revoking stops the link at once, and the list is newest first: asked on a page of its own.
  app.get<{ Params: InvitationParams }>('/orgs/:slug/invitations/:id/revoke', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    const invitationId = idParam(request.params.id);
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
      const invitationId = idParam(request.params.id);
      if (invitationId === null) throw notFound();
      const input = { organization: ctx.organization, actor: currentUser(request), invitationId };
      const result = action === 'renew' ? await renewInvitation(app.deps, input) : await revokeInvitation(app.deps, input);
      if (!result.ok) throw notFound('That invitation is no longer pending.');
      setFlash(reply, 'success', action === 'renew' ? 'Invitation renewed for 7 days; a new link was sent.' : 'Invitation revoked; its link no longer works.');
      return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/members`);
    });
  }

  /** The applications and dashboards an organization owns, for per-resource roles (R2.2). */
  async function orgResources(organizationId: number): Promise<OrgResource[]> {
    const owner = { kind: 'organization' as const, organizationId };
    const [apps, dashboards] = await Promise.all([listApplicationsOf(db, owner), listDashboardsOf(db, owner)]);
    return [...apps.map((a) => ({ type: 'application' as const, id: a.id, name: a.name })), ...dashboards.map((d) => ({ type: 'dashboard' as const, id: d.id, name: d.name }))];
  }

  async function showAccess(request: FastifyRequest<{ Params: MemberParams }>, reply: FastifyReply, ctx: OrgContext, error?: string, status = 200) {
    const targetUserId = idParam(request.params.userId);
    const target = (await listMembers(db, ctx.organization.id)).find((m) => m.userId === targetUserId);
    if (!target) throw notFound();
    const [resources, current] = await Promise.all([orgResources(ctx.organization.id), resourceRolesOf(db, ctx.organization.id, target.userId)]);
    return renderPage(
      request,
      reply,
      'pages/orgs/member-access.eta',
      {
        ...orgChrome(ctx, 'settings'),
        tab: 'members',
        target: { ...target, roleLabel: ROLE_LABELS[target.role] },
        resources: resources.map((r) => ({ ...r, current: current.get(`${r.type}:${r.id}`) ?? '' })),
        resourceRoles: RESOURCE_ROLE_OPTIONS,
        error,
      },
      { status, title: `Resource access of ${target.name}` },
    );
  }

  // R2.2: per-resource roles of one member.
  app.get<{ Params: MemberParams }>('/orgs/:slug/settings/members/:userId/access', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    return showAccess(request, reply, ctx);
  });

  app.post<{ Params: MemberParams }>('/orgs/:slug/settings/members/:userId/access', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'members.manage');
    const targetUserId = idParam(request.params.userId);
    const target = (await listMembers(db, ctx.organization.id)).find((m) => m.userId === targetUserId);
    if (!target) throw notFound();
    const resources = await orgResources(ctx.organization.id);
    const changes = resourceRoleChangesFromForm(formBody(request.body), resources);
    if ('invalid' in changes) return showAccess(request, reply, ctx, changes.invalid, 422);
    const result = await setResourceRoles(db, clock, {
      organizationId: ctx.organization.id,
      actor: currentUser(request),
      targetUserId: target.userId,
      targetLabel: `${target.name} <${target.email}>`,
      resources,
      changes,
    });
    if (!result.ok) throw notFound();
    setFlash(reply, 'success', result.changed ? `Resource access of ${target.name} saved.` : 'Nothing changed.');
    return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/members/${target.userId}/access`);
  });

  // R4.5: the audit log, newest first, paged, narrowed by action, actor and dates; the same as CSV.
  type AuditQuery = { page?: string; action?: string; actor?: string; from?: string; to?: string };
  const auditFilterOf = (query: AuditQuery) => {
    const parsed = parseExportRange({ from: query.from, to: query.to });
    const text = (v: unknown) => formText(v, 400) || undefined;
    const filter: AuditFilter = { action: text(query.action), actor: text(query.actor) };
    if (parsed.ok) {
      if (parsed.range.startMs !== null) filter.from = new Date(parsed.range.startMs);
      if (parsed.range.endMs !== null) filter.to = new Date(parsed.range.endMs);
    }
    const values = { action: filter.action ?? '', actor: filter.actor ?? '', from: parsed.ok ? (parsed.range.from ?? '') : text(query.from) ?? '', to: parsed.ok ? (parsed.range.to ?? '') : text(query.to) ?? '' };
    // The same filters for the pager and the export links.
    const qs = new URLSearchParams(Object.entries(values).filter(([, v]) => v !== '')).toString();
    return { filter, values, qs, error: parsed.ok ? null : parsed.message };
  };

  app.get<{ Params: Params; Querystring: AuditQuery }>('/orgs/:slug/settings/audit-log', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'settings.manage');
    const page = Math.max(1, Math.min(1_000_000, Number.parseInt(request.query.page ?? '1', 10) || 1));
    const { filter, values, qs, error } = auditFilterOf(request.query);
    const [{ events, total }, choices] = await Promise.all([
      listAuditEvents(db, ctx.organization.id, { limit: AUDIT_PAGE_SIZE, offset: (page - 1) * AUDIT_PAGE_SIZE }, filter),
      auditFilterChoices(db, ctx.organization.id),
    ]);
    const pages = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));
    return renderPage(
      request,
      reply,
      'pages/orgs/settings-audit.eta',
      {
        ...orgChrome(ctx, 'settings'),
        tab: 'audit',
        events: events.map((e) => presentAuditEvent(e, datesFor(request))),
        page,
        pages,
        total,
        totalText: entriesText(total),
        values,
        qs,
        error,
        filtered: qs !== '',
        actions: choices.actions.map((a) => ({ value: a, label: actionLabel(a) })).sort((a, b) => a.label.localeCompare(b.label)),
        actors: choices.actors,
      },
      { status: error ? 400 : 200, title: `Audit Log · ${ctx.organization.name}` },
    );
  });

  app.get<{ Params: Params; Querystring: AuditQuery }>('/orgs/:slug/settings/audit-log/export.csv', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'settings.manage');
    const { filter, error } = auditFilterOf(request.query);
    if (error) throw badRequest(`${error} Leave it empty to export from the first or to the last entry.`);
    async function* rows() {
      yield csvLine(['Time (UTC)', 'Actor', 'Action', 'Action key', 'Target', 'Field', 'Before', 'After']);
      for await (const e of auditEventsFor(db, ctx.organization.id, filter)) {
        const p = presentAuditEvent(e);
        const changes = p.changes.length ? p.changes : [{ field: '', before: null, after: null }];
        // One row per changed field, so a spreadsheet can filter on it.
        for (const c of changes) yield csvLine([p.atIso, p.actor, p.action, p.actionKey, p.target, c.field, c.before ?? '', c.after ?? '']);
      }
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="audit-log-${ctx.organization.slug}.csv"`)
      .header('Cache-Control', 'no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .send(Readable.from(rows(), { objectMode: false }));
  });
}
