import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { setPlatformAdmin } from '../../src/modules/accounts/queries.ts';
import { issueInvoice } from '../../src/modules/billing/invoices.ts';
import { findBillingAccount } from '../../src/modules/owners/queries/billing-accounts.ts';
import { transition } from '../../src/modules/billing/status.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { submitEnterpriseInquiry } from '../../src/modules/organizations/submit-enterprise-inquiry.ts';
import { formatCents } from '../../src/money.ts';
import { newOrg, newUser, type TestUser } from '../support/builders.ts';
import { browserSuite, expectAccessible, newContext, withAndWithoutJs, type BrowserTestServer } from '../support/browser.ts';

let server: BrowserTestServer;
let browser: Browser;
let admin: TestUser;
browserSuite(async (started) => {
  ({ server, browser } = started);
  admin = await newUser(server, { name: 'Olga Ops', email: 'ops@orgplane.example' });
  await setPlatformAdmin(server.deps.db, admin.id, true);
});

/** Logs in; a platform admin lands in the back-office, anyone else in their Sandbox. */
async function logIn(page: Page, user: TestUser) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${server.url}${user.id === admin.id ? '/admin' : '/sandbox'}`);
}

/** A renewal invoice left unpaid and the organization Past Due, through the billing engine's own functions. */
async function makePastDue(org: Organization, amountCents: number) {
  const { db } = server.deps;
  const account = (await findBillingAccount(db, org.id))!;
  await db.transaction(async (trx) => {
    await issueInvoice(trx, {
      organizationId: org.id,
      numberPrefix: org.slug,
      kind: 'renewal',
      issuedAt: server.clock.now(),
      periodStart: account.currentPeriodEnd,
      periodEnd: new Date(account.currentPeriodEnd.getTime() + 30 * 86_400_000),
      lines: [{ kind: 'subscription', description: 'Starter plan', quantity: 1, unitPriceCents: amountCents, amountCents }],
      creditAppliedCents: 0,
    });
    await transition(trx, { organizationId: org.id, to: 'past_due', cause: 'Payment of invoice failed: Your card was declined.', at: server.clock.now() });
  });
}

describe.each(withAndWithoutJs)('the back-office %s (R11.1, R11.2, R2.4)', (_label, js) => {
  const suffix = js ? 'js' : 'nojs';

  it('an admin finds a Past Due organization by filter, grants a credit, retries the charge, and the organization is Active', async () => {
    const owner = await newUser(server, { name: `Owner ${suffix}` });
    const org = await newOrg(server, { owner, name: `Overdue ${suffix}` });
    await newOrg(server, { owner, name: `Punctual ${suffix}` });
    await makePastDue(org, 25_000);
    const context = await newContext(browser, js);
    const page = await context.newPage();
    try {
      await logIn(page, admin);
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.waitForURL(`${server.url}/admin`);
      await expect.poll(() => page.getByRole('heading', { name: 'Back-office', exact: true }).count()).toBe(1);
      await page.getByRole('navigation', { name: 'Back-office' }).getByRole('link', { name: 'Organizations' }).click();
      await page.waitForURL(`${server.url}/admin/organizations`);
      await page.getByLabel('Status', { exact: true }).selectOption('past_due');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/status=past_due/);
      await expect.poll(() => page.getByRole('link', { name: `Overdue ${suffix}` }).count()).toBe(1);
      expect(await page.getByRole('link', { name: `Punctual ${suffix}` }).count()).toBe(0);
      await expectAccessible(page);

      await page.getByRole('link', { name: `Overdue ${suffix}` }).click();
      await page.waitForURL(`${server.url}/admin/organizations/${org.id}`);
      await expect.poll(() => page.getByTestId('org-status').textContent()).toBe('Past Due');
      expect(await page.getByTestId('balance-due').textContent()).toBe('$250.00');
      await expectAccessible(page);

      await page.getByLabel('Amount (USD)').fill('25');
      await page.getByLabel('Reason').fill('Sorry for the trouble');
      await page.getByRole('button', { name: 'Review credit' }).click();
      await expect.poll(() => page.getByRole('heading', { name: `Grant $25.00 of credit to Overdue ${suffix}?` }).count()).toBe(1);
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Grant credit' }).click();
      await expect.poll(() => page.getByText(`Granted $25.00 of credit to Overdue ${suffix}. Credit balance: $25.00.`).count()).toBe(1);
      expect(await page.getByTestId('credit-balance').textContent()).toBe('$25.00');

      await page.getByRole('link', { name: 'Retry charge now' }).click();
      await expect.poll(() => page.getByRole('heading', { name: `Charge Overdue ${suffix}'s open invoices now?` }).count()).toBe(1);
      await page.getByRole('button', { name: 'Charge now' }).click();
      await expect.poll(() => page.getByText(`Charged $250.00. No invoice is open. Overdue ${suffix} is Active again.`).count()).toBe(1);
      expect(await page.getByTestId('org-status').textContent()).toBe('Active');
      expect(await page.getByTestId('balance-due').textContent()).toBe('$0.00');
      expect(await page.getByText('Paid after an admin retry').count()).toBeGreaterThan(0);
      expect((await findBillingAccount(server.deps.db, org.id))!.status).toBe('active');
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  });

  it('an admin creates an Enterprise plan from an inquiry; the customer is on it with the proration the admin saw', async () => {
    const customer = await newUser(server, { name: `Customer ${suffix}` });
    const org = await newOrg(server, { owner: customer, name: `Fleet ${suffix}` });
    await submitEnterpriseInquiry(server.deps.db, server.clock, {
      userId: customer.id,
      name: `Customer ${suffix}`,
      email: customer.email,
      company: `Fleet Inc ${suffix}`,
      expectedDevices: 20_000,
      message: 'We are outgrowing Business.',
    });
    const context = await newContext(browser, js);
    const page = await context.newPage();
    const customerContext = await newContext(browser, js);
    const customerPage = await customerContext.newPage();
    try {
      await logIn(page, admin);
      await page.goto(`${server.url}/admin`);
      await page.getByRole('navigation', { name: 'Back-office' }).getByRole('link', { name: 'Inquiries' }).click();
      await page.waitForURL(`${server.url}/admin/inquiries`);
      await page.getByRole('link', { name: `Fleet Inc ${suffix}` }).click();
      await expect.poll(() => page.getByRole('heading', { name: `Inquiry from Fleet Inc ${suffix}` }).count()).toBe(1);
      await expectAccessible(page);
      await page.getByRole('link', { name: `Create an Enterprise plan for Fleet ${suffix}` }).click();
      await expect.poll(() => page.getByRole('heading', { name: `Assign a plan to Fleet ${suffix}` }).count()).toBe(1);
      expect(await page.getByLabel('Plan name').inputValue()).toBe(`Enterprise — Fleet Inc ${suffix}`);
      expect(await page.getByLabel('Devices').inputValue()).toBe('20000');
      await page.getByLabel('Monthly price (USD)').fill('4,000');
      await page.getByLabel('Support level').fill('Named engineer, 1 hour');
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Create plan and preview' }).click();
      await expect.poll(() => page.getByRole('heading', { name: `Change Fleet ${suffix} from Starter to Enterprise — Fleet Inc ${suffix}?` }).count()).toBe(1);
      const lines = page.getByTestId('proration-lines').locator('tbody tr');
      expect(await lines.count()).toBe(2);
      const shown = await lines.locator('td').allTextContents();
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Confirm plan change' }).click();
      await expect.poll(() => page.getByText(`Fleet ${suffix} is now on Enterprise — Fleet Inc ${suffix}.`).count()).toBe(1);

      // The customer's books carry what the admin saw.
      const account = (await findBillingAccount(server.deps.db, org.id))!;
      const plan = await server.knex('plans').where({ id: account.planId }).first();
      expect(plan).toMatchObject({ kind: 'custom', organization_id: org.id, price_cents: 400_000 });
      const pending = await server.knex('pending_invoice_lines').where({ organization_id: org.id }).whereNull('invoice_id').orderBy('id');
      expect(pending.map((p: { amount_cents: number }) => formatCents(Number(p.amount_cents)))).toEqual(shown);

      // And the customer's Billing Plan tab shows the Enterprise plan as theirs.
      await logIn(customerPage, customer);
      await customerPage.goto(`${server.url}/orgs/${org.slug}/settings/billing-plan`);
      await expect.poll(() => customerPage.getByText(`Current plan: Enterprise — Fleet Inc ${suffix}`).count()).toBe(1);
    } finally {
      await context.close();
      await customerContext.close();
    }
  });
});
