import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { SimulatedGateway } from '../../src/modules/billing/gateway/simulated.ts';
import type { CardSetupInput, ChargeRequest, SavedCard } from '../../src/modules/billing/gateway/types.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

let t: TestDb;
let clock: ManualClock;
let gw: SimulatedGateway;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.drop();
});
beforeEach(() => {
  // 2026-01-15: cards expiring 01/2026 are still good, 12/2025 are not.
  clock = new ManualClock('2026-01-15T12:00:00.000Z');
  gw = new SimulatedGateway(t.db, clock);
});

const key = (label = 'k') => `${label}-${randomUUID()}`;

function card(number: string, over: Partial<Omit<Extract<CardSetupInput, { kind: 'card' }>, 'kind'>> = {}): CardSetupInput {
  return { kind: 'card', number, expMonth: 12, expYear: 2030, cvc: '123', ...over };
}

async function newCustomer(): Promise<string> {
  const { customerRef } = await gw.createCustomer({ email: 'billing@example.com', name: 'Acme', idempotencyKey: key('cus') });
  return customerRef;
}

async function savedCard(number = '4242424242424242', over: Parameters<typeof card>[1] = {}) {
  const customerRef = await newCustomer();
  const res = await gw.saveCard(customerRef, card(number, over));
  if (!res.ok) throw new Error(`expected ${number} to save, got ${res.failure.code}`);
  return { customerRef, card: res.card };
}

function chargeOf(customerRef: string, saved: SavedCard, over: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    customerRef,
    paymentMethodRef: saved.paymentMethodRef,
    amountCents: 4_900,
    idempotencyKey: key('charge'),
    description: 'Invoice INV-1',
    ...over,
  };
}

async function countRows(table: string, where: Record<string, string>): Promise<number> {
  const row = await t.knex(table).where(where).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

describe('customers', () => {
  it('creates a customer once per idempotency key', async () => {
    const idempotencyKey = key('cus');
    const a = await gw.createCustomer({ email: 'a@example.com', name: 'A', idempotencyKey });
    const b = await gw.createCustomer({ email: 'a@example.com', name: 'A', idempotencyKey });
    expect(a.customerRef).toMatch(/^scus_/);
    expect(b).toEqual(a);
    expect(await countRows('sim_customers', { idempotency_key: idempotencyKey })).toBe(1);
  });

  it('refuses to reuse a key with different details, as Stripe does', async () => {
    const idempotencyKey = key('cus');
    await gw.createCustomer({ email: 'a@example.com', name: 'A', idempotencyKey });
    await expect(gw.createCustomer({ email: 'b@example.com', name: 'A', idempotencyKey })).rejects.toThrow(/idempotency key/i);
  });
});

describe('saving a card: Stripe test cards (R9.6)', () => {
  it.each([
    ['4242424242424242', 'visa', '4242', '123'],
    ['5555555555554444', 'mastercard', '4444', '123'],
    ['378282246310005', 'amex', '0005', '1234'],
    ['6011111111111117', 'discover', '1117', '123'],
    ['4000056655665556', 'visa', '5556', '123'],
  ])('%s saves as %s and charges', async (number, brand, last4, cvc) => {
    const customerRef = await newCustomer();
    const res = await gw.saveCard(customerRef, card(number, { cvc }));
    expect(res).toEqual({
      ok: true,
      card: { paymentMethodRef: expect.stringMatching(/^spm_/), brand, last4, expMonth: 12, expYear: 2030 },
    });
    if (!res.ok) return;
    const charged = await gw.charge(chargeOf(customerRef, res.card, { amountCents: 1_234 }));
    expect(charged).toEqual({ status: 'succeeded', chargeRef: expect.stringMatching(/^sch_/), amountCents: 1_234 });
  });

  it('accepts numbers typed with spaces or dashes', async () => {
    const customerRef = await newCustomer();
    for (const number of ['4242 4242 4242 4242', '4242-4242-4242-4242']) {
      const res = await gw.saveCard(customerRef, card(number));
      expect(res.ok && res.card.last4).toBe('4242');
    }
  });

  it.each([
    ['4000000000000002', 'card_declined', 'Your card was declined.', 'generic_decline'],
    ['4000000000009995', 'insufficient_funds', 'Your card has insufficient funds.', undefined],
    ['4000000000009987', 'lost_card', 'Your card was declined.', undefined],
    ['4000000000009979', 'stolen_card', 'Your card was declined.', undefined],
    ['4000000000000069', 'expired_card', 'Your card has expired.', undefined],
    ['4000000000000127', 'incorrect_cvc', "Your card's security code is incorrect.", undefined],
    ['4000000000000119', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.', undefined],
  ])('%s is declined at setup with %s', async (number, code, message, declineCode) => {
    const customerRef = await newCustomer();
    const res = await gw.saveCard(customerRef, card(number));
    expect(res).toEqual({ ok: false, failure: declineCode ? { code, message, declineCode } : { code, message } });
    expect(await countRows('sim_payment_methods', { customer_ref: customerRef })).toBe(0);
  });

  it('4000000000000341 saves, then every charge is declined', async () => {
    const { customerRef, card: saved } = await savedCard('4000000000000341');
    expect(saved).toMatchObject({ brand: 'visa', last4: '0341' });
    for (let i = 0; i < 2; i++) {
      const res = await gw.charge(chargeOf(customerRef, saved));
      expect(res).toEqual({
        status: 'failed',
        chargeRef: expect.stringMatching(/^sch_/),
        failure: { code: 'card_declined', message: 'Your card was declined.', declineCode: 'generic_decline' },
      });
    }
    const rows = await t.knex('sim_charges').where({ customer_ref: customerRef });
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.status === 'failed' && r.failure_code === 'card_declined')).toBe(true);
  });
});

