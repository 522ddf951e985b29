import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { startTestApp, type TestContext } from './app.ts';
import { seedWorld, type World } from './world.ts';

/** Debian's Chromium (or CHROMIUM_PATH). A missing browser fails the test; it never skips. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}. Install Debian's "chromium" package (apt-get install chromium, which "npm test" does when run as root) or set CHROMIUM_PATH.`,
    );
  }
  return path;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface BrowserTestServer extends TestContext {
  url: string;
}

/** The app listening on a loopback port, for a real browser. */
export async function startBrowserServer(): Promise<BrowserTestServer> {
  const t = await startTestApp();
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...t, url: address };
}

export interface BrowserSuite {
  server: BrowserTestServer;
  browser: Browser;
}

/**
 * The setup every browser test file shares: before its tests, the app on a
 * loopback port and a launched Chromium, handed to `use` (awaited, so it may
 * go on to seed data); after them, the browser closed, then the app.
 */
export function browserSuite(use: (started: BrowserSuite) => unknown): void {
  let server: BrowserTestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startBrowserServer();
    browser = await launchBrowser();
    await use({ server, browser });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
}

/** browserSuite with the seeded world of test/support/world.ts, made once before the file's tests. */
export function browserWorldSuite(use: (started: BrowserSuite & { world: World }) => unknown): void {
  browserSuite(async (started) => use({ ...started, world: await seedWorld(started.server) }));
}

const scriptless = new WeakSet<BrowserContext>();

/** A phone (an iPhone 12–15's CSS viewport) and a desktop. */
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

export async function newContext(
  browser: Browser,
  javaScriptEnabled: boolean,
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<BrowserContext> {
  // Not isMobile: a mobile browser widens its layout viewport to fit content that overflows, which would hide the overflow measured.
  const context = await browser.newContext({ javaScriptEnabled, viewport });
  if (!javaScriptEnabled) scriptless.add(context);
  return context;
}

/**
 * No serious or critical accessibility violation on the page as it stands.
 * axe runs as page script, so for a page shown with JavaScript off the same
 * HTML is replayed at the same address in a JavaScript-enabled page.
 */
export async function expectAccessible(page: Page): Promise<void> {
  let target = page;
  let scratch: BrowserContext | undefined;
  if (scriptless.has(page.context())) {
    const browser = page.context().browser();
    if (!browser) throw new Error('expectAccessible needs a page from a launched browser');
    scratch = await browser.newContext({ javaScriptEnabled: true, viewport: page.viewportSize() ?? undefined });
    target = await scratch.newPage();
    const html = await page.content();
    const url = page.url();
    await target.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    // The replayed copy must not run htmx: it is judged as the no-JS page it is.
    await target.route('**/static/vendor/htmx.min.js', (route) => route.fulfill({ status: 200, contentType: 'application/javascript', body: '' }));
    await target.goto(url);
  }
  try {
    const results = await new AxeBuilder({ page: target }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const summary = serious.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(summary, `accessibility violations on ${page.url()}`).toEqual([]);
  } finally {
    await scratch?.close();
  }
}

/** Runs a journey once with JavaScript on (htmx) and once with it off (plain forms). */
export const withAndWithoutJs = [
  ['with JavaScript', true],
  ['without JavaScript', false],
] as const;

/** Logs in through the real form and waits for where it lands: the Sandbox, or the back-office for a platform admin. */
export async function logIn(server: { url: string }, page: Page, email: string, password: string, landing = '/sandbox'): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${server.url}${landing}`);
}

/** Fills the card fields of a payment form with this number and a valid expiry and CVC. */
export async function fillCard(page: Page, number: string): Promise<void> {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry').fill('12/34');
  await page.getByLabel('CVC').fill('123');
}
