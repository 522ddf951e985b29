import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renewOrganization } from '../../src/modules/billing/renew.ts';
import { replaceCard } from '../../src/modules/billing/replace-card.ts';
import { payNow } from '../../src/modules/billing/pay-now.ts';
import { userActor } from '../../src/modules/audit/record.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser } from '../support/builders.ts';

/**
 * R9.6, R9.13: Stripe webhooks. Payloads are signed the way Stripe signs
 * them (the SDK's test header), sent through app.inject, and reconcile
 * payment attempts whose answer we missed: here the charge's answer is lost
 * on the way back (the simulated gateway's injected failure), leaving the
 * attempt pending, and the event tells what happened.
 */

const SECRET = 'whsec_test_0123456789abcdef';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp({ config: { stripeWebhookSecret: SECRET } });
});
afterAll(async () => {
  await t.close();
});

const eventId = () => `evt_${randomBytes(8).toString('hex')}`;

/** A PaymentIntent event as Stripe sends it, for the attempt with this key. */
function paymentIntentEvent(type: string, key: string | undefined, over: Record<string, unknown> = {}, id = eventId()) {
  const failed = type === 'payment_intent.payment_failed';
  return {
    id,
    object: 'event',
    api_version: '2025-10-29.clover',
    created: 1777593600,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: key ?? null },
    type,
    data: {
      object: {
        id: `pi_${randomBytes(6).toString('hex')}`,
        object: 'payment_intent',
        amount: 25_000,
        amount_received: failed ? 0 : 25_000,
        currency: 'usd',
        status: failed ? 'requires_payment_method' : 'succeeded',
        metadata: key ? { idempotency_key: key, invoice_id: '1' } : {},
        last_payment_error: failed
          ? { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' }
          : null,
        ...over,
      },
    },
  };
}

async function send(app: TestContext['app'], body: unknown, opts: { secret?: string; signature?: string | null; payload?: string } = {}) {
  const payload = opts.payload ?? JSON.stringify(body);
  const signature = opts.signature === undefined ? Stripe.webhooks.generateTestHeaderString({ payload: JSON.stringify(body), secret: opts.secret ?? SECRET }) : opts.signature;
  return app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    payload,
    headers: { 'content-type': 'application/json', ...(signature !== null ? { 'stripe-signature': signature } : {}) },
  });
}

/** An organization whose May 1 renewal charge went out but whose answer never came back: a pending attempt. */
async function pendingRenewalAttempt(opts: { card?: string } = {}) {
  t.clock.set('2026-04-01T00:00:00Z');
  const owner = await newUser(t);
  const org = await newOrg(t, { owner, plan: 'starter', name: 'Hooked Co' });
  if (opts.card) {
    const saved = await replaceCard(t.deps, { organizationId: org.id, actor: owner, card: { kind: 'card', number: opts.card, expMonth: 12, expYear: 2030, cvc: '123' } });
    expect(saved.ok).toBe(true);
  }
  t.clock.set('2026-05-01T00:00:00Z');
  t.gateway.failAfterChargeOnce();
  const renewal = await renewOrganization(t.deps, org.id, t.clock.now());
  expect(renewal.charges.map((c) => c.status)).toEqual(['unknown']);
  const attempt = await t.knex('payment_attempts').where({ organization_id: org.id, status: 'pending' }).first();
  expect(attempt).toBeTruthy();
  t.clock.set('2026-05-01T00:00:30Z');
  return { orgId: org.id, key: String(attempt.idempotency_key), invoiceId: Number(attempt.invoice_id) };
}

const attemptOf = (key: string) => t.knex('payment_attempts').where({ idempotency_key: key }).first();
const invoiceOf = (id: number) => t.knex('invoices').where({ id }).first();
/** Billing emails after the first charge's receipt (R9.12), which every organization has. */
const mailKinds = async (orgId: number) => (await t.knex('mail_outbox').where({ organization_id: orgId }).orderBy('id')).map((m: { kind: string }) => m.kind).slice(1);

