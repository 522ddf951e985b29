import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postOnlyFallback } from '../../src/http/get-fallback.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newUser, signedIn } from '../support/builders.ts';

/**
 * Every address the browser shows answers GET (issue 17): a form shown again
 * after a POST leaves a browser without JavaScript on the form's action, so a
 * GET of any POST-only action leads to the page above it.
 */

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const sample = (url: string) => url.replace(/:[A-Za-z]+/g, (p) => (p === ':slug' ? 'acme' : p === ':token' || p === ':shareToken' ? 'A'.repeat(43) : '7'));

describe('GET of a POST-only address', () => {
  it('leads every POST-only route of the router to a page', () => {
    const above = postOnlyFallback(t.app.routeList);
    const gets = new Set(t.app.routeList.filter((r) => r.method === 'GET').map((r) => r.url));
    const postOnly = t.app.routeList.filter((r) => r.method === 'POST' && !gets.has(r.url) && !r.url.startsWith('/api/') && !r.url.startsWith('/webhooks/'));
    expect(postOnly.length).toBeGreaterThan(20);
    const missing = postOnly.filter((r) => above(sample(r.url)) === null).map((r) => r.url);
    expect(missing).toEqual([]);
  });

  it('goes to the nearest page above', () => {
    const above = postOnlyFallback(t.app.routeList);
    expect(above('/applications/7/keys')).toBe('/applications/7');
    expect(above('/applications/7/devices/3')).toBe('/applications/7');
    expect(above('/orgs/new/continue')).toBe('/orgs/new');
    expect(above('/orgs/acme/invitations')).toBe('/orgs/acme');
    expect(above('/orgs/acme/settings/members/4/role')).toBe('/orgs/acme/settings/members');
    expect(above('/d/' + 'A'.repeat(43) + '/unlock')).toBe('/d/' + 'A'.repeat(43));
    expect(above('/logout')).toBe('/');
    // Pages of their own and the API are left alone.
    expect(above('/applications/7')).toBeNull();
    expect(above('/applications/7/delete')).toBeNull();
    expect(above('/api/applications/7/devices/3/state')).toBeNull();
    expect(above('/no/such/page')).toBeNull();
  });

  it('answers with a redirect there, and the page decides who may see it', async () => {
    const agent = await signedIn(t, await newUser(t));
    const res = await agent.get('/applications/7/keys?x=1');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/applications/7');
    expect((await agent.get('/applications/7')).statusCode).toBe(404);
    expect((await t.agent().get('/orgs/new/continue')).headers.location).toBe('/orgs/new');
    expect((await t.agent().get('/no/such/page')).statusCode).toBe(404);
    // The API is never redirected to a page: a GET there is the API's own answer (device.getState wants a token, R16.2).
    const api = await t.agent().get('/api/applications/7/devices/3/state');
    expect(api.statusCode).toBe(401);
    expect(api.json()).toMatchObject({ type: 'Unauthorized' });
    expect((await t.agent().get('/api/no/such/thing')).statusCode).toBe(404);
  });

  it('with htmx, a POST that answers with a page keeps the address of the page it came from', async () => {
    const agent = await signedIn(t, await newUser(t));
    const refused = await agent.post('/orgs/new/continue', {}, { headers: { 'hx-request': 'true' } });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['hx-push-url']).toBe('false');
    const page = await agent.get('/orgs/new', { 'hx-request': 'true' });
    expect(page.headers['hx-push-url']).toBeUndefined();
  });
});
