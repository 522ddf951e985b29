import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../support/app.ts';
import type { Agent } from '../support/agent.ts';
import { newUser, signedIn, type TestUser } from '../support/builders.ts';
import { OPEN_REDIRECT_BYPASSES } from '../support/open-redirects.ts';

/**
 * R13.4 (attack b): every route that honours `next` — the log-in and sign-up
 * pages for a signed-in person, and the log-in and sign-up forms — sends a
 * person to a path of this site only, for every known bypass; nothing is a 5xx.
 */

let t: TestContext;
let user: TestUser;
let signedInAgent: Agent;
beforeAll(async () => {
  t = await startTestApp();
  user = await newUser(t);
  // Visiting /login or /signup while signed in changes nothing, so one session serves every case.
  signedInAgent = await signedIn(t, user);
});
afterAll(async () => {
  await t.close();
});

/** The Location a browser would follow, resolved against the site: it must stay on the site. */
function expectStaysOnSite(location: unknown) {
  expect(typeof location).toBe('string');
  const target = new URL(String(location), 'http://localhost:3000');
  expect(target.origin).toBe('http://localhost:3000');
  expect(String(location)).not.toMatch(/[\u0000-\u001f\\]/);
  expect(String(location).startsWith('//')).toBe(false);
}

describe('open redirects through `next` (attack b)', () => {
  it.each(OPEN_REDIRECT_BYPASSES.map((v) => [JSON.stringify(v), v]))('%s: GET /login and /signup while signed in', async (_label, value) => {
    const agent = signedInAgent;
    for (const page of ['/login', '/signup']) {
      const res = await agent.get(`${page}?next=${encodeURIComponent(value)}`);
      expect(res.statusCode, `${page} ${JSON.stringify(value)}`).toBeLessThan(500);
      if (res.statusCode === 303) {
        expectStaysOnSite(res.headers.location);
        expect(res.headers.location).toBe('/sandbox');
      } else expect(res.statusCode).toBe(400);
    }
  });

  it('the known cases of the report: tab, backslash and line breaks', async () => {
    const agent = signedInAgent;
    for (const raw of ['/%09/evil.example/phish', '/%09%5Cevil.example', '/%0A/x', '/%0D/x']) {
      const res = await agent.get(`/login?next=${raw}`);
      expect(res.statusCode, raw).toBeLessThan(500);
      if (res.statusCode === 303) expect(res.headers.location).toBe('/sandbox');
    }
  });

  it.each(OPEN_REDIRECT_BYPASSES.map((v) => [JSON.stringify(v), v]))('%s: after logging in through the form', async (_label, value) => {
    const agent = t.agent();
    await agent.get('/login');
    const res = await agent.post('/login', { email: user.email, password: user.password, next: value });
    expect(res.statusCode).toBeLessThan(500);
    if (res.statusCode === 303) {
      expectStaysOnSite(res.headers.location);
      expect(res.headers.location).toBe('/sandbox');
    } else expect(res.statusCode).toBe(400);
  });

  it('a path of this site is honoured, and carried from the log-in page to the form', async () => {
    const agent = t.agent();
    const page = await agent.get('/login?next=%2Forgs%3Ftab%3D1');
    expect(page.body).toContain('name="next" value="/orgs?tab=1"');
    const res = await agent.post('/login', { email: user.email, password: user.password, next: '/orgs?tab=1' });
    expect(res.headers.location).toBe('/orgs?tab=1');
  });
});
