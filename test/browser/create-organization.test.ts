import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newUser } from '../support/builders.ts';
import { browserSuite, expectAccessible, fillCard, newContext, withAndWithoutJs, type BrowserTestServer, logIn } from '../support/browser.ts';

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

describe.each(withAndWithoutJs)('creating an organization %s (R3.3–R3.7)', (_label, js) => {
  it('a declined card keeps the form and creates nothing; a good card lands on the overview', async () => {
    const user = await newUser(server, { name: `Creator ${js ? 'JS' : 'NoJS'}` });
    const context = await newContext(browser, js);
    const page = await context.newPage();
    try {
      await logIn(server, page, user.email, user.password);
      // From the Sandbox page's button (R3.3).
      await page.getByRole('link', { name: 'Create Organization' }).first().click();
      await page.waitForURL(`${server.url}/orgs/new`);
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Select Plan Professional' }).click();
      await expect.poll(() => page.getByRole('button', { name: 'Select Plan Professional (selected)' }).count()).toBe(1);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(`${server.url}/orgs/new/details`);
      expect(await page.getByLabel('Billing Email Address').inputValue()).toBe(user.email);

      const orgName = `Browser Org ${js ? 'JS' : 'NoJS'}`;
      await page.getByLabel('Name', { exact: true }).fill(orgName);
      await page.getByLabel('Description').fill('Made in a real browser');
      // Clicking the icon changes its color (htmx, or a plain submit without JS).
      const before = await page.getByLabel('Icon Color', { exact: true }).inputValue();
      await page.getByRole('button', { name: /Change icon color/ }).click();
      await expect.poll(() => page.getByLabel('Icon Color', { exact: true }).inputValue()).not.toBe(before);
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(orgName);
      await expectAccessible(page);

      await fillCard(page, '4000 0000 0000 0002');
      await page.getByRole('button', { name: 'Create Organization' }).click();
      await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).count()).toBe(1);
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(orgName);
      expect(await page.getByLabel('Description').inputValue()).toBe('Made in a real browser');
      expect(await server.knex('organizations').where({ name: orgName }).count({ n: '*' }).first()).toMatchObject({ n: 0 });
      await expectAccessible(page);

      await fillCard(page, '4242 4242 4242 4242');
      await page.getByRole('button', { name: 'Create Organization' }).click();
      await page.waitForURL(/\/orgs\/[a-z0-9]{8}$/);
      await expect.poll(() => page.getByRole('heading', { name: orgName, level: 1 }).count()).toBe(1);
      await expect.poll(() => page.getByText('Next steps').count()).toBe(1);
      await expectAccessible(page);

      // The header dropdown lists it now.
      const orgMenu = page.locator('details[data-menu="organizations"]');
      await orgMenu.locator('summary').click();
      await expect.poll(() => orgMenu.getByRole('link', { name: orgName }).isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });
});
