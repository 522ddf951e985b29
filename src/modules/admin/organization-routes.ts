import { findInvoiceOfOrganization, listInvoices, openBalanceOf, toInvoice } from '../billing/queries/invoices.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser } from '../../http/auth.ts';
import { formatCount } from '../../format.ts';
import { HttpError, notFound } from '../../http/errors.ts';
import { fieldErrors, formBody, type FieldErrors, formText } from '../../http/forms.ts';
import { datesFor, seeOther, setFlash } from '../../http/render.ts';
import { formatCents } from '../../money.ts';
import { listApplicationsOf } from '../applications/queries.ts';
import { listAuditEvents } from '../audit/queries.ts';
import { attemptsOfInvoice } from '../billing/queries/attempts.ts';
import { changePlan, isCurrentPlan, previewPlanChange, signQuote, verifyQuote } from '../billing/change-plan.ts';
import { findBillingAccount, type BillingAccount } from '../owners/queries/billing-accounts.ts';
import { planOfOrganization } from '../owners/queries.ts';
import { STATUS_LABELS } from '../billing/status.ts';
import { statusHistory } from '../billing/queries/status-history.ts';
import { listDashboardsOf } from '../dashboards/queries.ts';
import { ROLE_LABELS } from '../tenancy/policy.ts';
import { listMembers } from '../tenancy/queries/memberships.ts';
import { findOrganizationById, type Organization } from '../tenancy/queries/organizations.ts';
import { availablePlans, listTiers, type Limits, type Plan } from '../plans/queries.ts';
import { ownerCounts } from '../billing/owner-counts.ts';
import { adminPage, confirmPage } from './chrome.ts';
import { closeInvoice, type InvoiceClosing } from '../billing/close-invoice.ts';
import { createCustomPlan } from './create-custom-plan.ts';
import { adminActor } from './events.ts';
import { grantCredit } from '../billing/grant-credit.ts';
import { payNow } from '../billing/pay-now.ts';
import { creditLedger, listOrganizations, ORG_STATUS_FILTER_LABELS, ORG_STATUS_FILTERS, organizationStatusCounts, PAGE_SIZE, planCodes, planFilterChoices, type OrgStatusFilter } from './lists.ts';
import { pendingInvoiceLines } from '../billing/queries/lines.ts';
import { findInquiry, type Inquiry } from '../organizations/queries/enterprise-inquiries.ts';
import { creditSchema, CUSTOM_PLAN_FIELDS, customPlanSchema } from './schemas.ts';
import { countOf, idParam, invoiceBadge, pageParam, queryString, statusBadge } from './view.ts';
import { assertNever } from '../../assert-never.ts';


type IdParams = { id: string };
type InvoiceParams = { id: string; invoiceId: string };

const AUDIT_PAGE_SIZE = 25;
const INVOICES_SHOWN = 24;

const LIMIT_ROWS: { key: keyof Limits; label: string }[] = [
  { key: 'devices', label: 'Devices' },
  { key: 'applications', label: 'Applications' },
  { key: 'dashboards', label: 'Dashboards' },
  { key: 'members', label: 'Members' },
  { key: 'payloadsPerMonth', label: 'Payloads per month' },
  { key: 'retentionDays', label: 'Data retention (days)' },
];

const str = (v: unknown) => formText(v, 2_000);

export const describePlan = (plan: Plan) => ({
  id: plan.id,
  name: plan.name,
  kind: plan.kind,
  price: formatCents(plan.priceCents),
  overage: plan.overageCentsPerMillion === null ? 'None (hard cap)' : `${formatCents(plan.overageCentsPerMillion)} per million payloads`,
  support: plan.supportLevel,
  limits: LIMIT_ROWS.map((r) => ({ label: r.label, value: formatCount(plan.limits[r.key]) })),
});

