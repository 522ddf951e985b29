import { parseId } from '../../http/ids.ts';
import type { FastifyRequest } from 'fastify';
import type { Sql } from '../../db/sql.ts';
import { currentUser } from '../../http/auth.ts';
import { forbidden, HttpError, notFound } from '../../http/errors.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { billingStandingOf, type BillingStanding } from '../owners/standing.ts';
import { can, type OrgAction, type ResourceType, type Role } from '../tenancy/policy.ts';
import { findMembership, resourceRolesOf } from '../tenancy/queries/memberships.ts';
import { findOrganizationById, type Organization } from '../tenancy/queries/organizations.ts';
import { ownerFromColumns, type Owner } from '../owners/columns.ts';

export interface ResourceAccess {
  owner: Owner;
  /** The owning organization, when not a Sandbox. */
  organization: Organization | null;
  /** The member's organization role (null for the Sandbox owner, who may do everything). */
  role: Role | null;
  /** Whether the actor may change this resource and what is inside it. */
  canEdit: boolean;
  /** Whether the actor may delete it (Editor or more on it, or the Sandbox owner; R2.1). */
  canDelete: boolean;
  /** Whether the actor may transfer or delete it (Administrator, or the Sandbox owner; R5.4). */
  canAdminister: boolean;
  /** The owner's billing status: Unpaid pauses applications and dashboards (R9.8). */
  billingStatus: BillingStatus;
  /** R9.10: what the Past Due bar states; null when Active. */
  billingStanding: BillingStanding | null;
}

/**
 * Who may see or change one application or dashboard (R2.2, R2.5): its
 * Sandbox owner, or a member of its organization whose role (or per-resource
 * override) allows `action`. Others get 404; members without the right, 403.
 */
export async function resourceAccess(
  db: Sql,
  userId: number,
  resource: { type: ResourceType; id: number; owner_type: string; owner_id: number },
  action: OrgAction,
  now: Date,
): Promise<ResourceAccess> {
  const owner = ownerFromColumns(resource);
  if (owner.kind === 'sandbox') {
    if (owner.userId !== userId) throw notFound();
    return { owner, organization: null, role: null, canEdit: true, canDelete: true, canAdminister: true, billingStatus: 'active', billingStanding: null };
  }
  const organization = await findOrganizationById(db, owner.organizationId);
  if (!organization || organization.deletedAt) throw notFound();
  const membership = await findMembership(db, organization.id, userId);
  if (!membership) throw notFound();
  const actor = { role: membership.role, resourceRoles: await resourceRolesOf(db, organization.id, userId) };
  const ref = { type: resource.type, id: resource.id };
  if (!can(actor, action, ref)) throw forbidden();
  const billingStatus = await billingStatusOf(db, owner);
  return {
    owner,
    organization,
    role: membership.role,
    canEdit: can(actor, 'resources.edit', ref),
    canDelete: can(actor, 'resources.delete', ref),
    canAdminister: can(membership.role, 'settings.manage'),
    billingStatus,
    billingStanding: await billingStandingOf(db, organization.id, billingStatus, now),
  };
}

/**
 * R9.8: the answer to any change to an Unpaid organization's applications
 * and dashboards (creating, editing, deleting, moving in or out): they are
 * paused until an Administrator pays by updating the payment method.
 */
export function pausedByUnpaid(organizationName: string | undefined, noun: 'applications' | 'dashboards'): HttpError {
  return new HttpError(
    409,
    `${organizationName ?? 'The organization'} is Unpaid, so its ${noun} are paused. An Administrator can update the payment method to reactivate it.`,
    noun === 'applications' ? 'Application paused' : 'Dashboard paused',
  );
}

/** Loads an application row by id and checks access for the signed-in user. */
export async function applicationFor(request: FastifyRequest, rawId: string, action: OrgAction) {
  const id = parseId(rawId);
  if (id === null) throw notFound();
  return applicationAccess(request.server.deps.db, currentUser(request).id, id, action, request.server.deps.clock.now());
}

/**
 * The application `id` as user `userId` may reach it for `action` (pages and
 * the REST API): 404 when it does not exist or the user is a stranger, 403
 * without the right, and R9.8's pause for a change to an Unpaid owner's.
 */
export async function applicationAccess(db: Sql, userId: number, id: number, action: OrgAction, now: Date) {
  const app = await db.first<ApplicationRow>('SELECT * FROM applications WHERE id = ?', [id]);
  if (!app) throw notFound();
  const access = await resourceAccess(db, userId, { type: 'application', ...app }, action, now);
  // R9.8: an Unpaid organization's applications stop working; exporting data stays possible.
  if (action === 'resources.edit' && access.billingStatus === 'unpaid') throw pausedByUnpaid(access.organization?.name, 'applications');
  return { application: app as ApplicationRow, access };
}

export interface ApplicationRow {
  id: number;
  owner_type: string;
  owner_id: number;
  name: string;
  description: string;
  created_at: number;
}
