import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createGateway } from '../../src/modules/billing/gateway/index.ts';
import { StripeGateway } from '../../src/modules/billing/gateway/stripe.ts';
import type { Sql } from '../../src/db/sql.ts';
import {
  createStripeStandIn,
  stripeCardDeclined,
  stripeClient,
  stripeCustomer,
  stripePaymentMethod,
  type StripeReply,
} from '../support/stripe-stand-in.ts';

/**
 * The Stripe adapter against a local stand-in for api.stripe.com (see
 * test/support/stripe-stand-in.ts): the real SDK talks to it, so the test
 * checks the wire format our calls produce without a network or an account.
 */
const stripe = createStripeStandIn();
const { seen, on } = stripe;
let gateway: StripeGateway;

beforeAll(() => stripe.start());
afterAll(() => stripe.stop());

beforeEach(() => {
  stripe.reset();
  gateway = new StripeGateway(stripe.client());
});

// ---- realistic response bodies -------------------------------------------

const customer = (id = 'cus_1', over: Record<string, unknown> = {}) => stripeCustomer(id, over);

const customerReply = (): StripeReply => ({ status: 200, body: customer() });

/** `over` replaces top-level fields, the whole `card` included. */
const paymentMethod = (customerId: string | null, over: Record<string, unknown> = {}) => ({ ...stripePaymentMethod('pm_x', customerId), ...over });

const paymentIntent = (over: Record<string, unknown> = {}) => ({
  id: 'pi_1',
  object: 'payment_intent',
  amount: 4900,
  amount_received: 4900,
  currency: 'usd',
  customer: 'cus_1',
  payment_method: 'pm_x',
  status: 'succeeded',
  created: 1768478400,
  livemode: false,
  last_payment_error: null,
  description: 'Invoice INV-1',
  metadata: { idempotency_key: 'charge-1' },
  ...over,
});

const declinedIntent = (code: string, declineCode: string, message: string) =>
  paymentIntent({
    id: 'pi_declined',
    status: 'requires_payment_method',
    amount_received: 0,
    last_payment_error: { type: 'card_error', code, decline_code: declineCode, message },
  });

const chargeRequest = {
  customerRef: 'cus_1',
  paymentMethodRef: 'pm_x',
  amountCents: 4900,
  idempotencyKey: 'charge-1',
  description: 'Invoice INV-1',
  metadata: { invoice_id: '42' },
};

// ---- tests -------------------------------------------------------------------

describe('createCustomer (R9.6)', () => {
  it('POSTs /v1/customers with our idempotency key', async () => {
    on('POST', '/v1/customers', customerReply());
    const res = await gateway.createCustomer({ email: 'billing@example.com', name: 'Acme', idempotencyKey: 'cus-key-1' });
    expect(res).toEqual({ customerRef: 'cus_1' });
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req!.headers['idempotency-key']).toBe('cus-key-1');
    expect(req!.headers.authorization).toBe('Bearer sk_test_x');
    expect(Object.fromEntries(req!.body)).toEqual({ email: 'billing@example.com', name: 'Acme' });
  });
});

