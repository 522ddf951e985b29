import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Stripe from 'stripe';
import { currentUser, requireUser } from '../../http/auth.ts';
import { fieldErrors, formBody, type FieldErrors, formText } from '../../http/forms.ts';
import { isHtmx, renderPage, renderPartial, seeOther, setFlash } from '../../http/render.ts';
import type { User } from '../accounts/queries.ts';
import { StripeGateway } from '../billing/gateway/stripe.ts';
import type { CardSetupInput } from '../billing/gateway/types.ts';
import { findPlanByCode, listTiers } from '../plans/queries.ts';
import { createOrganization } from './create-organization.ts';
import { DEFAULT_ICON_COLOR, ICON_PALETTE, iconFor, isIconColor, nextIconColor } from '../tenancy/icon.ts';
import { enterpriseInquirySchema, organizationDetailsSchema } from './schemas.ts';
import { parseCardForm } from '../billing/card-form.ts';
import { cardName } from '../billing/card-names.ts';
import { submitEnterpriseInquiry } from './submit-enterprise-inquiry.ts';
import { awaitCreation, openWizard, saveWizardDraft, selectPlan } from './wizard.ts';
import { findWizard, patchWizard, type Wizard } from './queries/wizards.ts';
import { assertNever } from '../../assert-never.ts';


/** What Stripe.js hands back after confirming a SetupIntent, and what Checkout puts in the return URL. */
const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]+$/;
const CHECKOUT_SESSION_ID = /^cs_[A-Za-z0-9_]+$/;
const RAW_CARD_FIELDS = ['card_number', 'card_expiry', 'card_cvc'] as const;
const RAW_CARD_REFUSED = 'Enter your card in the secure Stripe form: card numbers cannot be sent to this server.';
const PROCESSOR_UNREACHABLE = 'We could not reach the payment processor. Nothing was charged; please try again in a moment.';

/** The Stripe card form on step 2: Elements when JavaScript runs, Checkout in setup mode when it does not. */
interface StripeCardForm {
  publishableKey: string | null;
  /** The SetupIntent Stripe.js confirms; null when it could not be prepared (Checkout still works). */
  clientSecret: string | null;
}

interface DetailsValues {
  name: string;
  description: string;
  icon_color: string;
  billing_email: string;
}

const valuesFromWizard = (w: Wizard, fallbackEmail: string): DetailsValues => ({
  name: w.name,
  description: w.description,
  icon_color: w.iconColor ?? DEFAULT_ICON_COLOR,
  billing_email: w.billingEmail ?? fallbackEmail,
});

