import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import type { User } from '../accounts/queries.ts';
import { applicationIdsOf } from '../applications/queries.ts';
import { transferApplication, transferTargets, type TransferResult } from '../applications/transfer-application.ts';
import { listDashboardsOf } from '../dashboards/queries.ts';
import { transferDashboard, type TransferDashboardResult } from '../dashboards/transfer-dashboard.ts';
import { sameOwner, type Owner } from '../owners/columns.ts';
import { billingStatusOf } from '../owners/owner-period.ts';
import { findMembership } from '../tenancy/queries/memberships.ts';

export type TransferResourcesResult =
  | { ok: true; applications: number; dashboards: number; lostSources: string[] }
  /** An id that is not one of `from`'s applications or dashboards. */
  | { ok: false; reason: 'not_found'; type: 'application' | 'dashboard'; id: number }
  | Exclude<TransferResult, { ok: true }>
  | Exclude<TransferDashboardResult, { ok: true }>;

class Refused extends Error {
  constructor(readonly result: Exclude<TransferResourcesResult, { ok: true }>) {
    super(result.reason);
  }
}

/**
 * R5.4, R16.3: moves several of an owner's applications and dashboards to
 * another owner in one go (the REST API's `transferResources`), each through
 * the same use case as its page's Transfer (limits, Unpaid, audit entries),
 * all or nothing: one refused makes none move. The actor may move them to
 * their own Sandbox or to an organization they administer (`transferTargets`).
 */
export async function transferResources(
  db: Sql,
  clock: Clock,
  input: { actor: User; from: Owner; to: Owner; applicationIds: number[]; dashboardIds: number[] },
): Promise<TransferResourcesResult> {
  const targets = await transferTargets(db, input.actor, input.from);
  if (!targets.some((t) => sameOwner(t.owner, input.to))) {
    // R9.8: transferTargets leaves out an Unpaid organization; its Administrators are told why (nobody else learns its standing).
    const to = input.to;
    if (to.kind === 'organization' && (await findMembership(db, to.organizationId, input.actor.id))?.role === 'administrator' && (await billingStatusOf(db, to)) === 'unpaid') {
      return { ok: false, reason: 'owner_unpaid', side: 'to' };
    }
    return { ok: false, reason: 'not_allowed' };
  }
  const applicationIds = [...new Set(input.applicationIds)];
  const dashboardIds = [...new Set(input.dashboardIds)];
  const ownApplications = new Set(await applicationIdsOf(db, input.from));
  const ownDashboards = new Set((await listDashboardsOf(db, input.from)).map((d) => d.id));
  const strayApplication = applicationIds.find((id) => !ownApplications.has(id));
  if (strayApplication !== undefined) return { ok: false, reason: 'not_found', type: 'application', id: strayApplication };
  const strayDashboard = dashboardIds.find((id) => !ownDashboards.has(id));
  if (strayDashboard !== undefined) return { ok: false, reason: 'not_found', type: 'dashboard', id: strayDashboard };
  try {
    // Each transfer is a savepoint of this one transaction: a refusal rolls back those already made.
    return await db.transaction(async (trx) => {
      const lostSources: string[] = [];
      for (const applicationId of applicationIds) {
        const moved = await transferApplication(trx, clock, { actor: input.actor, applicationId, from: input.from, to: input.to, allowedTargets: targets });
        if (!moved.ok) throw new Refused(moved);
      }
      for (const dashboardId of dashboardIds) {
        const moved = await transferDashboard(trx, clock, { actor: input.actor, dashboardId, from: input.from, to: input.to, allowedTargets: targets });
        if (!moved.ok) throw new Refused(moved);
        lostSources.push(...moved.lostSources);
      }
      return { ok: true, applications: applicationIds.length, dashboards: dashboardIds.length, lostSources } as const;
    });
  } catch (err) {
    if (err instanceof Refused) return err.result;
    throw err;
  }
}
