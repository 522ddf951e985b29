import type { Sql } from '../../db/sql.ts';
import type { User } from '../accounts/queries.ts';
import { lockRow } from '../../db/locks.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { BLOCK_KIND_LABELS, BLOCK_NEEDS_DEVICE, MAX_BLOCKS, type BlockKind } from './policy.ts';
import { countBlocks, insertBlock, type Dashboard } from './queries.ts';
import { findSourceDevice } from '../applications/queries.ts';
import { judgeSource, memberMaySee } from './sources.ts';
import { assertNever } from '../../assert-never.ts';

export type AddBlockResult =
  | { ok: true; blockId: number }
  | { ok: false; reason: 'dashboard_unpaid' | 'too_many_blocks' | 'application_not_allowed' | 'source_unpaid' | 'device_not_in_application' };

/**
 * Adds a block at the end of a dashboard. R5.2: the application must be one
 * this dashboard may show (see sources.ts) and one the member adding it may
 * see (R2.6: a None override hides it); a device must belong to it.
 */
export async function addBlock(
  db: Sql,
  dashboard: Dashboard,
  actor: User,
  input: { kind: BlockKind; title: string; applicationId: number; deviceId: number | null },
): Promise<AddBlockResult> {
  return db.transaction(async (trx) => {
    await lockRow(trx, 'dashboards', { id: dashboard.id });
    if ((await billingStatusOf(trx, dashboard.owner)) === 'unpaid') return { ok: false, reason: 'dashboard_unpaid' } as const;
    if ((await countBlocks(trx, dashboard.id)) >= MAX_BLOCKS) return { ok: false, reason: 'too_many_blocks' } as const;
    const verdict = await judgeSource(trx, dashboard.owner, input.applicationId);
    if (verdict.ok && !(await memberMaySee(trx, actor, verdict.application))) return { ok: false, reason: 'application_not_allowed' } as const;
    if (!verdict.ok) {
      switch (verdict.reason) {
        case 'unpaid':
          return { ok: false, reason: 'source_unpaid' } as const;
        case 'gone':
        case 'not_allowed':
          return { ok: false, reason: 'application_not_allowed' } as const;
        default:
          return assertNever(verdict);
      }
    }
    let deviceId: number | null = null;
    let defaultTitle = `${BLOCK_KIND_LABELS[input.kind]} · ${verdict.application.name}`;
    if (BLOCK_NEEDS_DEVICE[input.kind]) {
      const device = input.deviceId === null ? undefined : await findSourceDevice(trx, input.deviceId);
      if (!device || device.applicationId !== verdict.application.id) return { ok: false, reason: 'device_not_in_application' } as const;
      deviceId = device.id;
      defaultTitle = `${device.name} · ${verdict.application.name}`;
    }
    const blockId = await insertBlock(trx, {
      dashboardId: dashboard.id,
      kind: input.kind,
      title: (input.title || defaultTitle).slice(0, 255),
      applicationId: verdict.application.id,
      deviceId,
    });
    return { ok: true, blockId } as const;
  });
}
