import type Stripe from 'stripe';
import type { Deps } from '../../deps.ts';
import { recordOutcome } from './charge.ts';
import { failureFromStripe } from './gateway/stripe.ts';
import type { ChargeResult } from './gateway/types.ts';
import { attemptByKey } from './queries/attempts.ts';
import { claimWebhookEvent, forgetWebhookEvent } from './queries/webhook-events.ts';

export type StripeEventResult =
  | { status: 'reconciled'; invoiceId: number }
  | { status: 'already_known' }
  | { status: 'duplicate' }
  | { status: 'ignored'; reason: 'event_type' | 'not_our_attempt' };

const HANDLED = new Set(['payment_intent.succeeded', 'payment_intent.payment_failed']);

/** What a PaymentIntent event says about the charge, in the gateway's terms. */
function resultOf(event: Stripe.Event, intent: Stripe.PaymentIntent): ChargeResult {
  if (event.type === 'payment_intent.succeeded') {
    return { status: 'succeeded', chargeRef: intent.id, amountCents: intent.amount_received || intent.amount };
  }
  return {
    status: 'failed',
    chargeRef: intent.id,
    failure: intent.last_payment_error ? failureFromStripe(intent.last_payment_error) : { code: 'card_declined', message: 'Your card was declined.' },
  };
}

/**
 * R9.6, R9.13: a verified Stripe event, processed once by its id. A
 * PaymentIntent outcome is written to our attempt (found by the idempotency
 * key we put in its metadata) when we had not recorded it yet — the answer to
 * the charge itself was lost — with its usual consequences (receipt and
 * Active again, or the failure email and Past Due) in the same transaction. Other
 * events, and charges that are not invoice attempts, are acknowledged and
 * ignored.
 */
export async function reconcileStripeEvent(deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>, event: Stripe.Event): Promise<StripeEventResult> {
  const { db, clock } = deps;
  const now = clock.now();
  if (!(await claimWebhookEvent(db, event, now))) return { status: 'duplicate' };
  try {
    if (!HANDLED.has(event.type)) return { status: 'ignored', reason: 'event_type' };
    const intent = event.data.object as Stripe.PaymentIntent;
    const key = intent.metadata?.idempotency_key;
    if (!key) return { status: 'ignored', reason: 'not_our_attempt' };
    const attempt = await attemptByKey(db, key);
    if (!attempt) return { status: 'ignored', reason: 'not_our_attempt' };
    const result = resultOf(event, intent);
    // The outcome and its consequences (receipt, status, emails) in one transaction (R9.12).
    const recorded = await recordOutcome(deps, key, result, { at: now, late: true });
    if (!recorded) return { status: 'already_known' };
    return { status: 'reconciled', invoiceId: recorded.invoiceId };
  } catch (err) {
    // Not processed after all: forget the id, so Stripe's redelivery is.
    await forgetWebhookEvent(db, event.id);
    throw err;
  }
}
