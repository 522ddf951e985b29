import { can, ROLE_LABELS, type Role } from './policy.ts';
import type { BillingStatus } from '../owners/queries.ts';
import type { BillingStanding } from '../owners/standing.ts';
import { formatCents } from '../../money.ts';
import type { OrgContext } from './access.ts';
import { iconFor } from './icon.ts';

/** What every organization page's header and sub-navigation need. */
export function orgChrome(ctx: OrgContext, section: string) {
  return {
    org: ctx.organization,
    orgIcon: iconFor(ctx.organization.name, ctx.organization.iconColor),
    role: ctx.role,
    roleLabel: ROLE_LABELS[ctx.role],
    section,
    canManageSettings: can(ctx.role, 'settings.manage'),
    // R3.8, R3.9: Delete Organization is the bottom bar of every Settings tab, for those who may delete.
    deleteOrganizationHref: section === 'settings' && can(ctx.role, 'organization.delete') ? `/orgs/${ctx.organization.slug}/settings/delete` : null,
    billingBar: billingBar(ctx.organization, ctx.role, ctx.billingStatus, ctx.billingStanding ?? null),
  };
}


/**
 * R9.10: the bar members of a Past Due or Unpaid organization see on its
 * pages: the amount owed, the next attempt and the day it becomes Unpaid.
 */
export function billingBar(org: { name: string; slug: string }, role: Role | null, status: BillingStatus | undefined, standing: BillingStanding | null) {
  if (!status || status === 'active') return null;
  return {
    orgName: org.name,
    slug: org.slug,
    status,
    canManageBilling: role !== null && can(role, 'billing.manage'),
    owed: standing ? formatCents(standing.owedCents) : null,
    nextAttemptAt: standing?.nextAttemptAt ?? null,
    unpaidAt: standing?.unpaidAt ?? null,
  };
}
