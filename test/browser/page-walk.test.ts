import { createRequire } from 'node:module';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserWorldSuite, DESKTOP, newContext, PHONE, type BrowserTestServer } from '../support/browser.ts';
import type { World } from '../support/world.ts';

// Page functions run in the browser; this program is type-checked without the DOM library.
declare const document: any, window: any;

/**
 * Every page of the product, read from the router (so a new page is walked
 * without editing this file), at a phone's width and a desktop's, with
 * JavaScript on and off. On each: it answers 2xx; nothing is wider than the
 * screen; nothing hangs below the footer; no serious or critical axe
 * violation, in the light and the dark color scheme; no console error. Then
 * every form on it is submitted with its text fields emptied (the failing
 * submission a person makes first), and the address the browser then shows
 * is loaded again and answers 2xx (reload, Back, a bookmark).
 */

let server: BrowserTestServer;
let browser: Browser;
let world: World;
browserWorldSuite((started) => ({ server, browser, world } = started));

type Actor = 'owner' | 'platformAdmin' | 'visitor';

// GET routes that are not pages: files and downloads (CSV, PDF).
const NOT_PAGES = new Set(['GET /static/*', 'GET /static/vendor/htmx.min.js', 'GET /health']);
const isDownload = (url: string) => url.endsWith('.csv') || url.endsWith('/pdf');
/** The REST API answers JSON to bearer tokens (its contract tests walk it); its documentation page is a page. */
const isApi = (url: string) => url.startsWith('/api/') && url !== '/api/docs';

/** Who opens a page: a visitor for the pages of people not signed in, a platform admin for the back-office, else the organization's Administrator. */
function actorFor(url: string): Actor {
  if (/^\/(signup|login|password\/|confirm-email\/|cancel-email-change\/|invites\/|d\/)/.test(url)) return 'visitor';
  if (url.startsWith('/admin')) return 'platformAdmin';
  return 'owner';
}

/** A value for each `:param` of a route, by the segment before it (`applications/:id`) or by its name. */
function fixtures(w: World): Record<string, string> {
  return {
    slug: w.org.slug,
    'applications:id': String(w.ids.app),
    'applications:appId': String(w.ids.app),
    'devices:childId': String(w.ids.device),
    'workflows:childId': String(w.ids.workflow),
    'keys:childId': String(w.ids.key),
    'dashboards:id': String(w.ids.dashboard),
    'blocks:blockId': String(w.ids.block),
    'members:userId': String(w.viewer.id),
    'invitations:id': String(w.ids.invitation),
    'invoices:invoiceId': String(w.ids.invoice),
    'organizations:id': String(w.org.id),
    'users:id': String(w.viewer.id),
    'inquiries:id': String(w.ids.inquiry),
    'mail:id': String(w.ids.mail),
    'passes:id': String(w.ids.pass),
    'tokens:id': String(w.ids.apiToken),
    'invites:token': w.tokens.invite,
    'd:shareToken': w.tokens.publicShare,
    'reset:token': w.tokens.reset,
    'confirm-email:token': w.tokens.emailChange,
    'cancel-email-change:token': w.tokens.emailChangeCancel,
  };
}

/** Values for the parameters of one route, where the segment before them is not enough. */
const ROUTE_VALUES: Record<string, (w: World) => Record<string, string>> = {
  'GET /orgs/deleted/:slug/invoices': (w) => ({ slug: w.deleted.slug }),
  'GET /orgs/deleted/:slug/invoices/:invoiceId': (w) => ({ slug: w.deleted.slug, invoiceId: String(w.ids.deletedInvoice) }),
};

/** Query strings some pages need to show what they are for. */
const QUERIES: Record<string, (w: World) => string> = {
  'GET /orgs/:slug/settings/billing-plan/change': (w) => `?plan=${w.ids.plan}`,
  'GET /admin/organizations/:id/plan/preview': (w) => `?plan=${w.ids.plan}`,
};

