import type { Sql } from '../../db/sql.ts';
import type { Clock } from '../../clock.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { isResourceRole, ROLE_LABELS, type ResourceRole, type ResourceType } from '../tenancy/policy.ts';
import { applyResourceRoles, findMembership, resourceRolesOf, type ResourceRoleChange } from '../tenancy/queries/memberships.ts';

export interface OrgResource {
  type: ResourceType;
  id: number;
  name: string;
}

/** Reads `application:12=viewer` style form fields into changes for resources of the organization. */
export function resourceRoleChangesFromForm(body: Record<string, unknown>, resources: OrgResource[]): ResourceRoleChange[] | { invalid: string } {
  const changes: ResourceRoleChange[] = [];
  for (const r of resources) {
    const raw = body[`${r.type}:${r.id}`];
    if (raw === undefined || raw === '') {
      changes.push({ type: r.type, id: r.id, role: null });
      continue;
    }
    if (!isResourceRole(raw)) return { invalid: `Choose None, Viewer or Collaborator for ${r.name}.` };
    changes.push({ type: r.type, id: r.id, role: raw });
  }
  return changes;
}

export type SetResourceRolesResult = { ok: true; changed: number } | { ok: false; reason: 'not_a_member' };

/** R2.2: per-resource roles replace a member's organization role on one application or dashboard. */
export async function setResourceRoles(
  db: Sql,
  clock: Clock,
  input: { organizationId: number; actor: User; targetUserId: number; targetLabel: string; resources: OrgResource[]; changes: ResourceRoleChange[] },
): Promise<SetResourceRolesResult> {
  return db.transaction(async (trx) => {
    if (!(await findMembership(trx, input.organizationId, input.targetUserId))) return { ok: false, reason: 'not_a_member' } as const;
    const before = await resourceRolesOf(trx, input.organizationId, input.targetUserId);
    const changed = await applyResourceRoles(trx, input.organizationId, input.targetUserId, input.changes, before);
    if (changed.length) {
      const label = (type: string, id: number) => input.resources.find((r) => r.type === type && r.id === id)?.name ?? `${type} ${id}`;
      await recordAudit(trx, {
        organizationId: input.organizationId,
        actor: userActor(input.actor),
        action: 'member.resource_roles_changed',
        target: { type: 'member', id: input.targetUserId, label: input.targetLabel },
        before: Object.fromEntries(changed.map((c) => [label(c.type, c.id), roleText(before.get(`${c.type}:${c.id}`) ?? null)])),
        after: Object.fromEntries(changed.map((c) => [label(c.type, c.id), roleText(c.role)])),
        at: clock.now(),
      });
    }
    return { ok: true, changed: changed.length } as const;
  });
}

const roleText = (role: ResourceRole | null) => (role ? ROLE_LABELS[role] : 'Organization role');
