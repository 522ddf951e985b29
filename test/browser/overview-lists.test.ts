import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addMember, insertApplication, newOrg, newUser, orgOwner } from '../support/builders.ts';
import { browserSuite, expectAccessible, logIn, newContext, PHONE, withAndWithoutJs, type BrowserTestServer } from '../support/browser.ts';

/**
 * Issue 18: the overview shows the first ten applications and members and
 * links to the full lists, which page with plain links, on a phone, with
 * JavaScript on and off.
 */

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

describe.each(withAndWithoutJs)('the overview and its full lists %s (issue 18, R3.2)', (_label, js) => {
  it('View all leads to the whole list, paged by Next and Previous', async () => {
    const owner = await newUser(server, { name: `Fleet Owner ${js}` });
    const org = await newOrg(server, { owner, name: `Fleet ${js ? 'On' : 'Off'}`, plan: 'business' });
    for (let i = 1; i <= 27; i++) await insertApplication(server, orgOwner(org), `Pump ${String(i).padStart(2, '0')}`);
    for (let i = 1; i <= 11; i++) await addMember(server, org, await newUser(server, { name: `Crew ${String(i).padStart(2, '0')}` }), 'viewer');
    const context = await newContext(browser, js, PHONE);
    const page = await context.newPage();
    try {
      await logIn(server, page, owner.email, owner.password);
      await page.goto(`${server.url}/orgs/${org.slug}`);
      await expect.poll(() => page.locator('ul.list a[href^="/applications/"]').count()).toBe(10);
      await page.getByRole('link', { name: 'View all 27 applications' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Applications' }).count()).toBe(1);
      expect(await page.getByText('Page 1 of 2').count()).toBe(1);
      expect(await page.locator('ul.list a[href^="/applications/"]').count()).toBe(25);
      await expectAccessible(page);
      // Fits the phone: nothing scrolls sideways.
      expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await page.getByRole('link', { name: 'Next' }).click();
      await expect.poll(() => page.getByText('Page 2 of 2').count()).toBe(1);
      expect(await page.locator('ul.list a[href^="/applications/"]').allTextContents()).toEqual(['Pump 26', 'Pump 27']);
      expect(page.url()).toBe(`${server.url}/orgs/${org.slug}/applications?page=2`);
      await page.reload();
      expect(await page.locator('ul.list a[href^="/applications/"]').count()).toBe(2);
      await page.getByRole('link', { name: 'Previous' }).click();
      await expect.poll(() => page.getByText('Page 1 of 2').count()).toBe(1);
      await page.getByRole('link', { name: 'Overview' }).first().click();
      await page.getByRole('link', { name: 'View all 12 members' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Members' }).count()).toBe(1);
      expect(await page.getByText('Crew 11').count()).toBe(1);
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  });
});
