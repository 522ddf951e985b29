import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DAY_MS, systemClock } from '../../clock.ts';
import { formatCount } from '../../format.ts';
import { currentUser } from '../../http/auth.ts';
import { HttpError, notFound } from '../../http/errors.ts';
import { fieldErrors, formBody, type FieldErrors, formText } from '../../http/forms.ts';
import { datesFor, seeOther, setFlash } from '../../http/render.ts';
import type { Dates } from '../../format.ts';
import { findUserById } from '../accounts/queries.ts';
import { ROLE_LABELS, type Role } from '../tenancy/policy.ts';
import { findOutboxMail, listOutbox } from '../mail/queries.ts';
import { organizationsOfUser } from '../tenancy/queries/organizations.ts';
import { jobs } from '../../scheduler/jobs.ts';
import { adminPage, confirmPage, platformAdminOnly } from './chrome.ts';
import { readClockOffset } from './queries/clock-offset.ts';
import { adminEventsAbout, findAdminEvent, listAdminEvents, type AdminEvent } from './queries/events.ts';
import { adminOrganizationRoutes } from './organization-routes.ts';
import { INQUIRY_STATUS_BADGES, INQUIRY_STATUS_LABELS, listOrganizations, listUsers, ORG_STATUS_FILTER_LABELS, ORG_STATUS_FILTERS, organizationStatusCounts, PAGE_SIZE } from './lists.ts';
import { findInquiry, INQUIRY_STATUSES, inquiryStatusCounts, isInquiryStatus, listInquiries } from '../organizations/queries/enterprise-inquiries.ts';
import { runSchedulerPassNow } from './run-scheduler-pass.ts';
import { clockShiftSchema, toClockShift } from './schemas.ts';
import { setInquiryStatus } from './set-inquiry-status.ts';
import { setPlatformAdminFlag } from './set-platform-admin.ts';
import { planShift, shiftClock, type PlannedShift } from './shift-clock.ts';
import { datetimeLocal, describeDuration, idParam, linkify, mailDelivery, outboxHidesTokens, pageParam, queryString, redactTokenLinks, statusBadge } from './view.ts';
import { assertNever } from '../../assert-never.ts';

/** Why a planned clock shift was refused, shown at the field that asked for it. */
const SHIFT_REFUSED: Record<Extract<PlannedShift, { ok: false }>['reason'], string> = {
  not_forward: 'The clock only moves forward: choose an instant after the current application time.',
  too_far: 'One shift moves the clock at most five years.',
};

type IdParams = { id: string };

const str = (v: unknown) => formText(v, 2_000);

/** An admin event as the templates show it: before/after as "key: value" text. */
const describeEvent = (e: AdminEvent, dates: Dates) => {
  const fmt = (v: unknown) =>
    v === undefined || v === null
      ? ''
      : typeof v === 'object'
        ? Object.entries(v as Record<string, unknown>)
            .filter(([k]) => k !== 'results')
            .map(([k, x]) => `${k}: ${typeof x === 'string' ? x : JSON.stringify(x)}`)
            .join(', ')
        : String(v);
  return { id: e.id, at: dates.dateTime(e.createdAt), actor: e.actorLabel, action: e.action, target: e.targetLabel, before: fmt(e.before), after: fmt(e.after), targetType: e.targetType, targetId: e.targetId };
};

