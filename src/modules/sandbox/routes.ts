import { listDashboardsOf } from '../dashboards/queries.ts';
import type { FastifyInstance } from 'fastify';
import { currentUser, requireUser } from '../../http/auth.ts';
import { renderPage } from '../../http/render.ts';
import { listApplicationsOf } from '../applications/queries.ts';
import { sandboxPlan } from '../plans/queries.ts';
import { ownerCounts } from '../billing/owner-counts.ts';
import type { Owner } from '../owners/columns.ts';

export async function sandboxRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock } = app.deps;

  // R1.2, R3.3: the user's personal owner with its limits, and the way to an organization.
  app.get('/sandbox', { preHandler: requireUser }, async (request, reply) => {
    const user = currentUser(request);
    const owner: Owner = { kind: 'sandbox', userId: user.id };
    const [plan, applications, counts, dashboards] = await Promise.all([
      sandboxPlan(db),
      listApplicationsOf(db, owner),
      ownerCounts(db, owner, clock.now()),
      listDashboardsOf(db, owner),
    ]);
    return renderPage(request, reply, 'pages/sandbox.eta', { plan, applications, dashboards, counts, owner: user }, { title: 'Sandbox · Orgplane' });
  });
}