describe('updateCustomer (R9.14)', () => {
  it('POSTs the billing email, name, address and tax ID to the customer', async () => {
    on('POST', '/v1/customers/:id', (_req, params) => ({ status: 200, body: customer(params.id) }));
    await gateway.updateCustomer('cus_1', {
      email: 'ap@acme.example',
      name: 'Acme Robotics GmbH',
      address: { line1: 'Hauptstraße 5', line2: '', city: 'Berlin', region: '', postalCode: '10115', country: 'DE' },
      taxId: 'DE123456789',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('/v1/customers/cus_1');
    expect(Object.fromEntries(seen[0]!.body)).toEqual({
      email: 'ap@acme.example',
      name: 'Acme Robotics GmbH',
      'address[line1]': 'Hauptstraße 5',
      'address[line2]': '',
      'address[city]': 'Berlin',
      'address[state]': '',
      'address[postal_code]': '10115',
      'address[country]': 'DE',
      'metadata[tax_id]': 'DE123456789',
      'invoice_settings[custom_fields][0][name]': 'Tax ID',
      'invoice_settings[custom_fields][0][value]': 'DE123456789',
    });
  });

  it('clears the address and the tax ID when they are removed', async () => {
    on('POST', '/v1/customers/:id', (_req, params) => ({ status: 200, body: customer(params.id) }));
    await gateway.updateCustomer('cus_1', { email: 'ap@acme.example', name: 'Acme', address: null, taxId: null });
    expect(Object.fromEntries(seen[0]!.body)).toEqual({ email: 'ap@acme.example', name: 'Acme', address: '', 'metadata[tax_id]': '', 'invoice_settings[custom_fields]': '' });
  });

  it('an API error propagates (the use case then changes nothing)', async () => {
    on('POST', '/v1/customers/:id', { status: 500, body: { error: { type: 'api_error', message: 'boom' } } });
    await expect(gateway.updateCustomer('cus_1', { email: 'a@b.example', name: 'A', address: null, taxId: null })).rejects.toThrow();
  });
});

describe('saveCard (R9.6)', () => {
  it('refuses raw card numbers without calling Stripe', async () => {
    const res = await gateway.saveCard('cus_1', { kind: 'card', number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.failure.code).toBe('processing_error');
    expect(seen).toHaveLength(0);
  });

  it('attaches a PaymentMethod and makes it the default for invoices', async () => {
    on('GET', '/v1/payment_methods/pm_x', { status: 200, body: paymentMethod(null) });
    on('POST', '/v1/payment_methods/pm_x/attach', (req) => ({ status: 200, body: paymentMethod(req.body.get('customer')) }));
    on('POST', '/v1/customers/cus_1', { status: 200, body: customer('cus_1', { invoice_settings: { default_payment_method: 'pm_x' } }) });

    const res = await gateway.saveCard('cus_1', { kind: 'payment_method', paymentMethodId: 'pm_x' });
    expect(res).toEqual({ ok: true, card: { paymentMethodRef: 'pm_x', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 } });
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/payment_methods/pm_x',
      'POST /v1/payment_methods/pm_x/attach',
      'POST /v1/customers/cus_1',
    ]);
    expect(seen[1]!.body.get('customer')).toBe('cus_1');
    expect(seen[2]!.body.get('invoice_settings[default_payment_method]')).toBe('pm_x');
  });

  it('skips the attach when Elements already attached it to this customer', async () => {
    on('GET', '/v1/payment_methods/pm_x', { status: 200, body: paymentMethod('cus_1') });
    on('POST', '/v1/customers/cus_1', { status: 200, body: customer() });
    const res = await gateway.saveCard('cus_1', { kind: 'payment_method', paymentMethodId: 'pm_x' });
    expect(res.ok).toBe(true);
    expect(seen.map((r) => r.path)).toEqual(['/v1/payment_methods/pm_x', '/v1/customers/cus_1']);
  });

  it('refuses a PaymentMethod that belongs to another customer', async () => {
    on('GET', '/v1/payment_methods/pm_x', { status: 200, body: paymentMethod('cus_other') });
    const res = await gateway.saveCard('cus_1', { kind: 'payment_method', paymentMethodId: 'pm_x' });
    expect(res.ok).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it('reports a decline at attach as a failure', async () => {
    on('GET', '/v1/payment_methods/pm_x', { status: 200, body: paymentMethod(null) });
    on('POST', '/v1/payment_methods/pm_x/attach', stripeCardDeclined('insufficient_funds', 'Your card has insufficient funds.'));
    const res = await gateway.saveCard('cus_1', { kind: 'payment_method', paymentMethodId: 'pm_x' });
    expect(res).toEqual({ ok: false, failure: { code: 'insufficient_funds', message: 'Your card has insufficient funds.' } });
  });

  const session = (over: Record<string, unknown> = {}) => ({
    id: 'cs_test_1',
    object: 'checkout.session',
    mode: 'setup',
    status: 'complete',
    currency: 'usd',
    customer: 'cus_1',
    url: null,
    setup_intent: {
      id: 'seti_1',
      object: 'setup_intent',
      status: 'succeeded',
      usage: 'off_session',
      customer: 'cus_1',
      payment_method: paymentMethod('cus_1', { card: { brand: 'mastercard', last4: '4444', exp_month: 3, exp_year: 2031 } }),
    },
    ...over,
  });

  it('takes the card from a completed Checkout Session of this customer', async () => {
    on('GET', '/v1/checkout/sessions/cs_test_1', { status: 200, body: session() });
    on('POST', '/v1/customers/cus_1', { status: 200, body: customer() });
    const res = await gateway.saveCard('cus_1', { kind: 'checkout_session', checkoutSessionId: 'cs_test_1' });
    expect(res).toEqual({ ok: true, card: { paymentMethodRef: 'pm_x', brand: 'mastercard', last4: '4444', expMonth: 3, expYear: 2031 } });
    expect(seen[0]!.method).toBe('GET');
    expect(seen[0]!.query.getAll('expand[0]')).toEqual(['setup_intent.payment_method']);
    expect(seen[1]!.body.get('invoice_settings[default_payment_method]')).toBe('pm_x');
  });

  it.each([
    ['open', { status: 'open', setup_intent: 'seti_1' }],
    ['another customer’s', { customer: 'cus_other' }],
  ])('refuses an %s Checkout Session', async (_label, over) => {
    on('GET', '/v1/checkout/sessions/cs_test_1', { status: 200, body: session(over) });
    const res = await gateway.saveCard('cus_1', { kind: 'checkout_session', checkoutSessionId: 'cs_test_1' });
    expect(res.ok).toBe(false);
    expect(seen).toHaveLength(1);
  });
});

describe('charge off-session with the idempotency key (R9.6, R9.13)', () => {
  it('creates an off-session, confirmed PaymentIntent carrying our idempotency key', async () => {
    on('POST', '/v1/payment_intents', { status: 200, body: paymentIntent() });
    const res = await gateway.charge(chargeRequest);
    expect(res).toEqual({ status: 'succeeded', chargeRef: 'pi_1', amountCents: 4900 });
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req!.headers['idempotency-key']).toBe('charge-1');
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(req!.body)).toMatchObject({
      amount: '4900',
      currency: 'usd',
      customer: 'cus_1',
      payment_method: 'pm_x',
      off_session: 'true',
      confirm: 'true',
      description: 'Invoice INV-1',
      'metadata[idempotency_key]': 'charge-1',
      'metadata[invoice_id]': '42',
    });
  });

  it('maps a 402 card_error to a failed result', async () => {
    on(
      'POST',
      '/v1/payment_intents',
      stripeCardDeclined('generic_decline', 'Your card was declined.', {
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
        payment_intent: declinedIntent('card_declined', 'generic_decline', 'Your card was declined.'),
      }),
    );
    const res = await gateway.charge(chargeRequest);
    expect(res).toEqual({
      status: 'failed',
      chargeRef: 'pi_declined',
      failure: { code: 'card_declined', message: 'Your card was declined.', declineCode: 'generic_decline' },
    });
  });

  it('prefers the specific decline reason when we know it', async () => {
    on('POST', '/v1/payment_intents', stripeCardDeclined('insufficient_funds', 'Your card has insufficient funds.'));
    expect(await gateway.charge(chargeRequest)).toEqual({
      status: 'failed',
      chargeRef: null,
      failure: { code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
    });
  });

  it('rejects on a 500 so the caller records the outcome as unknown', async () => {
    on('POST', '/v1/payment_intents', { status: 500, body: { error: { type: 'api_error', message: 'Something went wrong on our end.' } } });
    await expect(gateway.charge(chargeRequest)).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(seen).toHaveLength(1);
  });

  it('rejects when Stripe cannot be reached', async () => {
    const unreachable = new StripeGateway(stripeClient(1));
    await expect(unreachable.charge(chargeRequest)).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
  });

  it('throws on a non-integer amount before calling Stripe', async () => {
    await expect(gateway.charge({ ...chargeRequest, amountCents: 49.5 })).rejects.toThrow(RangeError);
    expect(seen).toHaveLength(0);
  });
});

describe('refund (R9.9)', () => {
  it('POSTs /v1/refunds for the PaymentIntent with our idempotency key', async () => {
    on('POST', '/v1/refunds', {
      status: 200,
      body: { id: 're_1', object: 'refund', amount: 1500, currency: 'usd', payment_intent: 'pi_1', status: 'succeeded', created: 1768478400 },
    });
    const res = await gateway.refund({ chargeRef: 'pi_1', amountCents: 1500, idempotencyKey: 'refund-1', reason: 'requested_by_customer' });
    expect(res).toEqual({ ok: true, refundRef: 're_1' });
    expect(seen[0]!.headers['idempotency-key']).toBe('refund-1');
    expect(Object.fromEntries(seen[0]!.body)).toEqual({ payment_intent: 'pi_1', amount: '1500', reason: 'requested_by_customer' });
  });

  it('reports a refused refund as a failure', async () => {
    on('POST', '/v1/refunds', {
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'charge_already_refunded', message: 'Charge ch_1 has already been refunded.' } },
    });
    const res = await gateway.refund({ chargeRef: 'pi_1', amountCents: 1500, idempotencyKey: 'refund-2' });
    expect(res).toEqual({ ok: false, failure: { code: 'processing_error', message: 'Charge ch_1 has already been refunded.' } });
  });
});