/** §11: the organizations list, an organization's page and every billing action on it (R11.1, R11.2). */
export async function adminOrganizationRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock, config } = app.deps;

  async function organizationOr404(id: string): Promise<Organization> {
    const orgId = idParam(id);
    const org = orgId === null ? undefined : await findOrganizationById(db, orgId);
    if (!org) throw notFound();
    return org;
  }

  /** Plan and credit changes are for live organizations; a deleted one keeps only its debt (R3.9). */
  async function liveOrganizationOr409(id: string): Promise<{ org: Organization; account: BillingAccount }> {
    const org = await organizationOr404(id);
    const account = await findBillingAccount(db, org.id);
    if (!account) throw notFound();
    if (org.deletedAt) throw new HttpError(409, `${org.name} was deleted. Only its open invoices can still be charged, voided or marked uncollectible.`, 'Organization deleted');
    return { org, account };
  }

  const orgUrl = (org: { id: number }) => `/admin/organizations/${org.id}`;

  // R11.1: search, filters by status and plan, counts per status, paging.
  app.get<{ Querystring: { q?: string; status?: string; plan?: string; page?: string } }>('/admin/organizations', async (request, reply) => {
    const q = str(request.query.q).trim().slice(0, 200);
    const status = (ORG_STATUS_FILTERS as readonly string[]).includes(request.query.status ?? '') ? (request.query.status as OrgStatusFilter) : null;
    const plan = (await planCodes(db)).has(request.query.plan ?? '') ? request.query.plan! : null;
    const page = pageParam(request.query.page);
    const now = clock.now();
    const [{ rows, total }, counts, plans] = await Promise.all([
      listOrganizations(db, { q, status, plan, page }, now),
      organizationStatusCounts(db, { q, plan }),
      planFilterChoices(db),
    ]);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    return adminPage(
      request,
      reply,
      'organizations',
      'pages/admin/organizations.eta',
      {
        q,
        status,
        plan,
        plans,
        total,
        page,
        pages,
        statusTabs: [
          { value: '', label: 'All', count: counts.all, href: `/admin/organizations${queryString({ q, plan })}`, current: status === null },
          ...ORG_STATUS_FILTERS.map((s) => ({
            value: s,
            label: ORG_STATUS_FILTER_LABELS[s],
            count: counts[s],
            href: `/admin/organizations${queryString({ q, status: s, plan })}`,
            current: status === s,
          })),
        ],
        statusOptions: ORG_STATUS_FILTERS.map((s) => ({ value: s, label: ORG_STATUS_FILTER_LABELS[s] })),
        rows: rows.map((r) => ({
          ...r,
          status: statusBadge(r.status, r.deleted),
          payloads: formatCount(r.payloadsThisPeriod),
          balanceDue: formatCents(r.balanceDueCents),
        })),
        prevHref: page > 1 ? `/admin/organizations${queryString({ q, status, plan, page: page - 1 })}` : null,
        nextHref: page < pages ? `/admin/organizations${queryString({ q, status, plan, page: page + 1 })}` : null,
      },
      { title: 'Organizations' },
    );
  });

  async function showOrganization(
    request: FastifyRequest<{ Params: IdParams; Querystring: { audit?: string } }>,
    reply: FastifyReply,
    opts: { credit?: { amount: string; reason: string }; creditErrors?: FieldErrors; status?: number } = {},
  ) {
    const org = await organizationOr404(request.params.id);
    const account = await findBillingAccount(db, org.id);
    if (!account) throw notFound();
    const now = clock.now();
    const owner = { kind: 'organization' as const, organizationId: org.id };
    const auditPage = pageParam(request.query.audit);
    const [plan, history, invoices, ledger, pending, members, applications, dashboards, audit, open, counts] = await Promise.all([
      planOfOrganization(db, org.id),
      statusHistory(db, org.id),
      listInvoices(db, org.id, INVOICES_SHOWN),
      creditLedger(db, org.id),
      pendingInvoiceLines(db, org.id),
      listMembers(db, org.id),
      listApplicationsOf(db, owner),
      listDashboardsOf(db, owner),
      listAuditEvents(db, org.id, { limit: AUDIT_PAGE_SIZE, offset: (auditPage - 1) * AUDIT_PAGE_SIZE }),
      openBalanceOf(db, org.id),
      ownerCounts(db, owner, now),
    ]);
    if (!plan) throw notFound();
    const attempts = await Promise.all(invoices.map((i) => attemptsOfInvoice(db, i.id)));
    const used: Record<keyof Limits, number> = {
      devices: counts.devices,
      applications: counts.applications,
      dashboards: counts.dashboards,
      members: counts.members,
      payloadsPerMonth: counts.payloadsThisPeriod,
      retentionDays: Number.NaN,
    };
    const auditPages = Math.max(1, Math.ceil(audit.total / AUDIT_PAGE_SIZE));
    return adminPage(
      request,
      reply,
      'organizations',
      'pages/admin/organization.eta',
      {
        org: { id: org.id, name: org.name, slug: org.slug, createdAt: datesFor(request).dateTime(org.createdAt), deletedAt: org.deletedAt ? datesFor(request).dateTime(org.deletedAt) : null },
        status: statusBadge(account.status, org.deletedAt !== null),
        account: {
          billingEmail: account.billingEmail,
          card: account.card ? `${account.card.brand} ending in ${account.card.last4}, expires ${String(account.card.expMonth).padStart(2, '0')}/${account.card.expYear}` : 'No card on file',
          period: datesFor(request).dateRange(account.currentPeriodStart, account.currentPeriodEnd),
          periodStart: datesFor(request).dateTime(account.currentPeriodStart),
          periodEnd: datesFor(request).dateTime(account.currentPeriodEnd),
          anchor: datesFor(request).dateTime(account.periodAnchor),
          periodEnded: now.getTime() >= account.currentPeriodEnd.getTime(),
          creditBalance: formatCents(account.creditBalanceCents),
        },
        plan: {
          ...describePlan(plan),
          usage: LIMIT_ROWS.map((r) => ({
            label: r.label,
            limit: formatCount(plan.limits[r.key]),
            used: Number.isNaN(used[r.key]) ? '—' : formatCount(used[r.key]),
            over: used[r.key] > plan.limits[r.key],
          })),
        },
        history: history.map((h) => ({ at: datesFor(request).dateTime(h.at), from: STATUS_LABELS[h.from], to: STATUS_LABELS[h.to], cause: h.cause })),
        open: { count: open.count, balanceDue: formatCents(open.owedCents) },
        invoices: invoices.map((inv, i) => ({
          id: inv.id,
          number: inv.number,
          kind: inv.kind,
          status: invoiceBadge(inv.status),
          isOpen: inv.status === 'open',
          issued: datesFor(request).dateTime(inv.issuedAt),
          period: datesFor(request).dateRange(inv.periodStart, inv.periodEnd),
          subtotal: formatCents(inv.subtotalCents),
          creditApplied: formatCents(inv.creditAppliedCents),
          amountDue: formatCents(inv.amountDueCents),
          amountPaid: formatCents(inv.amountPaidCents),
          attempts: (attempts[i] ?? []).map((a) => ({
            at: datesFor(request).dateTime(a.createdAt),
            card: a.cardBrand && a.cardLast4 ? `${a.cardBrand} •••• ${a.cardLast4}` : '—',
            amount: formatCents(a.amountCents),
            result: a.status === 'succeeded' ? 'Succeeded' : a.status === 'failed' ? 'Failed' : 'Pending',
            reason: a.failureMessage ?? '',
          })),
        })),
        ledger: ledger.map((l) => ({ at: datesFor(request).dateTime(l.createdAt), amount: formatCents(l.amountCents), reason: l.reason, actor: l.actorLabel ?? 'Orgplane' })),
        pending: pending.map((p) => ({ description: p.description, amount: formatCents(p.amountCents), at: datesFor(request).dateTime(p.createdAt) })),
        members: members.map((m) => ({ userId: m.userId, name: m.name, email: m.email, role: ROLE_LABELS[m.role] })),
        applications: applications.map((a) => ({ name: a.name, devices: countOf(a.devices, 'device') })),
        dashboards: dashboards.map((d) => ({ name: d.name, visibility: d.visibility })),
        audit: {
          events: audit.events.map((e) => ({ ...e, at: datesFor(request).dateTime(e.createdAt) })),
          total: audit.total,
          page: auditPage,
          pages: auditPages,
          prevHref: auditPage > 1 ? `${orgUrl(org)}?audit=${auditPage - 1}#audit` : null,
          nextHref: auditPage < auditPages ? `${orgUrl(org)}?audit=${auditPage + 1}#audit` : null,
        },
        credit: opts.credit ?? { amount: '', reason: '' },
        creditErrors: opts.creditErrors ?? {},
      },
      { title: org.name, status: opts.status ?? 200 },
    );
  }

  app.get<{ Params: IdParams; Querystring: { audit?: string } }>('/admin/organizations/:id', async (request, reply) => showOrganization(request, reply));

  // R11.2 assign a plan: the tiers and this organization's custom plans, and a form for a new custom (Enterprise) plan.
  async function showPlans(
    request: FastifyRequest<{ Params: IdParams; Querystring: { inquiry?: string } }>,
    reply: FastifyReply,
    opts: { values?: Record<string, string>; errors?: FieldErrors; error?: string | string[]; status?: number; inquiry?: Inquiry | null } = {},
  ) {
    const { org, account } = await liveOrganizationOr409(request.params.id);
    const inquiryId = idParam(str(request.query.inquiry ?? (formBody(request.body).inquiry as string | undefined)));
    const inquiry = opts.inquiry !== undefined ? opts.inquiry : inquiryId === null ? null : ((await findInquiry(db, inquiryId)) ?? null);
    const [plans, tiers] = await Promise.all([availablePlans(db, org.id), listTiers(db)]);
    const largest = tiers.at(-1);
    const defaults: Record<string, string> = {
      name: inquiry ? `Enterprise — ${inquiry.company}`.slice(0, 100) : `Enterprise — ${org.name}`.slice(0, 100),
      price: '',
      devices: String(Math.max(inquiry?.expectedDevices ?? 0, largest?.limits.devices ?? 0) || ''),
      applications: String(largest?.limits.applications ?? ''),
      dashboards: String(largest?.limits.dashboards ?? ''),
      members: String(largest?.limits.members ?? ''),
      payloads: String(largest?.limits.payloadsPerMonth ?? ''),
      retention: String(largest?.limits.retentionDays ?? ''),
      overage: largest?.overageCentsPerMillion ? (largest.overageCentsPerMillion / 100).toFixed(2) : '',
      support: 'Dedicated account manager, 1 hour',
    };
    return adminPage(
      request,
      reply,
      'organizations',
      'pages/admin/plan.eta',
      {
        org: { id: org.id, name: org.name },
        currentPlanId: account.planId,
        plans: plans.map((p) => ({ ...describePlan(p), current: isCurrentPlan(account, p), previewHref: `${orgUrl(org)}/plan/preview${queryString({ plan: p.id, inquiry: inquiry?.id })}` })),
        inquiry: inquiry ? { id: inquiry.id, company: inquiry.company, name: inquiry.name, email: inquiry.email, expectedDevices: inquiry.expectedDevices === null ? null : formatCount(inquiry.expectedDevices), message: inquiry.message } : null,
        values: opts.values ?? defaults,
        errors: opts.errors ?? {},
        error: opts.error ? [opts.error].flat() : [],
      },
      { title: `Assign a plan · ${org.name}`, status: opts.status ?? 200 },
    );
  }

  app.get<{ Params: IdParams; Querystring: { inquiry?: string } }>('/admin/organizations/:id/plan', async (request, reply) => showPlans(request, reply));

  app.post<{ Params: IdParams; Querystring: { inquiry?: string } }>('/admin/organizations/:id/custom-plans', async (request, reply) => {
    const { org } = await liveOrganizationOr409(request.params.id);
    const body = formBody(request.body);
    const values = Object.fromEntries(CUSTOM_PLAN_FIELDS.map((f) => [f, str(body[f]).slice(0, 200)]));
    const parsed = customPlanSchema.safeParse(values);
    if (!parsed.success) return showPlans(request, reply, { values, errors: fieldErrors(parsed.error), status: 422 });
    const inquiryId = idParam(str(body.inquiry));
    const result = await createCustomPlan(app.deps, { organizationId: org.id, plan: parsed.data, admin: currentUser(request), inquiryId });
    if (!result.ok) throw notFound();
    setFlash(reply, 'success', `Custom plan "${result.plan.name}" created for ${org.name}. Review the change below and confirm it.`);
    return seeOther(reply, `${orgUrl(org)}/plan/preview${queryString({ plan: result.plan.id, inquiry: inquiryId })}`);
  });

  // R9.5: the exact proration lines before confirming, carried by a signed quote so the invoice gets these numbers.
  app.get<{ Params: IdParams; Querystring: { plan?: string; inquiry?: string } }>('/admin/organizations/:id/plan/preview', async (request, reply) => {
    const { org, account } = await liveOrganizationOr409(request.params.id);
    const planId = idParam(str(request.query.plan));
    const to = (await availablePlans(db, org.id)).find((p) => p.id === planId);
    if (!to) throw notFound('That plan does not exist or is not available to this organization.');
    const now = clock.now();
    const preview = await previewPlanChange(db, org.id, to, now);
    const inquiryId = idParam(str(request.query.inquiry));
    const refusal =
      isCurrentPlan(account, to)
        ? `${org.name} is already on ${to.name}.`
        : now.getTime() >= account.currentPeriodEnd.getTime()
          ? 'The current billing period has ended and its invoice is not issued yet. Run the scheduler pass, then preview the change again.'
          : preview.exceeded.length
            ? `${org.name} uses more than ${to.name} allows, so the change is refused.`
            : null;
    return adminPage(
      request,
      reply,
      'organizations',
      'pages/admin/plan-preview.eta',
      {
        org: { id: org.id, name: org.name },
        from: describePlan(preview.from),
        to: describePlan(to),
        at: datesFor(request).dateTime(now),
        period: datesFor(request).dateRange(account.currentPeriodStart, account.currentPeriodEnd),
        lines: preview.lines.map((l) => ({ description: l.description, amount: formatCents(l.amountCents) })),
        net: formatCents(preview.netCents),
        netIsCredit: preview.netCents < 0,
        limits: LIMIT_ROWS.map((r) => ({ label: r.label, before: formatCount(preview.limitsBefore[r.key]), after: formatCount(preview.limitsAfter[r.key]), changed: preview.limitsBefore[r.key] !== preview.limitsAfter[r.key] })),
        exceeded: preview.exceeded,
        payloadWarning: preview.payloadWarning,
        agingOut: preview.agingOutPayloads === null ? null : formatCount(preview.agingOutPayloads),
        retentionDays: to.limits.retentionDays,
        refusal,
        quote: signQuote(config.sessionSecret, org.id, to.id, now),
        inquiryId,
      },
      { title: `Change plan · ${org.name}` },
    );
  });

  app.post<{ Params: IdParams; Querystring: { inquiry?: string } }>('/admin/organizations/:id/plan', async (request, reply) => {
    const { org } = await liveOrganizationOr409(request.params.id);
    const body = formBody(request.body);
    const planId = idParam(str(body.plan));
    if (planId === null) return showPlans(request, reply, { error: 'Choose a plan to switch to.', status: 422 });
    const at = verifyQuote(config.sessionSecret, org.id, planId, body.quote, clock.now());
    if (!at) return showPlans(request, reply, { error: 'That preview has expired or was changed. Preview the plan change again to see its current amounts.', status: 409 });
    const result = await changePlan(app.deps, { organizationId: org.id, planId, at, actor: adminActor(currentUser(request)) });
    if (!result.ok) {
      switch (result.reason) {
        case 'unknown_plan':
          return showPlans(request, reply, { error: 'That plan is not available to this organization.', status: 409 });
        case 'same_plan':
          return showPlans(request, reply, { error: `${org.name} is already on that plan.`, status: 409 });
        case 'period_changed':
          return showPlans(request, reply, { error: 'The billing period changed since the preview. Preview the plan change again to see its current amounts.', status: 409 });
        case 'exceeds_limits':
          return showPlans(request, reply, { error: [`${org.name} uses more than that plan allows:`, ...result.exceeded], status: 409 });
        default:
          return assertNever(result);
      }
    }
    const [credit, charge] = result.preview.lines;
    setFlash(
      reply,
      'success',
      `${org.name} is now on ${result.preview.to.name}. The next invoice carries ${formatCents(credit!.amountCents)} for unused ${result.preview.from.name} time and ${formatCents(charge!.amountCents)} for ${result.preview.to.name}.`,
    );
    return seeOther(reply, orgUrl(org));
  });

  // R11.2 grant credit: the form on the organization page, a review step, then the grant.
  app.post<{ Params: IdParams; Querystring: { audit?: string } }>('/admin/organizations/:id/credits', async (request, reply) => {
    const { org, account } = await liveOrganizationOr409(request.params.id);
    const body = formBody(request.body);
    const credit = { amount: str(body.amount).slice(0, 50), reason: str(body.reason).slice(0, 600) };
    const parsed = creditSchema.safeParse(credit);
    if (!parsed.success) return showOrganization(request, reply, { credit, creditErrors: fieldErrors(parsed.error), status: 422 });
    const { amount, reason } = parsed.data;
    if (body.confirm !== 'yes') {
      return confirmPage(request, reply, 'organizations', {
        heading: `Grant ${formatCents(amount)} of credit to ${org.name}?`,
        intro: [
          'The credit is added to the credit balance now and applied first on the next invoice issued. It does not pay invoices that are already open; use Retry charge for those.',
        ],
        details: [
          { label: 'Amount', value: formatCents(amount) },
          { label: 'Reason', value: reason },
          { label: 'Credit balance now', value: formatCents(account.creditBalanceCents) },
          { label: 'Credit balance after', value: formatCents(account.creditBalanceCents + amount) },
        ],
        action: `${orgUrl(org)}/credits`,
        fields: [
          { name: 'amount', value: credit.amount },
          { name: 'reason', value: reason },
          { name: 'confirm', value: 'yes' },
        ],
        button: 'Grant credit',
        cancelHref: orgUrl(org),
      });
    }
    const result = await grantCredit(app.deps, { organizationId: org.id, amountCents: amount, reason, actor: adminActor(currentUser(request)) });
    if (!result.ok) throw notFound();
    setFlash(reply, 'success', `Granted ${formatCents(amount)} of credit to ${org.name}. Credit balance: ${formatCents(result.balanceCents)}.`);
    return seeOther(reply, orgUrl(org));
  });

  // R11.2 retry a charge now (R9.7's attempt, at once; on an Unpaid organization, R9.8's reactivation).
  app.get<{ Params: IdParams }>('/admin/organizations/:id/charge-retry', async (request, reply) => {
    const org = await organizationOr404(request.params.id);
    const account = await findBillingAccount(db, org.id);
    if (!account) throw notFound();
    const open = await openBalanceOf(db, org.id);
    const card = account.card ? `${account.card.brand} ending in ${account.card.last4}` : null;
    const reactivating = account.status === 'unpaid' && !org.deletedAt;
    const possible = card !== null && (open.count > 0 || reactivating);
    return confirmPage(request, reply, 'organizations', {
      heading: reactivating ? `Reactivate ${org.name} now?` : `Charge ${org.name}'s open invoices now?`,
      intro: !card
        ? [`${org.name} has no card on file, so nothing can be charged.`]
        : !possible
          ? [`${org.name} has no open invoice: there is nothing to charge.`]
          : reactivating
            ? [
                `Every open invoice is charged now, oldest first, to the card on file. When all are paid, ${org.name} is reactivated on its original billing dates: if no invoice covers the current period, the rest of it is billed and charged at once. If a charge fails it stays Unpaid; what was paid stays paid.`,
              ]
            : [
                'Every open invoice is charged now, oldest first, to the card on file; the first failure stops the run. When no invoice is left open, a Past Due organization is Active again.',
              ],
      details: [
        { label: 'Status', value: statusBadge(account.status, org.deletedAt !== null).label },
        { label: 'Open invoices', value: String(open.count) },
        { label: 'Balance due', value: formatCents(open.owedCents) },
        { label: 'Card', value: card ?? 'None' },
      ],
      action: possible ? `${orgUrl(org)}/charge-retry` : null,
      button: reactivating ? 'Charge and reactivate' : 'Charge now',
      cancelHref: orgUrl(org),
      cancelLabel: possible ? 'Cancel' : 'Back to the organization',
    });
  });

  app.post<{ Params: IdParams }>('/admin/organizations/:id/charge-retry', async (request, reply) => {
    const org = await organizationOr404(request.params.id);
    // The billing engine's own Pay now, with the admin as actor (R11.2): same rules, same audit trail.
    const result = await payNow(app.deps, { organizationId: org.id, actor: adminActor(currentUser(request)), by: 'platform_admin' });
    if (!result.ok) {
      switch (result.reason) {
        case 'not_found':
          throw notFound();
        case 'nothing_open':
          setFlash(reply, 'error', `${org.name} has no open invoice: nothing was charged.`);
          return seeOther(reply, orgUrl(org));
        case 'no_card':
          setFlash(reply, 'error', `${org.name} has no card on file: nothing was charged.`);
          return seeOther(reply, orgUrl(org));
        default:
          return assertNever(result.reason);
      }
    }
    const parts = [`Charged ${formatCents(result.paidCents)}.`];
    if (result.failure) parts.push(`A charge failed: ${result.failure}`);
    parts.push(result.stillOpen === 0 ? 'No invoice is open.' : `${result.stillOpen} invoice${result.stillOpen === 1 ? ' is' : 's are'} still open.`);
    if (result.reactivated) parts.push(`${org.name} is Active again.`);
    setFlash(reply, result.failure ? 'error' : 'success', parts.join(' '));
    return seeOther(reply, orgUrl(org));
  });

  // R11.2 void an invoice or mark it uncollectible: a confirmation page, then the change.
  const CLOSINGS: Record<InvoiceClosing, { path: string; verb: string; button: string; explain: string }> = {
    void: {
      path: 'void',
      verb: 'voided',
      button: 'Void invoice',
      explain: 'A void invoice was issued in error: nothing is owed on it and it is never charged again.',
    },
    uncollectible: {
      path: 'uncollectible',
      verb: 'marked uncollectible',
      button: 'Mark uncollectible',
      explain: 'An uncollectible invoice stays on the books as a bad debt, but it is never charged again.',
    },
  };

  for (const to of ['void', 'uncollectible'] as const) {
    const c = CLOSINGS[to];
    app.get<{ Params: InvoiceParams }>(`/admin/organizations/:id/invoices/:invoiceId/${c.path}`, async (request, reply) => {
      const org = await organizationOr404(request.params.id);
      const invoiceId = idParam(request.params.invoiceId);
      const invoice = invoiceId === null ? undefined : await findInvoiceOfOrganization(db, org.id, invoiceId);
      if (!invoice) throw notFound();
      const [open, account] = await Promise.all([openBalanceOf(db, org.id), findBillingAccount(db, org.id)]);
      const isOpen = invoice.status === 'open';
      return confirmPage(request, reply, 'organizations', {
        heading: `${c.button} ${invoice.number}?`,
        intro: isOpen
          ? [
              c.explain,
              open.count > 1
                ? `${org.name} has ${open.count} open invoices.`
                : account?.status === 'unpaid' && !org.deletedAt
                  ? `It is ${org.name}'s last open invoice: the Unpaid organization is reactivated on its original billing dates — if no invoice covers the current period, the rest of it is billed and charged to the card on file.`
                  : `It is ${org.name}'s last open invoice: a Past Due organization becomes Active again.`,
            ]
          : [`Invoice ${invoice.number} is ${invoiceBadge(invoice.status).label.toLowerCase()}: only open invoices can be ${c.verb}.`],
        details: [
          { label: 'Organization', value: org.name },
          { label: 'Issued', value: datesFor(request).dateTime(invoice.issuedAt) },
          { label: 'Amount due', value: formatCents(invoice.amountDueCents) },
          { label: 'Amount paid', value: formatCents(invoice.amountPaidCents) },
        ],
        action: isOpen ? `${orgUrl(org)}/invoices/${invoice.id}/${c.path}` : null,
        button: c.button,
        danger: true,
        cancelHref: orgUrl(org),
        cancelLabel: isOpen ? 'Cancel' : 'Back to the organization',
      });
    });

    app.post<{ Params: InvoiceParams }>(`/admin/organizations/:id/invoices/:invoiceId/${c.path}`, async (request, reply) => {
      const org = await organizationOr404(request.params.id);
      const invoiceId = idParam(request.params.invoiceId);
      if (invoiceId === null) throw notFound();
      const result = await closeInvoice(app.deps, { organizationId: org.id, invoiceId, to, actor: adminActor(currentUser(request)) });
      if (!result.ok) {
        switch (result.reason) {
          case 'not_found':
            throw notFound();
          case 'not_open':
            throw new HttpError(409, `Only open invoices can be ${c.verb}.`, 'Invoice not open');
          case 'charge_in_flight':
            throw new HttpError(409, 'A charge of this invoice is in progress. Wait for its outcome (the next scheduler pass settles it), then try again.', 'Charge in progress');
          default:
            return assertNever(result.reason);
        }
      }
      setFlash(
        reply,
        result.reactivationFailure ? 'error' : 'success',
        `Invoice ${result.invoiceNumber} ${c.verb}.${result.reactivated ? ` ${org.name} is Active again.` : ''}${result.reactivationFailure ? ` ${org.name} stays Unpaid: the reactivation charge failed (${result.reactivationFailure}).` : ''}`,
      );
      return seeOther(reply, orgUrl(org));
    });
  }
}
