/**
 * The payment gateway (R9.6): the one place card data goes. Amounts are
 * integer cents, USD. Every call that moves money carries an idempotency key
 * the gateway sees (R9.13), so a retry after a crash never charges twice.
 */

/** Stripe's decline and error codes, the ones we show and act on. */
export type FailureCode =
  | 'card_declined'
  | 'insufficient_funds'
  | 'lost_card'
  | 'stolen_card'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'incorrect_number'
  | 'invalid_expiry_month'
  | 'invalid_expiry_year'
  | 'invalid_cvc'
  | 'invalid_number'
  | 'processing_error'
  | 'authentication_required'
  | 'gateway_unavailable';

export interface Failure {
  code: FailureCode;
  /** A sentence fit to show the customer, e.g. "Your card was declined." */
  message: string;
  /** Stripe's decline_code when it differs from code (e.g. generic_decline). */
  declineCode?: string;
}

export interface SavedCard {
  /** The reusable payment-method reference (Stripe: pm_…; simulated: spm_…). */
  paymentMethodRef: string;
  brand: string; // 'visa' | 'mastercard' | 'amex' | 'discover' | …
  last4: string;
  expMonth: number;
  expYear: number;
}

/**
 * What the customer gave us to save. Raw card fields only ever reach the
 * simulated gateway; with Stripe the browser hands card data to Stripe and
 * we receive a PaymentMethod id (Elements) or a Checkout Session id.
 */
export type CardSetupInput =
  | { kind: 'card'; number: string; expMonth: number; expYear: number; cvc: string }
  | { kind: 'payment_method'; paymentMethodId: string }
  | { kind: 'checkout_session'; checkoutSessionId: string }
  /** A card token (`tok_…`) as the REST API's `cardToken` carries it (R16.3): Stripe's test tokens on the simulated gateway. */
  | { kind: 'token'; token: string };

export type SaveCardResult = { ok: true; card: SavedCard } | { ok: false; failure: Failure };

export interface ChargeRequest {
  customerRef: string;
  paymentMethodRef: string;
  amountCents: number;
  idempotencyKey: string;
  description: string;
  metadata?: Record<string, string>;
}

export type ChargeResult =
  | { status: 'succeeded'; chargeRef: string; amountCents: number }
  | { status: 'failed'; chargeRef: string | null; failure: Failure };

export interface RefundRequest {
  chargeRef: string;
  amountCents: number;
  idempotencyKey: string;
  reason?: string;
}

export type RefundResult = { ok: true; refundRef: string } | { ok: false; failure: Failure };

/** R9.14: what the gateway's customer carries of the billing details (Stripe prints them on its receipts). */
export interface CustomerDetails {
  email: string;
  name: string;
  address: { line1: string; line2: string; city: string; region: string; postalCode: string; country: string } | null;
  taxId: string | null;
}

export interface PaymentGateway {
  readonly kind: 'simulated' | 'stripe';
  /** Creates the customer that cards and charges hang off. Idempotent by key. */
  createCustomer(input: { email: string; name: string; idempotencyKey: string }): Promise<{ customerRef: string }>;
  /** Replaces the customer's email, name, address and tax ID (R9.14); setting the same values again changes nothing. */
  updateCustomer(customerRef: string, details: CustomerDetails): Promise<void>;
  /** Validates and attaches a card to the customer; the card is reusable off-session. */
  saveCard(customerRef: string, input: CardSetupInput): Promise<SaveCardResult>;
  /** Charges off-session. Calling again with the same key returns the first outcome, never a second charge. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** The outcome of an earlier charge() by its idempotency key, or null if the gateway never saw it. */
  findChargeByIdempotencyKey(idempotencyKey: string): Promise<ChargeResult | null>;
}
