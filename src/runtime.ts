import { systemClock, type Clock } from './clock.ts';
import { loadConfig, type Config } from './config.ts';
import { createDb } from './db/knex.ts';
import { migrateLatest } from './db/migrate.ts';
import type { Deps } from './deps.ts';
import { createGateway } from './modules/billing/gateway/index.ts';
import { createMailer } from './modules/mail/mailer.ts';

/** The production wiring of Deps from the environment, shared by the server and the CLI. */
export async function createRuntimeDeps(
  opts: { config?: Config; clock?: Clock; migrate?: boolean } = {},
): Promise<Deps> {
  const config = opts.config ?? loadConfig();
  const db = createDb({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
  if (opts.migrate ?? true) await migrateLatest(db);
  const clock = opts.clock ?? systemClock;
  const gateway = createGateway({ db, clock, stripeSecretKey: config.stripeSecretKey });
  const mailer = createMailer({ db, clock, smtpUrl: config.smtpUrl });
  return { config, db, clock, gateway, mailer };
}
