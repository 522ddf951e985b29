import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mailsTo } from '../../src/modules/mail/queries.ts';
import { newOrg, newUser } from '../support/builders.ts';
import { browserSuite, expectAccessible, newContext, withAndWithoutJs, type BrowserTestServer, logIn } from '../support/browser.ts';

let server: BrowserTestServer;
let browser: Browser;
browserSuite((started) => ({ server, browser } = started));

describe.each(withAndWithoutJs)('inviting a member %s (R4.1–R4.5)', (_label, js) => {
  it('invites, the invitee signs up from the emailed link and accepts, then is promoted and removed; all audited', async () => {
    const suffix = js ? 'js' : 'nojs';
    const admin = await newUser(server, { name: `Admin ${suffix}` });
    const org = await newOrg(server, { owner: admin, name: `Team ${suffix}`, plan: 'professional' });
    const adminContext = await newContext(browser, js);
    const inviteeContext = await newContext(browser, js);
    const page = await adminContext.newPage();
    const invitee = await inviteeContext.newPage();
    const inviteeEmail = `invitee-${suffix}@example.com`;
    try {
      await logIn(server, page, admin.email, admin.password);
      await page.goto(`${server.url}/orgs/${org.slug}`);
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('link', { name: 'Members' }).click();
      await page.waitForURL(`${server.url}/orgs/${org.slug}/settings/members`);
      await page.getByLabel('Email').fill(inviteeEmail);
      await page.getByLabel('Role', { exact: true }).selectOption('viewer');
      await page.getByRole('button', { name: 'Invite Member' }).click();
      await expect.poll(() => page.getByText(`Invitation sent to ${inviteeEmail}.`).count()).toBe(1);
      await expectAccessible(page);

      // The invitee follows the link in the recorded email.
      const [mail] = await mailsTo(server.deps.db, inviteeEmail, { kind: 'invitation' });
      const link = /(\/invites\/[A-Za-z0-9_-]{43})/.exec(mail!.text)![1]!;
      await invitee.goto(`${server.url}${link}`);
      await expect.poll(() => invitee.getByRole('heading', { name: `Join Team ${suffix}` }).count()).toBe(1);
      expect(await invitee.getByText(`Admin ${suffix}`).count()).toBeGreaterThan(0);
      await expectAccessible(invitee);
      await invitee.getByRole('link', { name: 'Sign up to accept' }).click();
      await invitee.getByLabel('Name').fill(`Invitee ${suffix}`);
      await invitee.getByLabel('Email').fill(inviteeEmail);
      await invitee.getByLabel('Password').fill('a good long password');
      await invitee.getByRole('button', { name: 'Sign up' }).click();
      await invitee.waitForURL(`${server.url}${link}`);
      await invitee.getByRole('button', { name: 'Accept' }).click();
      await invitee.waitForURL(`${server.url}/orgs/${org.slug}`);
      await expect.poll(() => invitee.getByText(`Welcome to Team ${suffix}.`).count()).toBe(1);

      // The Administrator sees them in Members, promotes, then removes them.
      await page.goto(`${server.url}/orgs/${org.slug}/settings/members`);
      const row = page.getByRole('row', { name: new RegExp(`Invitee ${suffix}`) });
      await expect.poll(() => row.count()).toBe(1);
      await row.getByLabel(`Role of Invitee ${suffix}`).selectOption('editor');
      await row.getByRole('button', { name: /Change role/ }).click();
      await expect.poll(() => page.getByText(`Invitee ${suffix} is now Editor.`).count()).toBe(1);
      await page.getByRole('row', { name: new RegExp(`Invitee ${suffix}`) }).getByRole('link', { name: /Remove/ }).click();
      await page.getByRole('button', { name: 'Remove member' }).click();
      await expect.poll(() => page.getByText(`Invitee ${suffix} was removed from Team ${suffix}.`).count()).toBe(1);
      expect(await page.getByRole('row', { name: new RegExp(`Invitee ${suffix}`) }).count()).toBe(0);

      await page.getByRole('link', { name: 'Audit Log' }).click();
      await page.waitForURL(`${server.url}/orgs/${org.slug}/settings/audit-log`);
      for (const action of ['Invitation sent', 'Invitation accepted', 'Member role changed', 'Member removed']) {
        expect(await page.getByRole('cell', { name: action, exact: true }).count(), action).toBe(1);
      }
      await expectAccessible(page);
    } finally {
      await adminContext.close();
      await inviteeContext.close();
    }
  });
});