describe('findChargeByIdempotencyKey (R9.13)', () => {
  const searchResult = (data: unknown[]) => ({
    object: 'search_result',
    url: '/v1/payment_intents/search',
    has_more: false,
    next_page: null,
    data,
  });

  it('searches PaymentIntents by the metadata key', async () => {
    on('GET', '/v1/payment_intents/search', { status: 200, body: searchResult([paymentIntent()]) });
    expect(await gateway.findChargeByIdempotencyKey('charge-1')).toEqual({ status: 'succeeded', chargeRef: 'pi_1', amountCents: 4900 });
    expect(seen[0]!.query.get('query')).toBe("metadata['idempotency_key']:'charge-1'");
  });

  it('escapes quotes in the key', async () => {
    on('GET', '/v1/payment_intents/search', { status: 200, body: searchResult([]) });
    await gateway.findChargeByIdempotencyKey("it's");
    expect(seen[0]!.query.get('query')).toBe("metadata['idempotency_key']:'it\\'s'");
  });

  it('is null when Stripe has no such charge', async () => {
    on('GET', '/v1/payment_intents/search', { status: 200, body: searchResult([]) });
    expect(await gateway.findChargeByIdempotencyKey('charge-1')).toBeNull();
  });

  it('maps a declined PaymentIntent to a failed result', async () => {
    on('GET', '/v1/payment_intents/search', {
      status: 200,
      body: searchResult([declinedIntent('card_declined', 'lost_card', 'Your card was declined.')]),
    });
    expect(await gateway.findChargeByIdempotencyKey('charge-1')).toEqual({
      status: 'failed',
      chargeRef: 'pi_declined',
      failure: { code: 'lost_card', message: 'Your card was declined.' },
    });
  });

  it('reports success if any PaymentIntent for the key succeeded', async () => {
    on('GET', '/v1/payment_intents/search', {
      status: 200,
      body: searchResult([
        { ...declinedIntent('card_declined', 'generic_decline', 'Your card was declined.'), created: 1768480000 },
        paymentIntent({ created: 1768470000 }),
      ]),
    });
    expect((await gateway.findChargeByIdempotencyKey('charge-1'))?.status).toBe('succeeded');
  });
});