describe('POST /webhooks/stripe (R9.6, R9.13)', () => {
  it('refuses a missing, wrong or stale signature, or a changed payload, with 400 and processes nothing', async () => {
    const event = paymentIntentEvent('payment_intent.succeeded', 'invoice-1-attempt-1');
    const cases = [
      await send(t.app, event, { signature: null }),
      await send(t.app, event, { signature: 't=1,v1=deadbeef' }),
      await send(t.app, event, { secret: 'whsec_someone_else' }),
      await send(t.app, event, { payload: JSON.stringify({ ...event, type: 'payment_intent.payment_failed' }) }),
      await send(t.app, event, { signature: Stripe.webhooks.generateTestHeaderString({ payload: JSON.stringify(event), secret: SECRET, timestamp: 1_000_000_000 }) }),
    ];
    for (const res of cases) {
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.json()).toEqual({ error: expect.any(String) });
    }
    expect(await t.knex('webhook_events').where({ event_id: event.id })).toHaveLength(0);
  });

  it('payment_intent.succeeded settles the pending attempt: invoice paid, receipt sent, no second charge', async () => {
    const { orgId, key, invoiceId } = await pendingRenewalAttempt();
    const event = paymentIntentEvent('payment_intent.succeeded', key);
    const res = await send(t.app, event);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, result: 'reconciled' });
    expect(await attemptOf(key)).toMatchObject({ status: 'succeeded', charge_ref: event.data.object.id });
    expect(await invoiceOf(invoiceId)).toMatchObject({ status: 'paid' });
    expect(Number((await invoiceOf(invoiceId)).amount_paid_cents)).toBe(25_000);
    expect(await mailKinds(orgId)).toEqual(['receipt']);
    expect(await t.knex('webhook_events').where({ event_id: event.id }).first()).toMatchObject({ type: 'payment_intent.succeeded' });

    // The settle job later finds nothing pending: the gateway holds exactly one charge for the key.
    t.clock.set('2026-05-01T00:10:00Z');
    await runPass(jobs, t.deps, t.clock.now());
    expect(await t.knex('sim_charges').where({ idempotency_key: key })).toHaveLength(1);
    expect(await mailKinds(orgId)).toEqual(['receipt']);
  });

  it('payment_intent.payment_failed records the decline with Stripe’s code and message and makes the organization Past Due', async () => {
    const { orgId, key, invoiceId } = await pendingRenewalAttempt({ card: '4000000000000341' });
    const res = await send(t.app, paymentIntentEvent('payment_intent.payment_failed', key));
    expect(res.statusCode).toBe(200);
    expect(await attemptOf(key)).toMatchObject({ status: 'failed', failure_code: 'insufficient_funds', failure_message: 'Your card has insufficient funds.' });
    expect(await invoiceOf(invoiceId)).toMatchObject({ status: 'open' });
    expect(await t.knex('billing_accounts').where({ organization_id: orgId }).first()).toMatchObject({ status: 'past_due' });
    const history = await t.knex('billing_status_history').where({ organization_id: orgId });
    expect(history.map((h: { to_status: string; cause: string }) => [h.to_status, h.cause])).toEqual([['past_due', 'Payment of invoice failed: Your card has insufficient funds.']]);
    expect(await mailKinds(orgId)).toEqual(['payment_failed']);
  });

  it('a Past Due organization whose last open invoice is confirmed paid is Active again', async () => {
    const { orgId, key } = await pendingRenewalAttempt({ card: '4000000000000341' });
    await send(t.app, paymentIntentEvent('payment_intent.payment_failed', key));
    // The Administrator presses Pay now; that answer is lost too, and the webhook brings it.
    t.clock.set('2026-05-03T10:00:00Z');
    const owner = await t.knex('memberships').where({ organization_id: orgId }).first('user_id');
    const user = await t.knex('users').where({ id: owner.user_id }).first();
    await replaceCard(t.deps, { organizationId: orgId, actor: user, card: { kind: 'card', number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' } });
    t.gateway.failAfterChargeOnce();
    expect(await payNow(t.deps, { organizationId: orgId, actor: userActor(user), by: 'administrator' })).toMatchObject({ ok: true, stillOpen: 1 });
    const pending = await t.knex('payment_attempts').where({ organization_id: orgId, status: 'pending' }).first();
    const res = await send(t.app, paymentIntentEvent('payment_intent.succeeded', pending.idempotency_key));
    expect(res.json()).toEqual({ received: true, result: 'reconciled' });
    expect(await t.knex('billing_accounts').where({ organization_id: orgId }).first()).toMatchObject({ status: 'active' });
    const last = await t.knex('billing_status_history').where({ organization_id: orgId }).orderBy('id', 'desc').first();
    expect(last).toMatchObject({ from_status: 'past_due', to_status: 'active' });
  });

  it('processes an event id once: a redelivery is acknowledged and not processed again', async () => {
    const first = await pendingRenewalAttempt();
    const event = paymentIntentEvent('payment_intent.succeeded', first.key);
    expect((await send(t.app, event)).json()).toEqual({ received: true, result: 'reconciled' });
    expect((await send(t.app, event)).json()).toEqual({ received: true, result: 'duplicate' });

    // Proof that the id alone decides: the same id about another pending attempt changes nothing.
    const second = await pendingRenewalAttempt();
    const reused = paymentIntentEvent('payment_intent.succeeded', second.key, {}, event.id);
    const res = await send(t.app, reused);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, result: 'duplicate' });
    expect(await attemptOf(second.key)).toMatchObject({ status: 'pending' });
    expect(await t.knex('webhook_events').where({ event_id: event.id })).toHaveLength(1);
    expect(await mailKinds(first.orgId)).toEqual(['receipt']);
    expect(await mailKinds(second.orgId)).toEqual([]);
  });

  it('an outcome we already recorded changes nothing', async () => {
    const { orgId, key } = await pendingRenewalAttempt();
    await send(t.app, paymentIntentEvent('payment_intent.succeeded', key));
    // A late, contradictory event for the same attempt (a new event id) cannot undo a payment.
    const res = await send(t.app, paymentIntentEvent('payment_intent.payment_failed', key));
    expect(res.json()).toEqual({ received: true, result: 'already_known' });
    expect(await attemptOf(key)).toMatchObject({ status: 'succeeded' });
    expect(await t.knex('billing_accounts').where({ organization_id: orgId }).first()).toMatchObject({ status: 'active' });
  });

  it('acknowledges event types it does not handle, and charges that are not invoice attempts, with 200', async () => {
    const other = { id: eventId(), object: 'event', type: 'customer.updated', created: 1777593600, livemode: false, data: { object: { id: 'cus_1', object: 'customer' } } };
    const res = await send(t.app, other);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, result: 'ignored' });
    expect(await t.knex('webhook_events').where({ event_id: other.id }).first()).toMatchObject({ type: 'customer.updated' });

    for (const key of [undefined, 'someone-elses-key-1']) {
      const stranger = await send(t.app, paymentIntentEvent('payment_intent.succeeded', key));
      expect(stranger.statusCode).toBe(200);
      expect(stranger.json()).toEqual({ received: true, result: 'ignored' });
    }
  });
});

describe('POST /webhooks/stripe without a webhook secret', () => {
  it('does not exist: 404', async () => {
    const plain = await startTestApp();
    try {
      const event = paymentIntentEvent('payment_intent.succeeded', 'invoice-1-attempt-1');
      const res = await send(plain.app, event);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: expect.any(String) });
      expect(plain.app.routeList.some((r) => r.url === '/webhooks/stripe')).toBe(false);
    } finally {
      await plain.close();
    }
  });
});
