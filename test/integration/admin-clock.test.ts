import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OffsetClock, systemClock } from '../../src/clock.ts';
import { setPlatformAdmin } from '../../src/modules/accounts/queries.ts';
import { readClockOffset } from '../../src/modules/admin/queries/clock-offset.ts';
import { findBillingAccount } from '../../src/modules/owners/queries/billing-accounts.ts';
import { createRuntimeDeps } from '../../src/runtime.ts';
import { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';
import { testConfig } from '../support/config.ts';

const DAY = 86_400_000;

/**
 * The whole application on the demo clock (R11.3): an OffsetClock over a
 * manual base, so "real time" stands still and only the stored offset moves it.
 */
let t: TestContext;
let offsetClock: OffsetClock;
let admin: TestUser;
let adminAgent: Agent;
beforeAll(async () => {
  t = await startTestApp({
    appClock: async (db, base) => {
      offsetClock = new OffsetClock(() => readClockOffset(db), base);
      await offsetClock.refresh();
      return offsetClock;
    },
  });
  admin = await newUser(t, { name: 'Clara Clock' });
  await setPlatformAdmin(t.deps.db, admin.id, true);
  adminAgent = await signedIn(t, admin);
});
afterAll(async () => {
  offsetClock?.stop();
  await t?.close();
});

describe('the demo clock (R11.3)', () => {
  it('moves forward after a confirmation; every part of the program sees it, the scheduler included', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Time Travel Co' });
    const periodEnd = (await findBillingAccount(t.deps.db, org.id))!.currentPeriodEnd;

    const page = await adminAgent.get('/admin/clock');
    expect(page.body).toContain('Mar 10, 2026, 09:00:00 UTC');
    expect(page.body).toMatch(/data-testid="clock-offset">none</);

    const review = await adminAgent.post('/admin/clock/shifts', { mode: 'by', amount: '40', unit: 'days' });
    expect(review.statusCode).toBe(200);
    expect(review.body).toContain('Move the application clock forward by 40 days?');
    expect(review.body).toContain('Apr 19, 2026, 09:00:00 UTC');
    expect(await readClockOffset(t.deps.db)).toBe(0);
    expect(t.deps.clock.now().toISOString()).toBe('2026-03-10T09:00:00.000Z');

    const fields = Object.fromEntries([...review.body.matchAll(/<input type="hidden" name="(mode|instant|confirm)" value="([^"]+)">/g)].map((m) => [m[1]!, m[2]!]));
    const done = await adminAgent.post('/admin/clock/shifts', fields);
    expect(done.statusCode).toBe(303);
    expect(await readClockOffset(t.deps.db)).toBe(40 * DAY);
    // This instance at once…
    expect(t.deps.clock.now().toISOString()).toBe('2026-04-19T09:00:00.000Z');
    // …and another instance on the same database after its refresh.
    const otherInstance = new OffsetClock(() => readClockOffset(t.deps.db), t.clock);
    await otherInstance.refresh();
    expect(otherInstance.now().toISOString()).toBe('2026-04-19T09:00:00.000Z');

    expect((await adminAgent.get('/admin/clock')).body).toContain('The application clock moved forward by 40 days, to Apr 19, 2026, 09:00:00 UTC.');
    const home = await adminAgent.get('/admin');
    expect(home.body).toContain('Apr 19, 2026, 09:00:00 UTC');
    expect(home.body).toContain('shifted +40 days');

    // The scheduler pass runs at the shifted time: the period that ended is invoiced.
    expect(periodEnd.getTime()).toBeLessThan(t.deps.clock.now().getTime());
    expect((await adminAgent.post('/admin/scheduler/passes')).statusCode).toBe(303);
    expect(await t.knex('invoices').where({ organization_id: org.id, kind: 'renewal' }).count({ n: '*' }).first()).toMatchObject({ n: 1 });

    const [event] = await t.knex('admin_events').where({ action: 'clock.shifted' });
    expect(event).toMatchObject({ actor_user_id: admin.id });
    expect(JSON.parse(event.before_json)).toEqual({ applicationTime: '2026-03-10T09:00:00.000Z', offsetMs: 0 });
    expect(JSON.parse(event.after_json)).toEqual({ applicationTime: '2026-04-19T09:00:00.000Z', offsetMs: 40 * DAY });
  });

  it('moves to an instant, never backwards and never absurdly far; bad input is a 422 that changes nothing', async () => {
    const before = await readClockOffset(t.deps.db);
    const now = t.deps.clock.now();
    const target = new Date(now.getTime() + DAY + 90 * 60_000).toISOString().slice(0, 16);
    const to = await adminAgent.post('/admin/clock/shifts', { mode: 'to', instant: target });
    expect(to.statusCode).toBe(200);
    // Under a day only, minutes are worth naming.
    expect(to.body).toContain('Move the application clock forward by 1 day 1 hour?');
    const bads: Record<string, string>[] = [
      { mode: 'to', instant: '2026-03-01T00:00' },
      { mode: 'to', instant: now.toISOString() },
      { mode: 'to', instant: 'tomorrow' },
      { mode: 'to', instant: '2026-02-30T00:00' },
      { mode: 'by', amount: '0', unit: 'days' },
      { mode: 'by', amount: '-3', unit: 'hours' },
      { mode: 'by', amount: '3000', unit: 'days' },
      { mode: 'by', amount: '2', unit: 'weeks' },
      { mode: 'sideways' },
    ];
    for (const bad of bads) {
      const res = await adminAgent.post('/admin/clock/shifts', { ...bad, confirm: 'yes' });
      expect(res.statusCode, JSON.stringify(bad)).toBe(422);
    }
    const past = await adminAgent.post('/admin/clock/shifts', { mode: 'to', instant: '2026-03-01T00:00', confirm: 'yes' });
    expect(past.body).toContain('The clock only moves forward');
    expect(await readClockOffset(t.deps.db)).toBe(before);
    expect(t.deps.clock.now().getTime()).toBe(now.getTime());

    const hours = await adminAgent.post('/admin/clock/shifts', { mode: 'by', amount: '5', unit: 'hours', confirm: 'yes' });
    expect(hours.statusCode).toBe(303);
    expect(t.deps.clock.now().getTime()).toBe(now.getTime() + 5 * 3_600_000);
  });
});

describe('in production (NODE_ENV=production)', () => {
  it('has no clock control: the routes do not exist, the header does not offer it', async () => {
    const prod = await startTestApp({ config: { isProduction: true, nodeEnv: 'production' } });
    try {
      const boss = await newUser(prod, { name: 'Prod Admin' });
      await setPlatformAdmin(prod.deps.db, boss.id, true);
      const agent = await signedIn(prod, boss);
      const home = await agent.get('/admin');
      expect(home.statusCode).toBe(200);
      expect(home.body).not.toContain('href="/admin/clock"');
      expect((await agent.get('/admin/clock')).statusCode).toBe(404);
      expect((await agent.post('/admin/clock/shifts', { mode: 'by', amount: '1', unit: 'days', confirm: 'yes' })).statusCode).toBe(404);
      expect(prod.app.routeList.filter((r) => r.url.startsWith('/admin/clock'))).toEqual([]);
      expect(await readClockOffset(prod.deps.db)).toBe(0);
    } finally {
      await prod.close();
    }
  });

  it('ignores a stored offset: the runtime clock is the system clock; outside production it applies the offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgplane-clock-'));
    const sqliteFile = join(dir, 'clock.sqlite');
    try {
      const dev = await createRuntimeDeps({ config: testConfig({ sqliteFile }) });
      expect(dev.clock).toBeInstanceOf(OffsetClock);
      await dev.db.run('UPDATE clock_offset SET offset_ms = ? WHERE id = 1', [3 * DAY]);
      await (dev.clock as OffsetClock).refresh();
      expect((dev.clock as OffsetClock).offsetMs).toBe(3 * DAY);
      (dev.clock as OffsetClock).stop();
      await dev.db.close();

      const production = await createRuntimeDeps({ config: testConfig({ sqliteFile, isProduction: true, nodeEnv: 'production' }) });
      expect(production.clock).toBe(systemClock);
      expect(await readClockOffset(production.db)).toBe(3 * DAY);
      await production.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