describe('payment-method page helpers', () => {
  it('createSetupIntent asks for an off-session card SetupIntent', async () => {
    on('POST', '/v1/setup_intents', {
      status: 200,
      body: { id: 'seti_1', object: 'setup_intent', client_secret: 'seti_1_secret_abc', status: 'requires_payment_method', usage: 'off_session' },
    });
    expect(await gateway.createSetupIntent('cus_1')).toEqual({ clientSecret: 'seti_1_secret_abc' });
    expect(Object.fromEntries(seen[0]!.body)).toEqual({
      customer: 'cus_1',
      usage: 'off_session',
      'allowed_payment_method_types[0]': 'card',
    });
  });

  it('createCheckoutSetupSession opens Checkout in setup mode', async () => {
    on('POST', '/v1/checkout/sessions', {
      status: 200,
      body: { id: 'cs_test_1', object: 'checkout.session', mode: 'setup', status: 'open', url: 'https://checkout.stripe.com/c/pay/cs_test_1' },
    });
    const res = await gateway.createCheckoutSetupSession({
      customerRef: 'cus_1',
      successUrl: 'https://app.example.com/orgs/1/payment?session_id={CHECKOUT_SESSION_ID}',
      cancelUrl: 'https://app.example.com/orgs/1/payment',
    });
    expect(res).toEqual({ id: 'cs_test_1', url: 'https://checkout.stripe.com/c/pay/cs_test_1' });
    expect(Object.fromEntries(seen[0]!.body)).toEqual({
      mode: 'setup',
      currency: 'usd',
      customer: 'cus_1',
      'allowed_payment_method_types[0]': 'card',
      success_url: 'https://app.example.com/orgs/1/payment?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/orgs/1/payment',
    });
  });
});

describe('createGateway', () => {
  // Never queried: a gateway touches the db only when called, and these tests call only Stripe.
  const db = {} as Sql;
  const clock = new ManualClock();

  it('is the simulated gateway without a Stripe key', () => {
    expect(createGateway({ db, clock }).kind).toBe('simulated');
  });

  it('is Stripe with a key, pointed at the API override', async () => {
    const gw = createGateway({ db, clock, stripeSecretKey: 'sk_test_y', stripeApiOverride: { host: '127.0.0.1', port: stripe.port, protocol: 'http' } });
    expect(gw.kind).toBe('stripe');
    on('POST', '/v1/customers', customerReply());
    expect(await gw.createCustomer({ email: 'billing@example.com', name: 'Acme', idempotencyKey: 'k' })).toEqual({ customerRef: 'cus_1' });
    expect(seen[0]!.headers.authorization).toBe('Bearer sk_test_y');
  });
});
