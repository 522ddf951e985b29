import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser, signedIn } from '../support/builders.ts';

/**
 * R13.4 (attack c): a CSRF token is good only with the session it was made
 * for, and a new session (log-in, log-out) comes with a new one. Cookies are
 * Secure whenever PUBLIC_URL is https (item 4).
 */

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const cookiesOf = (res: LightMyRequestResponse) => Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
const tokenOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1];

/** What a stranger holds after opening the log-in page: their cookies and the page's token. */
async function strangersForm() {
  const res = await t.app.inject({ method: 'GET', url: '/login', remoteAddress: '192.0.2.66' });
  return { cookies: cookiesOf(res), token: tokenOf(res.body)! };
}

function postForm(url: string, cookies: Record<string, string>, fields: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ') },
    payload: new URLSearchParams(fields).toString(),
  });
}

describe('cross-session CSRF (attack c)', () => {
  it("a stranger's token and cookies, sent with an Administrator's session, change nothing", async () => {
    const admin = await newUser(t, { name: 'Ada Admin' });
    const org = await newOrg(t, { owner: admin, name: 'Victim Org' });
    const agent = await signedIn(t, admin);
    const stranger = await strangersForm();
    // The stranger's cookies (whatever they are) with the victim's session cookie.
    const cookies = { ...stranger.cookies, 'orgplane.sid': agent.cookie('orgplane.sid')! };
    const res = await postForm(`/orgs/${org.slug}/settings/general`, cookies, { _csrf: stranger.token, name: 'Pwned', description: '', icon_color: '#3346d3' });
    expect(res.statusCode).toBe(403);
    expect((await t.knex('organizations').where({ id: org.id }).first()).name).toBe('Victim Org');
    // The htmx header is held to the same rule.
    const viaHeader = await t.app.inject({
      method: 'POST',
      url: `/orgs/${org.slug}/settings/general`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': stranger.token, 'hx-request': 'true', cookie: `orgplane.sid=${agent.cookie('orgplane.sid')}` },
      payload: 'name=Pwned&description=&icon_color=%233346d3',
    });
    expect(viaHeader.statusCode).toBe(403);
  });

  it("another signed-in user's token does not work with the victim's session", async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, name: 'Second Victim' });
    const victim = await signedIn(t, admin);
    const attacker = await signedIn(t, await newUser(t));
    const attackerToken = await attacker.token();
    const res = await postForm(`/orgs/${org.slug}/settings/general`, { 'orgplane.sid': victim.cookie('orgplane.sid')! }, { _csrf: attackerToken, name: 'Pwned', description: '', icon_color: '#3346d3' });
    expect(res.statusCode).toBe(403);
    expect((await t.knex('organizations').where({ id: org.id }).first()).name).toBe('Second Victim');
  });

  it('no separate CSRF cookie; log-in and log-out each start a session with a new token', async () => {
    const user = await newUser(t);
    const agent = t.agent();
    const page = await agent.get('/login');
    expect(page.cookies.map((c) => c.name)).not.toContain('_csrf');
    const anonymousToken = await agent.token();
    const anonymousSession = agent.cookie('orgplane.sid');
    expect(anonymousSession).toBeDefined();

    expect((await agent.post('/login', { email: user.email, password: user.password })).statusCode).toBe(303);
    expect(agent.cookie('orgplane.sid')).not.toBe(anonymousSession);
    // The token of the page before log-in no longer works…
    expect((await agent.post('/logout', { _csrf: anonymousToken }, { csrf: false })).statusCode).toBe(403);
    // …the signed-in session's own does.
    const signedInToken = await agent.token();
    expect(signedInToken).not.toBe(anonymousToken);
    const signedInSession = agent.cookie('orgplane.sid');
    expect((await agent.post('/logout')).statusCode).toBe(303);
    expect(await t.knex('sessions').where('sid', 'like', '%')).not.toContainEqual(expect.objectContaining({ data: expect.stringContaining(`"userId":${user.id}`) }));

    // After log-out the old session and its token are gone.
    const replay = await postForm('/login', { 'orgplane.sid': signedInSession! }, { _csrf: signedInToken, email: user.email, password: user.password });
    expect(replay.statusCode).toBe(403);
    const next = await agent.token();
    expect(next).not.toBe(signedInToken);
  });

  it('a form without a token, or with a token but no session, is refused', async () => {
    const user = await newUser(t);
    const stranger = await strangersForm();
    expect((await postForm('/login', {}, { _csrf: stranger.token, email: user.email, password: user.password })).statusCode).toBe(403);
    expect((await postForm('/login', stranger.cookies, { email: user.email, password: user.password })).statusCode).toBe(403);
    expect((await postForm('/login', stranger.cookies, { _csrf: stranger.token, email: user.email, password: user.password })).statusCode).toBe(303);
  });

  it('every state-changing route of the router refuses a token from another session', async () => {
    const admin = await newUser(t);
    await newOrg(t, { owner: admin, name: 'Router Walk' });
    // A platform admin too, so the back-office's routes are reached rather than hidden (404).
    await t.knex('users').where({ id: admin.id }).update({ is_platform_admin: true });
    const agent = await signedIn(t, admin);
    const stranger = await strangersForm();
    const routes = t.app.routeList.filter((r) => r.method === 'POST' && !r.url.startsWith('/api/') && !r.url.startsWith('/webhooks/'));
    expect(routes.length).toBeGreaterThan(30);
    for (const route of routes) {
      const url = route.url.replace(/:(\w+)/g, (_m, name: string) => (name === 'slug' ? 'router-walk' : name === 'shareToken' || name === 'token' ? 'x'.repeat(43) : '1'));
      const res = await postForm(url, { 'orgplane.sid': agent.cookie('orgplane.sid')! }, { _csrf: stranger.token });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(403);
    }
  });

  it('anonymous pages without forms start no session', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/no-such-page' });
    expect(res.statusCode).toBe(404);
    expect(res.cookies.map((c) => c.name)).not.toContain('orgplane.sid');
  });
});

describe('Secure cookies (item 4, R13.4)', () => {
  it('with an https PUBLIC_URL every cookie is Secure, even on a plain-HTTP hop without X-Forwarded-Proto', async () => {
    const prod = await startTestApp({ config: { isProduction: true, nodeEnv: 'production', publicUrl: 'https://orgplane.example', secureCookies: true } });
    try {
      const user = await newUser(prod);
      const agent = prod.agent();
      const page = await agent.get('/login');
      for (const c of page.cookies) expect(c.secure, c.name).toBe(true);
      const res = await agent.post('/login', { email: user.email, password: user.password });
      expect(res.statusCode).toBe(303);
      expect(res.cookies.length).toBeGreaterThan(0);
      for (const c of res.cookies) expect(c.secure, c.name).toBe(true);
      // The session works: the proxy in front speaks https to the browser.
      expect((await agent.get('/sandbox')).statusCode).toBe(200);
      const out = await agent.post('/logout');
      for (const c of out.cookies) expect(c.secure, c.name).toBe(true);
    } finally {
      await prod.close();
    }
  });

  it('with an http PUBLIC_URL (development) cookies are not Secure', async () => {
    const res = await t.agent().get('/login');
    for (const c of res.cookies) expect(c.secure ?? false, c.name).toBe(false);
  });
});
