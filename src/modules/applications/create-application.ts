import type { Sql } from '../../db/sql.ts';
import type { Clock } from '../../clock.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { checkLimit } from '../resources/limits.ts';
import { lockOwner, type Owner } from '../owners/columns.ts';
import { countApplicationsOf, insertApplication } from './queries.ts';

export type CreateApplicationResult = { ok: true; id: number } | { ok: false; reason: 'limit'; message: string } | { ok: false; reason: 'owner_unpaid' };

/** R5.1, R7.3, R9.8: creates an application unless the owner is Unpaid or its plan has no room; nothing is created then. */
export async function createApplication(
  db: Sql,
  clock: Clock,
  input: { owner: Owner; name: string; description: string; userId: number },
): Promise<CreateApplicationResult> {
  return db.transaction(async (trx) => {
    await lockOwner(trx, input.owner);
    if ((await billingStatusOf(trx, input.owner)) === 'unpaid') return { ok: false, reason: 'owner_unpaid' } as const;
    const limit = await checkLimit(trx, input.owner, 'applications', { inUse: await countApplicationsOf(trx, input.owner), adding: 1 });
    if (!limit.ok) return { ok: false, reason: 'limit', message: limit.message } as const;
    const id = await insertApplication(trx, { owner: input.owner, name: input.name, description: input.description, createdByUserId: input.userId, now: clock.now() });
    return { ok: true, id } as const;
  });
}
