/**
 * R16.2: what a token may do. Scope names are Losant's: an action
 * (`org.get`), a resource's every action (`org.*`), or a group — `all.User`,
 * `all.Organization`, `all.Application`, `all.Device` and their `.read`
 * forms, which allow only the actions that change nothing. As in Losant,
 * `all.User` is the whole of what the user may do (its account, its
 * organizations, their applications and dashboards) and `all.User.read` all
 * of what the user may read; the other groups are parts of it. A token made
 * by logging in (`/api/auth/user`) holds `all.User`, `all.Organization` and
 * `all.Application`: everything its user may do. Scopes narrow what a token
 * may do; what its user may do is decided by the user's role, as on the
 * pages (R2).
 */

/** The groups each resource's actions belong to. */
const GROUP_OF: Record<string, 'User' | 'Organization' | 'Application'> = {
  me: 'User',
  userApiToken: 'User',
  userApiTokens: 'User',
  orgs: 'User',
  orgInvites: 'User',
  org: 'Organization',
  auditLog: 'Organization',
  auditLogs: 'Organization',
  applications: 'Organization',
  dashboard: 'Organization',
  dashboards: 'Organization',
  application: 'Application',
  applicationKey: 'Application',
  applicationKeys: 'Application',
  device: 'Application',
  devices: 'Application',
};

/** Actions that only read. */
const READ_ACTIONS = new Set(['get', 'payloadCounts', 'pendingInvites', 'getState']);

export const ALL_SCOPES = ['all.User', 'all.Organization', 'all.Application'];

/** Every scope name a token may be given (Losant names; group names and per-action names of what Orgplane has). */
export function knownScope(scope: string): boolean {
  if (/^all\.(User|Organization|Application|Device)(\.read)?$/.test(scope)) return true;
  const [resource, action] = scope.split('.');
  return resource !== undefined && action !== undefined && resource in GROUP_OF && /^(\*|[A-Za-z]+)$/.test(action);
}

/** Whether scopes allow an action named `resource.action` (e.g. `org.inviteMember`). */
export function scopesAllow(scopes: readonly string[], action: string): boolean {
  const [resource, verb] = action.split('.') as [string, string];
  const group = GROUP_OF[resource];
  for (const scope of scopes) {
    if (scope === action || scope === `${resource}.*`) return true;
    if (scope === 'all.User' || (scope === 'all.User.read' && READ_ACTIONS.has(verb))) return true;
    if (group && scope === `all.${group}`) return true;
    if (group && scope === `all.${group}.read` && READ_ACTIONS.has(verb)) return true;
    // A device's own actions also come under all.Device.
    if ((resource === 'device' || resource === 'devices') && (scope === 'all.Device' || (scope === 'all.Device.read' && READ_ACTIONS.has(verb)))) return true;
  }
  return false;
}
