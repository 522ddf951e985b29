import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Deps } from '../../src/deps.ts';
import { signUp } from '../../src/modules/accounts/sign-up.ts';
import { StripeGateway } from '../../src/modules/billing/gateway/stripe.ts';
import { databaseRateLimiter } from '../../src/modules/rate-limits/database-store.ts';
import { createMailer } from '../../src/modules/mail/mailer.ts';
import { findWizard } from '../../src/modules/organizations/queries/wizards.ts';
import { Agent } from '../support/agent.ts';
import { startTestApp } from '../support/app.ts';
import { DEFAULT_PASSWORD, wizardDetailsForm } from '../support/builders.ts';
import { testConfig } from '../support/config.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { createStripeStandIn, stripeCardDeclined, stripeCustomer, stripePaymentMethod } from '../support/stripe-stand-in.ts';
import { billingReads } from '../../src/modules/billing/billing-reads.ts';


/**
 * The creation wizard (R3.4, R3.6) with the Stripe gateway (R9.6): the app
 * talks to a local stand-in for api.stripe.com through the real SDK, so the
 * test sees the calls our pages cause without a network or an account.
 */

const stripe = createStripeStandIn();
const { seen, on } = stripe;
let sequence = 0;

const calls = () => seen.map((r) => `${r.method} ${r.path}`);
const callsTo = (method: string, path: string) => seen.filter((r) => r.method === method && r.path === path);

// ---- realistic response bodies -------------------------------------------

const customer = (id: string) => stripeCustomer(id, { email: 'billing@acme.example', name: 'Wendy Wizard' });
const paymentMethod = stripePaymentMethod;

const checkoutSession = (id: string, customerId: string, over: Record<string, unknown> = {}) => ({
  id,
  object: 'checkout.session',
  mode: 'setup',
  status: 'complete',
  currency: 'usd',
  customer: customerId,
  url: null,
  setup_intent: {
    id: 'seti_checkout',
    object: 'setup_intent',
    status: 'succeeded',
    usage: 'off_session',
    customer: customerId,
    payment_method: paymentMethod('pm_from_checkout', customerId, { brand: 'mastercard', last4: '4444', exp_month: 3, exp_year: 2031 }),
  },
  ...over,
});

/** What Stripe answers when nothing goes wrong. */
function defaultRoutes() {
  on('POST', '/v1/customers', () => ({ status: 200, body: customer(`cus_${++sequence}`) }));
  on('POST', '/v1/customers/:id', (_req, p) => ({ status: 200, body: customer(p.id!) }));
  on('POST', '/v1/setup_intents', (req) => {
    const id = `seti_${++sequence}`;
    return {
      status: 200,
      body: { id, object: 'setup_intent', client_secret: `${id}_secret_abc`, status: 'requires_payment_method', usage: 'off_session', customer: req.body.get('customer') },
    };
  });
  // As Elements leaves it when the SetupIntent is confirmed without a customer attached yet.
  on('GET', '/v1/payment_methods/:id', (_req, p) => ({ status: 200, body: paymentMethod(p.id!, null) }));
  on('POST', '/v1/payment_methods/:id/attach', (req, p) => ({ status: 200, body: paymentMethod(p.id!, req.body.get('customer')) }));
  on('POST', '/v1/payment_intents', (req) => ({
    status: 200,
    body: {
      id: `pi_${++sequence}`,
      object: 'payment_intent',
      amount: Number(req.body.get('amount')),
      amount_received: Number(req.body.get('amount')),
      currency: 'usd',
      customer: req.body.get('customer'),
      payment_method: req.body.get('payment_method'),
      status: 'succeeded',
      created: 1768478400,
      livemode: false,
      last_payment_error: null,
      metadata: { idempotency_key: req.body.get('metadata[idempotency_key]') },
    },
  }));
  on('POST', '/v1/checkout/sessions', (req) => {
    const id = `cs_test_${++sequence}`;
    return {
      status: 200,
      body: { ...checkoutSession(id, req.body.get('customer')!), status: 'open', setup_intent: 'seti_checkout', url: `https://checkout.stripe.com/c/pay/${id}` },
    };
  });
}

