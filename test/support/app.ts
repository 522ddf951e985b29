import { buildApp, type App } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config.ts';
import type { Deps } from '../../src/deps.ts';
import { SimulatedGateway } from '../../src/modules/billing/gateway/simulated.ts';
import { createMailer } from '../../src/modules/mail/mailer.ts';
import { Agent } from './agent.ts';
import { testConfig } from './config.ts';
import { createTestDb, type TestDb } from './db.ts';

export interface TestContext {
  app: App;
  deps: Deps;
  clock: ManualClock;
  gateway: SimulatedGateway;
  testDb: TestDb;
  agent(remoteAddress?: string): Agent;
  close(): Promise<void>;
}

/** The whole application on a fresh database with a manual clock. */
export async function startTestApp(opts: { config?: Partial<Config>; sqliteFile?: string } = {}): Promise<TestContext> {
  const testDb = await createTestDb(opts.sqliteFile ? { sqliteFile: opts.sqliteFile } : {});
  const clock = new ManualClock('2026-03-10T09:00:00.000Z');
  const gateway = new SimulatedGateway(testDb.db, clock);
  const mailer = createMailer({ db: testDb.db, clock });
  const deps: Deps = { config: testConfig(opts.config), db: testDb.db, clock, gateway, mailer };
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    clock,
    gateway,
    testDb,
    agent: (remoteAddress) => new Agent(app, remoteAddress),
    async close() {
      await app.close();
      await testDb.drop();
    },
  };
}
