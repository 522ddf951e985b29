import type { FastifyRequest } from 'fastify';
import type { User } from '../accounts/queries.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { findMembership } from '../tenancy/membership-queries.ts';
import { findOrganizationById, type Organization } from '../tenancy/organization-queries.ts';
import { can, type OrgAction, type Role } from '../tenancy/policy.ts';
import { apiForbidden, apiNotFound } from './errors.ts';
import { fromApiId } from './ids.ts';
import { principalOf } from './principal.ts';

export interface ApiOrgContext {
  user: User;
  organization: Organization;
  role: Role;
  billingStatus: BillingStatus;
}

/**
 * R2.5, R16.3: the organization `orgId` names, as the token's user sees it —
 * the API's twin of tenancy/access.ts `organizationFor`: not a member
 * (platform admins included, R2.4), deleted, or not an id of ours → 404;
 * a member whose role does not allow `action` → 403.
 */
export async function apiOrganizationFor(request: FastifyRequest, orgId: string, action: OrgAction): Promise<ApiOrgContext> {
  const { user } = principalOf(request);
  const { db } = request.server.deps;
  const id = fromApiId(orgId);
  const organization = id === null ? undefined : await findOrganizationById(db, id);
  if (!organization || organization.deletedAt) throw apiNotFound('Organization');
  const membership = await findMembership(db, organization.id, user.id);
  if (!membership) throw apiNotFound('Organization');
  if (!can(membership.role, action)) throw apiForbidden(`Your role in ${organization.name} does not allow this.`);
  const billingStatus = await billingStatusOf(db, { kind: 'organization', organizationId: organization.id });
  return { user, organization, role: membership.role, billingStatus };
}
