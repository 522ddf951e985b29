import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newOrg, newUser } from '../support/builders.ts';
import { browserSuite, expectAccessible, logIn, newContext, withAndWithoutJs, type BrowserTestServer } from '../support/browser.ts';

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

describe.each(withAndWithoutJs)('billing details and the invoice PDF %s (R9.14)', (_label, js) => {
  it('an Administrator changes the billing email and address, then downloads an invoice as a PDF', async () => {
    const suffix = js ? 'js' : 'nojs';
    server.clock.set('2026-06-01T00:00:00Z');
    const admin = await newUser(server, { name: `Biller ${suffix}` });
    const org = await newOrg(server, { owner: admin, name: `Details ${suffix}` });
    const context = await newContext(browser, js);
    const page = await context.newPage();
    try {
      await logIn(server, page, admin.email, admin.password);
      await page.goto(`${server.url}/orgs/${org.slug}/settings/general`);
      await page.getByRole('link', { name: 'Billing Details' }).click();
      await page.waitForURL(`${server.url}/orgs/${org.slug}/settings/billing-details`);
      await expectAccessible(page);

      // A mistake first: the form says what is wrong and keeps what was typed.
      await page.getByLabel('Billing Email Address').fill('not-an-email');
      await page.getByLabel('City').fill('Lyon');
      await page.getByRole('button', { name: 'Save billing details' }).click();
      await expect.poll(() => page.getByText('Enter a valid email address', { exact: false }).count()).toBe(1);
      expect(await page.getByLabel('City').inputValue()).toBe('Lyon');

      await page.getByLabel('Billing Email Address').fill(`accounts-${suffix}@example.com`);
      await page.getByLabel('Billing name (optional)').fill(`Details ${suffix} SAS`);
      await page.getByLabel('Address line 1').fill('12 rue de la République');
      await page.getByLabel('Postal code').fill('69002');
      await page.getByLabel('Country').selectOption('FR');
      await page.getByLabel('Tax ID (optional)').fill('FR40303265045');
      await page.getByRole('button', { name: 'Save billing details' }).click();
      await expect.poll(() => page.getByText('Billing details saved', { exact: false }).count()).toBe(1);
      const account = await server.knex('billing_accounts').where({ organization_id: org.id }).first();
      expect(account).toMatchObject({ billing_email: `accounts-${suffix}@example.com`, address_city: 'Lyon', address_country: 'FR', tax_id: 'FR40303265045' });

      // The first invoice shows the details it was issued to and downloads as a PDF.
      await page.getByRole('link', { name: 'Invoices' }).click();
      await page.waitForURL(`${server.url}/orgs/${org.slug}/settings/invoices`);
      await page.getByRole('link', { name: `${org.slug.toUpperCase()}-000001` }).click();
      await expect.poll(() => page.getByRole('heading', { name: `${org.slug.toUpperCase()}-000001` }).count()).toBe(1);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download PDF/ }).click()]);
      expect(download.suggestedFilename()).toBe(`invoice-${org.slug.toUpperCase()}-000001.pdf`);
      const path = await download.path();
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(path).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    } finally {
      await context.close();
    }
  });
});
