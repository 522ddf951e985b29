import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../../http/auth.ts';
import { fieldErrors, formBody, type FieldErrors } from '../../http/forms.ts';
import { isHtmx, renderPage, renderPartial, seeOther, setFlash } from '../../http/render.ts';
import { findPlanByCode, listTiers } from '../plans/queries.ts';
import { createOrganization, type CardFields } from './create-organization.ts';
import { DEFAULT_ICON_COLOR, ICON_PALETTE, iconFor, isIconColor, nextIconColor } from './icon.ts';
import { cardSchema, enterpriseInquirySchema, organizationDetailsSchema } from './schemas.ts';
import { submitEnterpriseInquiry } from './submit-enterprise-inquiry.ts';
import { openWizard, saveWizardDraft, selectPlan } from './wizard.ts';
import { findWizard, type Wizard } from './wizard-queries.ts';

const str = (v: unknown, max = 40_000) => (typeof v === 'string' ? v.slice(0, max) : '');

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
  const { db, clock } = app.deps;
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
      setFlash(reply, 'Choose a plan first.');
      return seeOther(reply, '/orgs/new');
    }
    const values = opts.values ?? valuesFromWizard(wizard, user.email);
    const color = isIconColor(values.icon_color) ? values.icon_color.toLowerCase() : DEFAULT_ICON_COLOR;
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
        icon: iconFor(values.name || 'New Organization', color),
        palette: ICON_PALETTE,
        color,
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
    const result = await selectPlan(db, clock, wizard, str(formBody(request.body).plan, 64));
    if (!result.ok) {
      switch (result.reason) {
        case 'unknown_plan':
          return showPlans(request, reply, wizard, 'That plan does not exist. Choose one of the plans below.', 422);
        case 'busy':
          return showPlans(request, reply, wizard, 'Your organization is being created right now.', 409);
      }
    }
    return seeOther(reply, '/orgs/new');
  });

  app.post('/orgs/new/continue', async (request, reply) => {
    const wizard = await openWizard(db, clock, currentUser(request), { restartCompleted: true });
    if (!wizard.planCode) return showPlans(request, reply, wizard, 'Select a plan to continue.', 422);
    return seeOther(reply, '/orgs/new/details');
  });

  app.get('/orgs/new/details', async (request, reply) => {
    const wizard = await openWizard(db, clock, currentUser(request), { restartCompleted: true });
    return showDetails(request, reply, wizard);
  });

  // htmx: clicking the icon changes its color, typing the name changes its letters (R3.5).
  app.post('/orgs/new/icon', async (request, reply) => {
    const body = formBody(request.body);
    const wizard = await openWizard(db, clock, currentUser(request), { restartCompleted: false });
    const current = isIconColor(str(body.icon_color, 7)) ? str(body.icon_color, 7).toLowerCase() : DEFAULT_ICON_COLOR;
    const color = body.action === 'cycle-color' ? nextIconColor(current) : current;
    const name = str(body.name, 255);
    await saveWizardDraft(db, clock, wizard, { name, iconColor: color });
    if (!isHtmx(request)) return seeOther(reply, '/orgs/new/details');
    return renderPartial(request, reply, 'partials/icon-picker.eta', { icon: iconFor(name || 'New Organization', color), palette: ICON_PALETTE, color });
  });

  app.post('/orgs/new/details', async (request, reply) => {
    const user = currentUser(request);
    const body = formBody(request.body);
    const values: DetailsValues = {
      name: str(body.name),
      description: str(body.description),
      icon_color: str(body.icon_color, 7),
      billing_email: str(body.billing_email, 400),
    };
    const wizard = await openWizard(db, clock, user, { restartCompleted: false });

    if (body.action === 'cycle-color') {
      // Without JavaScript the icon is a submit button: the form comes back with the next color.
      const color = nextIconColor(isIconColor(values.icon_color) ? values.icon_color.toLowerCase() : DEFAULT_ICON_COLOR);
      const draft = { ...values, icon_color: color };
      await saveWizardDraft(db, clock, wizard, { name: draft.name, description: draft.description, iconColor: color, billingEmail: draft.billing_email });
      return showDetails(request, reply, wizard, { values: draft, formError: null });
    }

    const details = organizationDetailsSchema.safeParse(values);
    const cardTyped = [body.card_number, body.card_expiry, body.card_cvc].some((v) => typeof v === 'string' && v.trim() !== '');
    const cardParsed = cardTyped ? cardSchema.safeParse(body) : undefined;
    const errors: FieldErrors = {
      ...(details.success ? {} : fieldErrors(details.error)),
      ...(cardParsed && !cardParsed.success ? fieldErrors(cardParsed.error) : {}),
    };
    if (!cardTyped && !wizard.card) errors.card_number = 'Enter your card details.';
    if (Object.keys(errors).length > 0 || !details.success) {
      await saveWizardDraft(db, clock, wizard, {
        name: values.name,
        description: values.description,
        billingEmail: values.billing_email,
        ...(isIconColor(values.icon_color) ? { iconColor: values.icon_color.toLowerCase() } : {}),
      });
      return showDetails(request, reply, wizard, { values, errors, formError: null, status: 422 });
    }
    const card: CardFields | null =
      cardParsed && cardParsed.success
        ? { number: cardParsed.data.card_number, expMonth: cardParsed.data.card_expiry.month, expYear: cardParsed.data.card_expiry.year, cvc: cardParsed.data.card_cvc }
        : null;

    const result = await createOrganization(
      app.deps,
      user,
      wizard,
      { name: details.data.name, description: details.data.description, iconColor: details.data.icon_color, billingEmail: details.data.billing_email },
      card,
    );
    if (result.ok) {
      setFlash(reply, `${result.organization.name} is ready. Your first month is paid.`);
      return seeOther(reply, `/orgs/${result.organization.slug}`);
    }
    const latest = (await findWizard(db, user.id)) ?? wizard;
    switch (result.reason) {
      case 'no_plan':
        setFlash(reply, 'Choose a plan first.');
        return seeOther(reply, '/orgs/new');
      case 'card_required':
        return showDetails(request, reply, latest, { values, errors: { card_number: 'Enter your card details.' }, formError: null, status: 422 });
      case 'card_rejected':
        return showDetails(request, reply, latest, { values, errors: { card_number: result.failure.message }, formError: result.failure.message, status: 402 });
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
    }
  });

  /** A second submit while the first is charging: wait for it briefly, then land where it did. */
  async function waitForCompletion(request: FastifyRequest, reply: FastifyReply, userId: number) {
    for (let i = 0; i < 40; i++) {
      const w = await findWizard(db, userId);
      if (w?.state === 'completed' && w.completedOrganizationId) {
        const org = await db('organizations').where({ id: w.completedOrganizationId }).first('slug');
        if (org) return seeOther(reply, `/orgs/${org.slug}`);
      }
      if (w && w.state === 'editing') return showDetails(request, reply, w, { status: w.lastError ? 402 : 200 });
      await new Promise((r) => setTimeout(r, 150));
    }
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
    const values = { name: str(body.name, 400), email: str(body.email, 400), company: str(body.company, 400), expected_devices: str(body.expected_devices, 20), message: str(body.message, 6000) };
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
    setFlash(reply, 'Thank you. Our sales team will contact you within one business day about an Enterprise plan.');
    return seeOther(reply, '/orgs/new');
  });
}
