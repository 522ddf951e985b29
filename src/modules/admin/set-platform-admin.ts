import type { Deps } from '../../deps.ts';
import { findUserById, setPlatformAdmin, type User } from '../accounts/queries.ts';
import { userActor } from '../audit/record.ts';
import { recordAdminEvent } from './events.ts';

export type SetPlatformAdminResult = { ok: true; user: User; changed: boolean } | { ok: false; reason: 'not_found' | 'self' };

/**
 * R2.4: promotes a user to platform admin or demotes them; never oneself, so
 * the back-office always keeps the admin doing it. Logged in admin_events
 * (a user belongs to no organization's audit log).
 */
export async function setPlatformAdminFlag(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { admin: User; targetUserId: number; value: boolean },
): Promise<SetPlatformAdminResult> {
  if (input.targetUserId === input.admin.id) return { ok: false, reason: 'self' };
  const { db, clock } = deps;
  return db.transaction(async (trx) => {
    const user = await findUserById(trx, input.targetUserId);
    if (!user) return { ok: false, reason: 'not_found' } as const;
    if (user.isPlatformAdmin === input.value) return { ok: true, user, changed: false } as const;
    await setPlatformAdmin(trx, user.id, input.value);
    await recordAdminEvent(trx, {
      actor: userActor(input.admin),
      action: input.value ? 'user.platform_admin_granted' : 'user.platform_admin_revoked',
      target: { type: 'user', id: user.id, label: `${user.name} <${user.email}>` },
      before: { platformAdmin: user.isPlatformAdmin },
      after: { platformAdmin: input.value },
      at: clock.now(),
    });
    return { ok: true, user: { ...user, isPlatformAdmin: input.value }, changed: true } as const;
  });
}
