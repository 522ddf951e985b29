import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { checkLimit } from '../resources/limits.ts';
import { lockOwner, type Owner } from '../owners/columns.ts';
import { countDashboardsOf, insertDashboard } from './queries.ts';

export type CreateDashboardResult =
  | { ok: true; dashboardId: number }
  | { ok: false; reason: 'over_limit'; message: string }
  | { ok: false; reason: 'owner_unpaid' };

/** The secret part of a dashboard's share link: 32 random bytes, base64url (43 characters). */
export const newShareToken = () => randomBytes(32).toString('base64url');

/**
 * R5.2, R5.3, R7.3: creates a private dashboard for an owner the caller has
 * already checked the user may create in, within the owner's dashboard limit.
 * The owner row is locked so two creations at once cannot both pass the limit.
 */
export async function createDashboard(
  db: Sql,
  clock: Clock,
  input: { user: User; owner: Owner; name: string; description: string },
): Promise<CreateDashboardResult> {
  const now = clock.now();
  return db.transaction(async (trx) => {
    const { owner } = input;
    await lockOwner(trx, owner);
    if ((await billingStatusOf(trx, owner)) === 'unpaid') return { ok: false, reason: 'owner_unpaid' } as const;
    const limit = await checkLimit(trx, owner, 'dashboards', { inUse: await countDashboardsOf(trx, owner), adding: 1 });
    if (!limit.ok) return { ok: false, reason: 'over_limit', message: limit.message } as const;
    const dashboardId = await insertDashboard(trx, {
      owner,
      name: input.name,
      description: input.description,
      shareToken: newShareToken(),
      createdByUserId: input.user.id,
      now,
    });
    if (owner.kind === 'organization') {
      await recordAudit(trx, {
        organizationId: owner.organizationId,
        actor: userActor(input.user),
        action: 'dashboard.created',
        target: { type: 'dashboard', id: dashboardId, label: input.name },
        at: now,
      });
    }
    return { ok: true, dashboardId } as const;
  });
}
