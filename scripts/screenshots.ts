// `npm run screenshots`: the main pages at a phone's width (390 px) and a
// desktop's (1280 px), written to docs/screenshots/. The product runs in this
// process on a fresh in-memory database with the page walk's seeded world
// (test/support/world.ts), on a free loopback port; Chromium as `npm test`
// finds it (CHROMIUM_PATH or /usr/bin/chromium). Nothing else is touched.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { DESKTOP, launchBrowser, logIn, PHONE } from '../test/support/browser.ts';
import { startTestApp } from '../test/support/app.ts';
import { seedWorld } from '../test/support/world.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');
mkdirSync(out, { recursive: true });

const t = await startTestApp();
const world = await seedWorld(t);
const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
const browser = await launchBrowser();

const pages: { name: string; path: string; as: 'owner' | 'visitor'; prepare?: (page: Page) => Promise<void> }[] = [
  { name: 'organization', path: `/orgs/${world.org.slug}`, as: 'owner' },
  { name: 'application', path: `/applications/${world.ids.app}`, as: 'owner' },
  { name: 'dashboard', path: `/dashboards/${world.ids.dashboard}`, as: 'owner' },
  { name: 'usage', path: `/orgs/${world.org.slug}/settings/usage`, as: 'owner' },
  { name: 'plans', path: '/orgs/new', as: 'owner' },
  { name: 'members', path: `/orgs/${world.org.slug}/settings/members`, as: 'owner' },
  { name: 'account', path: '/account', as: 'owner' },
  { name: 'login', path: '/login', as: 'visitor' },
];

try {
  for (const viewport of [PHONE, DESKTOP]) {
    const owner = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const visitor = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const ownerPage = await owner.newPage();
    await logIn({ url }, ownerPage, world.owner.email, world.owner.password);
    const visitorPage = await visitor.newPage();
    for (const p of pages) {
      const page = p.as === 'owner' ? ownerPage : visitorPage;
      await page.goto(`${url}${p.path}`);
      await p.prepare?.(page);
      const file = join(out, `${p.name}-${viewport.width}.png`);
      await page.screenshot({ path: file });
      console.log(`wrote ${file}`);
    }
    await owner.close();
    await visitor.close();
  }
} finally {
  await browser.close();
  await t.close();
}