beforeAll(() => stripe.start());
afterAll(() => stripe.stop());

// ---- the application, with the Stripe gateway ------------------------------

let app: App;
let deps: Deps;
let testDb: TestDb;

beforeAll(async () => {
  testDb = await createTestDb();
  const clock = new ManualClock('2026-03-10T09:00:00.000Z');
  const gateway = new StripeGateway(stripe.client());
  deps = {
    config: testConfig({ stripeSecretKey: 'sk_test_x', stripePublishableKey: 'pk_test_wizard', publicUrl: 'https://orgplane.example' }),
    db: testDb.db,
    clock,
    gateway,
    mailer: createMailer({ db: testDb.db, clock }),
    limiter: databaseRateLimiter(testDb.db, { clock }),
    billingReads,
  };
  app = await buildApp(deps);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await testDb.drop();
});

beforeEach(() => {
  stripe.reset();
  defaultRoutes();
});

const count = async (table: string) => Number((await testDb.knex(table).count({ n: '*' }).first())?.n ?? 0);
const counts = async () => ({ orgs: await count('organizations'), invoices: await count('invoices'), attempts: await count('payment_attempts') });

/** A signed-in user who chose a plan and is on step 2. */
async function onStepTwo(plan = 'starter') {
  const email = `wendy-${++sequence}@example.com`;
  const signed = await signUp(deps.db, deps.clock, { name: 'Wendy Wizard', email, password: DEFAULT_PASSWORD });
  if (!signed.ok) throw new Error(signed.reason);
  const agent = new Agent(app);
  expect((await agent.post('/login', { email, password: DEFAULT_PASSWORD })).statusCode).toBe(303);
  await agent.get('/orgs/new');
  expect((await agent.post('/orgs/new/plan', { plan })).statusCode).toBe(303);
  const wizard = await findWizard(deps.db, signed.user.id);
  return { user: signed.user, agent, wizardId: wizard!.id };
}

const details = wizardDetailsForm;

