import type { FastifyRequest } from 'fastify';
import { billingStatusOf } from '../owners/owner-period.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { findMembership } from '../tenancy/queries/memberships.ts';
import { findOrganizationById, type Organization } from '../tenancy/queries/organizations.ts';
import { can, type OrgAction, type Role } from '../tenancy/policy.ts';
import { ApiError, apiForbidden } from './errors.ts';
import { fromApiId } from './ids.ts';
import { principalOf } from './principal.ts';

export interface ApiOrgContext {
  organization: Organization;
  role: Role;
  billingStatus: BillingStatus;
}

const orgNotFound = () => new ApiError(404, 'Organization was not found.');

/**
 * R2.5, R16.3: the organization `:orgId` names, as the page's
 * `organizationFor` answers it: a non-member (platform admins included) or a
 * deleted organization is 404, told apart from no id at all in nothing; a
 * member whose role is below `action` is 403.
 */
export async function apiOrganizationFor(request: FastifyRequest, rawId: string, action: OrgAction, forbiddenMessage?: string): Promise<ApiOrgContext> {
  const { db } = request.server.deps;
  const user = principalOf(request).user;
  const id = fromApiId(rawId);
  const organization = id === null ? undefined : await findOrganizationById(db, id);
  if (!organization || organization.deletedAt) throw orgNotFound();
  const membership = await findMembership(db, organization.id, user.id);
  if (!membership) throw orgNotFound();
  if (!can(membership.role, action)) throw apiForbidden(forbiddenMessage);
  const billingStatus = await billingStatusOf(db, { kind: 'organization', organizationId: organization.id });
  return { organization, role: membership.role, billingStatus };
}
