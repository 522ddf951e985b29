import type { FastifyReply, FastifyRequest } from 'fastify';
import { datesIn, formatHelpers, type Dates } from '../format.ts';

export interface PageOptions {
  status?: number;
  title?: string;
  /**
   * false: the page has no form for an anonymous visitor (a shared dashboard,
   * an error page), so it starts no anonymous session for a CSRF secret.
   */
  forms?: boolean;
}

/** An anonymous visitor's session only carries a form's CSRF secret: it lasts hours, not the 30 days of a log-in. */
const ANONYMOUS_SESSION_MAX_AGE_MS = 12 * 3_600_000;

/**
 * R13.4: a CSRF token for this request's session. Its secret is kept in the
 * session, so an anonymous visitor who opens a form (log-in, sign-up, an
 * invitation, a dashboard's unlock) gets a short session of their own; log-in
 * replaces it with a new session and so a new secret, and log-out ends it.
 */
export function csrfTokenFor(request: FastifyRequest, reply: FastifyReply, forms = true): string {
  const session = request.session;
  if (!session || typeof session.get !== 'function') return '';
  const hasSecret = Boolean(session._csrf);
  if (!hasSecret && !request.user && !forms) return '';
  const token = reply.generateCsrf();
  if (!hasSecret && session.userId === undefined) session.cookie.maxAge = ANONYMOUS_SESSION_MAX_AGE_MS;
  return token;
}

const FLASH_COOKIE = 'flash';

/** What a flash reports: a change that was made, or one that was refused or failed. */
export type FlashKind = 'success' | 'error';
export interface Flash {
  kind: FlashKind;
  message: string;
}

/**
 * A one-time notice shown on the next page (survives the 303 of
 * Post/Redirect/Get). Its kind is required: a refusal or a failure is shown as
 * an error, never in the success box.
 */
export function setFlash(reply: FastifyReply, kind: FlashKind, message: string): void {
  reply.setCookie(FLASH_COOKIE, `${kind}:${message.slice(0, 300)}`, { path: '/', httpOnly: true, sameSite: 'lax', signed: true, maxAge: 60 });
}

function takeFlash(request: FastifyRequest, reply: FastifyReply): Flash | undefined {
  const raw = request.cookies[FLASH_COOKIE];
  if (!raw) return undefined;
  reply.clearCookie(FLASH_COOKIE, { path: '/' });
  const unsigned = reply.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return undefined;
  const match = /^(success|error):([\s\S]+)$/.exec(unsigned.value);
  return match ? { kind: match[1] as FlashKind, message: match[2]! } : undefined;
}

/** The signed-in user's dates (R1.5): their time zone, one style; UTC for visitors. */
export function datesFor(request: FastifyRequest): Dates {
  return datesIn(request.user?.timeZone ?? 'UTC');
}

/**
 * htmx pushes a boosted form's address into the history. When a POST answers
 * with a page (a form shown again with its errors, a secret shown once) that
 * address answers only POST, so a reload, Back or a bookmark would miss:
 * keep the address of the page the form was on instead.
 */
function keepAddressBar(request: FastifyRequest, reply: FastifyReply): void {
  if (request.method !== 'GET' && isHtmx(request)) reply.header('HX-Push-Url', 'false');
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
    dates: datesFor(request),
    ...data,
    title: opts.title ?? (data.title as string | undefined) ?? 'Orgplane',
    user: request.user,
    headerOrgs: request.user ? await request.server.headerOrganizations(request.user.id) : [],
    csrfToken: csrfTokenFor(request, reply, opts.forms),
    path: request.url,
    flash: takeFlash(request, reply),
  };
  reply.header('Vary', 'HX-Request');
  reply.header('Cache-Control', 'no-store');
  keepAddressBar(request, reply);
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
  keepAddressBar(request, reply);
  reply.code(status).type('text/html; charset=utf-8');
  return reply.view(view, { ...formatHelpers, dates: datesFor(request), ...data, user: request.user, csrfToken: csrfTokenFor(request, reply) });
}

/** Post/Redirect/Get. */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).redirect(location);
}