describe('saving a card: Stripe test tokens (R9.6, R16.3)', () => {
  it.each([
    ['tok_visa', 'visa', '4242'],
    ['tok_visa_debit', 'visa', '5556'],
    ['tok_mastercard', 'mastercard', '4444'],
    ['tok_amex', 'amex', '0005'],
    ['tok_discover', 'discover', '1117'],
  ])('%s saves as %s, expiring a year from now, and charges', async (token, brand, last4) => {
    const customerRef = await newCustomer();
    const res = await gw.saveCard(customerRef, { kind: 'token', token });
    // The clock reads 2026-01-15.
    expect(res).toEqual({ ok: true, card: { paymentMethodRef: expect.stringMatching(/^spm_/), brand, last4, expMonth: 1, expYear: 2027 } });
    if (!res.ok) return;
    expect(await gw.charge(chargeOf(customerRef, res.card))).toMatchObject({ status: 'succeeded' });
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined', 'generic_decline'],
    ['tok_chargeDeclinedInsufficientFunds', 'insufficient_funds', undefined],
    ['tok_chargeDeclinedLostCard', 'lost_card', undefined],
    ['tok_chargeDeclinedStolenCard', 'stolen_card', undefined],
    ['tok_chargeDeclinedExpiredCard', 'expired_card', undefined],
    ['tok_chargeDeclinedIncorrectCvc', 'incorrect_cvc', undefined],
    ['tok_chargeDeclinedProcessingError', 'processing_error', undefined],
  ])('%s is declined at setup as its card number is (%s)', async (token, code, declineCode) => {
    const customerRef = await newCustomer();
    const res = await gw.saveCard(customerRef, { kind: 'token', token });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.failure.code).toBe(code);
    expect(res.failure.declineCode).toBe(declineCode);
    expect(await countRows('sim_payment_methods', { customer_ref: customerRef })).toBe(0);
  });

  it('tok_chargeCustomerFail attaches, then every charge is declined (as card 4000000000000341)', async () => {
    const customerRef = await newCustomer();
    const res = await gw.saveCard(customerRef, { kind: 'token', token: 'tok_chargeCustomerFail' });
    expect(res).toMatchObject({ ok: true, card: { brand: 'visa', last4: '0341' } });
    if (!res.ok) return;
    expect(await gw.charge(chargeOf(customerRef, res.card))).toMatchObject({ status: 'failed', failure: { code: 'card_declined', declineCode: 'generic_decline' } });
  });

  it('an unknown token is refused by name; nothing is saved', async () => {
    const customerRef = await newCustomer();
    const res = await gw.saveCard(customerRef, { kind: 'token', token: 'tok_doesNotExist' });
    expect(res).toEqual({ ok: false, failure: { code: 'processing_error', message: expect.stringMatching(/^No such token: 'tok_doesNotExist'/) } });
    expect(await countRows('sim_payment_methods', { customer_ref: customerRef })).toBe(0);
  });

  it('a token save uses up one injected failure, as any saveCard call', async () => {
    const customerRef = await newCustomer();
    gw.failNextCalls(1, { method: 'saveCard', phase: 'before' });
    await expect(gw.saveCard(customerRef, { kind: 'token', token: 'tok_visa' })).rejects.toThrow('simulated network failure');
    expect((await gw.saveCard(customerRef, { kind: 'token', token: 'tok_visa' })).ok).toBe(true);
  });
});

