/**
 * Who may do what in an organization (R2.1, R2.5), as one table. Roles are
 * ordered; each includes the rights of the ones before it. Routes ask `can`;
 * no handler or template compares roles itself.
 */

export const ROLES = ['none', 'viewer', 'collaborator', 'editor', 'administrator'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  none: 'None',
  viewer: 'Viewer',
  collaborator: 'Collaborator',
  editor: 'Editor',
  administrator: 'Administrator',
};

export type OrgAction =
  | 'organization.leave'
  | 'organization.view'
  | 'members.view'
  | 'resources.view'
  | 'resources.edit'
  | 'resources.create'
  | 'settings.manage'
  | 'members.manage'
  | 'billing.manage'
  | 'organization.delete';

/** The least role that may perform each action. */
const MINIMUM_ROLE: Record<OrgAction, Role> = {
  'organization.leave': 'none',
  'organization.view': 'viewer',
  'members.view': 'viewer',
  'resources.view': 'viewer',
  'resources.edit': 'collaborator',
  'resources.create': 'editor',
  'settings.manage': 'administrator',
  'members.manage': 'administrator',
  'billing.manage': 'administrator',
  'organization.delete': 'administrator',
};

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

const rank = (role: Role) => ROLES.indexOf(role);

/** `role` is the member's role; null means not a member, who may do nothing. */
export function can(role: Role | null, action: OrgAction): boolean {
  if (role === null) return false;
  return rank(role) >= rank(MINIMUM_ROLE[action]);
}
