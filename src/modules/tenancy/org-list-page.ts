import type { FastifyReply, FastifyRequest } from 'fastify';
import { lastPage, pageParam, pager, pageWindow } from '../../http/paging.ts';
import { renderPage, seeOther } from '../../http/render.ts';
import { currentUser } from '../../http/auth.ts';
import type { Owner } from '../owners/columns.ts';
import { organizationFor, type OrgContext } from './access.ts';
import { orgChrome } from './chrome.ts';
import { resourceRolesOf } from './queries/memberships.ts';
import { visibleResources, type ResourceType, type VisibleResources } from './policy.ts';

/** How many rows a full list page of an organization shows. */
export const ORG_LIST_PAGE_SIZE = 25;

/**
 * R3.2: the full, paged list behind one of the overview's "View all"
 * links (members, applications, dashboards). The route has checked who may
 * see the list (`organizationFor`) and `read` reads only what the viewer may
 * see; this reads `?page=`, sends a page past the last to the last, and
 * renders the rows with the same partial the overview uses. Plain links
 * page it, with or without JavaScript.
 */
export async function renderOrgList<T>(
  request: FastifyRequest<{ Querystring: { page?: string } }>,
  reply: FastifyReply,
  ctx: OrgContext,
  list: {
    /** `members`, `applications` or `dashboards`: the address under the organization and the noun shown. */
    name: 'members' | 'applications' | 'dashboards';
    /** The partial that shows the rows, and the name it reads them under. */
    partial: string;
    read: (window: { limit: number; offset: number }) => Promise<{ rows: T[]; total: number }>;
    present?: (row: T) => unknown;
    empty: string;
  },
): Promise<FastifyReply> {
  const path = `/orgs/${ctx.organization.slug}/${list.name}`;
  const page = pageParam(request.query.page);
  const { rows, total } = await list.read(pageWindow(page, ORG_LIST_PAGE_SIZE));
  if (rows.length === 0 && page > 1) {
    // Past the last page: no row carried the total, the first row does.
    const last = lastPage((await list.read({ limit: 1, offset: 0 })).total, ORG_LIST_PAGE_SIZE);
    return seeOther(reply, last === 1 ? path : `${path}?page=${last}`);
  }
  const heading = list.name[0]!.toUpperCase() + list.name.slice(1);
  return renderPage(
    request,
    reply,
    'pages/orgs/list.eta',
    {
      // Not 'overview': the breadcrumb, not the Overview link, marks the current page.
      ...orgChrome(ctx, 'list'),
      heading,
      noun: total === 1 ? list.name.slice(0, -1) : list.name,
      total,
      partial: list.partial,
      listData: { [list.name]: list.present ? rows.map(list.present) : rows },
      empty: list.empty,
      pager: pager(path, page, total, ORG_LIST_PAGE_SIZE, `${heading} pages`),
    },
    { title: `${heading} · ${ctx.organization.name} · Orgplane` },
  );
}

/**
 * The full list of an organization's applications or dashboards: for
 * whoever sees the overview, with only the ones the member may see (R2.6),
 * the role and the overrides read on this request.
 */
export async function renderOrgResourceList<T>(
  request: FastifyRequest<{ Params: { slug: string }; Querystring: { page?: string } }>,
  reply: FastifyReply,
  type: ResourceType,
  read: (owner: Owner, visible: VisibleResources, window: { limit: number; offset: number }) => Promise<{ rows: T[]; total: number }>,
): Promise<FastifyReply> {
  const ctx = await organizationFor(request, request.params.slug, 'organization.view');
  const { db } = request.server.deps;
  const visible = visibleResources({ role: ctx.role, resourceRoles: await resourceRolesOf(db, ctx.organization.id, currentUser(request).id) }, type);
  const owner: Owner = { kind: 'organization', organizationId: ctx.organization.id };
  return renderOrgList(request, reply, ctx, {
    name: `${type}s`,
    partial: `/partials/${type}-list`,
    read: (window) => read(owner, visible, window),
    empty: `No ${type}s you can see.`,
  });
}
