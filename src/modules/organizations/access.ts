import type { FastifyRequest } from 'fastify';
import { currentUser } from '../../http/auth.ts';
import { forbidden, notFound } from '../../http/errors.ts';
import { can, type OrgAction, type Role } from '../members/policy.ts';
import { findMembership } from '../members/queries.ts';
import { findOrganizationBySlug, type Organization } from './queries.ts';
import { billingStatusOf } from '../billing/owner-period.ts';
import type { BillingStatus } from '../billing/queries.ts';

export interface OrgContext {
  organization: Organization;
  role: Role;
  /** R9.10: Past Due and Unpaid organizations show a bar to their members. */
  billingStatus?: BillingStatus;
}

/**
 * The organization at :slug as the signed-in user sees it (R2.5): a
 * non-member — platform admins included (R2.4) — gets 404, so existence is
 * not revealed; a member without the right for `action` gets 403.
 */
export async function organizationFor(request: FastifyRequest, slug: string, action: OrgAction): Promise<OrgContext> {
  const user = currentUser(request);
  const { db } = request.server.deps;
  const organization = /^[a-z0-9]{1,32}$/.test(slug) ? await findOrganizationBySlug(db, slug) : undefined;
  if (!organization) throw notFound();
  const membership = await findMembership(db, organization.id, user.id);
  if (!membership) throw notFound();
  if (!can(membership.role, action)) throw forbidden();
  return { organization, role: membership.role, billingStatus: await billingStatusOf(db, { kind: 'organization', organizationId: organization.id }) };
}