/** R3.3–R3.7: the organization creation wizard. */
export async function wizardRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock, config } = app.deps;
  // With Stripe, card data goes from the browser straight to Stripe (R9.6).
  const stripe = app.deps.gateway.kind === 'stripe' && app.deps.gateway instanceof StripeGateway ? app.deps.gateway : null;
  app.addHook('preHandler', requireUser);

  async function showPlans(request: FastifyRequest, reply: FastifyReply, wizard: Wizard, error?: string, status = 200) {
    const tiers = await listTiers(db);
    return renderPage(request, reply, 'pages/orgs/new-plan.eta', { tiers, selected: wizard.planCode, error, step: 1 }, { status, title: 'Choose a plan · Create Organization' });
  }

  async function showDetails(
    request: FastifyRequest,
    reply: FastifyReply,
    wizard: Wizard,
    opts: { values?: DetailsValues; errors?: FieldErrors; formError?: string | null; status?: number } = {},
  ) {
    const user = currentUser(request);
    const plan = wizard.planCode ? await findPlanByCode(db, wizard.planCode) : undefined;
    if (!plan) {
      setFlash(reply, 'error', 'Choose a plan first.');
      return seeOther(reply, '/orgs/new');
    }
    const values = opts.values ?? valuesFromWizard(wizard, user.email);
    const color = isIconColor(values.icon_color) ? values.icon_color.toLowerCase() : DEFAULT_ICON_COLOR;
    const stripeForm = stripe ? await prepareStripeCardForm(request, stripe, wizard, user) : null;
    return renderPage(
      request,
      reply,
      'pages/orgs/new-details.eta',
      {
        step: 2,
        plan,
        values,
        errors: opts.errors ?? {},
        formError: opts.formError === undefined ? wizard.lastError : opts.formError,
        card: wizard.card,
        cardName: wizard.card ? cardName(wizard.card) : null,
        icon: iconFor(values.name || 'New Organization', color),
        palette: ICON_PALETTE,
        color,
        stripe: stripeForm,
      },
      { status: opts.status ?? 200, title: 'Organization info · Create Organization' },
    );
  }

  app.get('/orgs/new', async (request, reply) => {
    const wizard = await openWizard(db, clock, currentUser(request), { restartCompleted: true });
    return showPlans(request, reply, wizard);
  });

  app.post('/orgs/new/plan', async (request, reply) => {
    const wizard = await openWizard(db, clock, currentUser(request), { restartCompleted: true });
    const result = await selectPlan(db, clock, wizard, formText(formBody(request.body).plan, 64));
    if (!result.ok) {
      switch (result.reason) {
        case 'unknown_plan':
          return showPlans(request, reply, wizard, 'That plan does not exist. Choose one of the plans below.', 422);
        case 'busy':
          return showPlans(request, reply, wizard, 'Your organization is being created right now.', 409);
        default:
          return assertNever(result.reason);
      }
    }
    // Without JavaScript the page comes back at the chosen plan, not at its top (on a phone the tiers are a long column).
    return seeOther(reply, `/orgs/new#tier-${result.planCode}`);
  });

  app.post('/orgs/new/continue', async (request, reply) => {
    const wizard = await openWizard(db, clock, currentUser(request), { restartCompleted: true });
    if (!wizard.planCode) return showPlans(request, reply, wizard, 'Select a plan to continue.', 422);
    return seeOther(reply, '/orgs/new/details');
  });

  /**
   * A new SetupIntent for every rendering of the form (one can be confirmed
   * only once), on the wizard's Stripe customer, created on first need.
   */
  async function prepareStripeCardForm(request: FastifyRequest, gateway: StripeGateway, wizard: Wizard, user: User): Promise<StripeCardForm> {
    const form: StripeCardForm = { publishableKey: config.stripePublishableKey ?? null, clientSecret: null };
    if (!form.publishableKey || wizard.state !== 'editing') return form;
    try {
      const customerRef = await wizardCustomer(gateway, wizard, user);
      form.clientSecret = (await gateway.createSetupIntent(customerRef)).clientSecret;
    } catch (err) {
      request.log.error({ err }, 'could not prepare a Stripe SetupIntent for the wizard');
    }
    return form;
  }

  /** The wizard's Stripe customer; the key matches createOrganization's, so Stripe never makes two. */
  async function wizardCustomer(gateway: StripeGateway, wizard: Wizard, user: User): Promise<string> {
    if (wizard.customerRef) return wizard.customerRef;
    const { customerRef } = await gateway.createCustomer({
      email: wizard.billingEmail ?? user.email,
      name: user.name,
      idempotencyKey: `orgwizard-${wizard.id}-customer`,
    });
    await patchWizard(db, wizard.id, { customer_ref: customerRef }, clock.now());
    return customerRef;
  }

  app.get('/orgs/new/details', async (request, reply) => {
    // Stripe.js has to run on this page, and htmx does not run the scripts of
    // a page it swaps in (allowScriptTags: false): a boosted visit becomes a
    // full page load.
    if (stripe && isHtmx(request) && request.headers['hx-history-restore-request'] !== 'true') {
      return reply.header('Vary', 'HX-Request').header('Cache-Control', 'no-store').header('HX-Redirect', request.url).code(200).send('');
    }
    const wizard = await openWizard(db, clock, currentUser(request), { restartCompleted: true });
    const checkoutSession = (request.query as Record<string, unknown> | undefined)?.checkout_session;
    if (stripe && checkoutSession !== undefined) return saveCheckoutCard(request, reply, stripe, wizard, formText(checkoutSession, 255));
    return showDetails(request, reply, wizard);
  });

  /** Back from Stripe Checkout in setup mode: the card it collected goes on the wizard (R9.6). */
  async function saveCheckoutCard(request: FastifyRequest, reply: FastifyReply, gateway: StripeGateway, wizard: Wizard, checkoutSessionId: string) {
    if (!CHECKOUT_SESSION_ID.test(checkoutSessionId) || !wizard.customerRef || wizard.state !== 'editing') {
      return showDetails(request, reply, wizard, { formError: 'We could not find that card setup. Enter your card details again.', status: 422 });
    }
    let saved;
    try {
      saved = await gateway.saveCard(wizard.customerRef, { kind: 'checkout_session', checkoutSessionId });
    } catch (err) {
      request.log.error({ err }, 'could not read the Checkout Session');
      return showDetails(request, reply, wizard, {
        formError: 'We could not reach the payment processor to save your card. Reload this page to try again.',
        status: 503,
      });
    }
    if (!saved.ok) {
      return showDetails(request, reply, wizard, { formError: saved.failure.message, status: saved.failure.code === 'processing_error' ? 422 : 402 });
    }
    const { card } = saved;
    await patchWizard(
      db,
      wizard.id,
      {
        payment_method_ref: card.paymentMethodRef,
        card_brand: card.brand,
        card_last4: card.last4,
        card_exp_month: card.expMonth,
        card_exp_year: card.expYear,
        last_error: null,
      },
      clock.now(),
    );
    setFlash(reply, 'success', 'Your card is saved. Check the details, then create the organization.');
    return seeOther(reply, '/orgs/new/details');
  }

  // htmx: clicking the icon changes its color, typing the name changes its letters (R3.5).
  app.post('/orgs/new/icon', async (request, reply) => {
    const body = formBody(request.body);
    const wizard = await openWizard(db, clock, currentUser(request), { restartCompleted: false });
    const current = isIconColor(formText(body.icon_color, 7)) ? formText(body.icon_color, 7).toLowerCase() : DEFAULT_ICON_COLOR;
    const color = body.action === 'cycle-color' ? nextIconColor(current) : current;
    const name = formText(body.name, 255);
    await saveWizardDraft(db, clock, wizard, { name, iconColor: color });
    if (!isHtmx(request)) return seeOther(reply, '/orgs/new/details');
    return renderPartial(request, reply, 'partials/icon-picker.eta', { icon: iconFor(name || 'New Organization', color), palette: ICON_PALETTE, color, iconUrl: '/orgs/new/icon' });
  });

  app.post('/orgs/new/details', async (request, reply) => {
    const user = currentUser(request);
    const body = formBody(request.body);
    const values: DetailsValues = {
      name: formText(body.name),
      description: formText(body.description),
      icon_color: formText(body.icon_color, 7),
      billing_email: formText(body.billing_email, 400),
    };
    const wizard = await openWizard(db, clock, user, { restartCompleted: false });

    if (body.action === 'cycle-color') {
      // Without JavaScript the icon is a submit button: the form comes back with the next color.
      const color = nextIconColor(isIconColor(values.icon_color) ? values.icon_color.toLowerCase() : DEFAULT_ICON_COLOR);
      const draft = { ...values, icon_color: color };
      await saveWizardDraft(db, clock, wizard, { name: draft.name, description: draft.description, iconColor: color, billingEmail: draft.billing_email });
      return showDetails(request, reply, wizard, { values: draft, formError: null });
    }

    const saveDraft = () =>
      saveWizardDraft(db, clock, wizard, {
        name: values.name,
        description: values.description,
        billingEmail: values.billing_email,
        ...(isIconColor(values.icon_color) ? { iconColor: values.icon_color.toLowerCase() } : {}),
      });

    if (stripe && body.action === 'stripe-checkout') {
      // Without JavaScript the card is entered on Stripe's own page; it comes back to GET with checkout_session.
      await saveDraft();
      let session;
      try {
        session = await stripe.createCheckoutSetupSession({
          customerRef: await wizardCustomer(stripe, wizard, user),
          successUrl: `${config.publicUrl}/orgs/new/details?checkout_session={CHECKOUT_SESSION_ID}`,
          cancelUrl: `${config.publicUrl}/orgs/new/details`,
        });
      } catch (err) {
        request.log.error({ err }, 'could not start a Stripe Checkout setup session');
        return showDetails(request, reply, wizard, { values, formError: PROCESSOR_UNREACHABLE, status: 503 });
      }
      return seeOther(reply, session.url);
    }

    const details = organizationDetailsSchema.safeParse(values);
    const cardTyped = RAW_CARD_FIELDS.some((f) => typeof body[f] === 'string' && body[f].trim() !== '');
    // With Stripe the card field is the Elements form; its errors go under it.
    const cardError = stripe ? 'card' : 'card_number';
    const errors: FieldErrors = details.success ? {} : fieldErrors(details.error);
    let card: CardSetupInput | null = null;
    if (stripe) {
      const paymentMethodId = formText(body.payment_method_id, 255).trim();
      // Raw card numbers never go on to Stripe from here (PCI scope): refused, not forwarded.
      if (cardTyped) errors.card = RAW_CARD_REFUSED;
      else if (paymentMethodId !== '' && !PAYMENT_METHOD_ID.test(paymentMethodId)) errors.card = 'We could not read that card. Enter it again.';
      else if (paymentMethodId !== '') card = { kind: 'payment_method', paymentMethodId };
      else if (!wizard.card) errors.card = 'Enter your card details.';
    } else {
      const cardParsed = cardTyped ? parseCardForm(body, clock.now()) : undefined;
      if (cardParsed && !cardParsed.ok) Object.assign(errors, cardParsed.errors);
      if (!cardTyped && !wizard.card) errors.card_number = 'Enter your card details.';
      if (cardParsed && cardParsed.ok) card = { kind: 'card', ...cardParsed.card };
    }
    if (Object.keys(errors).length > 0 || !details.success) {
      await saveDraft();
      return showDetails(request, reply, wizard, { values, errors, formError: null, status: 422 });
    }

    let result;
    try {
      result = await createOrganization(
        app.deps,
        user,
        wizard,
        { name: details.data.name, description: details.data.description, iconColor: details.data.icon_color, billingEmail: details.data.billing_email },
        card,
      );
    } catch (err) {
      // Stripe failing before any charge (the customer or the card could not
      // be saved): nothing was charged, so the form comes back to try again.
      if (!(stripe && err instanceof Stripe.errors.StripeError)) throw err;
      request.log.error({ err }, 'Stripe refused or failed while saving the card');
      const latest = (await findWizard(db, user.id)) ?? wizard;
      if (err instanceof Stripe.errors.StripeInvalidRequestError) {
        return showDetails(request, reply, latest, { values, errors: { card: 'We could not use that card. Enter it again.' }, formError: null, status: 422 });
      }
      return showDetails(request, reply, latest, { values, formError: PROCESSOR_UNREACHABLE, status: 503 });
    }
    if (result.ok) {
      setFlash(reply, 'success', `${result.organization.name} is ready. Your first month is paid.`);
      return seeOther(reply, `/orgs/${result.organization.slug}`);
    }
    const latest = (await findWizard(db, user.id)) ?? wizard;
    switch (result.reason) {
      case 'no_plan':
        setFlash(reply, 'error', 'Choose a plan first.');
        return seeOther(reply, '/orgs/new');
      case 'card_required':
        return showDetails(request, reply, latest, { values, errors: { [cardError]: 'Enter your card details.' }, formError: null, status: 422 });
      case 'card_rejected':
        return showDetails(request, reply, latest, { values, errors: { [cardError]: result.failure.message }, formError: result.failure.message, status: 402 });
      case 'charge_failed':
        return showDetails(request, reply, latest, { values, formError: result.failure.message, status: 402 });
      case 'gateway_unavailable':
        return showDetails(request, reply, latest, {
          values,
          formError: 'We could not reach the payment processor, so we do not know yet whether the payment went through. Submit again: you will not be charged twice.',
          status: 503,
        });
      case 'in_progress':
        return waitForCompletion(request, reply, user.id);
      default:
        return assertNever(result);
    }
  });

  /** A second submit while the first is charging: wait for it briefly, then land where it did. */
  async function waitForCompletion(request: FastifyRequest, reply: FastifyReply, userId: number) {
    const outcome = await awaitCreation(db, userId);
    if (outcome.state === 'completed') return seeOther(reply, `/orgs/${outcome.slug}`);
    if (outcome.state === 'editing') return showDetails(request, reply, outcome.wizard, { status: outcome.wizard.lastError ? 402 : 200 });
    return renderPage(
      request,
      reply,
      'errors/error.eta',
      { status: 409, heading: 'Your organization is being created', message: 'The payment is still being confirmed. Reload this page in a moment.' },
      { status: 409, title: 'Creating your organization' },
    );
  }

  // R3.4: Enterprise — talk to sales.
  app.get('/orgs/new/enterprise', async (request, reply) => {
    const user = currentUser(request);
    return renderPage(request, reply, 'pages/orgs/enterprise.eta', { values: { name: user.name, email: user.email }, errors: {} }, { title: 'Enterprise · Contact sales' });
  });

  app.post('/orgs/new/enterprise', async (request, reply) => {
    const user = currentUser(request);
    const body = formBody(request.body);
    const values = { name: formText(body.name, 400), email: formText(body.email, 400), company: formText(body.company, 400), expected_devices: formText(body.expected_devices, 20), message: formText(body.message, 6000) };
    const parsed = enterpriseInquirySchema.safeParse(values);
    if (!parsed.success) {
      return renderPage(request, reply, 'pages/orgs/enterprise.eta', { values, errors: fieldErrors(parsed.error) }, { status: 422, title: 'Enterprise · Contact sales' });
    }
    await submitEnterpriseInquiry(db, clock, {
      userId: user.id,
      name: parsed.data.name,
      email: parsed.data.email,
      company: parsed.data.company,
      expectedDevices: parsed.data.expected_devices,
      message: parsed.data.message,
    });
    setFlash(reply, 'success', 'Thank you. Our sales team will contact you within one business day about an Enterprise plan.');
    return seeOther(reply, '/orgs/new');
  });
}
