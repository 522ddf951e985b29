import losant from 'losant-rest';
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newUser } from '../support/builders.ts';
import { browserSuite, expectAccessible, logIn, newContext, PHONE, withAndWithoutJs, type BrowserTestServer } from '../support/browser.ts';

/** R1.4, R16.2: a personal API token made and revoked on the account page, on a phone, with JavaScript on and off; it works with losant-rest until revoked. */

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

describe.each(withAndWithoutJs)('API tokens on the account page %s (R16.2)', (_label, js) => {
  it('makes a token shown once, usable with losant-rest, and revokes it after a confirmation', async () => {
    const user = await newUser(server, { name: `Scripter ${js}` });
    const context = await newContext(browser, js, PHONE);
    const page = await context.newPage();
    try {
      await logIn(server, page, user.email, user.password);
      await page.goto(`${server.url}/account#api-tokens`);
      await page.getByLabel('Token name').fill(`Deploys ${js}`);
      await page.getByLabel('Everything you can do (all.User)').check();
      await page.getByRole('button', { name: 'Make token' }).click();
      const field = page.getByLabel('Your new token');
      await expect.poll(() => field.count()).toBe(1);
      const token = await field.inputValue();
      expect(token).toMatch(/^opl_/);
      if (js) expect(await page.getByRole('button', { name: 'Copy token' }).isVisible()).toBe(true);
      await expectAccessible(page);

      const client = losant.createClient({ url: `${server.url}/api`, accessToken: token });
      expect((await client.me.get()).email).toBe(user.email);

      await page.goto(`${server.url}/account`);
      expect(await page.getByLabel('Your new token').count()).toBe(0);
      await page.getByRole('link', { name: `Revoke Deploys ${js}` }).click();
      await expect.poll(() => page.getByRole('heading', { name: `Revoke the API token Deploys ${js}?` }).count()).toBe(1);
      await page.getByRole('button', { name: 'Revoke token' }).click();
      await expect.poll(() => page.locator('.flash:not(.flash-error)').filter({ hasText: `API token Deploys ${js} revoked` }).count()).toBe(1);
      const refused = await client.me.get().then(
        () => null,
        (err: { statusCode?: number }) => err.statusCode,
      );
      expect(refused).toBe(401);
    } finally {
      await context.close();
    }
  });
});
