import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, expectAccessible, newContext, withAndWithoutJs, type BrowserTestServer } from '../support/browser.ts';

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

describe.each(withAndWithoutJs)('account journey %s (R1.1, R1.3)', (_label, js) => {
  it('signs up, logs out, logs in and uses the header menus', async () => {
    const context = await newContext(browser, js);
    const page = await context.newPage();
    const email = `journey-${js ? 'js' : 'nojs'}@example.com`;
    try {
      await page.goto(`${server.url}/signup`);
      await expectAccessible(page);

      // A mistake first: the form comes back with the message and the values kept.
      await page.getByLabel('Name').fill('Margaret Hamilton');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await expect.poll(() => page.getByText('Use at least 10 characters for your password.').count()).toBe(1);
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Margaret Hamilton');
      await expectAccessible(page);

      await page.getByLabel('Password').fill('apollo guidance computer');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL(`${server.url}/sandbox`);
      await expect.poll(() => page.getByRole('heading', { name: 'Sandbox', level: 1 }).count()).toBe(1);
      await expectAccessible(page);

      // The user's menu, top right, holds Organizations, Sandbox and Log out.
      const userMenu = page.locator('details[data-menu="user"]');
      await userMenu.locator('summary').click();
      await expect.poll(() => userMenu.getByText('Margaret Hamilton').isVisible()).toBe(true);
      expect(await userMenu.getByRole('link', { name: 'Organizations' }).isVisible()).toBe(true);
      expect(await userMenu.getByRole('link', { name: 'Sandbox' }).isVisible()).toBe(true);
      await userMenu.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${server.url}/login`);
      await expect.poll(() => page.getByText('You are logged out.').count()).toBe(1);
      await expectAccessible(page);

      // Wrong password, then the right one.
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect.poll(() => page.getByText('Email or password is incorrect.').count()).toBe(1);
      expect(await page.getByLabel('Email').inputValue()).toBe(email);
      await page.getByLabel('Password').fill('apollo guidance computer');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${server.url}/sandbox`);

      // The Organizations dropdown lists organizations and links to Create Organization.
      const orgMenu = page.locator('details[data-menu="organizations"]');
      await orgMenu.locator('summary').click();
      await expect.poll(() => orgMenu.getByRole('link', { name: 'Create Organization' }).isVisible()).toBe(true);
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  });
});