describe('saving a card: validation', () => {
  it('rejects a number that fails the Luhn check', async () => {
    const res = await gw.saveCard(await newCustomer(), card('4242424242424241'));
    expect(res).toEqual({ ok: false, failure: { code: 'incorrect_number', message: 'Your card number is incorrect.' } });
  });

  it.each(['4242', '42424242424242424242', '4242x42424242424', ''])('rejects the malformed number %j', async (number) => {
    const res = await gw.saveCard(await newCustomer(), card(number));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.failure.code).toBe('invalid_number');
  });

  it.each([0, 13, 1.5])('rejects expiry month %s', async (expMonth) => {
    const res = await gw.saveCard(await newCustomer(), card('4242424242424242', { expMonth }));
    expect(res).toEqual({ ok: false, failure: { code: 'invalid_expiry_month', message: "Your card's expiration month is invalid." } });
  });

  it.each([2090, 123, -1])('rejects expiry year %s', async (expYear) => {
    const res = await gw.saveCard(await newCustomer(), card('4242424242424242', { expYear }));
    expect(res).toEqual({ ok: false, failure: { code: 'invalid_expiry_year', message: "Your card's expiration year is invalid." } });
  });

  it('judges expiry by the gateway clock: good through the end of its month', async () => {
    const customerRef = await newCustomer();
    const expired = { ok: false, failure: { code: 'expired_card', message: 'Your card has expired.' } };
    expect(await gw.saveCard(customerRef, card('4242424242424242', { expMonth: 12, expYear: 2025 }))).toEqual(expired);
    expect((await gw.saveCard(customerRef, card('4242424242424242', { expMonth: 1, expYear: 2026 }))).ok).toBe(true);
    clock.set('2026-02-01T00:00:00.000Z');
    expect(await gw.saveCard(customerRef, card('4242424242424242', { expMonth: 1, expYear: 2026 }))).toEqual(expired);
  });

  it('reads a two-digit year as this century', async () => {
    const res = await gw.saveCard(await newCustomer(), card('4242424242424242', { expMonth: 3, expYear: 29 }));
    expect(res.ok && res.card).toMatchObject({ expMonth: 3, expYear: 2029 });
  });

  it.each([
    ['4242424242424242', '12'],
    ['4242424242424242', '1234'],
    ['4242424242424242', 'abc'],
    ['378282246310005', '123'],
  ])('rejects CVC for %s given %j', async (number, cvc) => {
    const res = await gw.saveCard(await newCustomer(), card(number, { cvc }));
    expect(res).toEqual({ ok: false, failure: { code: 'invalid_cvc', message: "Your card's security code is invalid." } });
  });

  it('refuses Stripe payment methods and Checkout Sessions clearly', async () => {
    const customerRef = await newCustomer();
    for (const input of [
      { kind: 'payment_method', paymentMethodId: 'pm_123' },
      { kind: 'checkout_session', checkoutSessionId: 'cs_123' },
    ] as const) {
      const res = await gw.saveCard(customerRef, input);
      expect(res.ok).toBe(false);
      if (!res.ok) {
        expect(res.failure.code).toBe('processing_error');
        expect(res.failure.message).toMatch(/simulated gateway/);
      }
    }
  });

  it('keeps only brand, last four and expiry: no column holds the full number or the CVC', async () => {
    const numbers = ['4242424242424242', '5555555555554444', '378282246310005', '4000000000000341', '6011111111111117'];
    const customerRef = await newCustomer();
    for (const number of numbers) {
      const res = await gw.saveCard(customerRef, card(number, { cvc: number.startsWith('37') ? '9876' : '987' }));
      expect(res.ok).toBe(true);
      if (res.ok) await gw.charge(chargeOf(customerRef, res.card));
    }
    const columns = Object.keys(await t.knex('sim_payment_methods').columnInfo());
    expect(columns.filter((c) => /number|cvc|pan/i.test(c))).toEqual([]);
    for (const table of ['sim_customers', 'sim_payment_methods', 'sim_charges', 'sim_refunds']) {
      const dump = JSON.stringify(await t.knex(table).select('*'));
      for (const number of numbers) expect(dump).not.toContain(number);
      expect(dump).not.toMatch(/\b987\b|\b9876\b/);
    }
  });
});