/** Pages the route list reaches only once but that look different in another state. */
const EXTRA_PAGES = (w: World): string[] => [
  `/orgs/${w.overdue.slug}`, // the Past Due bar
  `/orgs/${w.overdue.slug}/settings/invoices/${w.ids.openInvoice}`,
  `/admin/organizations/${w.overdue.id}/invoices/${w.ids.openInvoice}/void`,
  `/d/${w.tokens.passwordShare}`,
  `/applications/${w.ids.sandboxApp}`,
];

function pagesToWalk(routes: readonly { method: string; url: string }[], w: World): { urls: string[]; unresolved: string[] } {
  const values = fixtures(w);
  const urls: string[] = [];
  const unresolved: string[] = [];
  for (const r of routes) {
    const key = `${r.method} ${r.url}`;
    if (r.method !== 'GET' || NOT_PAGES.has(key) || isDownload(r.url) || isApi(r.url)) continue;
    const segments = r.url.split('/');
    const filled = segments.map((seg, i) => {
      if (!seg.startsWith(':')) return seg;
      const name = seg.slice(1);
      return ROUTE_VALUES[key]?.(w)[name] ?? values[`${segments[i - 1]}:${name}`] ?? values[name] ?? null;
    });
    if (filled.includes(null)) unresolved.push(key);
    else urls.push(filled.join('/') + (QUERIES[key]?.(w) ?? ''));
  }
  return { urls: [...new Set([...urls, ...EXTRA_PAGES(w)])], unresolved };
}

