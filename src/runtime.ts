import { MonotonicClock, OffsetClock, systemClock, type Clock } from './clock.ts';
import { loadConfig, type Config } from './config.ts';
import { openDatabase, type Sql } from './db/sql.ts';
import { migrateLatest } from './db/migrate.ts';
import type { Deps } from './deps.ts';
import { readClockOffset } from './modules/admin/queries/clock-offset.ts';
import { billingReads } from './modules/billing/billing-reads.ts';
import { createGateway } from './modules/billing/gateway/index.ts';
import { createMailer } from './modules/mail/mailer.ts';
import { createRateLimiter } from './modules/rate-limits/index.ts';

/** The production wiring of Deps from the environment, shared by the server and the CLI. */
export async function createRuntimeDeps(
  opts: { config?: Config; clock?: Clock; migrate?: boolean } = {},
): Promise<Deps> {
  const config = opts.config ?? loadConfig();
  const where = { databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile };
  // knex migrates on a connection of its own, closed before the application opens its layer.
  if (opts.migrate ?? true) await migrateLatest(where);
  const db = openDatabase({ ...where, backgroundCheckpoints: true });
  const clock = opts.clock ?? (config.isProduction ? systemClock : await startDemoClock(db));
  const gateway = createGateway({ db, clock, stripeSecretKey: config.payments === 'stripe' ? config.stripeSecretKey : undefined });
  const mailer = createMailer({ db, clock, smtpUrl: config.smtpUrl });
  // Rate limits are a security property measured in real time, like session
  // expiry: the demo clock does not move them (R11.3).
  const limiter = createRateLimiter({
    config,
    db,
    clock: new MonotonicClock(systemClock),
    onError: (err) => console.error('rate limit store unreachable; the request was let through:', err instanceof Error ? err.message : err),
  });
  return { config, db, clock, gateway, mailer, limiter, billingReads };
}

/**
 * R11.3: outside production the application clock is system time plus the
 * offset the back-office stores, so every instance (and the CLI) agrees on it.
 * Production uses system time alone.
 */
async function startDemoClock(db: Sql): Promise<OffsetClock> {
  const clock = new OffsetClock(() => readClockOffset(db));
  // Before the first migration the table is missing: no offset yet.
  await clock.refresh().catch(() => undefined);
  clock.start();
  return clock;
}