describe('charging', () => {
  it('records each charge in the gateway ledger', async () => {
    const { customerRef, card: saved } = await savedCard();
    const req = chargeOf(customerRef, saved, { amountCents: 12_345 });
    const res = await gw.charge(req);
    expect(res.status).toBe('succeeded');
    const row = await t.knex('sim_charges').where({ idempotency_key: req.idempotencyKey }).first();
    expect(row).toMatchObject({
      ref: res.chargeRef,
      customer_ref: customerRef,
      payment_method_ref: saved.paymentMethodRef,
      status: 'succeeded',
      failure_code: null,
    });
    expect(Number(row.amount_cents)).toBe(12_345);
    expect(Number(row.refunded_cents)).toBe(0);
    expect(Number(row.created_at)).toBe(clock.now().getTime());
  });

  it('is idempotent: the same key returns the first outcome and writes one row', async () => {
    const { customerRef, card: saved } = await savedCard();
    const req = chargeOf(customerRef, saved);
    const first = await gw.charge(req);
    const second = await gw.charge(req);
    expect(second).toEqual(first);
    expect(await countRows('sim_charges', { idempotency_key: req.idempotencyKey })).toBe(1);
  });

  it('replays a decline the same way', async () => {
    const { customerRef, card: saved } = await savedCard('4000000000000341');
    const req = chargeOf(customerRef, saved);
    const first = await gw.charge(req);
    expect(await gw.charge(req)).toEqual(first);
    expect(await countRows('sim_charges', { idempotency_key: req.idempotencyKey })).toBe(1);
  });

  it('writes one row when calls with one key race', async () => {
    const { customerRef, card: saved } = await savedCard();
    const req = chargeOf(customerRef, saved);
    // Separate gateway instances, like two scheduler processes.
    const gateways = Array.from({ length: 6 }, () => new SimulatedGateway(t.db, clock));
    const results = await Promise.all(gateways.map((g) => g.charge(req)));
    expect(new Set(results.map((r) => r.chargeRef)).size).toBe(1);
    for (const r of results) expect(r).toEqual(results[0]);
    expect(await countRows('sim_charges', { idempotency_key: req.idempotencyKey })).toBe(1);
  });

  it('refuses to reuse a key for a different charge', async () => {
    const { customerRef, card: saved } = await savedCard();
    const req = chargeOf(customerRef, saved);
    await gw.charge(req);
    await expect(gw.charge({ ...req, amountCents: req.amountCents + 1 })).rejects.toThrow(/idempotency key/i);
  });

  it.each([0, -100, 10.5, Number.NaN, 2 ** 53])('throws on amount %s (a programmer error)', async (amountCents) => {
    const { customerRef, card: saved } = await savedCard();
    await expect(gw.charge(chargeOf(customerRef, saved, { amountCents }))).rejects.toThrow(RangeError);
  });

  it('throws on a payment method that is not the customer’s', async () => {
    const { card: saved } = await savedCard();
    const other = await newCustomer();
    await expect(gw.charge(chargeOf(other, saved))).rejects.toThrow(/no payment method/);
  });

  it('declines a saved card that has since expired', async () => {
    const { customerRef, card: saved } = await savedCard('4242424242424242', { expMonth: 2, expYear: 2026 });
    expect((await gw.charge(chargeOf(customerRef, saved))).status).toBe('succeeded');
    clock.set('2026-03-01T00:00:00.000Z');
    expect(await gw.charge(chargeOf(customerRef, saved))).toEqual({
      status: 'failed',
      chargeRef: expect.stringMatching(/^sch_/),
      failure: { code: 'expired_card', message: 'Your card has expired.' },
    });
  });
});

describe('findChargeByIdempotencyKey', () => {
  it('is null for a key the gateway never saw', async () => {
    expect(await gw.findChargeByIdempotencyKey(key('never'))).toBeNull();
  });

  it('returns the recorded outcome, also from a fresh instance (after a restart)', async () => {
    const ok = await savedCard();
    const okReq = chargeOf(ok.customerRef, ok.card);
    const okRes = await gw.charge(okReq);
    const bad = await savedCard('4000000000000341');
    const badReq = chargeOf(bad.customerRef, bad.card);
    const badRes = await gw.charge(badReq);

    const restarted = new SimulatedGateway(t.db, clock);
    expect(await restarted.findChargeByIdempotencyKey(okReq.idempotencyKey)).toEqual(okRes);
    expect(await restarted.findChargeByIdempotencyKey(badReq.idempotencyKey)).toEqual(badRes);
  });
});

