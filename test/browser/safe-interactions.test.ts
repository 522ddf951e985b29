import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createAccessKey } from '../../src/modules/applications/manage-access-keys.ts';
import { addMember, insertApplication, insertDevice, newOrg, newUser, orgOwner, type TestUser } from '../support/builders.ts';
import { browserWorldSuite, DESKTOP, fillCard, logIn, newContext, PHONE, withAndWithoutJs, type BrowserTestServer } from '../support/browser.ts';
import type { World } from '../support/world.ts';

// Page functions run in the browser; this program is type-checked without the DOM library.
declare const document: any, window: any, navigator: any, getComputedStyle: any;

/**
 * Issue 17's journeys, each where a person sees it: in a phone-sized window
 * unless the journey is about the desktop, with JavaScript on and off.
 */

let server: BrowserTestServer;
let browser: Browser;
let world: World;
browserWorldSuite((started) => ({ server, browser, world } = started));

async function signedInPage(user: TestUser, js: boolean, viewport: { width: number; height: number } = PHONE): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, js, viewport);
  const page = await context.newPage();
  await logIn(server, page, user.email, user.password);
  return { context, page };
}

/** The address the browser shows, loaded again as a reload or a bookmark would. */
async function reloadStatus(page: Page): Promise<number> {
  return (await page.goto(page.url().split('#')[0]!))?.status() ?? 0;
}

const successBox = (page: Page) => page.locator('.flash:not(.flash-error)');
const errorBox = (page: Page) => page.locator('.flash.flash-error[role="alert"]');

