import { randomBytes } from 'node:crypto';
import { insertRows, insertSql, type Sql } from '../../../db/sql.ts';
import type { Clock } from '../../../clock.ts';
import type {
  CardSetupInput,
  ChargeRequest,
  ChargeResult,
  Failure,
  FailureCode,
  PaymentGateway,
  RefundRequest,
  RefundResult,
  SaveCardResult,
  CustomerDetails,
} from './types.ts';

/**
 * The built-in payment gateway (R9.6): no network, its ledger in sim_* tables
 * it owns, and Stripe's documented test cards behaving as they do on Stripe,
 * so the whole billing flow can be exercised and demonstrated without an
 * account. It plays an outside party: our billing code must treat it exactly
 * as it treats Stripe, including its idempotency keys (R9.13).
 */

export type GatewayMethod = 'createCustomer' | 'updateCustomer' | 'saveCard' | 'charge' | 'refund' | 'findChargeByIdempotencyKey';

/**
 * 'before': the request never reaches the gateway. 'after': the gateway does
 * the work and records it, then the answer is lost on the way back — the case
 * crash-safety has to survive without charging twice.
 */
export type InjectedFailurePhase = 'before' | 'after';

export const SIMULATED_NETWORK_FAILURE = 'simulated network failure';

/** What an injected failure throws; its message is always 'simulated network failure'. */
export class SimulatedNetworkError extends Error {
  constructor(
    readonly method: GatewayMethod,
    readonly phase: InjectedFailurePhase,
  ) {
    super(SIMULATED_NETWORK_FAILURE);
    this.name = 'SimulatedNetworkError';
  }
}

interface InjectedFailure {
  remaining: number;
  phase: InjectedFailurePhase;
  /** Undefined: any gateway call counts. */
  method: GatewayMethod | undefined;
}

/** How a saved card behaves when charged; decided at save time so the number need not be kept. */
type CardBehaviour = 'normal' | 'decline_on_charge';

interface CustomerRow {
  ref: string;
  email: string;
  name: string;
  idempotency_key: string;
  created_at: number;
}

interface PaymentMethodRow {
  ref: string;
  customer_ref: string;
  behaviour: CardBehaviour;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  created_at: number;
}

interface ChargeRow {
  ref: string;
  idempotency_key: string;
  customer_ref: string;
  payment_method_ref: string;
  amount_cents: number;
  description: string | null;
  status: 'succeeded' | 'failed';
  failure_code: FailureCode | null;
  failure_message: string | null;
  decline_code: string | null;
  refunded_cents: number;
  created_at: number;
}

interface RefundRow {
  ref: string;
  charge_ref: string;
  idempotency_key: string;
  amount_cents: number;
  reason: string | null;
  created_at: number;
}

// Stripe's customer-facing messages for each code, so the simulated gateway
// shows what a customer would see in production.
const MESSAGES: Record<FailureCode, string> = {
  card_declined: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  lost_card: 'Your card was declined.',
  stolen_card: 'Your card was declined.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  incorrect_number: 'Your card number is incorrect.',
  invalid_expiry_month: "Your card's expiration month is invalid.",
  invalid_expiry_year: "Your card's expiration year is invalid.",
  invalid_cvc: "Your card's security code is invalid.",
  invalid_number: 'Your card number is invalid.',
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  authentication_required: 'Your card was declined. This transaction requires authentication.',
  gateway_unavailable: 'The payment service is unavailable. Try again in a little bit.',
};

function failure(code: FailureCode, declineCode?: string): Failure {
  return declineCode && declineCode !== code ? { code, message: MESSAGES[code], declineCode } : { code, message: MESSAGES[code] };
}

/**
 * Stripe's test cards that fail when the card is set up (Stripe declines them
 * on the SetupIntent, so they never become a saved card). Codes follow what
 * Stripe returns: the decline_code when it names the reason, else the code.
 */
const DECLINED_AT_SETUP: ReadonlyMap<string, Failure> = new Map([
  ['4000000000000002', failure('card_declined', 'generic_decline')],
  ['4000000000009995', failure('insufficient_funds')],
  ['4000000000009987', failure('lost_card')],
  ['4000000000009979', failure('stolen_card')],
  ['4000000000000069', failure('expired_card')],
  ['4000000000000127', failure('incorrect_cvc')],
  ['4000000000000119', failure('processing_error')],
]);

/** Attaches fine, but every charge is declined (Stripe's 4000 0000 0000 0341). */
const DECLINED_AT_CHARGE = new Set(['4000000000000341']);

