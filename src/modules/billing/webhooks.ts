import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { reconcileStripeEvent } from './reconcile-stripe-event.ts';

/**
 * R9.6: `POST /webhooks/stripe`, only when a webhook signing secret is
 * configured (otherwise the path is a 404). Stripe signs the exact bytes it
 * sent, so within this plugin JSON bodies stay raw Buffers; the rest of the
 * application keeps its JSON parser. No session or CSRF: the signature is
 * the authentication (app.ts skips CSRF under /webhooks/).
 */
export async function stripeWebhookRoutes(app: FastifyInstance): Promise<void> {
  const secret = app.deps.config.stripeWebhookSecret;
  if (!secret) return;

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post('/webhooks/stripe', async (request, reply) => {
    const signature = request.headers['stripe-signature'];
    if (typeof signature !== 'string' || signature === '') return reply.code(400).send({ error: 'Missing Stripe-Signature header.' });
    if (!Buffer.isBuffer(request.body)) return reply.code(400).send({ error: 'Expected a JSON body.' });
    let event: Stripe.Event;
    try {
      // Timestamps are checked against real time (Stripe's clock), not the application clock.
      event = Stripe.webhooks.constructEvent(request.body, signature, secret);
    } catch {
      return reply.code(400).send({ error: 'The Stripe signature does not match this payload.' });
    }
    const result = await reconcileStripeEvent(app.deps, event);
    return reply.code(200).send({ received: true, result: result.status });
  });
}
