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
  | 'resources.delete'
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
  // R2.1: deleting an application or a dashboard needs Editor, like creating one.
  'resources.delete': 'editor',
  'settings.manage': 'administrator',
  'members.manage': 'administrator',
  'billing.manage': 'administrator',
  'organization.delete': 'administrator',
};

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

const rank = (role: Role) => ROLES.indexOf(role);

/** R2.2: the roles a member can be given on one application or dashboard. */
export const RESOURCE_ROLES = ['none', 'viewer', 'collaborator'] as const;
export type ResourceRole = (typeof RESOURCE_ROLES)[number];
export const isResourceRole = (value: unknown): value is ResourceRole =>
  typeof value === 'string' && (RESOURCE_ROLES as readonly string[]).includes(value);

export type ResourceType = 'application' | 'dashboard';
export interface ResourceRef {
  type: ResourceType;
  id: number;
}

/** Actions on one resource, where a per-resource role replaces the organization role. */
const RESOURCE_ACTIONS: ReadonlySet<OrgAction> = new Set(['resources.view', 'resources.edit', 'resources.delete']);

export interface Actor {
  /** The member's organization role; null means not a member, who may do nothing. */
  role: Role | null;
  /** Per-resource overrides, keyed `application:12` / `dashboard:7`. */
  resourceRoles?: ReadonlyMap<string, ResourceRole>;
}

export const resourceKey = (r: ResourceRef) => `${r.type}:${r.id}`;

/**
 * May this actor do `action` (on `resource`, for resource actions)? A bare
 * role may be passed where no resource is involved.
 */
export function can(actor: Actor | Role | null, action: OrgAction, resource?: ResourceRef): boolean {
  const a: Actor = actor === null || typeof actor === 'string' ? { role: actor } : actor;
  if (a.role === null) return false;
  let effective: Role = a.role;
  if (resource && RESOURCE_ACTIONS.has(action)) {
    const override = a.resourceRoles?.get(resourceKey(resource));
    if (override) effective = override;
  }
  return rank(effective) >= rank(MINIMUM_ROLE[action]);
}

/**
 * Which of an organization's applications or dashboards an actor may see
 * (R2.2, R2.6), as a filter a query applies, so that a page can read a
 * bounded list and its total instead of every row: all of them except the
 * ones overridden to None, or — when the organization role alone does not
 * allow viewing — only the ones an override grants. Agrees with `can(actor,
 * 'resources.view', …)` for every resource (a property test pins it).
 */
export type VisibleResources = { except: readonly number[] } | { only: readonly number[] };

export function visibleResources(actor: Actor, type: ResourceType): VisibleResources {
  const overridden: number[] = [];
  for (const key of actor.resourceRoles?.keys() ?? []) {
    const [t, id] = key.split(':');
    if (t === type) overridden.push(Number(id));
  }
  const sees = (id: number) => can(actor, 'resources.view', { type, id });
  // A resource nobody overrode follows the organization role.
  return can(actor.role, 'resources.view') ? { except: overridden.filter((id) => !sees(id)) } : { only: overridden.filter(sees) };
}
