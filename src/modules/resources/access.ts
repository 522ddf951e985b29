import { parseId } from '../../http/ids.ts';
import type { FastifyRequest } from 'fastify';
import type { Sql } from '../../db/sql.ts';
import { currentUser } from '../../http/auth.ts';
import { forbidden, HttpError, notFound } from '../../http/errors.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import type { BillingStatus } from '../owners/queries.ts';
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
): Promise<ResourceAccess> {
  const owner = ownerFromColumns(resource);
  if (owner.kind === 'sandbox') {
    if (owner.userId !== userId) throw notFound();
    return { owner, organization: null, role: null, canEdit: true, canDelete: true, canAdminister: true, billingStatus: 'active' };
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

