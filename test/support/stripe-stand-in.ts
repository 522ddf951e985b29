import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local stand-in for api.stripe.com: records what the real SDK sends and
 * answers with the canned JSON a test registers, so a test checks the wire
 * format our calls produce without a network or an account.
 */

/** One request as the SDK sent it: form bodies and query strings parsed. */
export interface StripeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: URLSearchParams;
  headers: IncomingHttpHeaders;
}
export type StripeReply = { status: number; body: unknown };
/** Answers a request; `params` holds the `:name` segments of the route's path. */
export type StripeHandler = (req: StripeRequest, params: Record<string, string>) => StripeReply;

export interface StripeStandIn {
  /** Every request since the last `reset()` or `clearSeen()`, oldest first; always the same array. */
  readonly seen: StripeRequest[];
  /** The port it listens on, once started. */
  readonly port: number;
  /**
   * Registers a route: `path` is exact but for `:name` segments, which match one
   * segment each. Later registrations win, so a test can override a default.
   */
  on(method: string, path: string, reply: StripeHandler | StripeReply): void;
  /** Forgets the routes and the requests seen. */
  reset(): void;
  /** Forgets the requests seen, keeping the routes. */
  clearSeen(): void;
  /** The real SDK, pointed at this stand-in. */
  client(secretKey?: string): Stripe;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The real SDK pointed at `http://127.0.0.1:<port>`, without retries or telemetry. */
export function stripeClient(port: number, secretKey = 'sk_test_x'): Stripe {
  return new Stripe(secretKey, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
}

/** A stand-in that is not yet listening: `start()` it in `beforeAll`, `stop()` it in `afterAll`. */
export function createStripeStandIn(): StripeStandIn {
  const seen: StripeRequest[] = [];
  let routes: { method: string; pattern: RegExp; handler: StripeHandler }[] = [];
  let server: Server | undefined;
  let port: number | undefined;

  const listeningPort = (): number => {
    if (port === undefined) throw new Error('The Stripe stand-in is not started');
    return port;
  };

  const reply = (request: StripeRequest): StripeReply => {
    for (const route of routes) {
      const match = route.method === request.method ? route.pattern.exec(request.path) : null;
      if (match) return route.handler(request, { ...match.groups });
    }
    return {
      status: 404,
      body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `Unrecognized request URL (${request.method}: ${request.path})` } },
    };
  };

  return {
    seen,
    get port() {
      return listeningPort();
    },
    on(method, path, handler) {
      const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, '(?<$1>[^/]+)');
      routes.unshift({ method, pattern: new RegExp(`^${source}$`), handler: typeof handler === 'function' ? handler : () => handler });
    },
    reset() {
      routes = [];
      seen.length = 0;
    },
    clearSeen() {
      seen.length = 0;
    },
    client(secretKey) {
      return stripeClient(listeningPort(), secretKey);
    },
    async start() {
      const started = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const url = new URL(req.url ?? '/', 'http://127.0.0.1');
          const request: StripeRequest = {
            method: req.method ?? 'GET',
            path: url.pathname,
            query: url.searchParams,
            body: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
            headers: req.headers,
          };
          seen.push(request);
          const answer = reply(request);
          res.writeHead(answer.status, { 'content-type': 'application/json', 'request-id': `req_${seen.length}` });
          res.end(JSON.stringify(answer.body));
        });
      });
      await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
      server = started;
      port = (started.address() as AddressInfo).port;
    },
    async stop() {
      const running = server;
      if (!running) return;
      server = undefined;
      port = undefined;
      await new Promise<void>((resolve, reject) => running.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

// ---- realistic response bodies ------------------------------------------------

/** A Customer as the API returns it; `over` replaces top-level fields. */
export const stripeCustomer = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  object: 'customer',
  email: 'billing@example.com',
  name: 'Acme',
  created: 1768478400,
  livemode: false,
  invoice_settings: { default_payment_method: null, custom_fields: null, footer: null, rendering_options: null },
  metadata: {},
  ...over,
});

/** A card PaymentMethod as the API returns it: a Visa ending in 4242, 12/2030, unless `card` replaces some of the card's fields. */
export const stripePaymentMethod = (id: string, customerId: string | null, card: Record<string, unknown> = {}) => ({
  id,
  object: 'payment_method',
  type: 'card',
  customer: customerId,
  created: 1768478400,
  livemode: false,
  billing_details: { address: null, email: null, name: null, phone: null },
  card: { brand: 'visa', display_brand: 'visa', country: 'US', exp_month: 12, exp_year: 2030, funding: 'credit', last4: '4242', fingerprint: 'Xt5EWLLDS7FJjR1c', ...card },
  metadata: {},
});

/** The 402 the API answers when the card is declined; `extra` adds fields to the error (doc_url, payment_intent, …). */
export const stripeCardDeclined = (declineCode: string, message: string, extra: Record<string, unknown> = {}): StripeReply => ({
  status: 402,
  body: { error: { type: 'card_error', code: 'card_declined', decline_code: declineCode, message, ...extra } },
});
