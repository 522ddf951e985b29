import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import type { User } from '../accounts/queries.ts';
import type { TransferTarget } from '../applications/transfer-application.ts';
import { checkLimit } from '../resources/limits.ts';
import { sameOwner, type Owner } from '../owners/columns.ts';
import { auditTransfer, lockBothOwners, unpaidSide } from '../resources/transfer.ts';
import { countDashboardsOf, findDashboardOwnedBy, listBlocks, moveDashboardTo } from './queries.ts';
import { judgeSource } from './sources.ts';
import { deleteResourceRolesOn } from '../tenancy/queries/memberships.ts';

export type TransferDashboardResult =
  | { ok: true; lostSources: string[] }
  | { ok: false; reason: 'limit'; message: string }
  | { ok: false; reason: 'not_allowed' }
  /** R9.8: one side is an Unpaid organization. */
  | { ok: false; reason: 'owner_unpaid'; side: 'from' | 'to' };

/**
 * R5.4: moves a dashboard to another owner the actor administers, all or
 * nothing, within the receiver's dashboard limit. Blocks keep their sources;
 * those the new owner may not show stop rendering data and say so (R5.2) —
 * the result names them.
 */
export async function transferDashboard(
  db: Sql,
  clock: Clock,
  input: { actor: User; dashboardId: number; from: Owner; to: Owner; allowedTargets: TransferTarget[] },
): Promise<TransferDashboardResult> {
  if (!input.allowedTargets.some((t) => sameOwner(t.owner, input.to))) return { ok: false, reason: 'not_allowed' };
  const now = clock.now();
  return db.transaction(async (trx) => {
    await lockBothOwners(trx, input.from, input.to);
    const dashboard = await findDashboardOwnedBy(trx, input.dashboardId, input.from);
    if (!dashboard) return { ok: false, reason: 'not_allowed' } as const;
    const unpaid = await unpaidSide(trx, input.from, input.to);
    if (unpaid) return { ok: false, reason: 'owner_unpaid', side: unpaid } as const;
    const limit = await checkLimit(trx, input.to, 'dashboards', { inUse: await countDashboardsOf(trx, input.to), adding: 1 });
    if (!limit.ok) return { ok: false, reason: 'limit', message: `${limit.message} Nothing was moved.` } as const;
    await moveDashboardTo(trx, dashboard.id, input.to);
    await deleteResourceRolesOn(trx, 'dashboard', [dashboard.id]);
    const lostSources: string[] = [];
    for (const block of await listBlocks(trx, dashboard.id)) {
      if (block.applicationId === null) continue;
      const verdict = await judgeSource(trx, input.to, block.applicationId);
      if (!verdict.ok) lostSources.push(block.title);
    }
    await auditTransfer(trx, { actor: input.actor, from: input.from, to: input.to, resource: { type: 'dashboard', id: dashboard.id, name: dashboard.name }, details: { blocksWithoutSource: lostSources }, at: now });
    return { ok: true, lostSources } as const;
  });
}
