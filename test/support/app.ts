import { buildApp, type App } from '../../src/app.ts';
import { ManualClock, MonotonicClock, type Clock } from '../../src/clock.ts';
import type { Knex } from 'knex';
import type { Sql } from '../../src/db/sql.ts';
import type { Config } from '../../src/config.ts';
import type { Deps } from '../../src/deps.ts';
import { SimulatedGateway } from '../../src/modules/billing/gateway/simulated.ts';
import { createMailer } from '../../src/modules/mail/mailer.ts';
import { databaseRateLimiter } from '../../src/modules/rate-limits/database-store.ts';
import { Agent } from './agent.ts';
import { testConfig } from './config.ts';
import { createTestDb, type TestDb } from './db.ts';
import { billingReads } from '../../src/modules/billing/billing-reads.ts';

export interface TestContext {
  app: App;
  deps: Deps;
  clock: ManualClock;
  gateway: SimulatedGateway;
  testDb: TestDb;
  /** A test-only knex handle on the application's database, to set up and inspect rows. */
  knex: Knex;
  agent(remoteAddress?: string): Agent;
  close(): Promise<void>;
}

/** The whole application on a fresh database with a manual clock. */
export async function startTestApp(
  opts: {
    config?: Partial<Config>;
    sqliteFile?: string;
    /** The clock the application reads, made over the test's manual clock (default: that clock itself). */
    appClock?: (db: Sql, base: ManualClock) => Promise<Clock>;
  } = {},
): Promise<TestContext> {
  const testDb = await createTestDb(opts.sqliteFile ? { sqliteFile: opts.sqliteFile } : {});
  const clock = new ManualClock('2026-03-10T09:00:00.000Z');
  const appClock = opts.appClock ? await opts.appClock(testDb.db, clock) : clock;
  const gateway = new SimulatedGateway(testDb.db, appClock);
  const mailer = createMailer({ db: testDb.db, clock: appClock });
  // The limiter runs on the test's manual clock: t.clock.advance(…) refills its buckets; setting it back does not spend them.
  const limiter = databaseRateLimiter(testDb.db, { clock: new MonotonicClock(clock) });
  const deps: Deps = { config: testConfig(opts.config), db: testDb.db, clock: appClock, gateway, mailer, limiter, billingReads };
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    clock,
    gateway,
    testDb,
    knex: testDb.knex,
    agent: (remoteAddress) => new Agent(app, remoteAddress),
    async close() {
      await app.close();
      await testDb.drop();
    },
  };
}