describe('step 2 with Stripe: the card form (R3.4, R9.6)', () => {
  it('renders the Elements mount with the publishable key and a SetupIntent of the wizard’s customer, and no raw card inputs', async () => {
    const { agent, wizardId } = await onStepTwo();
    stripe.clearSeen();
    const res = await agent.get('/orgs/new/details');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<div id="card-element"');
    expect(res.body).toContain('<label for="card-element">Card</label>');
    expect(res.body).toContain('data-publishable-key="pk_test_wizard"');
    expect(res.body).toMatch(/data-client-secret="seti_\d+_secret_abc"/);
    expect(res.body).toContain('<input type="hidden" name="payment_method_id" value="">');
    expect(res.body).toContain('<script src="/static/js/stripe-card.js" defer></script>');
    expect(res.body).toContain('hx-boost="false"');
    expect(res.body).toMatch(/<noscript>\s*<button type="submit" name="action" value="stripe-checkout"[^>]*>Enter card details with Stripe<\/button>/);
    for (const raw of ['card_number', 'card_expiry', 'card_cvc']) expect(res.body).not.toContain(`name="${raw}"`);

    expect(calls()).toEqual(['POST /v1/customers', 'POST /v1/setup_intents']);
    expect(callsTo('POST', '/v1/customers')[0]!.headers['idempotency-key']).toBe(`orgwizard-${wizardId}-customer`);
    const customerRef = (await testDb.knex('organization_wizards').where({ id: wizardId }).first()).customer_ref;
    expect(customerRef).toMatch(/^cus_/);
    expect(Object.fromEntries(callsTo('POST', '/v1/setup_intents')[0]!.body)).toEqual({
      customer: customerRef,
      usage: 'off_session',
      'allowed_payment_method_types[0]': 'card',
    });

    // A reload reuses the customer and asks for a fresh SetupIntent.
    stripe.clearSeen();
    await agent.get('/orgs/new/details');
    expect(calls()).toEqual(['POST /v1/setup_intents']);
  });

  it('serves the card script from our own origin', async () => {
    const res = await app.inject({ method: 'GET', url: '/static/js/stripe-card.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.body).toContain('https://js.stripe.com/v3/');
    expect(res.body).toContain('confirmCardSetup');
  });

  it('turns a boosted visit into a full page load, so Stripe.js can run', async () => {
    const { agent } = await onStepTwo();
    stripe.clearSeen();
    const res = await agent.get('/orgs/new/details', { 'hx-request': 'true' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['hx-redirect']).toBe('/orgs/new/details');
    expect(res.body).toBe('');
    expect(seen).toHaveLength(0);
    // htmx restoring history asks with the same header and swaps what it gets: the page itself.
    const restored = await agent.get('/orgs/new/details', { 'hx-request': 'true', 'hx-history-restore-request': 'true' });
    expect(restored.statusCode).toBe(200);
    expect(restored.body).toContain('id="card-element"');
  });
});

describe('step 2 with Stripe: creating the organization (R3.6, R9.13)', () => {
  it('with a PaymentMethod from Elements attaches it and charges it with our idempotency key', async () => {
    const { user, agent, wizardId } = await onStepTwo('professional');
    await agent.get('/orgs/new/details');
    const customerRef = (await testDb.knex('organization_wizards').where({ id: wizardId }).first()).customer_ref;
    stripe.clearSeen();
    const res = await agent.post('/orgs/new/details', details({ payment_method_id: 'pm_1Elements' }));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/orgs\/[a-z0-9-]+$/);

    expect(calls()).toEqual([
      'GET /v1/payment_methods/pm_1Elements',
      'POST /v1/payment_methods/pm_1Elements/attach',
      `POST /v1/customers/${customerRef}`,
      'POST /v1/payment_intents',
    ]);
    expect(callsTo('POST', '/v1/payment_methods/pm_1Elements/attach')[0]!.body.get('customer')).toBe(customerRef);
    const [intent] = callsTo('POST', '/v1/payment_intents');
    expect(intent!.headers['idempotency-key']).toBe(`orgwizard-${wizardId}-first-charge-1`);
    expect(Object.fromEntries(intent!.body)).toMatchObject({
      amount: '100000',
      currency: 'usd',
      customer: customerRef,
      payment_method: 'pm_1Elements',
      off_session: 'true',
      confirm: 'true',
      'metadata[idempotency_key]': `orgwizard-${wizardId}-first-charge-1`,
    });

    const org = await testDb.knex('organizations').where({ slug: String(res.headers.location).replace('/orgs/', '') }).first();
    expect(org.name).toBe('Acme Robotics');
    expect(await testDb.knex('memberships').where({ organization_id: org.id }).select('user_id', 'role')).toEqual([{ user_id: user.id, role: 'administrator' }]);
    const account = await testDb.knex('billing_accounts').where({ organization_id: org.id }).first();
    expect(account).toMatchObject({ card_brand: 'visa', card_last4: '4242' });
    const [invoice] = await testDb.knex('invoices').where({ organization_id: org.id });
    expect(invoice).toMatchObject({ status: 'paid', kind: 'first' });
    expect(Number(invoice.amount_paid_cents)).toBe(100_000);
  });

  it('without JavaScript goes to Stripe Checkout in setup mode, saves the card it returns, then charges it', async () => {
    const { agent, wizardId } = await onStepTwo();
    await agent.get('/orgs/new/details');
    const customerRef = (await testDb.knex('organization_wizards').where({ id: wizardId }).first()).customer_ref;
    stripe.clearSeen();

    const toCheckout = await agent.post('/orgs/new/details', details({ action: 'stripe-checkout', name: 'Checkout Corp', description: 'kept while away' }));
    expect(toCheckout.statusCode).toBe(303);
    expect(toCheckout.headers.location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_\d+$/);
    const sessionId = String(toCheckout.headers.location).split('/').pop()!;
    expect(calls()).toEqual(['POST /v1/checkout/sessions']);
    expect(Object.fromEntries(callsTo('POST', '/v1/checkout/sessions')[0]!.body)).toEqual({
      mode: 'setup',
      currency: 'usd',
      customer: customerRef,
      'allowed_payment_method_types[0]': 'card',
      success_url: 'https://orgplane.example/orgs/new/details?checkout_session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://orgplane.example/orgs/new/details',
    });

    // Stripe sends the browser back with the session id.
    on('GET', '/v1/checkout/sessions/:id', (_req, p) => ({ status: 200, body: checkoutSession(p.id!, customerRef) }));
    stripe.clearSeen();
    const back = await agent.get(`/orgs/new/details?checkout_session=${sessionId}`);
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/orgs/new/details');
    expect(calls()).toEqual([`GET /v1/checkout/sessions/${sessionId}`, `POST /v1/customers/${customerRef}`]);
    expect(callsTo('GET', `/v1/checkout/sessions/${sessionId}`)[0]!.query.getAll('expand[0]')).toEqual(['setup_intent.payment_method']);

    const page = await agent.get('/orgs/new/details');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Card entered: <strong>Mastercard ending in 4444</strong>, expires 03/31');
    expect(page.body).toContain('value="Checkout Corp"');
    expect(page.body).toContain('kept while away');
    expect(page.body).toContain('>Create Organization</button>');

    stripe.clearSeen();
    const created = await agent.post('/orgs/new/details', details({ name: 'Checkout Corp' }));
    expect(created.statusCode).toBe(303);
    expect(calls()).toEqual(['POST /v1/payment_intents']);
    const [intent] = callsTo('POST', '/v1/payment_intents');
    expect(intent!.headers['idempotency-key']).toBe(`orgwizard-${wizardId}-first-charge-1`);
    expect(intent!.body.get('payment_method')).toBe('pm_from_checkout');
    expect(intent!.body.get('amount')).toBe('25000');
    const org = await testDb.knex('organizations').where({ name: 'Checkout Corp' }).first();
    expect(await testDb.knex('billing_accounts').where({ organization_id: org.id }).first()).toMatchObject({ card_brand: 'mastercard', card_last4: '4444' });
  });

  it('keeps the fields and explains when Checkout cannot be started', async () => {
    const { agent } = await onStepTwo();
    await agent.get('/orgs/new/details');
    on('POST', '/v1/checkout/sessions', { status: 500, body: { error: { type: 'api_error', message: 'Something went wrong on our end.' } } });
    const res = await agent.post('/orgs/new/details', details({ action: 'stripe-checkout', name: 'Patient Ltd' }));
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('We could not reach the payment processor.');
    expect(res.body).toContain('value="Patient Ltd"');
  });

  it.each([
    ['an unfinished Checkout', { status: 'open', setup_intent: 'seti_checkout' }, 'The card setup was not completed.'],
    ['another customer’s Checkout', { customer: 'cus_someone_else' }, 'This card setup belongs to a different customer.'],
  ])('shows why %s was not saved, keeps the fields and saves no card', async (_label, over, message) => {
    const { agent, wizardId } = await onStepTwo();
    await agent.post('/orgs/new/details', details({ action: 'cycle-color', name: 'Still Here' }));
    const customerRef = (await testDb.knex('organization_wizards').where({ id: wizardId }).first()).customer_ref;
    on('GET', '/v1/checkout/sessions/:id', (_req, p) => ({ status: 200, body: checkoutSession(p.id!, customerRef, over) }));
    const res = await agent.get('/orgs/new/details?checkout_session=cs_test_unfinished');
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(message);
    expect(res.body).toContain('value="Still Here"');
    expect((await testDb.knex('organization_wizards').where({ id: wizardId }).first()).payment_method_ref).toBeNull();
  });

  it('refuses a malformed checkout_session without asking Stripe', async () => {
    const { agent } = await onStepTwo();
    await agent.get('/orgs/new/details');
    stripe.clearSeen();
    const res = await agent.get('/orgs/new/details?checkout_session=../../v1/customers');
    expect(res.statusCode).toBe(422);
    expect(calls()).not.toContain('GET /v1/checkout/sessions/../../v1/customers');
    expect(calls().filter((c) => c.startsWith('GET '))).toEqual([]);
  });

  it('a declined PaymentIntent shows Stripe’s message, keeps the fields and creates nothing', async () => {
    const before = await counts();
    const { agent } = await onStepTwo();
    await agent.get('/orgs/new/details');
    on(
      'POST',
      '/v1/payment_intents',
      stripeCardDeclined('insufficient_funds', 'Your card has insufficient funds.', { doc_url: 'https://stripe.com/docs/error-codes/card-declined' }),
    );
    const res = await agent.post('/orgs/new/details', details({ name: 'Declined Inc', description: 'Still here after a decline', payment_method_id: 'pm_declines' }));
    expect(res.statusCode).toBe(402);
    expect(res.body).toContain('Your card has insufficient funds.');
    expect(res.body).toContain('value="Declined Inc"');
    expect(res.body).toContain('Still here after a decline');
    expect(res.body).toMatch(/data-client-secret="seti_\d+_secret_abc"/); // the form can be used again
    expect(callsTo('POST', '/v1/payment_intents')).toHaveLength(1);
    expect(await counts()).toEqual(before);
  });

  it('refuses raw card fields with 422 and never forwards them', async () => {
    const before = await counts();
    const { agent } = await onStepTwo();
    await agent.get('/orgs/new/details');
    stripe.clearSeen();
    const res = await agent.post('/orgs/new/details', details({ card_number: '4242 4242 4242 4242', card_expiry: '12/34', card_cvc: '123' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('card numbers cannot be sent to this server');
    expect(res.body).not.toContain('4242 4242 4242 4242');
    expect(res.body).not.toContain('4242424242424242');
    expect(calls().filter((c) => !c.endsWith('/v1/setup_intents'))).toEqual([]);
    for (const req of seen) expect(req.body.toString()).not.toContain('4242');
    expect(await counts()).toEqual(before);
  });

  it.each([['tok_visa'], ['pm_'], ['pm_1 OR 1=1'], ['pm_../../customers']])('refuses the payment_method_id %s without asking Stripe', async (paymentMethodId) => {
    const { agent } = await onStepTwo();
    await agent.get('/orgs/new/details');
    stripe.clearSeen();
    const res = await agent.post('/orgs/new/details', details({ payment_method_id: paymentMethodId }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('We could not read that card. Enter it again.');
    expect(calls().filter((c) => !c.endsWith('/v1/setup_intents'))).toEqual([]);
  });

  it('asks for a card when none was entered', async () => {
    const { agent } = await onStepTwo();
    const res = await agent.post('/orgs/new/details', details());
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Enter your card details.');
  });

  it('shows a PaymentMethod Stripe does not know as a card to enter again, not an error page', async () => {
    const { agent } = await onStepTwo();
    await agent.get('/orgs/new/details');
    on('GET', '/v1/payment_methods/:id', (_req, p) => ({
      status: 404,
      body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such PaymentMethod: '${p.id}'` } },
    }));
    const res = await agent.post('/orgs/new/details', details({ name: 'Unknown Card Ltd', payment_method_id: 'pm_unknown' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('We could not use that card. Enter it again.');
    expect(res.body).toContain('value="Unknown Card Ltd"');
    expect(callsTo('POST', '/v1/payment_intents')).toHaveLength(0);
  });
});

describe('Content-Security-Policy (R9.6)', () => {
  const directive = (csp: string, name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `));

  it('lets Stripe.js, its frames and Checkout in only when Stripe is configured', async () => {
    const csp = String((await app.inject({ method: 'GET', url: '/login' })).headers['content-security-policy']);
    expect(directive(csp, 'script-src')).toBe("script-src 'self' https://js.stripe.com");
    expect(directive(csp, 'frame-src')).toBe('frame-src https://js.stripe.com https://hooks.stripe.com');
    expect(directive(csp, 'connect-src')).toBe("connect-src 'self' https://api.stripe.com");
    expect(directive(csp, 'form-action')).toBe("form-action 'self' https://checkout.stripe.com");

    const simulated = await startTestApp();
    try {
      const plain = String((await simulated.app.inject({ method: 'GET', url: '/login' })).headers['content-security-policy']);
      expect(plain).not.toContain('stripe.com');
      expect(directive(plain, 'script-src')).toBe("script-src 'self'");
      expect(directive(plain, 'form-action')).toBe("form-action 'self'");
    } finally {
      await simulated.close();
    }
  });
});
