import { parseId } from '../../http/ids.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../../http/auth.ts';
import { fieldErrors, formBody, formText } from '../../http/forms.ts';
import { renderPage, seeOther, setFlash } from '../../http/render.ts';
import { parseCardForm } from './card-form.ts';
import { cardName } from './card-names.ts';
import { organizationFor, type OrgContext } from '../tenancy/access.ts';
import { orgChrome } from '../tenancy/chrome.ts';
import { changePlan, isCurrentPlan, previewPlanChange, signQuote, verifyQuote } from './change-plan.ts';
import { availablePlans } from '../plans/queries.ts';
import type { CardSetupInput } from './gateway/types.ts';
import { StripeGateway } from './gateway/stripe.ts';
import { findBillingAccount } from '../owners/queries/billing-accounts.ts';
import { pendingInvoiceLines } from './queries/lines.ts';
import { replaceCard } from './replace-card.ts';
import { describeReactivationFailure } from './reactivate.ts';
import { billingDetailsSchema, COUNTRIES, detailsFromForm, formOfDetails, type BillingDetailsForm } from './billing-details.ts';
import { updateBillingDetails } from './update-billing-details.ts';
import { payNow, type PayNowResult } from './pay-now.ts';
import { userActor } from '../audit/record.ts';
import { STATUS_LABELS } from './status.ts';
import { assertNever } from '../../assert-never.ts';

type Params = { slug: string };

