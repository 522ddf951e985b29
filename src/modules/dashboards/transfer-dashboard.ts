import type { Clock } from '../../clock.ts';
import type { Db, DbOrTrx } from '../../db/knex.ts';
import type { User } from '../accounts/queries.ts';
import type { TransferTarget } from '../applications/transfer-application.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { checkLimit } from '../resources/counts.ts';
import { lockOwner, ownerColumns, ownerFormValue, sameOwner, type Owner } from '../resources/owners.ts';
import { listBlocks } from './queries.ts';
import { judgeSource } from './sources.ts';

export type TransferDashboardResult =
  | { ok: true; lostSources: string[] }
  | { ok: false; reason: 'limit'; message: string }
  | { ok: false; reason: 'not_allowed' };

const ownerLabel = async (db: DbOrTrx, owner: Owner) =>
  owner.kind === 'sandbox' ? 'a Sandbox' : String((await db('organizations').where({ id: owner.organizationId }).first('name'))?.name);

/**
 * R5.4: moves a dashboard to another owner the actor administers, all or
 * nothing, within the receiver's dashboard limit. Blocks keep their sources;
 * those the new owner may not show stop rendering data and say so (R5.2) —
 * the result names them.
 */
export async function transferDashboard(
  db: Db,
  clock: Clock,
  input: { actor: User; dashboardId: number; from: Owner; to: Owner; allowedTargets: TransferTarget[] },
): Promise<TransferDashboardResult> {
  if (!input.allowedTargets.some((t) => sameOwner(t.owner, input.to))) return { ok: false, reason: 'not_allowed' };
  const now = clock.now();
  return db.transaction(async (trx) => {
    const [first, second] = [input.from, input.to].sort((a, b) => ownerFormValue(a).localeCompare(ownerFormValue(b)));
    await lockOwner(trx, first!);
    await lockOwner(trx, second!);
    const dashboard = await trx('dashboards').where({ id: input.dashboardId, ...ownerColumns(input.from) }).first();
    if (!dashboard) return { ok: false, reason: 'not_allowed' } as const;
    const limit = await checkLimit(trx, input.to, 'dashboards', 1, now);
    if (!limit.ok) return { ok: false, reason: 'limit', message: `${limit.message} Nothing was moved.` } as const;
    await trx('dashboards').where({ id: dashboard.id }).update(ownerColumns(input.to));
    await trx('resource_roles').where({ resource_type: 'dashboard', resource_id: dashboard.id }).delete();
    const lostSources: string[] = [];
    for (const block of await listBlocks(trx, dashboard.id)) {
      if (block.applicationId === null) continue;
      const verdict = await judgeSource(trx, input.to, block.applicationId);
      if (!verdict.ok) lostSources.push(block.title);
    }
    const fromLabel = await ownerLabel(trx, input.from);
    const toLabel = await ownerLabel(trx, input.to);
    for (const [side, other, action] of [
      [input.from, toLabel, 'dashboard.transferred_out'],
      [input.to, fromLabel, 'dashboard.transferred_in'],
    ] as const) {
      if (side.kind !== 'organization') continue;
      await recordAudit(trx, {
        organizationId: side.organizationId,
        actor: userActor(input.actor),
        action,
        target: { type: 'dashboard', id: dashboard.id, label: dashboard.name },
        after: { [action.endsWith('out') ? 'to' : 'from']: other, blocksWithoutSource: lostSources },
        at: now,
      });
    }
    return { ok: true, lostSources } as const;
  });
}
