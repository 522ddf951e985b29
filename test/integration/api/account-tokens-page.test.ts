// R1.4, R16.2: personal API tokens on the account page, through the real
// forms (JavaScript off: plain posts and pages; htmx only layers over them).
// A token made on the page works with Losant's client; revoked, it is 401.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfDayIn } from '../../../src/modules/accounts/account-routes.ts';
import { PERSONAL_TOKENS_MAX } from '../../../src/modules/accounts/personal-tokens.ts';
import { refusalOf, startApiServer, type ApiTestServer } from '../../support/api.ts';
import { newUser, signedIn } from '../../support/builders.ts';

let t: ApiTestServer;
beforeAll(async () => {
  t = await startApiServer();
});
afterAll(async () => t.close());

const tokenOnPage = (html: string) => /id="new-api-token"[^>]*value="(opl_[A-Za-z0-9_-]{43})"/.exec(html)?.[1];

describe('API tokens on the account page (R1.4, R16.2)', () => {
  it('makes a token shown once; it works with losant-rest; the list shows created, last used and expiry; revoking asks first and ends it', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const page = await agent.get('/account');
    expect(page.body).toContain('id="api-tokens"');
    expect(page.body).toContain('value="all.Organization.read"');

    const made = await agent.post('/account/tokens', { name: 'Nightly report', scope: ['all.User', 'all.Organization.read'], expires_on: '2026-04-30' });
    expect(made.statusCode).toBe(201);
    expect(made.headers['cache-control']).toBe('no-store');
    const token = tokenOnPage(made.body);
    expect(token).toBeDefined();
    expect(made.body).toContain('shown only this once');

    // It works with Losant's client, as its user, within its scopes.
    const me = await t.client(token).me.get();
    expect(me.email).toBe(user.email);
    // The scopes chosen on the page are the token's.
    expect((await t.client(token).userApiTokens.get()).items.map((i: { scope: string[] }) => i.scope)).toEqual([['all.User', 'all.Organization.read']]);

    // Shown once: the page never shows the value again; the list shows the token with its dates.
    const again = await agent.get('/account');
    expect(again.body).not.toContain(token!);
    expect(again.body).toContain('Nightly report');
    expect(again.body).toContain('all.User, all.Organization.read');
    const row = await t.knex('api_tokens').where({ user_id: user.id, kind: 'personal' }).first();
    // Through 30 April in the user's zone (UTC here): it ends at 1 May 00:00.
    expect(Number(row.expires_at)).toBe(Date.UTC(2026, 4, 1));
    expect(again.body).toContain(`datetime="${new Date(Date.UTC(2026, 4, 1)).toISOString()}"`);
    expect(again.body).toContain(`datetime="${t.clock.now().toISOString()}"`); // created and last used

    // Revoke: a confirmation page first (a GET works without JavaScript), then the form.
    const confirm = await agent.get(`/account/tokens/${row.id}/revoke`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Revoke the API token Nightly report?');
    expect(confirm.body).toContain(`action="/account/tokens/${row.id}/revoke"`);
    const revoked = await agent.post(`/account/tokens/${row.id}/revoke`);
    expect(revoked.statusCode).toBe(303);
    expect(revoked.headers.location).toBe('/account#api-tokens');
    expect(await refusalOf(t.client(token).me.get())).toMatchObject({ statusCode: 401, type: 'Unauthorized' });
    const after = (await agent.get('/account')).body;
    expect(after).toContain('API token Nightly report revoked');
    expect(after).not.toContain('<strong>Nightly report</strong>');
  });

  it('a token made through the API shows on the page, and the page revokes it', async () => {
    const user = await newUser(t);
    const client = t.client(await t.tokenFor(user));
    const made = await client.userApiTokens.post({ apiToken: { name: 'From a script', scope: ['all.User.read'] } });
    const agent = await signedIn(t, user);
    const page = await agent.get('/account');
    expect(page.body).toContain('From a script');
    expect(page.body).not.toContain(made.token);
    const id = parseInt(made.id, 16);
    expect((await agent.post(`/account/tokens/${id}/revoke`)).statusCode).toBe(303);
    expect(await refusalOf(t.client(made.token).me.get())).toMatchObject({ statusCode: 401 });
  });

  it('refuses no name, no scope, a past day and a scope not offered, keeping the values', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const noName = await agent.post('/account/tokens', { name: '  ', scope: 'all.User' });
    expect(noName.statusCode).toBe(422);
    expect(noName.body).toContain('Give the token a name');
    expect(noName.body).toMatch(/value="all.User" checked/);
    const noScope = await agent.post('/account/tokens', { name: 'x' });
    expect(noScope.statusCode).toBe(422);
    expect(noScope.body).toContain('Choose at least one scope');
    const readOnly = await agent.post('/account/tokens', { name: 'read only', scope: 'all.User.read' });
    const readToken = tokenOnPage(readOnly.body)!;
    expect((await t.client(readToken).me.get()).email).toBe(user.email);
    expect(await refusalOf(t.client(readToken).me.patch({ user: { firstName: 'No' } }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    await t.knex('api_tokens').where({ user_id: user.id }).delete();
    const past = await agent.post('/account/tokens', { name: 'x', scope: 'all.User', expires_on: '2026-03-09' });
    expect(past.statusCode).toBe(422);
    expect(past.body).toContain('Choose a day from today on');
    const bad = await agent.post('/account/tokens', { name: 'x', scope: 'all.User', expires_on: '2026-02-30' });
    expect(bad.statusCode).toBe(422);
    const wide = await agent.post('/account/tokens', { name: 'x', scope: 'org.*' });
    expect(wide.statusCode).toBe(422);
    expect(await t.knex('api_tokens').where({ user_id: user.id, kind: 'personal' })).toHaveLength(0);
    // Today is fine: the token works until the day ends.
    expect((await agent.post('/account/tokens', { name: 'today', scope: 'all.User', expires_on: '2026-03-10' })).statusCode).toBe(201);
  });

  it(`holds at most ${PERSONAL_TOKENS_MAX} tokens (409 with what to do)`, async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const client = t.client(await t.tokenFor(user));
    for (let i = 0; i < PERSONAL_TOKENS_MAX; i++) await client.userApiTokens.post({ apiToken: { name: `t${i}`, scope: ['me.get'] } });
    const over = await agent.post('/account/tokens', { name: 'one more', scope: 'all.User' });
    expect(over.statusCode).toBe(409);
    expect(over.body).toContain('Revoke one you no longer use');
    expect(await refusalOf(client.userApiTokens.post({ apiToken: { name: 'one more' } }))).toMatchObject({ statusCode: 409, type: 'Conflict' });
  });

  it('another user’s token: 404 to the confirmation and the revoke', async () => {
    const owner = await newUser(t);
    const made = await t.client(await t.tokenFor(owner)).userApiTokens.post({ apiToken: { name: 'mine' } });
    const id = parseInt(made.id, 16);
    const stranger = await signedIn(t, await newUser(t));
    expect((await stranger.get(`/account/tokens/${id}/revoke`)).statusCode).toBe(404);
    expect((await stranger.post(`/account/tokens/${id}/revoke`)).statusCode).toBe(404);
    expect((await t.client(made.token).me.get()).email).toBe(owner.email);
  });

  it('the expiry day is read in the user’s time zone', () => {
    expect(startOfDayIn('UTC', 2026, 5, 1).toISOString()).toBe('2026-05-01T00:00:00.000Z');
    expect(startOfDayIn('America/New_York', 2026, 5, 1).toISOString()).toBe('2026-05-01T04:00:00.000Z');
    expect(startOfDayIn('Asia/Kolkata', 2026, 1, 1).toISOString()).toBe('2025-12-31T18:30:00.000Z');
    // The day daylight saving starts (02:00 → 03:00): midnight exists.
    expect(startOfDayIn('Europe/Berlin', 2026, 3, 29).toISOString()).toBe('2026-03-28T23:00:00.000Z');
  });
});