/**
 * Stripe's test tokens (docs.stripe.com/testing, "Tokens"), each standing for
 * the test card of the same behaviour, so a token saved here acts as that
 * card does: `tok_visa` succeeds, `tok_chargeDeclined…` are declined when the
 * card is set up, `tok_chargeCustomerFail` attaches and fails when charged
 * (like 4000 0000 0000 0341). The REST API's `cardToken` comes here (R16.3).
 */
export const TEST_TOKENS: ReadonlyMap<string, string> = new Map([
  ['tok_visa', '4242424242424242'],
  ['tok_visa_debit', '4000056655665556'],
  ['tok_mastercard', '5555555555554444'],
  ['tok_mastercard_debit', '5200828282828210'],
  ['tok_mastercard_prepaid', '5105105105105100'],
  ['tok_amex', '378282246310005'],
  ['tok_discover', '6011111111111117'],
  ['tok_diners', '3056930009020004'],
  ['tok_jcb', '3566002020360505'],
  ['tok_unionpay', '6200000000000005'],
  ['tok_chargeDeclined', '4000000000000002'],
  ['tok_chargeDeclinedInsufficientFunds', '4000000000009995'],
  ['tok_chargeDeclinedLostCard', '4000000000009987'],
  ['tok_chargeDeclinedStolenCard', '4000000000009979'],
  ['tok_chargeDeclinedExpiredCard', '4000000000000069'],
  ['tok_chargeDeclinedIncorrectCvc', '4000000000000127'],
  ['tok_chargeDeclinedProcessingError', '4000000000000119'],
  ['tok_chargeCustomerFail', '4000000000000341'],
]);

// Card brand by leading digits (IIN ranges), in the names Stripe uses.
const BRANDS: ReadonlyArray<[RegExp, string]> = [
  [/^3[47]/, 'amex'],
  [/^4/, 'visa'],
  [/^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)/, 'mastercard'],
  [/^(6011|64[4-9]|65|622)/, 'discover'],
  [/^(36|30[0-5]|3095|3[89])/, 'diners'],
  [/^35(2[89]|[3-8])/, 'jcb'],
  [/^62/, 'unionpay'],
];

export function detectBrand(digits: string): string {
  for (const [pattern, brand] of BRANDS) if (pattern.test(digits)) return brand;
  return 'unknown';
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A card is good through the last day of its expiry month (UTC). */
function isExpired(expMonth: number, expYear: number, now: Date): boolean {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  return expYear < year || (expYear === year && expMonth < month);
}

function newRef(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

function assertIdempotencyKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    throw new TypeError('idempotencyKey must be a non-empty string of at most 255 characters');
  }
}

function assertPositiveCents(amount: unknown, what: string): asserts amount is number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new RangeError(`${what} must be a positive integer number of cents, got ${String(amount)}`);
  }
}

