import Stripe from 'stripe';
import type {
  CardSetupInput,
  ChargeRequest,
  ChargeResult,
  CustomerDetails,
  Failure,
  FailureCode,
  PaymentGateway,
  RefundRequest,
  RefundResult,
  SaveCardResult,
  SavedCard,
} from './types.ts';

/**
 * The production gateway (R9.6): card data goes from the browser straight to
 * Stripe (Elements or Checkout in setup mode); we only ever see PaymentMethod
 * and Checkout Session ids, and charge off-session with PaymentIntents whose
 * idempotency key is ours (R9.13).
 */

const KNOWN_CODES: ReadonlySet<string> = new Set<FailureCode>([
  'card_declined',
  'insufficient_funds',
  'lost_card',
  'stolen_card',
  'expired_card',
  'incorrect_cvc',
  'incorrect_number',
  'invalid_expiry_month',
  'invalid_expiry_year',
  'invalid_cvc',
  'invalid_number',
  'processing_error',
  'authentication_required',
  'gateway_unavailable',
]);

/** Refund refusals Stripe reports as invalid requests that are answers, not bugs. */
const REFUND_REFUSALS: ReadonlySet<string> = new Set([
  'charge_already_refunded',
  'amount_too_large',
  'charge_disputed',
  'charge_exceeds_source_limit',
  'charge_exceeds_transaction_limit',
  'refund_disputed_payment',
]);

const STRIPE_REFUND_REASONS: ReadonlySet<string> = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);

interface StripeErrorLike {
  type?: string;
  code?: string;
  decline_code?: string;
  message?: string;
  payment_intent?: { id?: string } | null;
}

function isStripeError(err: unknown): err is StripeErrorLike & Error {
  return err instanceof Stripe.errors.StripeError;
}

function isCardError(err: unknown): err is StripeErrorLike & Error {
  // Compared by type name too, in case two copies of the SDK are loaded.
  return err instanceof Stripe.errors.StripeCardError || (isStripeError(err) && err.type === 'StripeCardError');
}

/**
 * Stripe puts the reason for an issuer decline in decline_code (code is then
 * just card_declined); we prefer the more specific one when we know it, so
 * 'insufficient_funds' reads the same from Stripe and the simulated gateway.
 */
export function failureFromStripe(e: {
  code?: string | null | undefined;
  decline_code?: string | null | undefined;
  message?: string | null | undefined;
}): Failure {
  const decline = e.decline_code ?? undefined;
  const code: FailureCode =
    decline && KNOWN_CODES.has(decline)
      ? (decline as FailureCode)
      : e.code && KNOWN_CODES.has(e.code)
        ? (e.code as FailureCode)
        : 'card_declined';
  const f: Failure = { code, message: e.message || 'Your card was declined.' };
  if (decline && decline !== code) f.declineCode = decline;
  return f;
}

function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (!ref) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

function cardOf(pm: Stripe.PaymentMethod): SavedCard | null {
  if (pm.type !== 'card' || !pm.card) return null;
  return {
    paymentMethodRef: pm.id,
    brand: pm.card.brand,
    last4: pm.card.last4,
    expMonth: pm.card.exp_month,
    expYear: pm.card.exp_year,
  };
}

/** Stripe's search syntax takes single-quoted strings with backslash escapes. */
function searchString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function assertPositiveCents(amount: unknown): asserts amount is number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new RangeError(`amountCents must be a positive integer number of cents, got ${String(amount)}`);
  }
}

function assertIdempotencyKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    throw new TypeError('idempotencyKey must be a non-empty string of at most 255 characters');
  }
}

/** Thrown when Stripe has the charge but its outcome is not final yet; callers treat it as unknown and ask again later. */
export class ChargePendingError extends Error {
  constructor(
    readonly chargeRef: string,
    readonly stripeStatus: string,
  ) {
    super(`PaymentIntent ${chargeRef} is ${stripeStatus}; its outcome is not known yet`);
    this.name = 'ChargePendingError';
  }
}

export class StripeGateway implements PaymentGateway {
  readonly kind = 'stripe' as const;

  constructor(private readonly stripe: Stripe) {}

  async createCustomer(input: { email: string; name: string; idempotencyKey: string }): Promise<{ customerRef: string }> {
    assertIdempotencyKey(input.idempotencyKey);
    const customer = await this.stripe.customers.create(
      { email: input.email, name: input.name },
      { idempotencyKey: input.idempotencyKey },
    );
    return { customerRef: customer.id };
  }

