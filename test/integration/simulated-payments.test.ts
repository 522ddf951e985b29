import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser, signedIn } from '../support/builders.ts';

/**
 * R13.6 (item 8): in production the simulated gateway runs only when
 * PAYMENTS=simulated says so, and then every payment page says that no card
 * is really charged.
 */

const NOTICE = 'No card is really charged';

describe('a production server with PAYMENTS=simulated', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await startTestApp({ config: { isProduction: true, nodeEnv: 'production', payments: 'simulated' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('says on every payment page that no card is really charged', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, name: 'Demo Org' });
    const agent = await signedIn(t, admin);
    await agent.post('/orgs/new/plan', { plan: 'starter' });
    const pages = [
      '/orgs/new',
      '/orgs/new/details',
      `/orgs/${org.slug}/settings/payment-method`,
      `/orgs/${org.slug}/settings/billing-plan`,
      `/orgs/${org.slug}/settings/billing-plan/change?plan=${(await t.knex('plans').where({ code: 'business' }).first()).id}`,
      `/orgs/${org.slug}/settings/invoices`,
      `/orgs/${org.slug}/settings/delete`,
    ];
    for (const page of pages) {
      const res = await agent.get(page);
      expect(res.statusCode, page).toBe(200);
      expect(res.body, page).toContain(NOTICE);
    }
  });
});

describe('outside production', () => {
  it('the development default says nothing of the kind (the README explains the test cards)', async () => {
    const t = await startTestApp();
    try {
      const agent = await signedIn(t, await newUser(t));
      expect((await agent.get('/orgs/new')).body).not.toContain(NOTICE);
    } finally {
      await t.close();
    }
  });
});

describe('starting a production server', () => {
  it('without STRIPE_SECRET_KEY or PAYMENTS=simulated, refuses to start and says why', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PORT: '4139', HOST: '127.0.0.1', SQLITE_FILE: ':memory:' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/PAYMENTS: production needs STRIPE_SECRET_KEY for real payments; to run it with the simulated gateway \(no card is really charged\), set PAYMENTS=simulated/);
  }, 30_000);
});
