import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Database } from './db/sql.ts';
import type { PaymentGateway } from './modules/billing/gateway/types.ts';
import type { Mailer } from './modules/mail/mailer.ts';
import type { BillingReads } from './modules/owners/standing.ts';
import type { RateLimiter } from './modules/rate-limits/limiter.ts';

/**
 * What the application is built from. Tests swap any of these: a fresh
 * database, a manual clock, a recording gateway or mailer, a limiter
 * on a manual clock.
 */
export interface Deps {
  config: Config;
  /** The application's database: every module reaches it through this statement layer (db/sql.ts). */
  db: Database;
  clock: Clock;
  gateway: PaymentGateway;
  mailer: Mailer;
  /** The one rate limiter, shared by every instance (R13.3). */
  limiter: RateLimiter;
  /**
   * Billing's answers to modules below it in the layers (the Past Due bar's
   * sum owed, R9.10): `billingReads` of billing/queries/invoices.ts.
   */
  billingReads: BillingReads;
}
