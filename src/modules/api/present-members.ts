import { auditChanges, actionLabel } from '../audit/present.ts';
import type { AuditEvent } from '../audit/queries.ts';
import type { Invitation } from '../invitations/queries.ts';
import type { Organization } from '../tenancy/queries/organizations.ts';
import type { ResourceRole, ResourceType } from '../tenancy/policy.ts';
import { toApiId } from './ids.ts';
import { isoDate } from './present.ts';
import { API_ROLE } from './roles.ts';

/**
 * R16.1: invitations and audit entries as Losant's schemas have them
 * (orgInvites.json, orgInviteInfo.json, auditLogs.json), with the fields
 * Orgplane has. Members are presented by present-orgs.ts (org.json).
 */

type ResourceGrant = { type: ResourceType; id: number; role: ResourceRole };

/** Per-resource roles (R2.2) split as Losant does: `applicationRoles`, `dashboardRoles`. */
export function presentResourceRoles(grants: readonly ResourceGrant[]) {
  const of = (type: ResourceType) => grants.filter((g) => g.type === type).map((g) => ({ resourceId: toApiId(g.id), role: API_ROLE[g.role] }));
  return { applicationRoles: of('application'), dashboardRoles: of('dashboard') };
}

/** A pending invitation (orgInvites.json items); `ttl` is its validity in milliseconds, as Losant's. */
export function presentInvitation(invitation: Invitation, grants: readonly ResourceGrant[], now: Date) {
  return {
    id: toApiId(invitation.id),
    email: invitation.email,
    role: API_ROLE[invitation.role],
    ...presentResourceRoles(grants),
    inviteDate: isoDate(invitation.sentAt),
    ttl: invitation.expiresAt.getTime() - invitation.sentAt.getTime(),
    hasExpired: invitation.expiresAt.getTime() <= now.getTime(),
    expirationDate: isoDate(invitation.expiresAt),
    inviterName: invitation.inviterName,
  };
}

/** What an invitation link tells its holder (orgInviteInfo.json). */
export function presentInvitationInfo(invitation: Invitation, organization: Organization) {
  return {
    orgName: organization.name,
    email: invitation.email,
    role: API_ROLE[invitation.role],
    inviteDate: isoDate(invitation.sentAt),
    ttl: invitation.expiresAt.getTime() - invitation.sentAt.getTime(),
    expirationDate: isoDate(invitation.expiresAt),
    inviterName: invitation.inviterName,
  };
}

/** Losant's target types for ours, where it has one. */
const TARGET_TYPES: Record<string, 'Application' | 'Dashboard' | 'OrgInvite'> = { application: 'Application', dashboard: 'Dashboard', invitation: 'OrgInvite' };

/**
 * One audit entry (auditLogs.json items): the same entry the Audit Log page
 * shows (R4.5). Losant's request resource and action are our action's two
 * halves (`invitation.sent` → `invitation`, `sent`); `action`, `actionName`,
 * `targetType` and `changes` (field, before, after as the page writes them)
 * are Orgplane's own.
 */
export function presentAuditEntry(event: AuditEvent, organizationId: number) {
  const dot = event.action.indexOf('.');
  const losantTarget = TARGET_TYPES[event.targetType];
  const targetId = event.targetId && /^\d{1,10}$/.test(event.targetId) ? toApiId(Number(event.targetId)) : undefined;
  return {
    id: toApiId(event.id),
    auditLogId: toApiId(event.id),
    creationDate: isoDate(event.createdAt),
    orgId: toApiId(organizationId),
    ...(losantTarget ? { primaryTargetType: losantTarget } : {}),
    ...(losantTarget && targetId ? { primaryTargetId: targetId } : {}),
    primaryTargetName: event.targetLabel,
    ...(event.actorUserId ? { actorId: toApiId(event.actorUserId), actorType: 'User' as const } : {}),
    actorName: event.actorLabel,
    requestResource: dot > 0 ? event.action.slice(0, dot) : event.action,
    requestAction: dot > 0 ? event.action.slice(dot + 1) : '',
    action: event.action,
    actionName: actionLabel(event.action),
    targetType: event.targetType,
    changes: auditChanges(event.before, event.after),
  };
}
