import type { Deps } from '../../deps.ts';
import { parseId } from '../../http/ids.ts';
import { listDashboardsOf } from '../dashboards/queries.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../../http/auth.ts';
import { badRequest, notFound } from '../../http/errors.ts';
import { formBody, formText } from '../../http/forms.ts';
import { datesFor, renderPage, seeOther, setFlash } from '../../http/render.ts';
import { Readable } from 'node:stream';
import { auditEventsFor, auditFilterChoices, listAuditEvents, type AuditFilter } from '../audit/queries.ts';
import { actionLabel, entriesText, presentAuditEvent } from '../audit/present.ts';
import { csvLine, parseExportRange } from '../usage/export.ts';
import { isExpired, listPendingInvitations } from '../invitations/queries.ts';
import type { MembersPage } from '../invitations/invite-routes.ts';
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
import { assertNever } from '../../assert-never.ts';

/** R2.2: the roles one resource can be given, for the pickers. */
const RESOURCE_ROLE_OPTIONS = RESOURCE_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] }));

type Params = { slug: string };
type MemberParams = Params & { userId: string };

const idParam = parseId;
const AUDIT_PAGE_SIZE = 25;

/**
 * Settings → Members (R4.1): the members and pending invitations, the invite
 * form and its per-resource roles. Shown by the routes here, and again with
 * the invite form's values and messages by the invite routes, which live in
 * invitations/ (a layer below): app.ts hands them this.
 */
export function membersPage(deps: Pick<Deps, 'db' | 'clock'>) {
  const { db, clock } = deps;

  /** The applications and dashboards an organization owns, for per-resource roles (R2.2). */
  async function orgResources(organizationId: number): Promise<OrgResource[]> {
    const owner = { kind: 'organization' as const, organizationId };
    const [apps, dashboards] = await Promise.all([listApplicationsOf(db, owner), listDashboardsOf(db, owner)]);
    return [...apps.map((a) => ({ type: 'application' as const, id: a.id, name: a.name })), ...dashboards.map((d) => ({ type: 'dashboard' as const, id: d.id, name: d.name }))];
  }

  async function show(
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

  const resourceRolesFromForm: MembersPage['resourceRolesFromForm'] = async (organizationId, body) => resourceRoleChangesFromForm(body, await orgResources(organizationId));

  return { show, orgResources, resourceRolesFromForm };
}

/** R4.1–R4.5: Settings → Members (with invitations) and Audit Log, for Administrators. */
export async function memberRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock } = app.deps;
  const { show: showMembers, orgResources } = membersPage(app.deps);
  app.addHook('preHandler', requireUser);

  // R3.2: every member, paged, behind the overview's "View all" link, for
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
