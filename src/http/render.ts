import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatHelpers } from '../format.ts';

export interface PageOptions {
  status?: number;
  title?: string;
}

const FLASH_COOKIE = 'flash';

/** A one-time notice shown on the next page (survives the 303 of Post/Redirect/Get). */
export function setFlash(reply: FastifyReply, message: string): void {
  reply.setCookie(FLASH_COOKIE, message.slice(0, 300), { path: '/', httpOnly: true, sameSite: 'lax', signed: true, maxAge: 60 });
}

function takeFlash(request: FastifyRequest, reply: FastifyReply): string | undefined {
  const raw = request.cookies[FLASH_COOKIE];
  if (!raw) return undefined;
  reply.clearCookie(FLASH_COOKIE, { path: '/' });
  const unsigned = reply.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}

export const isHtmx = (request: FastifyRequest) => request.headers['hx-request'] === 'true';

/**
 * Renders a page in the site layout with what every page needs: the signed-in
 * user, the CSRF token for its forms and htmx, the current path, a flash, and
 * the count and date formatters (`it.formatCount(…)`; a partial included with
 * its own data gets none, so its view model carries the text).
 */
export async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  view: string,
  data: Record<string, unknown> = {},
  opts: PageOptions = {},
): Promise<FastifyReply> {
  const it = {
    ...formatHelpers,
    ...data,
    title: opts.title ?? (data.title as string | undefined) ?? 'Orgplane',
    user: request.user,
    headerOrgs: request.user ? await request.server.headerOrganizations(request.user.id) : [],
    csrfToken: reply.generateCsrf(),
    path: request.url,
    flash: takeFlash(request, reply),
  };
  reply.header('Vary', 'HX-Request');
  reply.header('Cache-Control', 'no-store');
  reply.code(opts.status ?? 200).type('text/html; charset=utf-8');
  return reply.view(view, it);
}

/** Renders a template alone (no layout): the partial an htmx request swaps in. */
export async function renderPartial(
  request: FastifyRequest,
  reply: FastifyReply,
  view: string,
  data: Record<string, unknown> = {},
  status = 200,
): Promise<FastifyReply> {
  reply.header('Vary', 'HX-Request');
  reply.header('Cache-Control', 'no-store');
  reply.code(status).type('text/html; charset=utf-8');
  return reply.view(view, { ...formatHelpers, ...data, user: request.user, csrfToken: reply.generateCsrf() });
}

/** Post/Redirect/Get. */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).redirect(location);
}
