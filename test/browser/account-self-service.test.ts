import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mailsTo } from '../../src/modules/mail/queries.ts';
import { insertApplication, insertDevice, newUser, sandboxOf } from '../support/builders.ts';
import { browserSuite, logIn, newContext, PHONE, withAndWithoutJs, type BrowserTestServer } from '../support/browser.ts';

/** R1.4 account self-service and R1.5 local time, on a phone, with JavaScript on and off. */

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

async function mailedLink(to: string, kind: string): Promise<string> {
  await expect.poll(async () => (await mailsTo(server.deps.db, to, { kind })).length, { timeout: 5_000 }).toBeGreaterThan(0);
  const mail = (await mailsTo(server.deps.db, to, { kind })).at(-1)!;
  return new URL(/https?:\/\/\S+/.exec(mail.text)![0]).pathname;
}

const success = (page: Page, text: string) => page.locator('.flash:not(.flash-error)').filter({ hasText: text });

describe.each(withAndWithoutJs)('account self-service %s (R1.4)', (_label, js) => {
  it('Forgot password? emails a link that sets a new password once and signs out every session', async () => {
    const user = await newUser(server, { name: `Forgetful ${js}` });
    const elsewhere = await newContext(browser, js, PHONE);
    const other = await elsewhere.newPage();
    await logIn(server, other, user.email, user.password);
    const context = await newContext(browser, js, PHONE);
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/login`);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.getByLabel('Email').fill(user.email);
      await page.getByRole('button', { name: 'Email me a link' }).click();
      await expect.poll(() => success(page, 'If an account uses').count()).toBe(1);
      const link = await mailedLink(user.email, 'password_reset');
      await page.goto(`${server.url}${link}`);
      await page.getByLabel('New password', { exact: true }).fill('short');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await expect.poll(() => page.getByText('Use at least 10 characters').count()).toBe(1);
      await page.getByLabel('New password', { exact: true }).fill('a fresh passphrase');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.waitForURL(`${server.url}/login`);
      await expect.poll(() => success(page, 'Your new password is set').count()).toBe(1);
      // The other browser was signed out.
      await other.goto(`${server.url}/sandbox`);
      expect(new URL(other.url()).pathname).toBe('/login');
      // The link worked once.
      expect((await page.goto(`${server.url}${link}`))!.status()).toBe(410);
      await logIn(server, page, user.email, 'a fresh passphrase');
    } finally {
      await context.close();
      await elsewhere.close();
    }
  });

  it('the account page changes the name, the email (confirmed by a link) and the password, and signs out other sessions', async () => {
    const user = await newUser(server, { name: `Keeper ${js}` });
    const elsewhere = await newContext(browser, js, PHONE);
    await logIn(server, await elsewhere.newPage(), user.email, user.password);
    const context = await newContext(browser, js, PHONE);
    const page = await context.newPage();
    try {
      await logIn(server, page, user.email, user.password);
      await page.locator('details[data-menu="user"] summary').click();
      await page.getByRole('link', { name: 'Account' }).click();
      await page.waitForURL(`${server.url}/account`);
      expect(await page.locator('.session-list li').count()).toBe(2);

      await page.getByLabel('Name', { exact: true }).fill(`Renamed ${js}`);
      await page.getByRole('button', { name: 'Save profile' }).click();
      await expect.poll(() => success(page, 'Profile saved.').count()).toBe(1);
      expect(await page.locator('.user-name').textContent()).toBe(`Renamed ${js}`);

      const newEmail = `renamed-${js ? 'on' : 'off'}@example.com`;
      await page.getByLabel('New email address').fill(newEmail);
      await page.locator('#email-password').fill('wrong password');
      await page.getByRole('button', { name: 'Change email' }).click();
      await expect.poll(() => page.getByText('Your current password is not correct.').count()).toBe(1);
      await page.locator('#email-password').fill(user.password);
      await page.getByRole('button', { name: 'Change email' }).click();
      await expect.poll(() => success(page, `We sent a confirmation link to ${newEmail}`).count()).toBe(1);
      await page.goto(`${server.url}${await mailedLink(newEmail, 'email_change')}`);
      await page.getByRole('button', { name: 'Confirm email address' }).click();
      await page.waitForURL(`${server.url}/account`);
      await expect.poll(() => success(page, `Your email address is now ${newEmail}`).count()).toBe(1);

      await page.getByRole('button', { name: 'Sign out other sessions' }).click();
      await expect.poll(() => success(page, 'Signed out of 1 other session.').count()).toBe(1);
      await expect.poll(() => page.locator('.session-list li').count()).toBe(1);

      await page.locator('#password-current').fill(user.password);
      await page.locator('#password-new').fill('a newer passphrase');
      await page.getByRole('button', { name: 'Change password' }).click();
      // Two argon2 hashes (the current password checked, the new one made): on a busy machine longer than poll's 1 s default.
      await expect.poll(() => success(page, 'Password changed.').count(), { timeout: 10_000 }).toBe(1);
      await page.locator('details[data-menu="user"] summary').click();
      await page.getByRole('button', { name: 'Log out' }).click();
      await logIn(server, page, newEmail, 'a newer passphrase');
    } finally {
      await context.close();
      await elsewhere.close();
    }
  });
});

describe('local time (R1.5)', () => {
  it.each([
    ['with JavaScript the browser\'s zone is kept at sign-up', true, 'Asia/Tokyo'],
    ['without JavaScript the account reads in UTC', false, 'UTC'],
  ] as const)('%s', async (_label, js, stored) => {
    const context = await browser.newContext({ javaScriptEnabled: js, viewport: PHONE, timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    const email = `zone-${js ? 'on' : 'off'}@example.com`;
    try {
      await page.goto(`${server.url}/signup`);
      await page.getByLabel('Name').fill('Zoe Zone');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('a good long password');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL(`${server.url}/sandbox`);
      expect((await server.knex('users').where({ email }).first()).time_zone).toBe(stored);
    } finally {
      await context.close();
    }
  });

  it('every time shown is in the user\'s zone with the zone named, and follows a change on the account page', async () => {
    const user = await newUser(server, { name: 'Tom Tokyo' });
    const appId = await insertApplication(server, sandboxOf(user), 'Clock app');
    const deviceId = await insertDevice(server, appId, 'Clock');
    // Seen at 23:30 UTC: the next day in Tokyo (+9).
    await server.knex('devices').where({ id: deviceId }).update({ last_seen_at: Date.parse('2026-03-09T23:30:00Z'), last_state_json: '{"t":1}' });
    const context = await newContext(browser, true, PHONE);
    const page = await context.newPage();
    try {
      await logIn(server, page, user.email, user.password);
      await page.goto(`${server.url}/applications/${appId}`);
      await expect.poll(() => page.getByText('Mar 9, 2026, 23:30 UTC').count()).toBe(1);
      await page.goto(`${server.url}/account`);
      await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
      await page.getByRole('button', { name: 'Save profile' }).click();
      await expect.poll(() => success(page, 'Dates and times are shown in Asia/Tokyo.').count()).toBe(1);
      await page.goto(`${server.url}/applications/${appId}`);
      await expect.poll(() => page.getByText('Mar 10, 2026, 08:30 GMT+9').count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
