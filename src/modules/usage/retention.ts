import type { Sql } from '../../db/sql.ts';
import type { Job } from '../../scheduler/registry.ts';
import { planOfOwner } from '../owners/owner.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { ownerColumns, ownerFromColumns, type Owner } from '../owners/columns.ts';
import { DAY_MS } from '../../clock.ts';
/** Payloads one DELETE removes at most: short statements, so device writes (and SQLite's one writer) are never held up for long. */
export const RETENTION_BATCH_SIZE = 5_000;

export interface RetentionReport {
  deleted: number;
  applications: number;
  skippedUnpaid: number;
  failures: string[];
}

/**
 * R8.4: deletes payloads whose time is older than the owner's plan retention
 * days at `at`, application by application, in batches. Idempotent (a second
 * run at the same instant finds nothing to delete) and safe beside another
 * instance doing the same. Organizations that are Unpaid keep their data
 * (R9.8): they can still export it, and it is purged once they pay again.
 * One owner failing does not stop the others; the failures are reported.
 */
export async function purgeExpiredPayloads(db: Sql, at: Date, opts: { batchSize?: number } = {}): Promise<RetentionReport> {
  const batchSize = opts.batchSize ?? RETENTION_BATCH_SIZE;
  const report: RetentionReport = { deleted: 0, applications: 0, skippedUnpaid: 0, failures: [] };
  const owners = await db.rows<{ owner_type: string; owner_id: number }>('SELECT DISTINCT owner_type, owner_id FROM applications ORDER BY owner_type, owner_id');
  for (const row of owners) {
    const owner = ownerFromColumns(row);
    try {
      if ((await billingStatusOf(db, owner)) === 'unpaid') {
        report.skippedUnpaid++;
        continue;
      }
      const plan = await planOfOwner(db, owner);
      const cutoff = at.getTime() - plan.limits.retentionDays * DAY_MS;
      for (const applicationId of await applicationIdsOf(db, owner)) {
        report.deleted += await deleteOlderThan(db, applicationId, cutoff, batchSize);
        report.applications++;
      }
    } catch (err) {
      report.failures.push(`${row.owner_type} ${row.owner_id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return report;
}

async function applicationIdsOf(db: Sql, owner: Owner): Promise<number[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await db.rows<{ id: number }>('SELECT id FROM applications WHERE owner_type = ? AND owner_id = ? ORDER BY id', [owner_type, owner_id]);
  return rows.map((r) => Number(r.id));
}

/** Deletes one application's payloads older than `cutoff`, `batchSize` at a time, through the (application_id, time) index. */
export async function deleteOlderThan(db: Sql, applicationId: number, cutoff: number, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.run('DELETE FROM payloads WHERE id IN (SELECT id FROM payloads WHERE application_id = ? AND time < ? LIMIT ?)', [
      applicationId,
      cutoff,
      batchSize,
    ]);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/** The scheduler job for R8.4. */
export const retentionJob: Job = {
  name: 'usage:purge-expired-payloads',
  async run(deps, at) {
    const r = await purgeExpiredPayloads(deps.db, at);
    const summary = `${r.deleted} payloads past retention deleted from ${r.applications} applications, ${r.skippedUnpaid} Unpaid organizations skipped`;
    if (r.failures.length > 0) throw new Error(`${summary}; failed for ${r.failures.join('; ')}`);
    return summary;
  },
};
