import type { FastifyInstance } from 'fastify';
import { formatCount } from '../../format.ts';
import { requireUser } from '../../http/auth.ts';
import { datesFor, renderPage } from '../../http/render.ts';
import { countOpenInvitations } from '../invitations/queries.ts';
import { organizationFor } from '../tenancy/access.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import { ownerCounts } from '../resources/counts.ts';
import { dailyPayloads, usageByApplication, usageTotals } from './queries.ts';
import { planOfOwner, type Owner } from '../owners/owner.ts';
import { usagePeriodOf } from '../owners/owner-period.ts';
import { projectUsage } from './projection.ts';
import { usageChart } from './usage-chart.ts';
import { limitRows, periodText, projectionText } from './usage-view.ts';

type Params = { slug: string };

/**
 * R8.3: Settings → Usage, for Administrators. Everything is read from the
 * counters (R8.2), so the page costs the same however many payloads are
 * stored: a handful of indexed reads and one row per application and per day.
 */
export async function usageRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock } = app.deps;
  app.addHook('preHandler', requireUser);

  app.get<{ Params: Params }>('/orgs/:slug/settings/usage', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const now = clock.now();
    const owner: Owner = { kind: 'organization', organizationId: ctx.organization.id };
    const period = await usagePeriodOf(db, owner, now);
    const [plan, counts, openInvitations, totals, byApplication, daily] = await Promise.all([
      planOfOwner(db, owner),
      ownerCounts(db, owner, now),
      countOpenInvitations(db, ctx.organization.id, now),
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
          openInvitations,
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
