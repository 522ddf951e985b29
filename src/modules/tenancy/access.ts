import type { FastifyRequest } from 'fastify';
import { currentUser } from '../../http/auth.ts';
import { forbidden, notFound } from '../../http/errors.ts';
import { can, type OrgAction, type Role } from './policy.ts';
import { findMembership } from './queries/memberships.ts';
import { findDeletedOrganizationBySlug, findOrganizationBySlug, type Organization } from './queries/organizations.ts';
import { addMonthsClamped } from '../owners/periods.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import type { BillingStatus } from '../owners/queries.ts';
import { billingStandingOf, type BillingStanding } from '../owners/standing.ts';

export interface OrgContext {
  organization: Organization;
  role: Role;
  /** R9.10: Past Due and Unpaid organizations show a bar to their members. */
  billingStatus?: BillingStatus;
  /** R9.10: what the bar states (amount owed, next attempt, when Unpaid); null when Active. */
  billingStanding?: BillingStanding | null;
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
  const billingStatus = await billingStatusOf(db, { kind: 'organization', organizationId: organization.id });
  const billingStanding = await billingStandingOf(db, request.server.deps.billingReads, organization.id, billingStatus, request.server.deps.clock.now());
  return { organization, role: membership.role, billingStatus, billingStanding };
}

/** R9.14: how long former Administrators keep reading a deleted organization's invoices. */
export const DELETED_INVOICES_MONTHS = 12;

/**
 * A deleted organization as its former Administrators see it (R9.14): for
 * 12 months after the deletion they read its invoices. Anyone else — other
 * former members included — and anyone later gets 404, as for a stranger.
 */
export async function deletedOrganizationFor(request: FastifyRequest, slug: string): Promise<Organization> {
  const user = currentUser(request);
  const { db, clock } = request.server.deps;
  const organization = /^[a-z0-9]{1,32}$/.test(slug) ? await findDeletedOrganizationBySlug(db, slug) : undefined;
  if (!organization?.deletedAt) throw notFound();
  if (addMonthsClamped(organization.deletedAt, DELETED_INVOICES_MONTHS).getTime() <= clock.now().getTime()) throw notFound();
  const membership = await findMembership(db, organization.id, user.id);
  if (membership?.role !== 'administrator') throw notFound();
  return organization;
}
