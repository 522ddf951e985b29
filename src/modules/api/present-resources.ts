import type { AccessKey, ApplicationSummary, Device } from '../applications/queries.ts';
import type { Dashboard } from '../dashboards/queries.ts';
import type { Owner } from '../owners/columns.ts';
import type { Organization } from '../tenancy/queries/organizations.ts';
import { toApiId } from './ids.ts';
import { isoDate } from './present.ts';

/**
 * R16.1: applications, devices, access keys and dashboards as Losant's
 * schemas have them (application, device, applicationKey, dashboard), with
 * the fields Orgplane has. An owner is Losant's `user` (a Sandbox) or `organization`.
 */
const ownerFields = (owner: Owner, organization: Pick<Organization, 'name'> | null) =>
  owner.kind === 'sandbox'
    ? { ownerId: toApiId(owner.userId), ownerType: 'user' as const }
    : { ownerId: toApiId(owner.organizationId), ownerType: 'organization' as const, ...(organization ? { organizationName: organization.name } : {}) };

export function presentApplication(app: ApplicationSummary, organization: Pick<Organization, 'name'> | null, counts: { keys?: number; workflows?: number } = {}) {
  return {
    id: toApiId(app.id),
    applicationId: toApiId(app.id),
    creationDate: isoDate(app.createdAt),
    lastUpdated: isoDate(app.createdAt),
    ...ownerFields(app.owner, organization),
    name: app.name,
    description: app.description,
    summary: {
      deviceCount: app.devices,
      ...(counts.keys === undefined ? {} : { keyCount: counts.keys }),
      ...(counts.workflows === undefined ? {} : { flowCount: counts.workflows }),
    },
  };
}

export function presentDevice(device: Device) {
  return {
    id: toApiId(device.id),
    deviceId: toApiId(device.id),
    applicationId: toApiId(device.applicationId),
    creationDate: isoDate(device.createdAt),
    lastUpdated: isoDate(device.lastSeenAt ?? device.createdAt),
    name: device.name,
    deviceClass: 'standalone' as const,
    tags: [] as never[],
    attributes: [] as never[],
    ...(device.lastSeenAt ? { connectionInfo: { time: isoDate(device.lastSeenAt), connected: null } } : {}),
  };
}

export function presentAccessKey(key: AccessKey, applicationId: number) {
  return {
    id: toApiId(key.id),
    applicationKeyId: toApiId(key.id),
    applicationId: toApiId(applicationId),
    creationDate: isoDate(key.createdAt),
    lastUpdated: isoDate(key.revokedAt ?? key.createdAt),
    key: key.keyId,
    status: key.revokedAt ? ('inactive' as const) : ('active' as const),
    description: key.name,
    filterType: 'none' as const,
  };
}

/**
 * Orgplane's visibility as Losant's two fields: private is `public: false`;
 * public and password-protected are `public: true`, the latter with
 * `isPasswordProtected` (the password itself is never sent).
 */
export function presentDashboard(dashboard: Dashboard, organization: Pick<Organization, 'name'> | null) {
  return {
    id: toApiId(dashboard.id),
    dashboardId: toApiId(dashboard.id),
    creationDate: isoDate(dashboard.createdAt),
    lastUpdated: isoDate(dashboard.createdAt),
    ...ownerFields(dashboard.owner, organization),
    name: dashboard.name,
    description: dashboard.description,
    public: dashboard.visibility !== 'private',
    isPasswordProtected: dashboard.visibility === 'password',
  };
}
