import type { FastifyReply, FastifyRequest } from 'fastify';
import { OffsetClock } from '../../clock.ts';
import { notFound } from '../../http/errors.ts';
import { datesFor, renderPage, type PageOptions } from '../../http/render.ts';
import { findUserById } from '../accounts/queries.ts';
import { describeDuration } from './view.ts';

export type AdminSection = 'home' | 'organizations' | 'users' | 'inquiries' | 'mail' | 'scheduler' | 'clock';

/**
 * R2.4, §11: the back-office is for platform admins only; everyone else —
 * visitors, users, organization Administrators — gets the same 404 as for a
 * page that does not exist. Runs on onRequest, before the CSRF check, so a
 * form post answers 404 too; the user is looked up here so the 404 page shows
 * the usual header.
 */
export async function platformAdminOnly(request: FastifyRequest): Promise<void> {
  const userId = request.session?.userId;
  const user = userId ? await findUserById(request.server.deps.db, userId) : undefined;
  if (user) request.user = user;
  if (!user?.isPlatformAdmin) throw notFound();
}

/** A back-office page in the site layout, with its own navigation and the application time (R11.3). */
export async function adminPage(
  request: FastifyRequest,
  reply: FastifyReply,
  section: AdminSection,
  view: string,
  data: Record<string, unknown>,
  opts: PageOptions & { title: string },
): Promise<FastifyReply> {
  const { clock, config } = request.server.deps;
  const now = clock.now();
  return renderPage(
    request,
    reply,
    view,
    {
      ...data,
      adminNav: {
        section,
        appTime: datesFor(request).dateTime(now, { seconds: true }),
        appTimeIso: now.toISOString(),
        showClock: !config.isProduction,
        shiftedBy: clock instanceof OffsetClock && clock.offsetMs > 0 ? describeDuration(clock.offsetMs) : null,
      },
    },
    { ...opts, title: `${opts.title} · Back-office` },
  );
}

export interface ConfirmPage {
  heading: string;
  intro: string[];
  details?: { label: string; value: string }[];
  action: string | null;
  fields?: { name: string; value: string }[];
  button?: string;
  danger?: boolean;
  cancelHref: string;
  cancelLabel?: string;
}

/** The one confirmation step every back-office action goes through; a plain form, so it works without JavaScript. */
export function confirmPage(request: FastifyRequest, reply: FastifyReply, section: AdminSection, page: ConfirmPage, status = 200) {
  return adminPage(request, reply, section, 'pages/admin/confirm.eta', { confirm: { fields: [], details: [], danger: false, cancelLabel: 'Cancel', ...page } }, { title: page.heading, status });
}
