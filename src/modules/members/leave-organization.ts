import type { Db } from '../../db/knex.ts';
import { lockRow } from '../../db/locks.ts';
import { countAdministrators, deleteMembership, findMembership } from './queries.ts';

export type LeaveResult = { ok: true } | { ok: false; reason: 'not_a_member' | 'last_administrator' };

/** R3.2, R4.4, R2.3: a member leaves; the last Administrator cannot. Resources stay with the organization. */
export async function leaveOrganization(db: Db, organizationId: number, userId: number): Promise<LeaveResult> {
  return db.transaction(async (trx) => {
    await lockRow(trx, 'organizations', { id: organizationId });
    const membership = await findMembership(trx, organizationId, userId);
    if (!membership) return { ok: false, reason: 'not_a_member' } as const;
    if (membership.role === 'administrator' && (await countAdministrators(trx, organizationId)) <= 1) {
      return { ok: false, reason: 'last_administrator' } as const;
    }
    await deleteMembership(trx, organizationId, userId);
    return { ok: true } as const;
  });
}
