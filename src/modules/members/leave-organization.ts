import type { Sql } from '../../db/sql.ts';
import { lockRow } from '../../db/locks.ts';
import type { Clock } from '../../clock.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { ROLE_LABELS } from '../tenancy/policy.ts';
import { countAdministrators, deleteMembership, deleteResourceRolesOf, findMembership } from '../tenancy/queries/memberships.ts';

export type LeaveResult = { ok: true } | { ok: false; reason: 'not_a_member' | 'last_administrator' };

/** R3.2, R4.4, R2.3: a member leaves; the last Administrator cannot. Resources stay with the organization. */
export async function leaveOrganization(db: Sql, clock: Clock, organizationId: number, user: User): Promise<LeaveResult> {
  const userId = user.id;
  return db.transaction(async (trx) => {
    await lockRow(trx, 'organizations', { id: organizationId });
    const membership = await findMembership(trx, organizationId, userId);
    if (!membership) return { ok: false, reason: 'not_a_member' } as const;
    if (membership.role === 'administrator' && (await countAdministrators(trx, organizationId)) <= 1) {
      return { ok: false, reason: 'last_administrator' } as const;
    }
    await deleteMembership(trx, organizationId, userId);
    await deleteResourceRolesOf(trx, organizationId, userId);
    await recordAudit(trx, {
      organizationId,
      actor: userActor(user),
      action: 'member.left',
      target: { type: 'member', id: userId, label: `${user.name} <${user.email}>` },
      before: { role: ROLE_LABELS[membership.role] },
      at: clock.now(),
    });
    return { ok: true } as const;
  });
}
