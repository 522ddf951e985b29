import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { lockRow } from '../../db/locks.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { ROLE_LABELS, type Role } from '../tenancy/policy.ts';
import { countAdministrators, findMembership, updateMembershipRole } from '../tenancy/queries/memberships.ts';

export type ChangeRoleResult = { ok: true; before: Role } | { ok: false; reason: 'not_a_member' | 'own_role' | 'last_administrator' };

/** R2.3, R4.4: an Administrator changes another member's role; never their own, never the last Administrator's. */
export async function changeRole(
  db: Sql,
  clock: Clock,
  input: { organizationId: number; actor: User; targetUserId: number; targetLabel: string; role: Role },
): Promise<ChangeRoleResult> {
  if (input.targetUserId === input.actor.id) return { ok: false, reason: 'own_role' };
  return db.transaction(async (trx) => {
    await lockRow(trx, 'organizations', { id: input.organizationId });
    const membership = await findMembership(trx, input.organizationId, input.targetUserId);
    if (!membership) return { ok: false, reason: 'not_a_member' } as const;
    if (membership.role === input.role) return { ok: true, before: membership.role } as const;
    if (membership.role === 'administrator' && (await countAdministrators(trx, input.organizationId)) <= 1) {
      return { ok: false, reason: 'last_administrator' } as const;
    }
    await updateMembershipRole(trx, input.organizationId, input.targetUserId, input.role);
    await recordAudit(trx, {
      organizationId: input.organizationId,
      actor: userActor(input.actor),
      action: 'member.role_changed',
      target: { type: 'member', id: input.targetUserId, label: input.targetLabel },
      before: { role: ROLE_LABELS[membership.role] },
      after: { role: ROLE_LABELS[input.role] },
      at: clock.now(),
    });
    return { ok: true, before: membership.role } as const;
  });
}
