import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../http/auth.ts';
import { badRequest } from '../../http/errors.ts';
import { exportFileName, parseExportRange } from '../usage/export.ts';
import { applicationFor } from './access.ts';
import { deviceDataCsv } from './export-device-data.ts';

/**
 * R14.1: members with Viewer or more (and the Sandbox owner) download an
 * application's device data as CSV, streamed, whatever its size — also while
 * the organization is Unpaid (R9.8), which is why only the view right is
 * asked and not the application's working state.
 */
export async function exportRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.deps;

  app.get<{ Params: { appId: string }; Querystring: { from?: string; to?: string } }>(
    '/applications/:appId/export.csv',
    { preHandler: requireUser },
    async (request, reply) => {
      const { application } = await applicationFor(request, request.params.appId, 'resources.view');
      const parsed = parseExportRange(request.query);
      if (!parsed.ok) throw badRequest(`${parsed.message} Leave it empty to export from the first or to the last payload.`);
      const csv = Readable.from(deviceDataCsv(db, application.id, parsed.range), { objectMode: false });
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${exportFileName(application.name, parsed.range)}"`)
        .header('Cache-Control', 'no-store')
        .header('X-Content-Type-Options', 'nosniff')
        .send(csv);
    },
  );
}