/** R9.5, R9.6, R9.7: Payment Method, Billing Details, Billing Plan and Pay now, for Administrators. */
export async function billingRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock, config, gateway } = app.deps;
  app.addHook('preHandler', requireUser);
  const stripe = gateway instanceof StripeGateway ? gateway : null;

  async function showPaymentMethod(request: FastifyRequest, reply: FastifyReply, ctx: OrgContext, opts: { errors?: Record<string, string>; error?: string; status?: number } = {}) {
    const account = await findBillingAccount(db, ctx.organization.id);
    return renderPage(
      request,
      reply,
      'pages/billing/payment-method.eta',
      { ...orgChrome(ctx, 'settings'), tab: 'payment', account, cardName: account?.card ? cardName(account.card) : null, statusLabel: account ? STATUS_LABELS[account.status] : '', errors: opts.errors ?? {}, error: opts.error, stripe: Boolean(stripe) },
      { status: opts.status ?? 200, title: `Payment Method · ${ctx.organization.name}` },
    );
  }

  async function saveCard(request: FastifyRequest, reply: FastifyReply, ctx: OrgContext, card: CardSetupInput) {
    const result = await replaceCard(app.deps, { organizationId: ctx.organization.id, actor: currentUser(request), card });
    if (!result.ok) return showPaymentMethod(request, reply, ctx, { error: `${result.failure.message} Your previous card is still on file.`, status: 402 });
    const saved = `${result.card.brand.charAt(0).toUpperCase() + result.card.brand.slice(1)} ending in ${result.card.last4} is now the card on file.`;
    if (result.reactivation && !result.reactivation.ok) {
      return showPaymentMethod(request, reply, ctx, {
        error: `${saved} ${describeReactivationFailure(result.reactivation.failed)} The organization stays Unpaid; invoices already paid stay paid.`,
        status: 402,
      });
    }
    setFlash(reply, 'success', result.reactivation ? `${saved} Every open invoice is paid and ${ctx.organization.name} is active again.` : saved);
    return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/payment-method`);
  }

  app.get<{ Params: Params; Querystring: { checkout_session?: string } }>('/orgs/:slug/settings/payment-method', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const session = request.query.checkout_session;
    if (stripe && typeof session === 'string') {
      if (!/^cs_[A-Za-z0-9_]+$/.test(session)) return showPaymentMethod(request, reply, ctx, { error: 'That card setup session is not valid.', status: 422 });
      return saveCard(request, reply, ctx, { kind: 'checkout_session', checkoutSessionId: session });
    }
    return showPaymentMethod(request, reply, ctx);
  });

  app.post<{ Params: Params }>('/orgs/:slug/settings/payment-method', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const body = formBody(request.body);
    if (stripe) {
      // Card data never reaches us with Stripe: the card is entered on Stripe Checkout (setup mode).
      const account = await findBillingAccount(db, ctx.organization.id);
      const base = `${config.publicUrl}/orgs/${ctx.organization.slug}/settings/payment-method`;
      const session = await stripe.createCheckoutSetupSession({ customerRef: account!.customerRef, successUrl: `${base}?checkout_session={CHECKOUT_SESSION_ID}`, cancelUrl: base });
      return reply.code(303).redirect(session.url);
    }
    const parsed = parseCardForm(body, clock.now());
    if (!parsed.ok) return showPaymentMethod(request, reply, ctx, { errors: parsed.errors, status: 422 });
    return saveCard(request, reply, ctx, { kind: 'card', ...parsed.card });
  });

  // R9.14: Billing Details (email, name, address, tax ID).
  async function showDetails(request: FastifyRequest, reply: FastifyReply, ctx: OrgContext, opts: { values?: BillingDetailsForm; errors?: Record<string, string>; error?: string; status?: number } = {}) {
    const account = await findBillingAccount(db, ctx.organization.id);
    return renderPage(
      request,
      reply,
      'pages/billing/details.eta',
      { ...orgChrome(ctx, 'settings'), tab: 'details', values: opts.values ?? (account ? formOfDetails(account.details) : {}), errors: opts.errors ?? {}, error: opts.error, countries: COUNTRIES },
      { status: opts.status ?? 200, title: `Billing Details · ${ctx.organization.name}` },
    );
  }

  app.get<{ Params: Params }>('/orgs/:slug/settings/billing-details', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    return showDetails(request, reply, ctx);
  });

  app.post<{ Params: Params }>('/orgs/:slug/settings/billing-details', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const body = formBody(request.body);
    const values = Object.fromEntries(Object.keys(billingDetailsSchema.shape).map((k) => [k, formText(body[k], 1_000)])) as BillingDetailsForm;
    const parsed = billingDetailsSchema.safeParse(values);
    if (!parsed.success) return showDetails(request, reply, ctx, { values, errors: fieldErrors(parsed.error), status: 422 });
    const result = await updateBillingDetails(app.deps, { organizationId: ctx.organization.id, organizationName: ctx.organization.name, details: detailsFromForm(parsed.data), actor: currentUser(request) });
    if (!result.ok) {
      switch (result.reason) {
        case 'gateway_unavailable':
          return showDetails(request, reply, ctx, { values, error: 'The payment processor could not be reached, so nothing was changed. Please try again in a moment.', status: 503 });
        case 'no_account':
          return showDetails(request, reply, ctx, { values, error: 'This organization has no billing account.', status: 409 });
        default:
          return assertNever(result.reason);
      }
    }
    setFlash(reply, 'success', result.changed.length ? `Billing details saved: ${result.changed.join(', ')}. The next invoices are made out to them.` : 'Nothing changed: these are the billing details on file.');
    return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/billing-details`);
  });

  // R9.7: Pay now, for Administrators of a Past Due organization.
  app.post<{ Params: Params }>('/orgs/:slug/billing/pay-now', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const result = await payNow(app.deps, { organizationId: ctx.organization.id, actor: userActor(currentUser(request)), by: 'administrator' });
    const flash = payNowFlash(result);
    setFlash(reply, flash.kind, flash.message);
    return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/invoices`);
  });

  // R9.5: Billing Plan.
  app.get<{ Params: Params }>('/orgs/:slug/settings/billing-plan', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const account = await findBillingAccount(db, ctx.organization.id);
    const plans = await availablePlans(db, ctx.organization.id);
    const pending = await pendingInvoiceLines(db, ctx.organization.id);
    return renderPage(
      request,
      reply,
      'pages/billing/plan.eta',
      { ...orgChrome(ctx, 'settings'), tab: 'plan', plans, currentPlanId: account?.planId, account, pending },
      { title: `Billing Plan · ${ctx.organization.name}` },
    );
  });

  async function showPreview(request: FastifyRequest, reply: FastifyReply, ctx: OrgContext, planId: number, opts: { error?: string; status?: number } = {}) {
    const plan = (await availablePlans(db, ctx.organization.id)).find((p) => p.id === planId);
    const account = await findBillingAccount(db, ctx.organization.id);
    if (!plan || !account) return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/billing-plan`);
    if (isCurrentPlan(account, plan)) {
      setFlash(reply, 'error', `${plan.name} is already your plan.`);
      return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/billing-plan`);
    }
    const at = clock.now();
    const preview = await previewPlanChange(db, ctx.organization.id, plan, at);
    return renderPage(
      request,
      reply,
      'pages/billing/plan-change.eta',
      { ...orgChrome(ctx, 'settings'), tab: 'plan', preview, quote: signQuote(config.sessionSecret, ctx.organization.id, plan.id, at), account, error: opts.error },
      { status: opts.status ?? 200, title: `Change plan · ${ctx.organization.name}` },
    );
  }

  app.get<{ Params: Params; Querystring: { plan?: string } }>('/orgs/:slug/settings/billing-plan/change', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const planId = parseId(request.query.plan) ?? -1;
    return showPreview(request, reply, ctx, planId);
  });

  app.post<{ Params: Params }>('/orgs/:slug/settings/billing-plan/change', async (request, reply) => {
    const ctx = await organizationFor(request, request.params.slug, 'billing.manage');
    const body = formBody(request.body);
    const planId = parseId(body.plan) ?? -1;
    const at = verifyQuote(config.sessionSecret, ctx.organization.id, planId, body.quote, clock.now());
    if (!at) return showPreview(request, reply, ctx, planId, { error: 'These amounts have expired. Here they are again, as of now; please confirm once more.', status: 409 });
    const result = await changePlan(app.deps, { organizationId: ctx.organization.id, planId, at, actor: currentUser(request) });
    if (!result.ok) {
      switch (result.reason) {
        case 'exceeds_limits':
          return showPreview(request, reply, ctx, planId, { error: `The organization uses more than the new plan allows: ${result.exceeded.join('; ')}.`, status: 409 });
        case 'period_changed':
          return showPreview(request, reply, ctx, planId, { error: 'A new billing period started since these amounts were shown. Here they are again.', status: 409 });
        case 'same_plan':
        case 'unknown_plan':
          setFlash(reply, 'error', 'Choose one of the plans below.');
          return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/billing-plan`);
        default:
          return assertNever(result);
      }
    }
    setFlash(reply, 'success', `${ctx.organization.name} is now on ${result.preview.to.name}. The new limits apply now; the proration lines will be on the next invoice.`);
    return seeOther(reply, `/orgs/${ctx.organization.slug}/settings/billing-plan`);
  });
}

/** What Pay now tells the Administrator, for every result. */
/** What Pay now reports: only a settled balance is a success; a refusal or a failure is an error. */
function payNowFlash(result: PayNowResult): { kind: 'success' | 'error'; message: string } {
  if (!result.ok) {
    switch (result.reason) {
      case 'nothing_open':
      case 'not_found':
        return { kind: 'error', message: 'There was nothing to charge.' };
      case 'no_card':
        return { kind: 'error', message: 'There is no card on file: add one under Payment Method.' };
      default:
        return assertNever(result.reason);
    }
  }
  if (result.stillOpen === 0 && !result.failure) return { kind: 'success', message: 'Payment received: every open invoice is paid.' };
  if (result.failure) return { kind: 'error', message: `The payment failed: ${result.failure} Update the payment method and try again.` };
  return { kind: 'error', message: 'The payment could not be confirmed yet; check the invoices in a moment.' };
}
