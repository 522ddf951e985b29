import type { FastifyInstance } from 'fastify';
import type { Sql } from '../../db/sql.ts';
import { formatCount } from '../../format.ts';
import { requireUser } from '../../http/auth.ts';
import { datesFor, renderPage } from '../../http/render.ts';
import { organizationFor } from '../tenancy/access.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import { dailyPayloads, usageByApplication, usageTotals } from './queries.ts';
import { planOfOwner, type Owner } from '../owners/owner.ts';
import { usagePeriodOf } from '../owners/owner-period.ts';
import { projectUsage } from './projection.ts';
import { usageChart } from './usage-chart.ts';
import { limitRows, periodText, projectionText } from './usage-view.ts';

type Params = { slug: string };

/** What an organization holds against its plan's limits (R7.3), as the Usage page lists it. */
export interface Holdings {
  applications: number;
  dashboards: number;
  devices: number;
  members: number;
  /** Open invitations count toward the member limit (R4.1). */
  openInvitations: number;
}

export interface UsageRoutesOptions {
  /**
   * Counts the applications, dashboards, devices, members and invitations
   * of an organization. The modules that own those sit above usage (deleting
   * an application deletes its payloads through usage), so the page is handed
   * the count by app.ts instead of importing it: billing's `organizationHoldings`.
   */
  holdingsOf: (db: Sql, organizationId: number, now: Date) => Promise<Holdings>;
}

/**
 * R8.3: Settings → Usage, for Administrators. Everything is read from the
 * counters (R8.2), so the page costs the same however many payloads are
 * stored: a handful of indexed reads and one row per application and per day.
 */
export async function usageRoutes(app: FastifyInstance, { holdingsOf }: UsageRoutesOptions): Promise<void> {
  const { db, clock } = app.deps;
  app.addHook('preHandler', requireUser);

  app.get<{ Params: Params }>('/orgs/:slug/settings/usage', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const now = clock.now();
    const owner: Owner = { kind: 'organization', organizationId: ctx.organization.id };
    const period = await usagePeriodOf(db, owner, now);
    const [plan, counts, totals, byApplication, daily] = await Promise.all([
      planOfOwner(db, owner),
      holdingsOf(db, ctx.organization.id, now),
      usageTotals(db, owner, period.start),
      usageByApplication(db, owner, period.start),
      dailyPayloads(db, owner, period),
    ]);
    const hardCap = plan.overageCentsPerMillion === null;
    const projection = projectUsage({
      payloadsSoFar: totals.payloads,
      period,
      now,
      allotment: plan.limits.payloadsPerMonth,
      overageCentsPerMillion: plan.overageCentsPerMillion,
    });
    return renderPage(
      request,
      reply,
      'pages/usage/usage.eta',
      {
        ...orgChrome(ctx, 'settings'),
        tab: 'usage',
        planName: plan.name,
        period: periodText(period, now, datesFor(request)),
        limits: limitRows({
          limits: plan.limits,
          devices: counts.devices,
          applications: counts.applications,
          dashboards: counts.dashboards,
          members: counts.members,
          openInvitations: counts.openInvitations,
          payloads: totals.payloads,
          hardCap,
        }),
        rejected: formatCount(totals.rejected),
        applications: byApplication.map((a) => ({
          name: a.applicationName,
          payloads: formatCount(a.payloads),
          rejected: formatCount(a.rejected),
        })),
        chart: usageChart(daily, now),
        projection: projectionText(projection, period.end, datesFor(request)),
      },
      { title: `Usage · ${ctx.organization.name}` },
    );
  });
}
