import type { Sql } from '../../db/sql.ts';
import { HttpError } from '../../http/errors.ts';
import type { User } from '../accounts/queries.ts';
import { dashboardResource, findDashboard } from '../dashboards/queries.ts';
import type { Owner } from '../owners/columns.ts';
import { applicationAccess } from '../applications/access.ts';
import { pausedByUnpaid, resourceAccess } from '../resources/access.ts';
import { can, type Actor, type OrgAction, type ResourceType, type Role } from '../tenancy/policy.ts';
import { resourceRolesOf } from '../tenancy/queries/memberships.ts';
import { organizationsOfUser, type Organization } from '../tenancy/queries/organizations.ts';
import { ApiError, apiNotFound } from './errors.ts';
import { fromApiId } from './ids.ts';

/**
 * R2.2, R2.5, R9.8 through the API: the pages' access checks, with the
 * API's refusals — 404 NotFound for a stranger (as for no such thing), 403
 * Forbidden for a role too low, 402 PaymentRequired for a change to an
 * Unpaid organization's applications and dashboards.
 */
function asApiError(err: unknown, what: string): unknown {
  if (!(err instanceof HttpError) || err instanceof ApiError) return err;
  if (err.statusCode === 404) return apiNotFound(what);
  if (err.statusCode === 403) return new ApiError(403, err.message);
  // pausedByUnpaid: the page's 409 is the API's 402.
  if (err.statusCode === 409) return new ApiError(402, err.message);
  return new ApiError(err.statusCode, err.message);
}

export async function apiApplication(db: Sql, user: User, rawId: string, action: OrgAction) {
  const id = fromApiId(rawId);
  if (id === null) throw apiNotFound('Application');
  try {
    return await applicationAccess(db, user.id, id, action);
  } catch (err) {
    throw asApiError(err, 'Application');
  }
}

export async function apiDashboard(db: Sql, user: User, rawId: string, action: OrgAction) {
  const id = fromApiId(rawId);
  const dashboard = id === null ? undefined : await findDashboard(db, id);
  if (!dashboard) throw apiNotFound('Dashboard');
  try {
    const access = await resourceAccess(db, user.id, dashboardResource(dashboard), action);
    if (action === 'resources.edit' && access.billingStatus === 'unpaid') throw pausedByUnpaid(access.organization?.name, 'dashboards');
    return { dashboard, access };
  } catch (err) {
    throw asApiError(err, 'Dashboard');
  }
}

/** A place a user reads resources in: their Sandbox, or an organization they belong to, with their role there. */
export interface ReadableOwner {
  owner: Owner;
  organization: Organization | null;
  /** null for the Sandbox, where its user may do everything. */
  actor: Actor | null;
}

/**
 * Where a list reads (Losant's `orgId` query): absent, the Sandbox and every
 * organization of the user; blank, the Sandbox only; an id, that
 * organization (404 for a stranger).
 */
export async function readableOwners(db: Sql, user: User, orgId: string | undefined): Promise<ReadableOwner[]> {
  const sandbox: ReadableOwner = { owner: { kind: 'sandbox', userId: user.id }, organization: null, actor: null };
  if (orgId === '') return [sandbox];
  let orgs = await organizationsOfUser(db, user.id);
  if (orgId !== undefined) {
    const id = fromApiId(orgId);
    orgs = orgs.filter((o) => o.id === id);
    if (orgs.length === 0) throw apiNotFound('Organization');
  }
  const out: ReadableOwner[] = orgId === undefined ? [sandbox] : [];
  for (const org of orgs) {
    out.push({
      owner: { kind: 'organization', organizationId: org.id },
      organization: org,
      actor: { role: org.role as Role, resourceRoles: await resourceRolesOf(db, org.id, user.id) },
    });
  }
  return out;
}

/** R2.2: whether a list shows a resource to the reader (their role, or their role on that resource). */
export const readerSees = (reader: ReadableOwner, type: ResourceType, id: number) => reader.actor === null || can(reader.actor, 'resources.view', { type, id });

/**
 * R5.3: where a user may create an application or dashboard: the Sandbox
 * (no `orgId`), or an organization where they are Editor or more (a
 * stranger gets 404, a lower role 403).
 */
export async function creatableOwner(db: Sql, user: User, orgId: string | undefined, noun: string): Promise<{ owner: Owner; organization: Organization | null }> {
  if (orgId === undefined) return { owner: { kind: 'sandbox', userId: user.id }, organization: null };
  const id = fromApiId(orgId);
  const org = (await organizationsOfUser(db, user.id)).find((o) => o.id === id);
  if (!org) throw apiNotFound('Organization');
  if (!can(org.role as Role, 'resources.create')) throw new ApiError(403, `Creating ${noun} in ${org.name} needs the Editor role or more.`);
  return { owner: { kind: 'organization', organizationId: org.id }, organization: org };
}
