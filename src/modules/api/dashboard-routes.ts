import type { FastifyInstance } from 'fastify';
import type { User } from '../accounts/queries.ts';
import { createDashboard } from '../dashboards/create-dashboard.ts';
import { deleteDashboard } from '../dashboards/delete-dashboard.ts';
import { listInWords, SHARED_PASSWORD_MAX, sharedPasswordShortfalls, type Visibility } from '../dashboards/policy.ts';
import { dashboardsOf, findDashboard, type Dashboard } from '../dashboards/queries.ts';
import { dashboardDetailsSchema } from '../dashboards/schemas.ts';
import { setVisibility } from '../dashboards/set-visibility.ts';
import { updateDashboard } from '../dashboards/update-dashboard.ts';
import { assertNever } from '../../assert-never.ts';
import { zodRefusal } from './application-routes.ts';
import { ApiError, apiNotFound, apiValidation } from './errors.ts';
import { apiIdSchema } from './ids.ts';
import { listEnvelope, listQuerySchema, type ListQuery } from './list.ts';
import { principalOf } from './principal.ts';
import { presentDashboard } from './present-resources.ts';
import { apiDashboard, creatableOwner, readableOwners, readerSees } from './resource-access.ts';

const optionalId = { type: 'string', pattern: '^([A-Fa-f\\d]{24}|\\d{1,10})?$' } as const;
const params = { type: 'object', properties: { dashboardId: apiIdSchema }, required: ['dashboardId'] } as const;
const sharing = {
  public: { type: 'boolean' },
  password: { type: 'string', nullable: true, maxLength: SHARED_PASSWORD_MAX },
} as const;
const details = { name: { type: 'string', minLength: 1, maxLength: 255 }, description: { type: 'string', maxLength: 2_000 } } as const;

interface SharingBody {
  public?: boolean;
  password?: string | null;
}

/**
 * Losant's `public` and `password` as Orgplane's visibility (R5.2): not
 * public is private (a password then is refused); public with a password is
 * password-protected; public with a null or empty password is public; public
 * without a password keeps a password-protected dashboard's password.
 * `password` alone applies to a dashboard that is public already.
 */
export function visibilityFrom(current: Visibility, body: SharingBody): { visibility: Visibility; password: string } {
  const isPublic = body.public ?? current !== 'private';
  const password = body.password ?? undefined;
  if (!isPublic) {
    if (password) throw apiValidation('password: only a public dashboard has a password. Send public: true with it.');
    return { visibility: 'private', password: '' };
  }
  if (password) {
    const missing = sharedPasswordShortfalls(password);
    if (missing.length) throw apiValidation(`password: the shared password needs ${listInWords(missing)}.`);
    return { visibility: 'password', password };
  }
  if (password === undefined && body.password !== null && current === 'password') return { visibility: 'password', password: '' };
  return { visibility: 'public', password: '' };
}

