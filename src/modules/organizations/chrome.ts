import { can, ROLE_LABELS } from '../members/policy.ts';
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
  };
}

