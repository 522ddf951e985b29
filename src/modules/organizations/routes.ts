import { pageDashboardsOf } from '../dashboards/queries.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../../http/auth.ts';
import { fieldErrors, formBody, formText } from '../../http/forms.ts';
import { renderConfirmation } from '../../http/confirm.ts';
import { isHtmx, renderPage, renderPartial, seeOther, setFlash } from '../../http/render.ts';
import { billingSummaries, findBillingAccount } from '../owners/queries/billing-accounts.ts';
import { STATUS_BADGES, STATUS_LABELS } from '../billing/status.ts';
import { leaveOrganization } from '../members/leave-organization.ts';
import { can, ROLE_LABELS, visibleResources } from '../tenancy/policy.ts';
import { resourceRolesOf } from '../tenancy/queries/memberships.ts';
import { pageApplicationsOf } from '../applications/queries.ts';
import { pageMembers } from '../tenancy/queries/memberships.ts';
import { pageWindow } from '../../http/paging.ts';
import { planOfOrganization } from '../owners/queries.ts';
import { organizationFor, type OrgContext } from '../tenancy/access.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import { DEFAULT_ICON_COLOR, ICON_PALETTE, iconFor, isIconColor, nextIconColor } from '../tenancy/icon.ts';
import { organizationsOfUser } from '../tenancy/queries/organizations.ts';
import { deletedOrganizationsShownTo } from './deleted-organizations.ts';
import { generalSettingsSchema } from './schemas.ts';
import { updateGeneralSettings } from './update-general.ts';
import { deleteOrganizationRoutes } from './delete-routes.ts';
import { wizardRoutes } from './wizard-routes.ts';
import { assertNever } from '../../assert-never.ts';

/** How many members, applications and dashboards the overview shows before its "View all" links. */
export const OVERVIEW_LIST_SIZE = 10;

