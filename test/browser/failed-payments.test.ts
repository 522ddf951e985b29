import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createAccessKey } from '../../src/modules/applications/manage-access-keys.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { newOrg, newUser } from '../support/builders.ts';
import { browserSuite, expectAccessible, fillCard, newContext, withAndWithoutJs, type BrowserTestServer, logIn } from '../support/browser.ts';

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

describe.each(withAndWithoutJs)('a failed payment %s (R9.7, R9.8, R9.10)', (_label, js) => {
  it('Past Due shows the bar to members only, Unpaid pauses everything, a new card reactivates', async () => {
    const suffix = js ? 'js' : 'nojs';
    server.clock.set('2026-06-01T00:00:00Z');
    const admin = await newUser(server, { name: `Payer ${suffix}` });
    const org = await newOrg(server, { owner: admin, plan: 'starter', name: `Dunning ${suffix}` });
    const now = server.clock.now().getTime();
    const [appRow] = await server.knex('applications').insert({ owner_type: 'organization', owner_id: org.id, name: `Fleet ${suffix}`, description: '', created_at: now }).returning('id');
    const appId = Number(typeof appRow === 'object' ? appRow.id : appRow);
    const [devRow] = await server.knex('devices').insert({ application_id: appId, name: 'Sensor', created_at: now }).returning('id');
    const deviceId = Number(typeof devRow === 'object' ? devRow.id : devRow);
    const key = await createAccessKey(server.deps.db, server.clock, appId, 'bench');
    const dashboards: Record<string, { id: number; token: string }> = {};
    for (const visibility of ['private', 'public'] as const) {
      const token = randomBytes(32).toString('base64url');
      const [row] = await server.knex('dashboards').insert({ owner_type: 'organization', owner_id: org.id, name: `${visibility} board ${suffix}`, description: '', visibility, share_token: token, created_at: now }).returning('id');
      dashboards[visibility] = { id: Number(typeof row === 'object' ? row.id : row), token };
    }
    const postState = () =>
      server.app.inject({ method: 'POST', url: `/api/applications/${appId}/devices/${deviceId}/state`, headers: { authorization: `Bearer ${key.keyId}:${key.secret}`, 'content-type': 'application/json' }, payload: { data: { t: 1 } } });

    const context = await newContext(browser, js);
    const visitor = await newContext(browser, js);
    const page = await context.newPage();
    const outsider = await visitor.newPage();
    try {
      await logIn(server, page, admin.email, admin.password);
      // A card that saves but fails when charged.
      await page.goto(`${server.url}/orgs/${org.slug}/settings/payment-method`);
      await fillCard(page, '4000 0000 0000 0341');
      await page.getByRole('button', { name: 'Save card' }).click();
      await expect.poll(() => page.getByText('ending in 0341 is now the card on file').count()).toBe(1);

      // The period ends; the renewal charge fails: Past Due.
      server.clock.set('2026-07-01T00:00:00Z');
      await runPass(jobs, server.deps, server.clock.now());
      for (const path of [`/orgs/${org.slug}`, `/applications/${appId}`, `/dashboards/${dashboards.private!.id}`]) {
        await page.goto(`${server.url}${path}`);
        await expect.poll(() => page.getByText(`Dunning ${suffix} is Past Due`).count(), { message: path }).toBe(1);
      }
      await expectAccessible(page);
      await outsider.goto(`${server.url}/d/${dashboards.public!.token}`);
      expect(await outsider.getByText('is Past Due').count()).toBe(0);
      expect((await postState()).statusCode).toBe(202);

      // Day 28 without success: Unpaid.
      for (const day of [7, 14, 21, 28]) {
        server.clock.set(new Date(Date.parse('2026-07-01T00:00:00Z') + day * 86_400_000));
        await runPass(jobs, server.deps, server.clock.now());
      }
      expect((await server.knex('billing_accounts').where({ organization_id: org.id }).first()).status).toBe('unpaid');
      expect((await postState()).statusCode).toBe(402);
      await outsider.goto(`${server.url}/d/${dashboards.public!.token}`);
      await expect.poll(() => outsider.getByText('unavailable', { exact: false }).count()).toBeGreaterThan(0);
      await page.goto(`${server.url}/applications/${appId}`);
      await expect.poll(() => page.getByRole('heading', { name: `Fleet ${suffix} is paused` }).count()).toBe(1);

      // A good card pays everything and reactivates.
      await page.goto(`${server.url}/orgs/${org.slug}/settings/payment-method`);
      await fillCard(page, '4242 4242 4242 4242');
      await page.getByRole('button', { name: 'Save card' }).click();
      await expect.poll(() => page.getByText(`is active again`, { exact: false }).count()).toBe(1);
      expect(await server.knex('invoices').where({ organization_id: org.id, status: 'open' })).toHaveLength(0);
      expect((await postState()).statusCode).toBe(202);
      await page.goto(`${server.url}/orgs/${org.slug}/settings/invoices`);
      await expectAccessible(page);
      await outsider.goto(`${server.url}/d/${dashboards.public!.token}`);
      expect(await outsider.getByText('unavailable', { exact: false }).count()).toBe(0);
    } finally {
      await context.close();
      await visitor.close();
    }
  });
});
