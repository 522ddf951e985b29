import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../modules/accounts/queries.ts';

/**
 * Route preHandler for pages that need a signed-in user: a visitor is sent to
 * log in (and brought back afterwards for a GET).
 */
export async function requireUser(request: FastifyRequest, reply: FastifyReply) {
  if (request.user) return;
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
  return reply.code(303).redirect(`/login${next}`);
}

/** The signed-in user of a route guarded by requireUser. */
export function currentUser(request: FastifyRequest): User {
  if (!request.user) throw new Error('currentUser() on a route without requireUser');
  return request.user;
}
