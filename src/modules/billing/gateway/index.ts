import type { Sql } from '../../../db/sql.ts';
import Stripe from 'stripe';
import type { Clock } from '../../../clock.ts';
import { SimulatedGateway } from './simulated.ts';
import { StripeGateway } from './stripe.ts';
import type { PaymentGateway } from './types.ts';

export type * from './types.ts';
export {
  SimulatedGateway,
  SimulatedNetworkError,
  SIMULATED_NETWORK_FAILURE,
  type GatewayMethod,
  type InjectedFailurePhase,
} from './simulated.ts';
export { StripeGateway, ChargePendingError, failureFromStripe } from './stripe.ts';

export interface GatewayOptions {
  db: Sql;
  clock: Clock;
  stripeSecretKey?: string | undefined;
  /** Points the SDK at a local stand-in for Stripe's API (tests, stripe-mock). */
  stripeApiOverride?: { host: string; port: number; protocol: 'http' | 'https' } | undefined;
}

/** Stripe when a secret key is configured; otherwise the built-in simulated gateway (R9.6). */
export function createGateway(opts: GatewayOptions): PaymentGateway {
  if (opts.stripeSecretKey) {
    const stripe = new Stripe(opts.stripeSecretKey, {
      // Every money-moving call carries our idempotency key, so the SDK's
      // retries of a lost response cannot charge twice.
      maxNetworkRetries: 2,
      ...(opts.stripeApiOverride ?? {}),
    });
    return new StripeGateway(stripe);
  }
  return new SimulatedGateway(opts.db, opts.clock);
}
