import type { Sql } from '../../db/sql.ts';
import type { Job } from '../../scheduler/registry.ts';
import { planOfOwner } from '../owners/owner.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { ownerFromColumns } from '../owners/columns.ts';
import { deletePayloadsOlderThan } from '../usage/queries.ts';
import { applicationIdsOf, ownersWithApplications } from './queries.ts';
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
  const owners = await ownersWithApplications(db);
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
        report.deleted += await deletePayloadsOlderThan(db, applicationId, cutoff, batchSize);
        report.applications++;
      }
    } catch (err) {
      report.failures.push(`${row.owner_type} ${row.owner_id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return report;
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