export async function organizationRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps;

  await app.register(wizardRoutes);
  await app.register(deleteOrganizationRoutes);

  await app.register(async (scoped) => {
    scoped.addHook('preHandler', requireUser);

    // R3.1: the listing page.
    scoped.get('/orgs', async (request, reply) => {
      const user = currentUser(request);
      const orgs = await organizationsOfUser(db, user.id);
      const billing = await billingSummaries(db, orgs.map((o) => o.id));
      const rows = orgs.map((o) => {
        const b = billing.get(o.id);
        return {
          slug: o.slug,
          name: o.name,
          icon: iconFor(o.name, o.iconColor),
          role: ROLE_LABELS[o.role as keyof typeof ROLE_LABELS] ?? o.role,
          plan: b?.planName ?? '—',
          status: b ? STATUS_LABELS[b.status] : '—',
          statusBadge: STATUS_BADGES[b?.status ?? 'active'],
        };
      });
      // R3.9, R9.14: deleted organizations the user is still told of, or may read invoices of.
      const deleted = await deletedOrganizationsShownTo(db, user.id, app.deps.clock.now());
      return renderPage(request, reply, 'pages/orgs/index.eta', { rows, deleted }, { title: 'Organizations · Orgplane' });
    });

    // R3.2: the overview, with only the resources this member may see (R2.6).
    // R3.2: the first few members, applications and dashboards with their
    // totals, one statement each; the full lists are paged pages of their own.
    scoped.get<{ Params: { slug: string } }>('/orgs/:slug', async (request, reply) => {
      const ctx = await organizationFor(request, request.params.slug, 'organization.view');
      const actor = { role: ctx.role, resourceRoles: await resourceRolesOf(db, ctx.organization.id, currentUser(request).id) };
      const owner = { kind: 'organization' as const, organizationId: ctx.organization.id };
      const first = pageWindow(1, OVERVIEW_LIST_SIZE);
      const [members, applications, dashboards] = await Promise.all([
        pageMembers(db, ctx.organization.id, first),
        pageApplicationsOf(db, owner, visibleResources(actor, 'application'), first),
        pageDashboardsOf(db, owner, visibleResources(actor, 'dashboard'), first),
      ]);
      // The plan's limits are told only in the next steps of an empty organization.
      const empty = applications.total === 0 && dashboards.total === 0;
      return renderPage(
        request,
        reply,
        'pages/orgs/overview.eta',
        {
          ...orgChrome(ctx, 'overview'),
          members: members.rows.map((m) => ({ ...m, roleLabel: ROLE_LABELS[m.role] })),
          plan: empty ? await planOfOrganization(db, ctx.organization.id) : null,
          applications: applications.rows,
          dashboards: dashboards.rows,
          totals: { members: members.total, applications: applications.total, dashboards: dashboards.total },
          canCreateResources: can(ctx.role, 'resources.create'),
          leaveError: null,
        },
        { title: `${ctx.organization.name} · Orgplane` },
      );
    });

    // Leaving is asked on a page of its own, which works the same with and without JavaScript.
    scoped.get<{ Params: { slug: string } }>('/orgs/:slug/leave', async (request, reply) => {
      const ctx = await organizationFor(request, request.params.slug, 'organization.leave');
      const name = ctx.organization.name;
      return renderConfirmation(
        request,
        reply,
        {
          question: `Leave ${name}?`,
          consequences: [
            `You lose access to ${name}'s applications and dashboards at once. They stay with the organization, and your account and Sandbox are not affected.`,
            'To come back, an Administrator has to invite you again.',
          ],
          action: `/orgs/${ctx.organization.slug}/leave`,
          button: 'Leave Organization',
          cancelHref: `/orgs/${ctx.organization.slug}`,
        },
        orgChrome(ctx, 'overview'),
      );
    });

    scoped.post<{ Params: { slug: string } }>('/orgs/:slug/leave', async (request, reply) => {
      const user = currentUser(request);
      const ctx = await organizationFor(request, request.params.slug, 'organization.leave');
      const result = await leaveOrganization(db, app.deps.clock, ctx.organization.id, user);
      if (!result.ok) {
        switch (result.reason) {
          case 'not_a_member':
            return seeOther(reply, '/orgs');
          case 'last_administrator':
            setFlash(
              reply,
              'error',
              `You are the last Administrator of ${ctx.organization.name}, so you cannot leave it. Make another member an Administrator first, or delete the organization.`,
            );
            return seeOther(reply, `/orgs/${ctx.organization.slug}`);
          default:
            return assertNever(result.reason);
        }
      }
      setFlash(reply, 'success', `You left ${ctx.organization.name}.`);
      return seeOther(reply, '/orgs');
    });

    // R3.8: Settings, Administrators only.
    scoped.get<{ Params: { slug: string } }>('/orgs/:slug/settings', async (request, reply) => {
      const ctx = await organizationFor(request, request.params.slug, 'settings.manage');
      return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/general`);
    });

    const showGeneral = async (
      request: FastifyRequest,
      reply: FastifyReply,
      ctx: OrgContext,
      opts: { values?: { name: string; description: string; icon_color: string }; errors?: Record<string, string>; status?: number } = {},
    ) => {
      const values = opts.values ?? { name: ctx.organization.name, description: ctx.organization.description, icon_color: ctx.organization.iconColor };
      const billing = await findBillingAccount(db, ctx.organization.id);
      const color = isIconColor(values.icon_color) ? values.icon_color.toLowerCase() : DEFAULT_ICON_COLOR;
      return renderPage(
        request,
        reply,
        'pages/orgs/settings-general.eta',
        {
          ...orgChrome(ctx, 'settings'),
          tab: 'general',
          values,
          errors: opts.errors ?? {},
          palette: ICON_PALETTE,
          color,
          icon: iconFor(values.name || ctx.organization.name, color),
          iconUrl: `/orgs/${ctx.organization.slug}/settings/general/icon`,
          billingEmail: billing?.billingEmail,
        },
        { status: opts.status ?? 200, title: `General settings · ${ctx.organization.name}` },
      );
    };

    scoped.get<{ Params: { slug: string } }>('/orgs/:slug/settings/general', async (request, reply) => {
      const ctx = await organizationFor(request, request.params.slug, 'settings.manage');
      return showGeneral(request, reply, ctx);
    });

    scoped.post<{ Params: { slug: string } }>('/orgs/:slug/settings/general', async (request, reply) => {
      const ctx = await organizationFor(request, request.params.slug, 'settings.manage');
      const body = formBody(request.body);
      const values = {
        name: formText(body.name),
        description: formText(body.description),
        icon_color: typeof body.icon_color === 'string' ? body.icon_color.slice(0, 20) : '',
      };
      if (body.action === 'cycle-color') {
        // Without JavaScript the icon is a submit button: the form comes back with the next color, not yet saved.
        const current = isIconColor(values.icon_color) ? values.icon_color.toLowerCase() : DEFAULT_ICON_COLOR;
        return showGeneral(request, reply, ctx, { values: { ...values, icon_color: nextIconColor(current) } });
      }
      const parsed = generalSettingsSchema.safeParse(values);
      if (!parsed.success) return showGeneral(request, reply, ctx, { values, errors: fieldErrors(parsed.error), status: 422 });
      await updateGeneralSettings(db, app.deps.clock, currentUser(request), ctx.organization, {
        name: parsed.data.name,
        description: parsed.data.description,
        iconColor: parsed.data.icon_color,
      });
      setFlash(reply, 'success', 'Settings saved.');
      return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/general`);
    });

    // R3.5 with htmx: the icon previewed with the next color, or the letters of the name being typed. Nothing is saved.
    scoped.post<{ Params: { slug: string } }>('/orgs/:slug/settings/general/icon', async (request, reply) => {
      const ctx = await organizationFor(request, request.params.slug, 'settings.manage');
      if (!isHtmx(request)) return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/general`);
      const body = formBody(request.body);
      const typed = typeof body.icon_color === 'string' ? body.icon_color.slice(0, 7) : '';
      const current = isIconColor(typed) ? typed.toLowerCase() : DEFAULT_ICON_COLOR;
      const color = body.action === 'cycle-color' ? nextIconColor(current) : current;
      const name = typeof body.name === 'string' && body.name.trim() ? body.name.slice(0, 255) : ctx.organization.name;
      return renderPartial(request, reply, 'partials/icon-picker.eta', {
        icon: iconFor(name, color),
        palette: ICON_PALETTE,
        color,
        iconUrl: `/orgs/${ctx.organization.slug}/settings/general/icon`,
      });
    });
  });
}
