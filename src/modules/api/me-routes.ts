import type { FastifyInstance } from 'fastify';
import { principalOf } from './principal.ts';
import { presentMe } from './present.ts';

/** R16.1: `me` — the user a token speaks for. */
export async function meRoutes(api: FastifyInstance): Promise<void> {
  api.get('/me', { config: { action: 'me.get' }, schema: { tags: ['me'], summary: 'The user this token speaks for (me.get)' } }, async (request) =>
    presentMe(principalOf(request).user),
  );
}
