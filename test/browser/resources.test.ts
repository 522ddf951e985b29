import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newOrg, newUser } from '../support/builders.ts';
import { browserSuite, expectAccessible, newContext, withAndWithoutJs, type BrowserTestServer, logIn } from '../support/browser.ts';

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

describe.each(withAndWithoutJs)('an application from device to dashboard %s (R5.1, R5.2, R5.4, R8.1)', (_label, js) => {
  it('creates an application, a device and a key, receives state, shows it publicly, and moves to an organization', async () => {
    const suffix = js ? 'js' : 'nojs';
    const user = await newUser(server, { name: `Maker ${suffix}` });
    const org = await newOrg(server, { owner: user, name: `Makers Org ${suffix}` });
    const context = await newContext(browser, js);
    const page = await context.newPage();
    try {
      await logIn(server, page, user.email, user.password);
      await page.getByRole('link', { name: 'New application' }).click();
      await page.waitForURL(/\/applications\/new/);
      await page.getByLabel('Owner').selectOption({ label: 'Your Sandbox' });
      await page.getByLabel('Name', { exact: true }).fill(`Weather ${suffix}`);
      await page.getByRole('button', { name: 'Create application' }).click();
      await page.waitForURL(/\/applications\/\d+$/);
      const appId = Number(new URL(page.url()).pathname.split('/').pop());
      await expectAccessible(page);

      await page.getByLabel('Device name').fill('Rooftop');
      await page.getByRole('button', { name: 'Add device' }).click();
      await expect.poll(() => page.getByText('Device Rooftop added.', { exact: false }).count()).toBe(1);
      await page.getByLabel('Key name').fill('Gateway');
      await page.getByRole('button', { name: 'Create access key' }).click();
      await expect.poll(() => page.locator('code.secret').count()).toBe(1);
      const secret = (await page.locator('code.secret').textContent())!.trim();
      const keyId = (await page.locator('.secret-box dd code').first().textContent())!.trim();
      await expectAccessible(page);
      const deviceId = Number((await server.knex('devices').where({ application_id: appId }).first()).id);

      // What a device would send (curl-equivalent), over the real socket.
      const res = await fetch(`${server.url}/api/applications/${appId}/devices/${deviceId}/state`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keyId}:${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ data: { wind: 12 } }, { data: { wind: 14, rain: 0 } }]),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ success: true, accepted: 2 });
      await page.goto(`${server.url}/applications/${appId}`);
      await expect.poll(() => page.getByText('"wind":14', { exact: false }).count()).toBe(1);

      // A public dashboard with the device's latest state.
      await page.goto(`${server.url}/dashboards/new`);
      await page.getByLabel('Owner').selectOption({ label: 'Your Sandbox' });
      await page.getByLabel('Name').fill(`Roof board ${suffix}`);
      await page.getByRole('button', { name: 'Create dashboard' }).click();
      await page.waitForURL(/\/dashboards\/\d+$/);
      await page.getByLabel('Block type').selectOption({ label: 'Device state' });
      await page.getByLabel('Application').selectOption({ label: `Weather ${suffix}` });
      await page.getByLabel('Device', { exact: true }).selectOption({ label: 'Rooftop' });
      await page.getByRole('button', { name: 'Add block' }).click();
      await expect.poll(() => page.getByRole('row', { name: 'wind 14' }).count()).toBe(1);
      await page.getByLabel('Public', { exact: true }).check();
      await page.getByRole('button', { name: 'Save sharing' }).click();
      await expect.poll(() => page.getByLabel('Share link').count()).toBe(1);
      const sharePath = new URL(await page.getByLabel('Share link').inputValue()).pathname;
      const visitorContext = await newContext(browser, js);
      const visitor = await visitorContext.newPage();
      await visitor.goto(`${server.url}${sharePath}`);
      await expect.poll(() => visitor.getByRole('row', { name: 'wind 14' }).count()).toBe(1);
      await visitorContext.close();

      // Transfer the application to the organization: it arrives with its data.
      await page.goto(`${server.url}/applications/${appId}/transfer`);
      await page.getByLabel('Move to').selectOption({ label: `Makers Org ${suffix} (Starter)` });
      await page.getByRole('button', { name: 'Transfer application' }).click();
      await expect.poll(() => page.getByText(`now belongs to Makers Org ${suffix}`, { exact: false }).count()).toBe(1);
      await page.goto(`${server.url}/orgs/${org.slug}`);
      await expect.poll(() => page.getByRole('link', { name: `Weather ${suffix}` }).count()).toBe(1);
      await page.getByRole('link', { name: `Weather ${suffix}` }).click();
      await expect.poll(() => page.getByText('"wind":14', { exact: false }).count()).toBe(1);
      expect(await server.knex('payloads').where({ application_id: appId }).count({ n: '*' }).first()).toMatchObject({ n: 2 });
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  });
});