const TEXT_FIELDS = 'input:not([type]), input[type=text], input[type=email], input[type=password], input[type=number], input[type=search], input[type=url], input[type=tel], input[type=date], input[type=datetime-local], textarea';
const SUBMITS = 'button[type=submit], button:not([type]), input[type=submit]';
/** axe-core, loaded into every page before its own scripts (once per page, not once per check). */
const AXE_SOURCE = { path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') };
interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}
/** Runs axe in the page: every rule, or only these. */
function runAxe(page: Page, rules?: string[]): Promise<Violation[]> {
  return page.evaluate(async (only) => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'], ...(only ? { runOnly: { type: 'rule', values: only } } : {}) });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  }, rules ?? null);
}

/** A response the page asked for and was refused on purpose (a form shown again with its errors). */
const EXPECTED_REFUSAL = /^Failed to load resource: the server responded with a status of 4\d\d/;

class Walker {
  readonly problems: string[] = [];
  private contexts = new Map<Actor, BrowserContext>();
  private pages = new Map<Actor, Page>();
  private scratch!: Page;
  private replay = { url: '', html: '' };
  private consoleErrors: string[] = [];
  private submitting = false;

  constructor(
    private readonly viewport: { width: number; height: number },
    private readonly js: boolean,
  ) {}

  private problem(text: string) {
    this.problems.push(`[${this.viewport.width}px, JavaScript ${this.js ? 'on' : 'off'}] ${text}`);
  }

  async open(): Promise<void> {
    for (const actor of ['owner', 'platformAdmin', 'visitor'] as const) {
      const context = await newContext(browser, this.js, this.viewport);
      context.setDefaultTimeout(10_000);
      if (this.js) await context.addInitScript(AXE_SOURCE);
      const page = await context.newPage();
      const collect = (text: string) => {
        if (this.submitting && EXPECTED_REFUSAL.test(text)) return;
        this.consoleErrors.push(text);
      };
      page.on('console', (m: ConsoleMessage) => m.type() === 'error' && collect(m.text()));
      page.on('pageerror', (e) => collect(`uncaught: ${e.message}`));
      this.contexts.set(actor, context);
      this.pages.set(actor, page);
    }
    for (const [actor, user, landing] of [['owner', world.owner, '/sandbox'], ['platformAdmin', world.platformAdmin, '/admin']] as const) {
      const page = this.pages.get(actor)!;
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${server.url}${landing}`);
    }
    // axe runs as page script: a page shown without JavaScript is judged from its HTML, replayed here with scripts stubbed.
    const scratch = await browser.newContext({ javaScriptEnabled: true, viewport: this.viewport });
    scratch.setDefaultTimeout(10_000);
    await scratch.addInitScript(AXE_SOURCE);
    await scratch.route('**/*', async (route) => {
      const request = route.request();
      if (request.url() === this.replay.url && request.resourceType() === 'document') {
        return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: this.replay.html });
      }
      if (request.resourceType() === 'script') return route.fulfill({ status: 200, contentType: 'application/javascript', body: '' });
      return route.continue();
    });
    this.contexts.set('scratch' as Actor, scratch);
    this.scratch = await scratch.newPage();
  }

  async close(): Promise<void> {
    for (const context of this.contexts.values()) await context.close();
  }

  async walk(url: string): Promise<void> {
    const started = Date.now();
    try {
      await this.walkPage(url);
    } catch (err) {
      this.problem(`${url}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (process.env.WALK_DEBUG) console.error(`${this.viewport.width} ${this.js ? 'js' : 'nojs'} ${url} ${Date.now() - started} ms`);
  }

  private async walkPage(url: string): Promise<void> {
    const page = this.pages.get(actorFor(url))!;
    this.consoleErrors = [];
    const response = await page.goto(`${server.url}${url}`, { waitUntil: 'load' });
    const status = response?.status() ?? 0;
    if (status < 200 || status >= 300) {
      this.problem(`${url} answered ${status}`);
      return;
    }
    const t0 = Date.now();
    await this.checkLayout(page, url);
    const t1 = Date.now();
    await this.checkAccessible(page, url);
    const t2 = Date.now();
    for (const error of this.consoleErrors) this.problem(`${url}: console error: ${error}`);
    await this.submitForms(page, url);
    if (process.env.WALK_DEBUG) console.error(`  layout ${t1 - t0} axe ${t2 - t1} forms ${Date.now() - t2}`);
  }

  private async checkLayout(page: Page, url: string) {
    const layout = await page.evaluate(() => {
      const root = document.documentElement;
      const footer = document.querySelector('.site-footer');
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.visually-hidden, .table-wrap, .command, .subnav, .tabs'))
        .slice(0, 3)
        .map((e) => `${e.tagName.toLowerCase()}${e.className ? `.${String(e.className).split(' ').join('.')}` : ''} (${Math.round(e.getBoundingClientRect().right)}px)`);
      return {
        scrollWidth: root.scrollWidth,
        innerWidth: window.innerWidth,
        scrollHeight: root.scrollHeight,
        footerBottom: footer ? Math.ceil(footer.getBoundingClientRect().bottom + window.scrollY) : root.scrollHeight,
        wide,
      };
    });
    if (layout.scrollWidth > layout.innerWidth) this.problem(`${url} is ${layout.scrollWidth}px wide on a ${layout.innerWidth}px screen: ${layout.wide.join(', ')}`);
    if (layout.scrollHeight > layout.footerBottom + 1) this.problem(`${url} has ${layout.scrollHeight - layout.footerBottom}px below its footer`);
  }

  private async checkAccessible(page: Page, url: string) {
    let target = page;
    if (!this.js) {
      this.replay = { url: page.url(), html: await page.content() };
      await this.scratch.goto(this.replay.url);
      target = this.scratch;
    }
    for (const scheme of ['light', 'dark'] as const) {
      await target.emulateMedia({ colorScheme: scheme });
      // The dark scheme changes colors only: its contrast is what is checked again.
      const violations = await runAxe(target, scheme === 'dark' ? ['color-contrast', 'link-in-text-block'] : undefined);
      for (const v of violations) {
        if (v.impact !== 'serious' && v.impact !== 'critical') continue;
        this.problem(`${url} (${scheme}): ${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(', ')}`);
      }
    }
    await target.emulateMedia({ colorScheme: 'light' });
  }

  /** Each form, its text fields emptied, submitted; then the address shown must answer GET. */
  private async submitForms(page: Page, url: string) {
    // Which forms to try, read once from the page as it stands.
    const eligible = await page.evaluate(
      ({ textFields, submits }) => {
        const visible = (e: { checkVisibility(o: object): boolean; getClientRects(): { length: number } }) => e.checkVisibility({ checkVisibilityCSS: true, contentVisibilityAuto: true }) && e.getClientRects().length > 0;
        return [...document.querySelectorAll('form')].flatMap((form, index) => {
          const method = (form.getAttribute('method') ?? 'get').toLowerCase();
          const action = form.getAttribute('action') ?? '';
          if (action.endsWith('.csv')) return []; // a download, not a page
          if (![...form.querySelectorAll(submits)].some(visible)) return []; // inside a closed menu or disclosure
          // Forms of buttons alone act at once (Renew, Pay now, Log out…): their journeys have tests of their own.
          if (method === 'post' && ![...form.querySelectorAll(textFields)].some(visible)) return [];
          return [{ index, method, action }];
        });
      },
      { textFields: TEXT_FIELDS, submits: SUBMITS },
    );
    for (const [n, { index: i, method, action }] of eligible.entries()) {
      if (n > 0) await page.goto(`${server.url}${url}`);
      const form = page.locator('form').nth(i);
      const submit = form.locator(SUBMITS).filter({ visible: true }).last();
      const fields = form.locator(TEXT_FIELDS).filter({ visible: true });
      for (const field of await fields.all()) await field.fill('');
      this.submitting = true;
      try {
        if (this.js) {
          await page.evaluate(() => {
            (window as unknown as { walkSettled: boolean }).walkSettled = false;
            const done = () => ((window as unknown as { walkSettled: boolean }).walkSettled = true);
            for (const name of ['htmx:afterSettle', 'htmx:responseError', 'htmx:sendError']) document.addEventListener(name, done, { once: true });
          });
          await submit.click();
          await page.waitForFunction(() => (window as unknown as { walkSettled?: boolean }).walkSettled !== false, undefined, { timeout: 10_000 });
        } else {
          await Promise.all([page.waitForEvent('load', { timeout: 10_000 }), submit.click()]);
        }
      } catch (err) {
        this.problem(`${url}: form ${i + 1} (${method.toUpperCase()} ${action}) did not finish: ${(err as Error).message.split('\n')[0]}`);
        continue;
      } finally {
        this.submitting = false;
      }
      // The address as a reload, Back or a bookmark would ask for it (the #fragment stays in the browser).
      const shown = page.url().split('#')[0]!;
      const again = await page.goto(shown);
      const status = again?.status() ?? 0;
      if (status < 200 || status >= 300) this.problem(`${url}: after form ${i + 1} (${method.toUpperCase()} ${action}) the address ${new URL(shown).pathname} answers ${status}`);
    }
  }
}

const COMBINATIONS = [
  ['a phone (390 px)', PHONE, true],
  ['a phone (390 px)', PHONE, false],
  ['a desktop (1280 px)', DESKTOP, true],
  ['a desktop (1280 px)', DESKTOP, false],
] as const;

describe('every page, read from the router (R1.4, R1.5, R2.6, §15)', () => {
  it('has a way to reach every page: each route parameter has a fixture', () => {
    const { urls, unresolved } = pagesToWalk(server.app.routeList, world);
    expect(unresolved, 'add a value for these parameters to fixtures() in page-walk.test.ts').toEqual([]);
    expect(urls.length).toBeGreaterThan(60);
  });

  describe.each(COMBINATIONS)('on %s', (_label, viewport, js) => {
    it(
      `with JavaScript ${js ? 'on' : 'off'}: fits, is accessible in light and dark, logs no error, and every address answers GET after its forms`,
      async () => {
        const { urls: all } = pagesToWalk(server.app.routeList, world);
        const urls = process.env.WALK_ONLY ? all.filter((u) => u.includes(process.env.WALK_ONLY!)) : all;
        const walker = new Walker(viewport, js);
        await walker.open();
        try {
          for (const url of urls) await walker.walk(url);
        } finally {
          await walker.close();
        }
        expect(walker.problems).toEqual([]);
      },
      15 * 60_000,
    );
  });
});
