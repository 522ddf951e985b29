import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { lockRow } from '../../db/locks.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { ROLE_LABELS } from '../tenancy/policy.ts';
import { countAdministrators, deleteMembership, deleteResourceRolesOf, findMembership } from '../tenancy/queries/memberships.ts';

export type RemoveMemberResult = { ok: true } | { ok: false; reason: 'not_a_member' | 'self' | 'last_administrator' };

/**
 * R4.4, R2.3: an Administrator removes a member (other Administrators too).
 * The account and its Sandbox stay; the person can be invited again.
 */
export async function removeMember(
  db: Sql,
  clock: Clock,
  input: { organizationId: number; actor: User; targetUserId: number; targetLabel: string },
): Promise<RemoveMemberResult> {
  if (input.targetUserId === input.actor.id) return { ok: false, reason: 'self' };
  return db.transaction(async (trx) => {
    await lockRow(trx, 'organizations', { id: input.organizationId });
    const membership = await findMembership(trx, input.organizationId, input.targetUserId);
    if (!membership) return { ok: false, reason: 'not_a_member' } as const;
    if (membership.role === 'administrator' && (await countAdministrators(trx, input.organizationId)) <= 1) {
      return { ok: false, reason: 'last_administrator' } as const;
    }
    await deleteMembership(trx, input.organizationId, input.targetUserId);
    await deleteResourceRolesOf(trx, input.organizationId, input.targetUserId);
    await recordAudit(trx, {
      organizationId: input.organizationId,
      actor: userActor(input.actor),
      action: 'member.removed',
      target: { type: 'member', id: input.targetUserId, label: input.targetLabel },
      before: { role: ROLE_LABELS[membership.role] },
      at: clock.now(),
    });
    return { ok: true } as const;
  });
}
