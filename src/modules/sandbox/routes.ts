import type { FastifyInstance } from 'fastify';
import { currentUser, requireUser } from '../../http/auth.ts';
import { renderPage } from '../../http/render.ts';
import { sandboxPlan } from '../plans/queries.ts';

export async function sandboxRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps;

  // R1.2, R3.3: the user's personal owner with its limits, and the way to an organization.
  app.get('/sandbox', { preHandler: requireUser }, async (request, reply) => {
    const user = currentUser(request);
    const plan = await sandboxPlan(db);
    return renderPage(
      request,
      reply,
      'pages/sandbox.eta',
      {
        plan,
        applications: [],
        dashboards: [],
        counts: { applications: 0, dashboards: 0 },
        owner: user,
      },
      { title: 'Sandbox · Orgplane' },
    );
  });
}