describe.each(withAndWithoutJs)('never stranded, %s', (_label, js) => {
  it('every address shown after a form answers a reload: a new access key, a refused invitation, Continue without a plan (item 2)', async () => {
    const { context, page } = await signedInPage(world.owner, js);
    try {
      await page.goto(`${server.url}/applications/${world.ids.app}`);
      await page.getByLabel('Key name').fill(`Reload ${js}`);
      await page.getByRole('button', { name: 'Create access key' }).click();
      await expect.poll(() => page.locator('#new-key-secret').count()).toBe(1);
      if (js) expect(new URL(page.url()).pathname).toBe(`/applications/${world.ids.app}`);
      expect(await reloadStatus(page)).toBe(200);
      expect(await page.locator('#new-key-secret').count()).toBe(0); // shown once

      await page.goto(`${server.url}/orgs/${world.org.slug}/settings/members`);
      await page.getByLabel('Email', { exact: true }).fill(world.viewer.email);
      await page.getByRole('button', { name: 'Invite Member' }).click();
      await expect.poll(() => page.getByText('is already a member of Acme Robotics').count()).toBe(1);
      expect(await reloadStatus(page)).toBe(200);
    } finally {
      await context.close();
    }
    const fresh = await newUser(server, { name: `Planless ${js}` });
    const other = await signedInPage(fresh, js);
    try {
      await other.page.goto(`${server.url}/orgs/new`);
      await other.page.getByRole('button', { name: 'Continue' }).click();
      await expect.poll(() => other.page.getByText('Select a plan to continue.').count()).toBe(1);
      expect(await reloadStatus(other.page)).toBe(200);
    } finally {
      await other.context.close();
    }
  });

  it('a refusal or a failed payment is shown as an error, never in the success box (item 3)', async () => {
    const admin = await newUser(server, { name: `Last Admin ${js}` });
    const org = await newOrg(server, { owner: admin, name: `Solo ${js ? 'On' : 'Off'}` });
    const { context, page } = await signedInPage(admin, js);
    try {
      await page.goto(`${server.url}/orgs/${org.slug}`);
      await page.getByRole('link', { name: 'Leave Organization' }).click();
      await page.getByRole('button', { name: 'Leave Organization' }).click();
      await expect.poll(() => errorBox(page).filter({ hasText: 'You are the last Administrator' }).count()).toBe(1);
      expect(await successBox(page).count()).toBe(0);
    } finally {
      await context.close();
    }
    const payer = await signedInPage(world.owner, js);
    try {
      await payer.page.goto(`${server.url}/orgs/${world.overdue.slug}`);
      await payer.page.getByRole('button', { name: 'Pay now' }).click();
      await expect.poll(() => errorBox(payer.page).filter({ hasText: 'The payment failed' }).count()).toBe(1);
      expect(await successBox(payer.page).count()).toBe(0);
    } finally {
      await payer.context.close();
    }
  });

  it('destructive actions ask first on a page of their own; Cancel changes nothing (item 7)', async () => {
    const admin = await newUser(server, { name: `Careful ${js}` });
    const org = await newOrg(server, { owner: admin, name: `Careful ${js ? 'On' : 'Off'}` });
    const appId = await insertApplication(server, orgOwner(org), 'Careful app');
    const deviceId = await insertDevice(server, appId, 'Doomed sensor');
    await createAccessKey(server.deps.db, server.clock, appId, 'Doomed key');
    const { context, page } = await signedInPage(admin, js);
    const confirmThen = async (link: RegExp, question: RegExp, button: string, done: RegExp) => {
      await page.getByRole('link', { name: link }).first().click();
      await expect.poll(() => page.getByRole('heading', { name: question }).count()).toBe(1);
      expect(await reloadStatus(page)).toBe(200); // the question has an address of its own
      await page.getByRole('link', { name: 'Cancel' }).click();
      await expect.poll(() => page.getByRole('heading', { name: question }).count()).toBe(0);
      await page.getByRole('link', { name: link }).first().click();
      await page.getByRole('button', { name: button }).click();
      await expect.poll(() => successBox(page).filter({ hasText: done }).count()).toBe(1);
    };
    try {
      await page.goto(`${server.url}/applications/${appId}`);
      await confirmThen(/^Revoke Doomed key/, /Revoke the access key Doomed key\?/, 'Revoke key', /Access key revoked/);
      await confirmThen(/^Delete Doomed sensor/, /Delete the device Doomed sensor\?/, 'Delete device', /Device deleted/);
      expect(await server.knex('devices').where({ id: deviceId }).first()).toBeUndefined();

      await page.goto(`${server.url}/orgs/${org.slug}/settings/members`);
      await page.getByLabel('Email', { exact: true }).fill(`invitee-${js}@example.com`);
      await page.getByRole('button', { name: 'Invite Member' }).click();
      await expect.poll(() => successBox(page).filter({ hasText: 'Invitation sent' }).count()).toBe(1);
      await confirmThen(/^Revoke invitation of invitee/, /Revoke the invitation of invitee/, 'Revoke invitation', /Invitation revoked/);

    } finally {
      await context.close();
    }
    const owner = await signedInPage(world.owner, js);
    try {
      const blockTitle = `Spare ${js ? 'on' : 'off'}`;
      await server.knex('dashboard_blocks').insert({ dashboard_id: world.ids.dashboard, kind: 'device_state', title: blockTitle, application_id: world.ids.app, device_id: world.ids.device, position: 99 });
      await owner.page.goto(`${server.url}/dashboards/${world.ids.dashboard}`);
      await owner.page.getByRole('link', { name: `Remove block ${blockTitle}` }).click();
      await expect.poll(() => owner.page.getByRole('heading', { name: new RegExp(`Remove the block ${blockTitle}`) }).count()).toBe(1);
      await owner.page.getByRole('button', { name: 'Remove block' }).click();
      await expect.poll(() => successBox(owner.page).filter({ hasText: 'Block removed.' }).count()).toBe(1);
    } finally {
      await owner.context.close();
    }
    // Leave, as a member who may.
    const member = await newUser(server, { name: `Leaver ${js}` });
    await addMember(server, world.org, member, 'viewer');
    const leaver = await signedInPage(member, js);
    try {
      await leaver.page.goto(`${server.url}/orgs/${world.org.slug}`);
      await leaver.page.getByRole('link', { name: 'Leave Organization' }).click();
      await expect.poll(() => leaver.page.getByRole('heading', { name: 'Leave Acme Robotics?' }).count()).toBe(1);
      await leaver.page.getByRole('button', { name: 'Leave Organization' }).click();
      await expect.poll(() => successBox(leaver.page).filter({ hasText: 'You left Acme Robotics.' }).count()).toBe(1);
    } finally {
      await leaver.context.close();
    }
  });

  it('Decline asks first, and an invitation link opened to sign up names the organization and the address (items 7, 11)', async () => {
    const owner = await signedInPage(world.owner, js, DESKTOP);
    const invited = `joiner-${js ? 'on' : 'off'}@example.com`;
    await owner.page.goto(`${server.url}/orgs/${world.org.slug}/settings/members`);
    await owner.page.getByLabel('Email', { exact: true }).fill(invited);
    await owner.page.getByRole('button', { name: 'Invite Member' }).click();
    await expect.poll(() => successBox(owner.page).count()).toBe(1);
    await owner.context.close();
    const mail = await server.knex('mail_outbox').where({ to_address: invited }).first();
    const link = new URL(/https?:\/\/\S+/.exec(mail.text_body)![0]).pathname;

    const context = await newContext(browser, js, PHONE);
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}${link}`);
      await page.getByRole('link', { name: 'Decline' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Decline the invitation to Acme Robotics?' }).count()).toBe(1);
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.getByRole('link', { name: 'Sign up to accept' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Create your account to join Acme Robotics' }).count()).toBe(1);
      expect(await page.getByLabel('Email').inputValue()).toBe(invited);
      await page.getByLabel('Name').fill('Joiner');
      await page.getByLabel('Password').fill('a good long password');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL(`${server.url}${link}`);
      await expect.poll(() => successBox(page).filter({ hasText: 'Accept the invitation below to join Acme Robotics' }).count()).toBe(1);
      expect(await page.getByText('This is your Sandbox').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('the wizard on a phone: Select Plan keeps Continue in view; card errors are all flagged and level; a declined card is not "on file" (items 1, 9)', async () => {
    const user = await newUser(server, { name: `Wizard ${js}` });
    const { context, page } = await signedInPage(user, js);
    try {
      await page.goto(`${server.url}/orgs/new`);
      await page.getByRole('button', { name: 'Select Plan Business' }).click();
      await expect.poll(() => page.getByRole('button', { name: 'Select Plan Business (selected)' }).count()).toBe(1);
      const inView = async (name: string) =>
        page.getByRole('button', { name, exact: true }).evaluate((b) => {
          const r = b.getBoundingClientRect();
          return r.top >= 0 && r.bottom <= window.innerHeight;
        });
      expect(await inView('Continue')).toBe(true);
      expect(await inView('Select Plan Business (selected)')).toBe(true);
      await expect.poll(() => page.getByText('Selected: Business').count()).toBe(1);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(`${server.url}/orgs/new/details`);
      await page.getByLabel('Name', { exact: true }).fill(`Wizard Org ${js}`);
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByLabel('Expiry').fill('01/20');
      await page.getByLabel('CVC').fill('1');
      await page.getByRole('button', { name: 'Create Organization' }).click();
      await expect.poll(() => page.getByText('This card expired at the end of 01/20').count()).toBe(1);
      expect(await page.getByText('The CVC is the 3 or 4 digits on your card.').count()).toBe(1);
      const top = async (label: string) => (await page.getByLabel(label, { exact: true }).boundingBox())!.y;
      expect(await top('Expiry')).toBe(await top('CVC'));

      await fillCard(page, '4000 0000 0000 0341');
      await page.getByRole('button', { name: 'Create Organization' }).click();
      await expect.poll(() => page.getByRole('alert').filter({ hasText: 'declined' }).count()).toBeGreaterThan(0);
      expect(await page.getByText('Card on file').count()).toBe(0);
      expect(await page.getByText('Card entered:').count()).toBe(1);
    } finally {
      await context.close();
    }
  });

  it('Settings > General: clicking the icon changes its color, as in the wizard, and Save keeps it (item 10)', async () => {
    const admin = await newUser(server, { name: `Painter ${js}` });
    const org = await newOrg(server, { owner: admin, name: `Painter ${js ? 'On' : 'Off'}` });
    const { context, page } = await signedInPage(admin, js);
    try {
      await page.goto(`${server.url}/orgs/${org.slug}/settings/general`);
      expect(await page.getByLabel('Icon Color', { exact: true }).evaluate((e) => e.tagName)).toBe('SELECT');
      const before = await page.getByLabel('Icon Color', { exact: true }).inputValue();
      await page.getByRole('button', { name: /Change icon color/ }).click();
      await expect.poll(() => page.getByLabel('Icon Color', { exact: true }).inputValue()).not.toBe(before);
      const chosen = await page.getByLabel('Icon Color', { exact: true }).inputValue();
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => successBox(page).filter({ hasText: 'Settings saved.' }).count()).toBe(1);
      expect((await server.knex('organizations').where({ id: org.id }).first()).icon_color).toBe(chosen);
    } finally {
      await context.close();
    }
  });

  it('the application page: a ready curl command and copy buttons for a new key; Export CSV for a date range (item 14)', async () => {
    const context = await newContext(browser, js, PHONE);
    if (js) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    try {
      await logIn(server, page, world.owner.email, world.owner.password);
      await page.goto(`${server.url}/applications/${world.ids.app}`);
      await page.getByLabel('Key name').fill(`Copy ${js}`);
      await page.getByRole('button', { name: 'Create access key' }).click();
      await expect.poll(() => page.locator('#new-key-secret').count()).toBe(1);
      const keyId = (await page.locator('#new-key-id').textContent())!.trim();
      const secret = (await page.locator('#new-key-secret').textContent())!.trim();
      const command = (await page.locator('#new-key-curl').textContent())!;
      expect(command).toContain(`-H "Authorization: Bearer ${keyId}:${secret}"`);
      expect(command).toContain(`/api/applications/${world.ids.app}/devices/`);
      // The command works as it stands.
      // PUBLIC_URL in tests is another address than this server's; the path is what matters.
      const url = /curl -X POST (\S+)/.exec(command)![1]!.replace(/^https?:\/\/[^/]+/, server.url);
      const sent = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${keyId}:${secret}`, 'content-type': 'application/json' }, body: '{"data": {"temperature": 21.5}}' });
      expect(sent.status).toBe(202);
      if (js) {
        await page.getByRole('button', { name: 'Copy secret' }).click();
        await expect.poll(() => page.getByText('Copied to the clipboard.').count()).toBe(1);
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      } else {
        expect(await page.getByRole('button', { name: 'Copy secret' }).count()).toBe(0); // needs JavaScript: hidden, the text is there to select
      }
      await page.getByLabel('From (UTC day)').fill('2026-03-10');
      await page.getByLabel('To (UTC day)').fill('2026-03-11');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      expect(download.suggestedFilename()).toMatch(/2026-03-10.*2026-03-11.*\.csv$/);
    } finally {
      await context.close();
    }
  });
});

