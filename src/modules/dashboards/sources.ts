import type { Sql } from '../../db/sql.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { can, type Role } from '../tenancy/policy.ts';
import { findMembership, resourceRolesOf } from '../tenancy/queries/memberships.ts';
import { findOrganizationById, organizationsOfUser } from '../tenancy/queries/organizations.ts';
import { sameOwner, type Owner } from '../owners/columns.ts';
import { applicationsOfOwner, devicesOfApplications, findSourceApplication, type SourceApplication, type SourceDevice } from '../applications/queries.ts';

/**
 * R5.2, the data rule: which applications a dashboard may show.
 *
 * - An organization's dashboard: only applications that organization owns.
 * - A Sandbox dashboard: the Sandbox's own applications, and applications of
 *   live organizations its owner belongs to *now* and may see (Viewer or
 *   more, per-resource overrides included, R2.2) — a member with role None
 *   sees nothing in the organization, so neither may their public dashboard.
 *
 * The rule is asked when a block is saved and again every time it is shown,
 * so leaving an organization, losing a role or a transfer takes the data off
 * the owner's dashboards (public ones included) at once.
 */
export type SourceVerdict =
  | { ok: true; application: SourceApplication }
  | { ok: false; reason: 'gone' | 'not_allowed' }
  /** A Sandbox dashboard's source whose organization is Unpaid (R9.8): its data stops with it. */
  | { ok: false; reason: 'unpaid'; application: SourceApplication };

export async function judgeSource(db: Sql, dashboardOwner: Owner, applicationId: number): Promise<SourceVerdict> {
  const application = await findSourceApplication(db, applicationId);
  if (!application) return { ok: false, reason: 'gone' };
  const source = application.owner;
  if (sameOwner(source, dashboardOwner)) return { ok: true, application };
  if (dashboardOwner.kind === 'organization' || source.kind === 'sandbox') return { ok: false, reason: 'not_allowed' };
  // A Sandbox dashboard showing an organization's application.
  const organization = await findOrganizationById(db, source.organizationId);
  if (!organization || organization.deletedAt) return { ok: false, reason: 'not_allowed' };
  const membership = await findMembership(db, organization.id, dashboardOwner.userId);
  if (!membership) return { ok: false, reason: 'not_allowed' };
  const actor = { role: membership.role, resourceRoles: await resourceRolesOf(db, organization.id, dashboardOwner.userId) };
  if (!can(actor, 'resources.view', { type: 'application', id: application.id })) return { ok: false, reason: 'not_allowed' };
  if ((await billingStatusOf(db, source)) === 'unpaid') return { ok: false, reason: 'unpaid', application };
  return { ok: true, application };
}

export interface SourceGroup {
  label: string;
  applications: (SourceApplication & { devices: SourceDevice[] })[];
}

/**
 * R2.6: whether `member` may see an organization's application (their role,
 * or a per-resource override). A Sandbox application is its owner's, whom
 * the dashboard rule already checks.
 */
export async function memberMaySee(db: Sql, member: { id: number }, application: SourceApplication): Promise<boolean> {
  const owner = application.owner;
  if (owner.kind === 'sandbox') return true;
  const membership = await findMembership(db, owner.organizationId, member.id);
  if (!membership) return false;
  const actor = { role: membership.role, resourceRoles: await resourceRolesOf(db, owner.organizationId, member.id) };
  return can(actor, 'resources.view', { type: 'application', id: application.id });
}

/**
 * The applications (with their devices) the add-block form offers `viewer`,
 * grouped by owner: what the dashboard may show and the viewer may see (R2.6).
 */
export async function sourceChoices(db: Sql, dashboardOwner: Owner, viewer: { id: number }): Promise<SourceGroup[]> {
  const groups: { label: string; applications: SourceApplication[] }[] = [];
  if (dashboardOwner.kind === 'organization') {
    const organization = await findOrganizationById(db, dashboardOwner.organizationId);
    const membership = await findMembership(db, dashboardOwner.organizationId, viewer.id);
    const actor = { role: membership?.role ?? null, resourceRoles: await resourceRolesOf(db, dashboardOwner.organizationId, viewer.id) };
    const visible = (await applicationsOfOwner(db, dashboardOwner)).filter((a) => can(actor, 'resources.view', { type: 'application', id: a.id }));
    groups.push({ label: organization?.name ?? 'This organization', applications: visible });
  } else {
    groups.push({ label: 'Your Sandbox', applications: await applicationsOfOwner(db, dashboardOwner) });
    for (const org of await organizationsOfUser(db, dashboardOwner.userId)) {
      const owner: Owner = { kind: 'organization', organizationId: org.id };
      if ((await billingStatusOf(db, owner)) === 'unpaid') continue;
      const actor = { role: org.role as Role, resourceRoles: await resourceRolesOf(db, org.id, dashboardOwner.userId) };
      const visible = (await applicationsOfOwner(db, owner)).filter((a) => can(actor, 'resources.view', { type: 'application', id: a.id }));
      groups.push({ label: org.name, applications: visible });
    }
  }
  const devices = await devicesOfApplications(
    db,
    groups.flatMap((g) => g.applications.map((a) => a.id)),
  );
  return groups
    .filter((g) => g.applications.length > 0)
    .map((g) => ({ label: g.label, applications: g.applications.map((a) => ({ ...a, devices: devices.filter((d) => d.applicationId === a.id) })) }));
}