/** Stripe refuses to replay a key with different parameters; so do we, to catch the same bugs here. */
function idempotencyMismatch(key: string): Error {
  return new Error(`Idempotency key ${key} was already used with different parameters`);
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function chargeResultOf(row: ChargeRow): ChargeResult {
  if (row.status === 'succeeded') {
    return { status: 'succeeded', chargeRef: row.ref, amountCents: Number(row.amount_cents) };
  }
  const code = row.failure_code ?? 'processing_error';
  const f: Failure = { code, message: row.failure_message ?? MESSAGES[code] };
  if (row.decline_code) f.declineCode = row.decline_code;
  return { status: 'failed', chargeRef: row.ref, failure: f };
}

class RefundTooLarge extends Error {}

export class SimulatedGateway implements PaymentGateway {
  readonly kind = 'simulated' as const;
  private injected: InjectedFailure[] = [];
  private issuerDeclines: { match: (request: ChargeRequest) => boolean; code: FailureCode }[] = [];

  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
  ) {}

  // ---- test hooks -------------------------------------------------------

  /**
   * Makes the next `calls` gateway calls (of `method`, or of any method) throw
   * a SimulatedNetworkError. With phase 'after' (the default) each call does
   * its work and records it first, as when a response is lost in transit.
   */
  failNextCalls(calls: number, opts: { phase?: InjectedFailurePhase; method?: GatewayMethod } = {}): void {
    if (!Number.isSafeInteger(calls) || calls <= 0) throw new RangeError('calls must be a positive integer');
    this.injected.push({ remaining: calls, phase: opts.phase ?? 'after', method: opts.method });
  }

  /** The next charge() records its outcome in the ledger, then throws Error('simulated network failure'). */
  failAfterChargeOnce(): void {
    this.failNextCalls(1, { phase: 'after', method: 'charge' });
  }

  /** The next charge() throws Error('simulated network failure') without reaching the ledger. */
  failBeforeChargeOnce(): void {
    this.failNextCalls(1, { phase: 'before', method: 'charge' });
  }

  /**
   * The issuer declines the next new charge that `match` accepts, as a real
   * card can pay one charge and be refused the next (e.g. insufficient funds).
   * Unlike an injected network failure the decline is an answer: the ledger
   * records it as a failed charge under its idempotency key.
   */
  declineNextCharge(match: (request: ChargeRequest) => boolean = () => true, code: FailureCode = 'insufficient_funds'): void {
    this.issuerDeclines.push({ match, code });
  }

  clearInjectedFailures(): void {
    this.injected = [];
    this.issuerDeclines = [];
  }

  private takeIssuerDecline(request: ChargeRequest): Failure | null {
    const i = this.issuerDeclines.findIndex((d) => d.match(request));
    if (i < 0) return null;
    const [rule] = this.issuerDeclines.splice(i, 1);
    return failure(rule!.code);
  }

  /** Taken at the start of a call, so each injected failure belongs to exactly one call. */
  private takeInjectedFailure(method: GatewayMethod): InjectedFailurePhase | null {
    const i = this.injected.findIndex((f) => f.method === undefined || f.method === method);
    if (i < 0) return null;
    const rule = this.injected[i]!;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.injected.splice(i, 1);
    return rule.phase;
  }

  private async withInjectedFailure<T>(method: GatewayMethod, work: () => Promise<T>): Promise<T> {
    const phase = this.takeInjectedFailure(method);
    if (phase === 'before') throw new SimulatedNetworkError(method, phase);
    const result = await work();
    if (phase === 'after') throw new SimulatedNetworkError(method, phase);
    return result;
  }

  // ---- PaymentGateway ---------------------------------------------------

  createCustomer(input: { email: string; name: string; idempotencyKey: string }): Promise<{ customerRef: string }> {
    return this.withInjectedFailure('createCustomer', async () => {
      assertIdempotencyKey(input.idempotencyKey);
      const insert = insertSql('sim_customers', [
        { ref: newRef('scus'), email: input.email, name: input.name, idempotency_key: input.idempotencyKey, created_at: this.clock.now().getTime() },
      ]);
      await this.db.run(`${insert.sql} ON CONFLICT (idempotency_key) DO NOTHING`, insert.bindings);
      const row = await this.db.first<CustomerRow>('SELECT * FROM sim_customers WHERE idempotency_key = ?', [input.idempotencyKey]);
      if (!row) throw new Error('simulated gateway: customer vanished after insert');
      if (row.email !== input.email || row.name !== input.name) throw idempotencyMismatch(input.idempotencyKey);
      return { customerRef: row.ref };
    });
  }

  updateCustomer(customerRef: string, details: CustomerDetails): Promise<void> {
    return this.withInjectedFailure('updateCustomer', async () => {
      const updated = await this.db.run('UPDATE sim_customers SET email = ?, name = ?, details_json = ? WHERE ref = ?', [
        details.email,
        details.name,
        JSON.stringify({ address: details.address, taxId: details.taxId }),
        customerRef,
      ]);
      if (updated !== 1) throw new Error(`simulated gateway: no such customer ${customerRef}`);
    });
  }

  saveCard(customerRef: string, input: CardSetupInput): Promise<SaveCardResult> {
    return this.withInjectedFailure('saveCard', async () => {
      if (input.kind === 'token') {
        const number = TEST_TOKENS.get(input.token);
        if (!number) {
          return {
            ok: false,
            failure: { code: 'processing_error', message: `No such token: '${input.token.slice(0, 64)}'. The simulated gateway takes Stripe's test tokens, such as tok_visa.` },
          };
        }
        // A test token's card expires a year from now, as Stripe's do.
        const now = this.clock.now();
        input = { kind: 'card', number, expMonth: now.getUTCMonth() + 1, expYear: now.getUTCFullYear() + 1, cvc: number.length === 15 ? '1234' : '123' };
      }
      if (input.kind !== 'card') {
        return {
          ok: false,
          failure: {
            code: 'processing_error',
            message: `The simulated gateway takes card details directly; a Stripe ${input.kind === 'payment_method' ? 'PaymentMethod' : 'Checkout Session'} cannot be used with it.`,
          },
        };
      }
      const customer = await this.db.first<CustomerRow>('SELECT * FROM sim_customers WHERE ref = ?', [customerRef]);
      if (!customer) throw new Error(`simulated gateway: no such customer ${customerRef}`);

      const checked = this.validateCard(input);
      if (!checked.ok) return checked;
      const { digits, brand, expMonth, expYear } = checked;

      const declined = DECLINED_AT_SETUP.get(digits);
      if (declined) return { ok: false, failure: { ...declined } };

      const row: PaymentMethodRow = {
        ref: newRef('spm'),
        customer_ref: customerRef,
        behaviour: DECLINED_AT_CHARGE.has(digits) ? 'decline_on_charge' : 'normal',
        brand,
        last4: digits.slice(-4),
        exp_month: expMonth,
        exp_year: expYear,
        created_at: this.clock.now().getTime(),
      };
      await insertRows(this.db, 'sim_payment_methods', [{ ...row }]);
      return { ok: true, card: { paymentMethodRef: row.ref, brand, last4: row.last4, expMonth, expYear } };
    });
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    // Programmer errors reject before anything else and use up no injected failure.
    assertPositiveCents(request.amountCents, 'amountCents');
    assertIdempotencyKey(request.idempotencyKey);
    return this.withInjectedFailure('charge', () => this.recordCharge(request));
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    assertPositiveCents(request.amountCents, 'amountCents');
    assertIdempotencyKey(request.idempotencyKey);
    return this.withInjectedFailure('refund', () => this.recordRefund(request));
  }

  findChargeByIdempotencyKey(idempotencyKey: string): Promise<ChargeResult | null> {
    return this.withInjectedFailure('findChargeByIdempotencyKey', async () => {
      const row = await this.chargeByKey(idempotencyKey);
      return row ? chargeResultOf(row) : null;
    });
  }

  // ---- internals --------------------------------------------------------

  private validateCard(
    input: Extract<CardSetupInput, { kind: 'card' }>,
  ): { ok: true; digits: string; brand: string; expMonth: number; expYear: number } | { ok: false; failure: Failure } {
    const digits = String(input.number ?? '').replace(/[\s-]/g, '');
    if (!/^\d{12,19}$/.test(digits)) return { ok: false, failure: failure('invalid_number') };
    if (!luhnValid(digits)) return { ok: false, failure: failure('incorrect_number') };
    const brand = detectBrand(digits);

    const expMonth = input.expMonth;
    if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) {
      return { ok: false, failure: failure('invalid_expiry_month') };
    }
    // The form asks for MM/YY, so a two-digit year means this century.
    let expYear = input.expYear;
    if (!Number.isInteger(expYear) || expYear < 0 || (expYear > 99 && expYear < 1000) || expYear > 9999) {
      return { ok: false, failure: failure('invalid_expiry_year') };
    }
    if (expYear <= 99) expYear += 2000;
    const now = this.clock.now();
    if (expYear > now.getUTCFullYear() + 50) return { ok: false, failure: failure('invalid_expiry_year') };
    if (isExpired(expMonth, expYear, now)) return { ok: false, failure: failure('expired_card') };

    const cvcPattern = brand === 'amex' ? /^\d{4}$/ : /^\d{3}$/;
    if (!cvcPattern.test(String(input.cvc ?? ''))) return { ok: false, failure: failure('invalid_cvc') };

    return { ok: true, digits, brand, expMonth, expYear };
  }

  private chargeByKey(key: string): Promise<ChargeRow | undefined> {
    return this.db.first<ChargeRow>('SELECT * FROM sim_charges WHERE idempotency_key = ?', [key]);
  }

  private sameCharge(row: ChargeRow, request: ChargeRequest): boolean {
    return (
      Number(row.amount_cents) === request.amountCents &&
      row.customer_ref === request.customerRef &&
      row.payment_method_ref === request.paymentMethodRef
    );
  }

  private async recordCharge(request: ChargeRequest): Promise<ChargeResult> {
    const existing = await this.chargeByKey(request.idempotencyKey);
    if (existing) {
      if (!this.sameCharge(existing, request)) throw idempotencyMismatch(request.idempotencyKey);
      return chargeResultOf(existing);
    }

    const pm = await this.db.first<PaymentMethodRow>('SELECT * FROM sim_payment_methods WHERE ref = ?', [request.paymentMethodRef]);
    if (!pm || pm.customer_ref !== request.customerRef) {
      // Stripe answers this with an invalid_request_error, not a decline.
      throw new Error(`simulated gateway: no payment method ${request.paymentMethodRef} for customer ${request.customerRef}`);
    }

    const now = this.clock.now();
    let outcome: Failure | null = null;
    if (pm.behaviour === 'decline_on_charge') outcome = failure('card_declined', 'generic_decline');
    // A card saved while valid can expire before a later renewal is charged.
    else if (isExpired(pm.exp_month, pm.exp_year, now)) outcome = failure('expired_card');
    else outcome = this.takeIssuerDecline(request);

    const row: ChargeRow = {
      ref: newRef('sch'),
      idempotency_key: request.idempotencyKey,
      customer_ref: request.customerRef,
      payment_method_ref: request.paymentMethodRef,
      amount_cents: request.amountCents,
      description: request.description.slice(0, 500),
      status: outcome ? 'failed' : 'succeeded',
      failure_code: outcome?.code ?? null,
      failure_message: outcome?.message ?? null,
      decline_code: outcome?.declineCode ?? null,
      refunded_cents: 0,
      created_at: now.getTime(),
    };
    // Two callers racing with one key: the UNIQUE index lets exactly one row
    // in, and both answer with whatever that row says.
    const insert = insertSql('sim_charges', [{ ...row }]);
    const inserted = await this.db.run(`${insert.sql} ON CONFLICT (idempotency_key) DO NOTHING`, insert.bindings);
    // Ours went in: it is the row. Otherwise another caller's did; read it.
    const stored = inserted === 1 ? row : await this.chargeByKey(request.idempotencyKey);
    if (!stored) throw new Error('simulated gateway: charge vanished after insert');
    if (!this.sameCharge(stored, request)) throw idempotencyMismatch(request.idempotencyKey);
    return chargeResultOf(stored);
  }

  private async recordRefund(request: RefundRequest): Promise<RefundResult> {
    const replay = await this.refundReplay(request);
    if (replay) return replay;

    const charge = await this.db.first<ChargeRow>('SELECT * FROM sim_charges WHERE ref = ?', [request.chargeRef]);
    if (!charge) throw new Error(`simulated gateway: no such charge ${request.chargeRef}`);
    if (charge.status !== 'succeeded') {
      return { ok: false, failure: { code: 'processing_error', message: 'This charge did not succeed, so there is nothing to refund.' } };
    }

    const ref = newRef('sre');
    try {
      await this.db.transaction(async (trx) => {
        await insertRows(trx, 'sim_refunds', [
          {
            ref,
            charge_ref: request.chargeRef,
            idempotency_key: request.idempotencyKey,
            amount_cents: request.amountCents,
            reason: request.reason?.slice(0, 500) ?? null,
            created_at: this.clock.now().getTime(),
          },
        ]);
        // The limit is checked in the UPDATE itself so two refunds racing on
        // one charge cannot together exceed it.
        const updated = await trx.run(
          "UPDATE sim_charges SET refunded_cents = refunded_cents + ? WHERE ref = ? AND status = 'succeeded' AND refunded_cents + ? <= amount_cents",
          [request.amountCents, request.chargeRef, request.amountCents],
        );
        if (updated !== 1) throw new RefundTooLarge();
      });
    } catch (err) {
      if (err instanceof RefundTooLarge) {
        const fresh = await this.db.first<ChargeRow>('SELECT * FROM sim_charges WHERE ref = ?', [request.chargeRef]);
        const left = fresh ? Number(fresh.amount_cents) - Number(fresh.refunded_cents) : 0;
        return {
          ok: false,
          failure: {
            code: 'processing_error',
            message:
              left > 0
                ? `The refund of ${request.amountCents} cents is more than the ${left} cents left to refund on this charge.`
                : 'This charge has already been refunded in full.',
          },
        };
      }
      if (isUniqueViolation(err)) {
        const raced = await this.refundReplay(request);
        if (raced) return raced;
      }
      throw err;
    }
    return { ok: true, refundRef: ref };
  }

  private async refundReplay(request: RefundRequest): Promise<RefundResult | null> {
    const row = await this.db.first<RefundRow>('SELECT * FROM sim_refunds WHERE idempotency_key = ?', [request.idempotencyKey]);
    if (!row) return null;
    if (row.charge_ref !== request.chargeRef || Number(row.amount_cents) !== request.amountCents) {
      throw idempotencyMismatch(request.idempotencyKey);
    }
    return { ok: true, refundRef: row.ref };
  }
}
