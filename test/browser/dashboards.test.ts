import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newUser } from '../support/builders.ts';
import { browserSuite, expectAccessible, newContext, withAndWithoutJs, type BrowserTestServer, logIn } from '../support/browser.ts';

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

/** An application with one device whose latest state is already stored (written directly, as the device API would). */
async function applicationWithDevice(userId: number, suffix: string) {
  const now = server.clock.now().getTime();
  const [app] = await server.knex('applications')
    .insert({ owner_type: 'user', owner_id: userId, name: `Greenhouse ${suffix}`, description: '', created_at: now })
    .returning('id');
  const applicationId = Number(typeof app === 'object' ? app.id : app);
  await server.knex('devices').insert({
    application_id: applicationId,
    name: `Thermostat ${suffix}`,
    last_state_json: JSON.stringify({ temperature: 21.5, humidity: 64 }),
    last_seen_at: now - 60_000,
    created_at: now,
  });
  // Two days of payloads for the chart (R8.2 keeps them per UTC day).
  const today = Math.floor(now / 86_400_000) * 86_400_000;
  await server.knex('usage_daily').insert([
    { owner_type: 'user', owner_id: userId, application_id: applicationId, day: today, payloads: 40 },
    { owner_type: 'user', owner_id: userId, application_id: applicationId, day: today - 86_400_000, payloads: 25 },
  ]);
}

const SHARED_PASSWORD = 'Tomatoes-Grow-42';

describe.each(withAndWithoutJs)('a Sandbox dashboard %s (R5.2)', (_label, js) => {
  it('is created with a device-state block, shared publicly, then protected by a password and unlocked', async () => {
    const suffix = js ? 'js' : 'nojs';
    const owner = await newUser(server, { name: `Dana ${suffix}` });
    await applicationWithDevice(owner.id, suffix);
    const ownerContext = await newContext(browser, js);
    const page = await ownerContext.newPage();
    try {
      await logIn(server, page, owner.email, owner.password);
      await page.goto(`${server.url}/dashboards/new`);
      await expectAccessible(page);
      await page.getByLabel('Name').fill(`Greenhouse board ${suffix}`);
      await page.getByLabel('Description').fill('Inside temperatures');
      await page.getByRole('button', { name: 'Create dashboard' }).click();
      await page.waitForURL(/\/dashboards\/\d+$/);
      await expect.poll(() => page.getByRole('heading', { name: `Greenhouse board ${suffix}`, level: 1 }).count()).toBe(1);
      const dashboardUrl = page.url();

      // A device-state block.
      await page.getByLabel('Block type').selectOption({ label: 'Device state' });
      await page.getByLabel('Application').selectOption({ label: `Greenhouse ${suffix}` });
      await page.getByLabel('Device', { exact: true }).selectOption({ label: `Thermostat ${suffix}` });
      await page.getByRole('button', { name: 'Add block' }).click();
      await expect.poll(() => page.getByText('Block added.').count()).toBe(1);
      const block = page.getByRole('region', { name: `Thermostat ${suffix} · Greenhouse ${suffix}` });
      await expect.poll(() => block.getByRole('row', { name: 'temperature 21.5' }).count()).toBe(1);
      expect(await block.getByRole('row', { name: 'humidity 64' }).count()).toBe(1);

      // A payloads-over-time chart: an image with a summary, and the numbers as a table.
      await page.getByLabel('Block type').selectOption({ label: 'Payloads over time' });
      await page.getByLabel('Application').selectOption({ label: `Greenhouse ${suffix}` });
      await page.getByRole('button', { name: 'Add block' }).click();
      await expect.poll(() => page.getByRole('img', { name: /65 in total/ }).count()).toBe(1);
      await expectAccessible(page);

      // Public: anyone with the link, logged out.
      await page.getByLabel('Public', { exact: true }).check();
      await page.getByRole('button', { name: 'Save sharing' }).click();
      await expect.poll(() => page.getByText('The dashboard is public: anyone with the share link can see it.').count()).toBe(1);
      const shareLink = await page.getByLabel('Share link').inputValue();
      const sharePath = new URL(shareLink).pathname;
      expect(sharePath).toMatch(/^\/d\/[A-Za-z0-9_-]{43}$/);

      const visitorContext = await newContext(browser, js);
      try {
        const visitor = await visitorContext.newPage();
        await visitor.goto(`${server.url}${sharePath}`);
        await expect.poll(() => visitor.getByRole('heading', { name: `Greenhouse board ${suffix}`, level: 1 }).count()).toBe(1);
        expect(await visitor.getByRole('row', { name: 'temperature 21.5' }).count()).toBe(1);
        expect(await visitor.getByRole('img', { name: /65 in total/ }).count()).toBe(1);
        expect(await visitor.getByRole('button', { name: /Remove block/ }).count()).toBe(0);
        expect(await visitor.getByRole('link', { name: 'Log in' }).count()).toBe(1);
        await expectAccessible(visitor);
      } finally {
        await visitorContext.close();
      }

      // Password-protected: a weak password is refused with what it lacks, then a good one.
      await page.goto(dashboardUrl);
      await page.getByLabel('Password-protected', { exact: true }).check();
      await page.getByLabel('Shared password').fill('tomatoes');
      await page.getByRole('button', { name: 'Save sharing' }).click();
      await expect.poll(() => page.getByText(/The shared password needs at least 12 characters, an upper-case letter, a digit and a symbol/).count()).toBe(1);
      await expectAccessible(page);
      await page.getByLabel('Password-protected', { exact: true }).check();
      await page.getByLabel('Shared password').fill(SHARED_PASSWORD);
      await page.getByRole('button', { name: 'Save sharing' }).click();
      await expect.poll(() => page.getByText(/The dashboard is password-protected/).count()).toBe(1);

      const guestContext = await newContext(browser, js);
      try {
        const guest = await guestContext.newPage();
        await guest.goto(`${server.url}${sharePath}`);
        await expect.poll(() => guest.getByRole('heading', { name: 'This dashboard is password-protected' }).count()).toBe(1);
        expect(await guest.getByRole('row', { name: 'temperature 21.5' }).count()).toBe(0);
        await expectAccessible(guest);
        await guest.getByLabel('Password', { exact: true }).fill('Wrong-Password-1');
        await guest.getByRole('button', { name: 'View dashboard' }).click();
        await expect.poll(() => guest.getByText('That password is not right.', { exact: false }).count()).toBe(1);
        await expectAccessible(guest);
        await guest.getByLabel('Password', { exact: true }).fill(SHARED_PASSWORD);
        await guest.getByRole('button', { name: 'View dashboard' }).click();
        await expect.poll(() => guest.getByRole('row', { name: 'temperature 21.5' }).count()).toBe(1);
        await expect.poll(() => guest.url()).toBe(`${server.url}${sharePath}`);
        expect(await guest.getByRole('heading', { name: `Greenhouse board ${suffix}`, level: 1 }).count()).toBe(1);
        // The unlock lasts: a reload stays open.
        await guest.reload();
        await expect.poll(() => guest.getByRole('row', { name: 'temperature 21.5' }).count()).toBe(1);
        await expectAccessible(guest);
      } finally {
        await guestContext.close();
      }
    } finally {
      await ownerContext.close();
    }
  });
});