describe('what a person sees', () => {
  it('buttons disable and say what they are doing during a slow request (item 8)', async () => {
    const { context, page } = await signedInPage(world.owner, true);
    try {
      await page.goto(`${server.url}/orgs/${world.org.slug}/settings/payment-method`);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await page.route('**/settings/payment-method', async (route) => {
        if (route.request().method() === 'POST') await held;
        await route.continue();
      });
      await fillCard(page, '4242 4242 4242 4242');
      await page.getByRole('button', { name: 'Save card' }).click();
      const busy = page.locator('button.is-busy');
      await expect.poll(() => busy.textContent()).toBe('Saving card…');
      expect(await busy.isDisabled()).toBe(true);
      expect(await busy.getAttribute('aria-busy')).toBe('true');
      release();
      await expect.poll(() => successBox(page).filter({ hasText: 'is now the card on file' }).count()).toBe(1);
      expect(await page.locator('button.is-busy').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('Escape closes the header menus and gives focus back to their button; on a phone the open panel is not covered (items 1, 18)', async () => {
    const { context, page } = await signedInPage(world.owner, true);
    try {
      for (const menu of ['organizations', 'user']) {
        const details = page.locator(`details[data-menu="${menu}"]`);
        await details.locator('summary').click();
        expect(await details.getAttribute('open')).not.toBeNull();
        // Nothing sits on top of the open panel: the point at its right edge belongs to it.
        const panel = (await details.locator('.menu-panel').boundingBox())!;
        expect(panel.x).toBeGreaterThanOrEqual(0);
        expect(panel.x + panel.width).toBeLessThanOrEqual(PHONE.width);
        const onTop = await page.evaluate(([x, y]) => !!document.elementFromPoint(x!, y!)?.closest('.menu-panel'), [panel.x + panel.width - 12, panel.y + 12]);
        expect(onTop, menu).toBe(true);
        await page.keyboard.press('Escape');
        await expect.poll(() => details.getAttribute('open')).toBeNull();
        expect(await details.locator('summary').evaluate((s) => s === document.activeElement)).toBe(true);
      }
    } finally {
      await context.close();
    }
  });

  it('dark mode follows the system setting (item 17; contrast is checked on every page by the page walk)', async () => {
    const { context, page } = await signedInPage(world.owner, true, DESKTOP);
    try {
      const luminance = () =>
        page.evaluate(() => {
          const rgb = getComputedStyle(document.documentElement).backgroundColor.match(/\d+/g)!.map(Number);
          return (0.2126 * rgb[0]! + 0.7152 * rgb[1]! + 0.0722 * rgb[2]!) / 255;
        });
      await page.goto(`${server.url}/orgs/${world.org.slug}`);
      expect(await luminance()).toBeGreaterThan(0.9);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await luminance()).toBeLessThan(0.15);
    } finally {
      await context.close();
    }
  });

  it('nothing hangs below the footer on the usage page or a dashboard with a chart (item 5)', async () => {
    const { context, page } = await signedInPage(world.owner, true, DESKTOP);
    try {
      for (const path of [`/orgs/${world.org.slug}/settings/usage`, `/dashboards/${world.ids.dashboard}`]) {
        await page.goto(`${server.url}${path}`);
        const gap = await page.evaluate(() => document.documentElement.scrollHeight - Math.ceil(document.querySelector('.site-footer')!.getBoundingClientRect().bottom + window.scrollY));
        expect(gap, path).toBeLessThanOrEqual(0);
      }
    } finally {
      await context.close();
    }
  });

  it('the header shows the viewer\'s own role on a member\'s page (item 4); a Collaborator is offered only what the role allows (item 6)', async () => {
    const owner = await signedInPage(world.owner, false, DESKTOP);
    try {
      await owner.page.goto(`${server.url}/orgs/${world.org.slug}/settings/members/${world.viewer.id}/remove`);
      expect(await owner.page.getByText('Your role: Administrator').count()).toBe(1);
      expect(await owner.page.getByText('Your role: Viewer').count()).toBe(0);
      expect(await owner.page.getByText(`(${world.viewer.email}, Viewer)`).count()).toBe(1);
    } finally {
      await owner.context.close();
    }
    const admin = await newUser(server, { name: 'Empty Admin' });
    const empty = await newOrg(server, { owner: admin, name: 'Empty Org' });
    await addMember(server, empty, world.collaborator, 'collaborator');
    const collaborator = await signedInPage(world.collaborator, true, DESKTOP);
    try {
      await collaborator.page.goto(`${server.url}/orgs/${empty.slug}`);
      await expect.poll(() => collaborator.page.getByRole('heading', { name: 'Empty Org', level: 1 }).count()).toBe(1);
      for (const offer of ['Create resources', 'Invite members', 'Transfer resources', 'New application', 'New dashboard']) {
        expect(await collaborator.page.getByText(offer).count(), offer).toBe(0);
      }
    } finally {
      await collaborator.context.close();
    }
  });

  it('the back-office: admins land on it, read plain words, and no rule ids (item 13)', async () => {
    const context = await newContext(browser, true, DESKTOP);
    const page = await context.newPage();
    try {
      await logIn(server, page, world.platformAdmin.email, world.platformAdmin.password, '/admin');
      await page.goto(`${server.url}/admin/organizations/${world.org.id}`);
      await expect.poll(() => page.getByText('2 devices').count()).toBe(1);
      for (const path of [`/admin/organizations/${world.org.id}`, `/admin/organizations/${world.org.id}/plan`, `/admin/mail/${world.ids.mail}`]) {
        await page.goto(`${server.url}${path}`);
        expect(await page.locator('main').textContent(), path).not.toMatch(/\(R\d+\.\d+\)|\b1 devices\b|Deleted \(|Kept in the outbox, kept/);
      }
      expect(await page.getByText('Kept in the outbox').count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