  /**
   * R9.14: the Customer's email (Stripe mails its own receipts there), name
   * and address; the tax ID goes in its metadata and as an invoice custom
   * field, since a Stripe tax ID object needs a type we do not ask for.
   * Fields left empty are cleared.
   */
  async updateCustomer(customerRef: string, details: CustomerDetails): Promise<void> {
    const a = details.address;
    await this.stripe.customers.update(customerRef, {
      email: details.email,
      name: details.name,
      address: a
        ? { line1: a.line1, line2: a.line2, city: a.city, state: a.region, postal_code: a.postalCode, ...(a.country ? { country: a.country } : {}) }
        : '',
      metadata: { tax_id: details.taxId ?? '' },
      invoice_settings: { custom_fields: details.taxId ? [{ name: 'Tax ID', value: details.taxId.slice(0, 140) }] : '' },
    });
  }

  async saveCard(customerRef: string, input: CardSetupInput): Promise<SaveCardResult> {
    switch (input.kind) {
      case 'card':
        // Raw card numbers must never reach our servers with Stripe (PCI scope).
        return {
          ok: false,
          failure: {
            code: 'processing_error',
            message: 'Card details must be entered in the secure Stripe form; they cannot be sent to this server.',
          },
        };
      case 'payment_method':
        return this.withCardErrors(async () => {
          const pm = await this.stripe.paymentMethods.retrieve(input.paymentMethodId);
          return this.makeDefault(customerRef, pm);
        });
      case 'checkout_session':
        return this.withCardErrors(() => this.saveFromCheckoutSession(customerRef, input.checkoutSessionId));
      case 'token':
        // The REST API's cardToken (R16.3): a Stripe token becomes a PaymentMethod, attached like one from Elements.
        return this.withCardErrors(async () => {
          const pm = await this.stripe.paymentMethods.create({ type: 'card', card: { token: input.token } });
          return this.makeDefault(customerRef, pm);
        });
    }
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    assertPositiveCents(request.amountCents);
    assertIdempotencyKey(request.idempotencyKey);
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amountCents,
          currency: 'usd',
          customer: request.customerRef,
          payment_method: request.paymentMethodRef,
          off_session: true,
          confirm: true,
          // Cards only: nothing that would need a redirect (and a return_url)
          // while no customer is present.
          allowed_payment_method_types: ['card'],
          description: request.description,
          // Lets findChargeByIdempotencyKey find the charge after Stripe has
          // forgotten the key (it keeps keys for 24 hours).
          metadata: { ...request.metadata, idempotency_key: request.idempotencyKey },
        },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (err) {
      // A decline is an answer; anything else (API, network, auth) leaves the
      // outcome unknown, so it propagates and the caller reconciles later.
      if (isCardError(err)) {
        return { status: 'failed', chargeRef: err.payment_intent?.id ?? null, failure: failureFromStripe(err) };
      }
      throw err;
    }
    return this.chargeResultOf(intent);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    assertPositiveCents(request.amountCents);
    assertIdempotencyKey(request.idempotencyKey);
    const params: Stripe.RefundCreateParams = { payment_intent: request.chargeRef, amount: request.amountCents };
    if (request.reason && STRIPE_REFUND_REASONS.has(request.reason)) {
      params.reason = request.reason as Stripe.RefundCreateParams.Reason;
    } else if (request.reason) {
      params.metadata = { reason: request.reason.slice(0, 500) };
    }
    try {
      const refund = await this.stripe.refunds.create(params, { idempotencyKey: request.idempotencyKey });
      if (refund.status === 'failed' || refund.status === 'canceled') {
        return {
          ok: false,
          failure: { code: 'processing_error', message: `The refund ${refund.status === 'failed' ? 'failed' : 'was canceled'}.` },
        };
      }
      return { ok: true, refundRef: refund.id };
    } catch (err) {
      if (isStripeError(err) && err.code && REFUND_REFUSALS.has(err.code)) {
        return { ok: false, failure: { code: 'processing_error', message: err.message } };
      }
      throw err;
    }
  }

  /**
   * Search is eventually consistent on Stripe's side (a new PaymentIntent can
   * take a moment to appear), so null means "not seen yet": retry the charge
   * with the same key, which Stripe dedupes, rather than with a new one.
   */
  async findChargeByIdempotencyKey(idempotencyKey: string): Promise<ChargeResult | null> {
    const found = await this.stripe.paymentIntents.search({
      query: `metadata['idempotency_key']:${searchString(idempotencyKey)}`,
      limit: 10,
    });
    if (found.data.length === 0) return null;
    // A success anywhere means money moved, whatever happened after it.
    const byNewest = [...found.data].sort((a, b) => b.created - a.created);
    const intent = byNewest.find((pi) => pi.status === 'succeeded') ?? byNewest[0]!;
    return this.chargeResultOf(intent);
  }

  // ---- for the payment-method page (not part of PaymentGateway) ---------

  /** For Stripe Elements: the browser confirms this SetupIntent and posts back the PaymentMethod id. */
  async createSetupIntent(customerRef: string): Promise<{ clientSecret: string }> {
    const intent = await this.stripe.setupIntents.create({
      customer: customerRef,
      usage: 'off_session',
      allowed_payment_method_types: ['card'],
    });
    if (!intent.client_secret) throw new Error(`SetupIntent ${intent.id} came back without a client secret`);
    return { clientSecret: intent.client_secret };
  }

  /**
   * For Stripe Checkout in setup mode. successUrl should carry
   * `{CHECKOUT_SESSION_ID}` so the return handler can call saveCard with it.
   */
  async createCheckoutSetupSession(opts: {
    customerRef: string;
    successUrl: string;
    cancelUrl: string;
  }): Promise<{ id: string; url: string }> {
    const session = await this.stripe.checkout.sessions.create({
      mode: 'setup',
      currency: 'usd',
      customer: opts.customerRef,
      allowed_payment_method_types: ['card'],
      success_url: opts.successUrl,
      cancel_url: opts.cancelUrl,
    });
    if (!session.url) throw new Error(`Checkout Session ${session.id} came back without a URL`);
    return { id: session.id, url: session.url };
  }

  // ---- internals --------------------------------------------------------

  private async withCardErrors(work: () => Promise<SaveCardResult>): Promise<SaveCardResult> {
    try {
      return await work();
    } catch (err) {
      if (isCardError(err)) return { ok: false, failure: failureFromStripe(err) };
      throw err;
    }
  }

  private async saveFromCheckoutSession(customerRef: string, sessionId: string): Promise<SaveCardResult> {
    const session = await this.stripe.checkout.sessions.retrieve(sessionId, { expand: ['setup_intent.payment_method'] });
    // The session id comes back through the browser, so it is only trusted
    // once Stripe confirms it is ours, finished, and for this customer.
    if (idOf(session.customer) !== customerRef) {
      return { ok: false, failure: { code: 'processing_error', message: 'This card setup belongs to a different customer.' } };
    }
    if (session.mode !== 'setup' || session.status !== 'complete') {
      return { ok: false, failure: { code: 'processing_error', message: 'The card setup was not completed.' } };
    }
    const setupIntent = session.setup_intent;
    if (!setupIntent || typeof setupIntent === 'string' || setupIntent.status !== 'succeeded') {
      return { ok: false, failure: { code: 'processing_error', message: 'The card setup was not completed.' } };
    }
    const pm = setupIntent.payment_method;
    if (!pm || typeof pm === 'string') {
      return { ok: false, failure: { code: 'processing_error', message: 'The card setup did not produce a card.' } };
    }
    return this.makeDefault(customerRef, pm);
  }

  /** Attaches (unless already attached) and makes the card the one renewals use. */
  private async makeDefault(customerRef: string, pm: Stripe.PaymentMethod): Promise<SaveCardResult> {
    const card = cardOf(pm);
    if (!card) return { ok: false, failure: { code: 'processing_error', message: 'Only cards can be used as a payment method.' } };
    const owner = idOf(pm.customer);
    if (owner && owner !== customerRef) {
      return { ok: false, failure: { code: 'processing_error', message: 'This card belongs to a different customer.' } };
    }
    let attached = pm;
    if (!owner) attached = await this.stripe.paymentMethods.attach(pm.id, { customer: customerRef });
    await this.stripe.customers.update(customerRef, { invoice_settings: { default_payment_method: attached.id } });
    return { ok: true, card: cardOf(attached) ?? card };
  }

  private chargeResultOf(intent: Stripe.PaymentIntent): ChargeResult {
    switch (intent.status) {
      case 'succeeded':
        return { status: 'succeeded', chargeRef: intent.id, amountCents: intent.amount_received || intent.amount };
      case 'requires_payment_method':
      case 'canceled':
        return {
          status: 'failed',
          chargeRef: intent.id,
          failure: intent.last_payment_error
            ? failureFromStripe(intent.last_payment_error)
            : { code: 'processing_error', message: 'The payment was not completed.' },
        };
      case 'requires_action':
        // Off-session there is no customer present to authenticate.
        return {
          status: 'failed',
          chargeRef: intent.id,
          failure: {
            code: 'authentication_required',
            message: 'Your card was declined. This transaction requires authentication.',
          },
        };
      default:
        throw new ChargePendingError(intent.id, intent.status);
    }
  }
}