/** R16.1, R5.2: dashboards (Losant's dashboards, dashboard), over the use cases of the dashboard pages. */
export async function dashboardApiRoutes(api: FastifyInstance): Promise<void> {
  const { db, clock } = api.deps;

  async function applyVisibility(user: User, dashboard: Dashboard, wanted: { visibility: Visibility; password: string }) {
    const result = await setVisibility(db, clock, user, dashboard, wanted);
    if (result.ok) return;
    switch (result.reason) {
      case 'password_required':
        throw apiValidation('password: choose the shared password that visitors will enter.');
      case 'weak_password':
        throw apiValidation(`password: the shared password needs ${listInWords(result.missing)}.`);
      default:
        return assertNever(result);
    }
  }

  api.get<{ Querystring: ListQuery & { orgId?: string; applicationId?: string } }>(
    '/dashboards',
    {
      config: { action: 'dashboards.get' },
      schema: {
        tags: ['dashboards'],
        summary: 'The dashboards the user can see: Sandbox and organizations, or one owner with orgId (dashboards.get). Orgplane dashboards belong to an owner, not to an application: applicationId other than blank finds none.',
        querystring: { type: 'object', properties: { ...listQuerySchema, orgId: optionalId, applicationId: optionalId } },
      },
    },
    async (request) => {
      const { user } = principalOf(request);
      const items = [];
      for (const reader of await readableOwners(db, user, request.query.orgId)) {
        for (const dashboard of await dashboardsOf(db, reader.owner)) {
          if (readerSees(reader, 'dashboard', dashboard.id)) items.push(presentDashboard(dashboard, reader.organization));
        }
      }
      const linked = request.query.applicationId ? [] : items;
      return listEnvelope(linked, request.query, { fields: ['name', 'id', 'creationDate', 'ownerId', 'lastUpdated'], defaultSort: 'name' });
    },
  );

  api.post<{ Body: { name: string; description?: string; orgId?: string } & SharingBody }>(
    '/dashboards',
    {
      config: { action: 'dashboards.post' },
      schema: {
        tags: ['dashboards'],
        summary: 'Create a dashboard in the Sandbox, or in the organization orgId; private unless public (dashboards.post)',
        body: { type: 'object', properties: { orgId: apiIdSchema, ...details, ...sharing }, required: ['name'], additionalProperties: false },
      },
    },
    async (request, reply) => {
      const { user } = principalOf(request);
      const parsed = dashboardDetailsSchema.safeParse({ name: request.body.name, description: request.body.description ?? '' });
      if (!parsed.success) throw zodRefusal(parsed.error);
      // Checked before anything is made, so a refused password leaves no dashboard behind.
      const wanted = visibilityFrom('private', request.body);
      const { owner, organization } = await creatableOwner(db, user, request.body.orgId, 'dashboards');
      const result = await createDashboard(db, clock, { user, owner, name: parsed.data.name, description: parsed.data.description });
      if (!result.ok) {
        switch (result.reason) {
          case 'over_limit':
            throw new ApiError(409, result.message);
          case 'owner_unpaid':
            throw new ApiError(402, `${organization?.name ?? 'The organization'} is Unpaid, so no dashboards can be created there until an Administrator updates the payment method.`);
          default:
            return assertNever(result);
        }
      }
      let dashboard = await findDashboard(db, result.dashboardId);
      if (!dashboard) throw apiNotFound('Dashboard');
      if (wanted.visibility !== 'private') {
        await applyVisibility(user, dashboard, wanted);
        dashboard = (await findDashboard(db, result.dashboardId)) ?? dashboard;
      }
      return reply.code(201).send(presentDashboard(dashboard, organization));
    },
  );

  api.get<{ Params: { dashboardId: string } }>(
    '/dashboards/:dashboardId',
    { config: { action: 'dashboard.get' }, schema: { tags: ['dashboards'], summary: 'One dashboard (dashboard.get)', params } },
    async (request) => {
      const { dashboard, access } = await apiDashboard(db, principalOf(request).user, request.params.dashboardId, 'resources.view');
      return presentDashboard(dashboard, access.organization);
    },
  );

  api.patch<{ Params: { dashboardId: string }; Body: { name?: string; description?: string } & SharingBody }>(
    '/dashboards/:dashboardId',
    {
      config: { action: 'dashboard.patch' },
      schema: {
        tags: ['dashboards'],
        summary: 'Rename, describe or share a dashboard: public, and password for a password-protected one (dashboard.patch)',
        params,
        body: { type: 'object', properties: { ...details, ...sharing }, additionalProperties: false },
      },
    },
    async (request) => {
      const { user } = principalOf(request);
      const { dashboard, access } = await apiDashboard(db, user, request.params.dashboardId, 'resources.edit');
      const body = request.body;
      const parsed = dashboardDetailsSchema.safeParse({ name: body.name ?? dashboard.name, description: body.description ?? dashboard.description });
      if (!parsed.success) throw zodRefusal(parsed.error);
      const sharingAsked = body.public !== undefined || body.password !== undefined;
      const wanted = sharingAsked ? visibilityFrom(dashboard.visibility, body) : null;
      if (wanted?.visibility === 'password' && wanted.password === '' && !dashboard.passwordHash) throw apiValidation('password: choose the shared password that visitors will enter.');
      if (body.name !== undefined || body.description !== undefined) await updateDashboard(db, dashboard, parsed.data);
      if (wanted) await applyVisibility(user, { ...dashboard, ...parsed.data }, wanted);
      const now = (await findDashboard(db, dashboard.id)) ?? dashboard;
      return presentDashboard(now, access.organization);
    },
  );

  api.delete<{ Params: { dashboardId: string } }>(
    '/dashboards/:dashboardId',
    { config: { action: 'dashboard.delete' }, schema: { tags: ['dashboards'], summary: 'Delete a dashboard; its share link stops working (dashboard.delete)', params } },
    async (request) => {
      const { user } = principalOf(request);
      const { dashboard, access } = await apiDashboard(db, user, request.params.dashboardId, 'resources.edit');
      if (!access.canDelete) throw new ApiError(403, 'Deleting a dashboard needs the Editor role or more.');
      await deleteDashboard(db, clock, user, dashboard);
      return { success: true };
    },
  );
}
