import type { Sql } from '../../db/sql.ts';
import { deleteBlockRow, type Dashboard } from './queries.ts';

export type RemoveBlockResult = { ok: true } | { ok: false; reason: 'not_found' };

/** Takes one block off a dashboard; a block of another dashboard is not found. */
export async function removeBlock(db: Sql, dashboard: Dashboard, blockId: number): Promise<RemoveBlockResult> {
  const removed = await deleteBlockRow(db, dashboard.id, blockId);
  return removed > 0 ? { ok: true } : { ok: false, reason: 'not_found' };
}