describe('injected network failures (crash-safety tests, R9.13)', () => {
  it('failAfterChargeOnce: the charge is recorded, the caller sees an error, a retry returns it', async () => {
    const { customerRef, card: saved } = await savedCard();
    const req = chargeOf(customerRef, saved);
    gw.failAfterChargeOnce();
    await expect(gw.charge(req)).rejects.toThrow('simulated network failure');
    const found = await gw.findChargeByIdempotencyKey(req.idempotencyKey);
    expect(found?.status).toBe('succeeded');
    expect(await gw.charge(req)).toEqual(found);
    expect(await countRows('sim_charges', { idempotency_key: req.idempotencyKey })).toBe(1);
  });

  it('failBeforeChargeOnce: nothing is recorded', async () => {
    const { customerRef, card: saved } = await savedCard();
    const req = chargeOf(customerRef, saved);
    gw.failBeforeChargeOnce();
    await expect(gw.charge(req)).rejects.toThrow('simulated network failure');
    expect(await gw.findChargeByIdempotencyKey(req.idempotencyKey)).toBeNull();
    expect((await gw.charge(req)).status).toBe('succeeded');
  });

  it('failNextCalls(n) fails exactly the next n calls', async () => {
    const { customerRef, card: saved } = await savedCard();
    gw.failNextCalls(2);
    await expect(gw.findChargeByIdempotencyKey(key())).rejects.toThrow('simulated network failure');
    await expect(gw.charge(chargeOf(customerRef, saved))).rejects.toThrow('simulated network failure');
    expect((await gw.charge(chargeOf(customerRef, saved))).status).toBe('succeeded');
    expect(await countRows('sim_charges', { customer_ref: customerRef })).toBe(2);
  });
});

describe('refunds', () => {
  async function succeededCharge(amountCents = 1_000) {
    const { customerRef, card: saved } = await savedCard();
    const res = await gw.charge(chargeOf(customerRef, saved, { amountCents }));
    if (res.status !== 'succeeded') throw new Error('expected the charge to succeed');
    return res.chargeRef;
  }
  const refunded = async (chargeRef: string) =>
    Number((await t.knex('sim_charges').where({ ref: chargeRef }).first()).refunded_cents);

  it('refunds in parts up to the amount charged, never more', async () => {
    const chargeRef = await succeededCharge(1_000);
    expect(await gw.refund({ chargeRef, amountCents: 400, idempotencyKey: key('re') })).toEqual({
      ok: true,
      refundRef: expect.stringMatching(/^sre_/),
    });
    const tooMuch = await gw.refund({ chargeRef, amountCents: 700, idempotencyKey: key('re') });
    expect(tooMuch.ok).toBe(false);
    if (!tooMuch.ok) expect(tooMuch.failure.message).toMatch(/600 cents left/);
    expect((await gw.refund({ chargeRef, amountCents: 600, idempotencyKey: key('re') })).ok).toBe(true);
    const more = await gw.refund({ chargeRef, amountCents: 1, idempotencyKey: key('re') });
    expect(more).toEqual({ ok: false, failure: { code: 'processing_error', message: 'This charge has already been refunded in full.' } });
    expect(await refunded(chargeRef)).toBe(1_000);
    expect(await countRows('sim_refunds', { charge_ref: chargeRef })).toBe(2);
  });

  it('is idempotent by key', async () => {
    const chargeRef = await succeededCharge(1_000);
    const req = { chargeRef, amountCents: 300, idempotencyKey: key('re') };
    const first = await gw.refund(req);
    expect(await gw.refund(req)).toEqual(first);
    expect(await refunded(chargeRef)).toBe(300);
    await expect(gw.refund({ ...req, amountCents: 301 })).rejects.toThrow(/idempotency key/i);
  });

  it('never lets racing refunds together exceed the charge', async () => {
    const chargeRef = await succeededCharge(1_000);
    const gateways = [new SimulatedGateway(t.db, clock), new SimulatedGateway(t.db, clock), new SimulatedGateway(t.db, clock)];
    const results = await Promise.all(gateways.map((g) => g.refund({ chargeRef, amountCents: 600, idempotencyKey: key('re') })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await refunded(chargeRef)).toBe(600);
    expect(await countRows('sim_refunds', { charge_ref: chargeRef })).toBe(1);
  });

  it('refuses to refund a declined charge', async () => {
    const { customerRef, card: saved } = await savedCard('4000000000000341');
    const res = await gw.charge(chargeOf(customerRef, saved));
    const refund = await gw.refund({ chargeRef: res.chargeRef!, amountCents: 100, idempotencyKey: key('re') });
    expect(refund.ok).toBe(false);
    if (!refund.ok) expect(refund.failure.code).toBe('processing_error');
  });

  it('throws on a bad amount', async () => {
    const chargeRef = await succeededCharge();
    await expect(gw.refund({ chargeRef, amountCents: 0, idempotencyKey: key('re') })).rejects.toThrow(RangeError);
  });
});