/**
 * §11 the back-office at /admin: platform admins only (404 for everyone
 * else, before anything else runs), with its own navigation.
 */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock, config } = app.deps;
  app.addHook('onRequest', platformAdminOnly);

  app.get('/admin', async (request, reply) => {
    const [counts, inquiries, events, outbox] = await Promise.all([
      organizationStatusCounts(db, { q: '', plan: null }),
      inquiryStatusCounts(db),
      listAdminEvents(db, { limit: 20 }),
      listOutbox(db, { limit: 5, offset: 0 }),
    ]);
    return adminPage(
      request,
      reply,
      'home',
      'pages/admin/home.eta',
      {
        statusCards: ORG_STATUS_FILTERS.map((s) => ({ label: ORG_STATUS_FILTER_LABELS[s], count: counts[s], href: `/admin/organizations?status=${s}` })),
        totalOrgs: counts.all,
        newInquiries: inquiries.new,
        mails: outbox.mails.map((m) => ({ id: m.id, to: m.to, subject: m.subject, at: datesFor(request).dateTime(m.createdAt) })),
        mailTotal: outbox.total,
        events: events.map((e) => describeEvent(e, datesFor(request))),
      },
      { title: 'Overview' },
    );
  });

  await app.register(adminOrganizationRoutes);

  // Users (R2.4): search, memberships, promote or demote platform admins.
  app.get<{ Querystring: { q?: string; page?: string } }>('/admin/users', async (request, reply) => {
    const q = str(request.query.q).trim().slice(0, 200);
    const page = pageParam(request.query.page);
    const { rows, total } = await listUsers(db, { q, page });
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return adminPage(
      request,
      reply,
      'users',
      'pages/admin/users.eta',
      {
        q,
        total,
        page,
        pages,
        rows: rows.map((r) => ({ ...r, createdAt: datesFor(request).dateTime(r.createdAt) })),
        prevHref: page > 1 ? `/admin/users${queryString({ q, page: page - 1 })}` : null,
        nextHref: page < pages ? `/admin/users${queryString({ q, page: page + 1 })}` : null,
      },
      { title: 'Users' },
    );
  });

  async function userOr404(id: string) {
    const userId = idParam(id);
    const user = userId === null ? undefined : await findUserById(db, userId);
    if (!user) throw notFound();
    return user;
  }

  app.get<{ Params: IdParams }>('/admin/users/:id', async (request, reply) => {
    const user = await userOr404(request.params.id);
    const admin = currentUser(request);
    const [orgs, events] = await Promise.all([
      organizationsOfUser(db, user.id),
      adminEventsAbout(db, { type: 'user', id: user.id }),
    ]);
    return adminPage(
      request,
      reply,
      'users',
      'pages/admin/user.eta',
      {
        target: { id: user.id, name: user.name, email: user.email, isPlatformAdmin: user.isPlatformAdmin, createdAt: datesFor(request).dateTime(user.createdAt), isSelf: user.id === admin.id },
        memberships: orgs.map((o) => ({ id: o.id, name: o.name, role: ROLE_LABELS[o.role as Role] ?? o.role })),
        events: events.map((e) => describeEvent(e, datesFor(request))),
      },
      { title: user.name },
    );
  });

  app.get<{ Params: IdParams }>('/admin/users/:id/platform-admin', async (request, reply) => {
    const user = await userOr404(request.params.id);
    const self = user.id === currentUser(request).id;
    const grant = !user.isPlatformAdmin;
    return confirmPage(request, reply, 'users', {
      heading: grant ? `Make ${user.name} a platform admin?` : `Remove ${user.name}'s platform admin rights?`,
      intro: self
        ? ['You cannot change your own platform admin rights. Ask another platform admin.']
        : grant
          ? [`${user.name} (${user.email}) will reach this back-office: every organization, user, inquiry and email, and every billing action. It makes them a member of nothing.`]
          : [`${user.name} (${user.email}) will no longer reach the back-office. Their account, Sandbox and memberships are not affected.`],
      action: self ? null : `/admin/users/${user.id}/platform-admin`,
      fields: [{ name: 'value', value: grant ? 'grant' : 'revoke' }],
      button: grant ? 'Make platform admin' : 'Remove platform admin',
      danger: !grant,
      cancelHref: `/admin/users/${user.id}`,
      cancelLabel: self ? 'Back to the user' : 'Cancel',
    });
  });

  app.post<{ Params: IdParams }>('/admin/users/:id/platform-admin', async (request, reply) => {
    const user = await userOr404(request.params.id);
    const value = formBody(request.body).value;
    if (value !== 'grant' && value !== 'revoke') throw new HttpError(422, 'Choose whether to make the user a platform admin or remove the rights.');
    const result = await setPlatformAdminFlag(app.deps, { admin: currentUser(request), targetUserId: user.id, value: value === 'grant' });
    if (!result.ok) {
      switch (result.reason) {
        case 'not_found':
          throw notFound();
        case 'self':
          throw new HttpError(409, 'You cannot change your own platform admin rights. Ask another platform admin.', 'Not allowed on yourself');
        default:
          return assertNever(result.reason);
      }
    }
    setFlash(
      reply,
      'success',
      !result.changed
        ? 'Nothing changed.'
        : result.user.isPlatformAdmin
          ? `${result.user.name} is now a platform admin.`
          : `${result.user.name} is no longer a platform admin.`,
    );
    return seeOther(reply, `/admin/users/${user.id}`);
  });

  // Enterprise inquiries (R3.4): status, and a way to a custom plan for the customer's organization.
  app.get<{ Querystring: { status?: string; page?: string } }>('/admin/inquiries', async (request, reply) => {
    const status = isInquiryStatus(request.query.status) ? request.query.status : null;
    const page = pageParam(request.query.page);
    const [{ rows, total }, counts] = await Promise.all([listInquiries(db, { status, page, pageSize: PAGE_SIZE }), inquiryStatusCounts(db)]);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return adminPage(
      request,
      reply,
      'inquiries',
      'pages/admin/inquiries.eta',
      {
        status,
        tabs: [
          { label: 'All', count: counts.new + counts.contacted + counts.closed, href: '/admin/inquiries', current: status === null },
          ...INQUIRY_STATUSES.map((s) => ({ label: INQUIRY_STATUS_LABELS[s], count: counts[s], href: `/admin/inquiries?status=${s}`, current: status === s })),
        ],
        rows: rows.map((r) => ({ ...r, statusLabel: INQUIRY_STATUS_LABELS[r.status], statusBadge: INQUIRY_STATUS_BADGES[r.status], createdAt: datesFor(request).dateTime(r.createdAt), expectedDevices: r.expectedDevices === null ? '—' : formatCount(r.expectedDevices) })),
        prevHref: page > 1 ? `/admin/inquiries${queryString({ status, page: page - 1 })}` : null,
        nextHref: page < pages ? `/admin/inquiries${queryString({ status, page: page + 1 })}` : null,
      },
      { title: 'Enterprise inquiries' },
    );
  });

  async function showInquiry(request: FastifyRequest<{ Params: IdParams; Querystring: { org?: string } }>, reply: FastifyReply, opts: { error?: string; status?: number } = {}) {
    const inquiryId = idParam(request.params.id);
    const inquiry = inquiryId === null ? undefined : await findInquiry(db, inquiryId);
    if (!inquiry) throw notFound();
    const orgQuery = str(request.query.org).trim().slice(0, 200);
    const [administered, found, events] = await Promise.all([
      inquiry.userId === null ? Promise.resolve([]) : organizationsOfUser(db, inquiry.userId),
      orgQuery ? listOrganizations(db, { q: orgQuery, status: null, plan: null, page: 1 }, clock.now()) : Promise.resolve(null),
      adminEventsAbout(db, { type: 'inquiry', id: inquiry.id }),
    ]);
    const planHref = (orgId: number) => `/admin/organizations/${orgId}/plan?inquiry=${inquiry.id}`;
    return adminPage(
      request,
      reply,
      'inquiries',
      'pages/admin/inquiry.eta',
      {
        inquiry: { ...inquiry, statusLabel: INQUIRY_STATUS_LABELS[inquiry.status], createdAt: datesFor(request).dateTime(inquiry.createdAt), expectedDevices: inquiry.expectedDevices === null ? '—' : formatCount(inquiry.expectedDevices) },
        statuses: INQUIRY_STATUSES.map((s) => ({ value: s, label: INQUIRY_STATUS_LABELS[s] })),
        administered: administered.filter((o) => o.role === 'administrator').map((o) => ({ id: o.id, name: o.name, planHref: planHref(o.id) })),
        orgQuery,
        found: found ? found.rows.filter((r) => !r.deleted).map((r) => ({ id: r.id, name: r.name, plan: r.planName, status: statusBadge(r.status), planHref: planHref(r.id) })) : null,
        events: events.map((e) => describeEvent(e, datesFor(request))),
        error: opts.error,
      },
      { title: `Inquiry from ${inquiry.company}`, status: opts.status ?? 200 },
    );
  }

  app.get<{ Params: IdParams; Querystring: { org?: string } }>('/admin/inquiries/:id', async (request, reply) => showInquiry(request, reply));

  app.post<{ Params: IdParams; Querystring: { org?: string } }>('/admin/inquiries/:id/status', async (request, reply) => {
    const inquiryId = idParam(request.params.id);
    if (inquiryId === null) throw notFound();
    const status = formBody(request.body).status;
    if (!isInquiryStatus(status)) return showInquiry(request, reply, { error: 'Choose New, Contacted or Closed.', status: 422 });
    const result = await setInquiryStatus(app.deps, { admin: currentUser(request), inquiryId, status });
    if (!result.ok) throw notFound();
    setFlash(reply, 'success', result.changed ? `Inquiry from ${result.inquiry.company} marked ${INQUIRY_STATUS_LABELS[status]}.` : 'Nothing changed.');
    return seeOther(reply, `/admin/inquiries/${inquiryId}`);
  });

  // Mail outbox (R10.1): every recorded email, newest first, readable, links
  // clickable, but for the tokens of live account and invitation links once
  // mail is really delivered (view.ts outboxHidesTokens).
  const hideTokens = outboxHidesTokens(config);
  app.get<{ Querystring: { page?: string } }>('/admin/mail', async (request, reply) => {
    const page = pageParam(request.query.page);
    const { mails, total } = await listOutbox(db, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return adminPage(
      request,
      reply,
      'mail',
      'pages/admin/mail.eta',
      {
        total,
        page,
        pages,
        mails: mails.map((m) => ({ id: m.id, to: m.to, subject: m.subject, kind: m.kind, delivery: mailDelivery(m, datesFor(request)), at: datesFor(request).dateTime(m.createdAt) })),
        prevHref: page > 1 ? `/admin/mail?page=${page - 1}` : null,
        nextHref: page < pages ? `/admin/mail?page=${page + 1}` : null,
      },
      { title: 'Mail outbox' },
    );
  });

  app.get<{ Params: IdParams }>('/admin/mail/:id', async (request, reply) => {
    const mailId = idParam(request.params.id);
    const mail = mailId === null ? undefined : await findOutboxMail(db, mailId);
    if (!mail) throw notFound();
    return adminPage(
      request,
      reply,
      'mail',
      'pages/admin/mail-message.eta',
      {
        mail: {
          ...mail,
          html: mail.html && hideTokens ? redactTokenLinks(mail.html) : mail.html,
          at: datesFor(request).dateTime(mail.createdAt, { seconds: true }),
          sentAt: mail.sentAt ? datesFor(request).dateTime(mail.sentAt, { seconds: true }) : null,
          delivery: mailDelivery(mail, datesFor(request)),
          segments: linkify(hideTokens ? redactTokenLinks(mail.text) : mail.text),
        },
        tokensHidden: hideTokens,
      },
      { title: mail.subject.slice(0, 100) },
    );
  });

  // R11.2, R12.1: one scheduler pass now, with its report.
  app.get('/admin/scheduler', async (request, reply) => {
    const passes = await listAdminEvents(db, { limit: 10, actions: ['scheduler.pass_run'] });
    return adminPage(
      request,
      reply,
      'scheduler',
      'pages/admin/scheduler.eta',
      {
        jobs: jobs.map((j) => j.name),
        appTime: datesFor(request).dateTime(clock.now(), { seconds: true }),
        passes: passes.map((p) => ({ ...describeEvent(p, datesFor(request)), failed: Number((p.after as { failed?: number } | undefined)?.failed ?? 0) })),
      },
      { title: 'Scheduler' },
    );
  });

  app.post('/admin/scheduler/passes', async (request, reply) => {
    const { eventId, report } = await runSchedulerPassNow(app.deps, { admin: currentUser(request) });
    const failed = report.results.filter((r) => !r.ok).length;
    setFlash(reply, failed ? 'error' : 'success', failed ? `Scheduler pass run: ${failed} job${failed === 1 ? '' : 's'} failed.` : 'Scheduler pass run: every job succeeded.');
    return seeOther(reply, `/admin/scheduler/passes/${eventId}`);
  });

  app.get<{ Params: IdParams }>('/admin/scheduler/passes/:id', async (request, reply) => {
    const eventId = idParam(request.params.id);
    const event = eventId === null ? undefined : await findAdminEvent(db, eventId);
    if (!event || event.action !== 'scheduler.pass_run') throw notFound();
    const after = (event.after ?? {}) as { at?: string; results?: { job: string; ok: boolean; summary: string }[] };
    return adminPage(
      request,
      reply,
      'scheduler',
      'pages/admin/scheduler-pass.eta',
      { pass: { id: event.id, actor: event.actorLabel, at: after.at ? datesFor(request).dateTime(new Date(after.at), { seconds: true }) : datesFor(request).dateTime(event.createdAt, { seconds: true }), results: after.results ?? [] } },
      { title: 'Scheduler pass' },
    );
  });

  // R11.3: the demo clock, outside production only — in production these routes do not exist.
  if (!config.isProduction) {
    async function showClock(request: FastifyRequest, reply: FastifyReply, opts: { values?: Record<string, string>; errors?: FieldErrors; status?: number } = {}) {
      const now = clock.now();
      const [offset, shifts] = await Promise.all([readClockOffset(db), listAdminEvents(db, { limit: 10, actions: ['clock.shifted'] })]);
      return adminPage(
        request,
        reply,
        'clock',
        'pages/admin/clock.eta',
        {
          appTime: datesFor(request).dateTime(now, { seconds: true }),
          realTime: datesFor(request).dateTime(systemClock.now(), { seconds: true }),
          offset: describeDuration(offset),
          values: opts.values ?? { amount: '1', unit: 'days', instant: datetimeLocal(new Date(now.getTime() + DAY_MS)) },
          errors: opts.errors ?? {},
          shifts: shifts.map((e) => describeEvent(e, datesFor(request))),
        },
        { title: 'Clock', status: opts.status ?? 200 },
      );
    }

    app.get('/admin/clock', async (request, reply) => showClock(request, reply));

    app.post('/admin/clock/shifts', async (request, reply) => {
      const body = formBody(request.body);
      const values = { mode: str(body.mode), amount: str(body.amount).slice(0, 20), unit: str(body.unit), instant: str(body.instant).slice(0, 40) };
      if (values.mode !== 'by' && values.mode !== 'to') throw new HttpError(422, 'Choose how to move the clock: by an amount of time or to an instant.');
      const parsed = clockShiftSchema.safeParse(values);
      if (!parsed.success) return showClock(request, reply, { values, errors: fieldErrors(parsed.error), status: 422 });
      const shift = toClockShift(parsed.data);
      const planned = planShift(clock.now(), shift);
      if (!planned.ok) {
        const message = SHIFT_REFUSED[planned.reason];
        return showClock(request, reply, { values, errors: { [values.mode === 'to' ? 'instant' : 'amount']: message }, status: 422 });
      }
      if (body.confirm !== 'yes') {
        return confirmPage(request, reply, 'clock', {
          heading: `Move the application clock forward by ${describeDuration(planned.deltaMs)}?`,
          intro: [
            'Every instance of the program sees the new time within seconds: billing periods end, retries fall due, Past Due turns Unpaid at the next scheduler pass. The clock never moves back.',
          ],
          details: [
            { label: 'Application time now', value: datesFor(request).dateTime(planned.from, { seconds: true }) },
            { label: 'After the shift', value: datesFor(request).dateTime(planned.to, { seconds: true }) },
          ],
          action: '/admin/clock/shifts',
          // The instant itself, so a slow confirmation does not move the clock further than was shown.
          fields: [
            { name: 'mode', value: 'to' },
            { name: 'instant', value: planned.to.toISOString() },
            { name: 'confirm', value: 'yes' },
          ],
          button: 'Move the clock',
          cancelHref: '/admin/clock',
        });
      }
      const result = await shiftClock(app.deps, { admin: currentUser(request), shift });
      if (!result.ok) {
        return showClock(request, reply, { values, errors: { instant: 'The clock only moves forward: choose an instant after the current application time.' }, status: 409 });
      }
      setFlash(reply, 'success', `The application clock moved forward by ${describeDuration(result.deltaMs)}, to ${datesFor(request).dateTime(result.to, { seconds: true })}.`);
      return seeOther(reply, '/admin/clock');
    });
  }
}
