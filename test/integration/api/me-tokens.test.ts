// R16.1, R16.2, R16.3, R1.4: `me` (get, patch, payloadCounts,
// transferResources) and personal API tokens (userApiTokens, userApiToken)
// through Losant's own client, each answer checked against its schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiId } from '../../../src/modules/api/ids.ts';
import { planOfOwner } from '../../../src/modules/owners/owner.ts';
import { mailsTo } from '../../../src/modules/mail/queries.ts';
import { expectSchema, refusalOf, startApiServer, type ApiTestServer } from '../../support/api.ts';
import { addMember, insertAccessKey, insertApplication, insertDevice, newOrg, newUser, sandboxOf, signedIn, type TestUser } from '../../support/builders.ts';

let t: ApiTestServer;

beforeAll(async () => {
  t = await startApiServer();
});
afterAll(async () => t.close());

const expectSuccess = (body: unknown) => {
  expectSchema('success', body);
  expect(body).toEqual({ success: true });
};

describe('me.get and me.patch (R1.4)', () => {
  it('changes the name; the account page shows it', async () => {
    const user = await newUser(t, { name: 'Grace Hopper' });
    const client = t.client(await t.tokenFor(user));
    const me = await client.me.patch({ user: { firstName: 'Grace Brewster', lastName: 'Murray Hopper' } });
    expectSchema('me', me);
    expect(me).toMatchObject({ id: toApiId(user.id), firstName: 'Grace', lastName: 'Brewster Murray Hopper', fullName: 'Grace Brewster Murray Hopper' });
    const lastOnly = await client.me.patch({ user: { lastName: 'Hopper' } });
    expect(lastOnly.fullName).toBe('Grace Hopper');
    const page = await (await signedIn(t, user)).get('/account');
    expect(page.body).toContain('value="Grace Hopper"');
    const single = t.client(await t.tokenFor(await newUser(t, { name: 'Cher' })));
    expect(await refusalOf(single.me.patch({ user: { firstName: '   ' } }))).toMatchObject({ statusCode: 400, message: expect.stringMatching(/blank/) });
    expect((await single.me.get()).fullName).toBe('Cher');
  });

  it('a new email needs the current password and waits for its link: the answer is the user as now, with pendingEmail', async () => {
    const user = await newUser(t);
    const client = t.client(await t.tokenFor(user));
    const refusal = await refusalOf(client.me.patch({ user: { email: 'new-address@example.com' } }));
    expect(refusal).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(refusal.message).toMatch(/^currentPassword/);
    const wrong = await refusalOf(client.me.patch({ user: { email: 'new-address@example.com', currentPassword: 'not it at all' } }));
    expect(wrong).toMatchObject({ statusCode: 400, message: expect.stringMatching(/currentPassword.*not correct/) });

    const me = await client.me.patch({ user: { email: 'New-Address@example.com', currentPassword: user.password } });
    expectSchema('me', me);
    expect(me).toMatchObject({ email: user.email, pendingEmail: 'new-address@example.com' });
    expect(await mailsTo(t.deps.db, 'new-address@example.com')).toHaveLength(1);
    expect(await mailsTo(t.deps.db, user.email)).toHaveLength(1);
    expect((await client.me.get()).pendingEmail).toBe('new-address@example.com');
    // The account page shows the same waiting change.
    const page = await (await signedIn(t, user)).get('/account');
    expect(page.body).toContain('new-address@example.com');
  });

  it('an email another account uses is 409, and nothing else of the patch is made', async () => {
    const other = await newUser(t);
    const user = await newUser(t, { name: 'Kept Name' });
    const client = t.client(await t.tokenFor(user));
    const refusal = await refusalOf(client.me.patch({ user: { firstName: 'Changed', email: other.email, currentPassword: user.password } }));
    expect(refusal).toMatchObject({ statusCode: 409, type: 'Conflict' });
    expect((await client.me.get()).fullName).toBe('Kept Name');
  });

  it('a password is refused with a pointer to the account page; unknown fields are 400 naming the field', async () => {
    const user = await newUser(t);
    const client = t.client(await t.tokenFor(user));
    const refusal = await refusalOf(client.me.patch({ user: { password: 'Abcdefgh1234!' } }));
    expect(refusal).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(refusal.message).toMatch(/account page/);
    const unknown = await refusalOf(client.me.patch({ user: { companyName: 'Acme' } }));
    expect(unknown).toMatchObject({ statusCode: 400, type: 'Validation', message: expect.stringMatching(/companyName/) });
    // The token still works: no credentials changed.
    expect((await client.me.get()).email).toBe(user.email);
  });

  it('a read-only token may get but not patch (403)', async () => {
    const user = await newUser(t);
    const auth = await t.client().auth.authenticateUser({ credentials: { email: user.email, password: user.password, requestedScopes: ['all.User.read'] } });
    const client = t.client(auth.token);
    expectSchema('me', await client.me.get());
    expect(await refusalOf(client.me.patch({ user: { firstName: 'No' } }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
  });
});

describe('me.payloadCounts', () => {
  it('counts the Sandbox’s payloads in its current period, and in a range of days', async () => {
    const user = await newUser(t);
    const appId = await insertApplication(t, sandboxOf(user), 'Greenhouse');
    const deviceId = await insertDevice(t, appId, 'Sensor');
    const key = await insertAccessKey(t, appId);
    const send = (states: unknown) =>
      t.app.inject({ method: 'POST', url: `/api/applications/${appId}/devices/${deviceId}/state`, headers: { authorization: key.authorization, 'content-type': 'application/json' }, payload: JSON.stringify(states) });
    expect((await send([{ data: { t: 1 } }, { data: { t: 2 } }, { data: { t: 3 } }])).statusCode).toBe(202);
    const client = t.client(await t.tokenFor(user));
    const counts = await client.me.payloadCounts();
    expectSchema('payloadStats', counts);
    expect(counts).toEqual({ deviceState: { rest: 3 } });
    const now = t.clock.now().getTime();
    const ranged = await client.me.payloadCounts({ start: String(now - 86_400_000), end: String(now + 1) });
    expect(ranged).toEqual({ deviceState: { rest: 3 } });
    const before = await client.me.payloadCounts({ start: String(now - 10 * 86_400_000), end: String(now - 5 * 86_400_000) });
    expect(before).toEqual({ deviceState: { rest: 0 } });
    // Another user's Sandbox counts nothing of these.
    const other = t.client(await t.tokenFor(await newUser(t)));
    expect(await other.me.payloadCounts()).toEqual({ deviceState: { rest: 0 } });
  });

  it('an end before the start is 400; a token without the scope is 403', async () => {
    const user = await newUser(t);
    const client = t.client(await t.tokenFor(user));
    expect(await refusalOf(client.me.payloadCounts({ start: '2000', end: '1000' }))).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(await refusalOf(client.me.payloadCounts({ start: 'yesterday' }))).toMatchObject({ statusCode: 400, type: 'Validation', message: expect.stringMatching(/start/) });
    const narrow = await client.userApiTokens.post({ apiToken: { name: 'me only', scope: ['me.get'] } });
    expect(await refusalOf(t.client(narrow.token).me.payloadCounts())).toMatchObject({ statusCode: 403, type: 'Forbidden' });
  });
});

describe('me.transferResources (R5.4)', () => {
  async function sandboxWithResources() {
    const user = await newUser(t, { name: 'Mover' });
    const org = await newOrg(t, { owner: user, plan: 'starter', name: 'Movers Inc' });
    const appId = await insertApplication(t, sandboxOf(user), 'Moving App');
    await insertDevice(t, appId, 'Moving device');
    const dash = await (await signedIn(t, user)).post('/dashboards/new', { owner: 'sandbox', name: 'Moving Dashboard', description: '' });
    const dashboardId = Number(String(dash.headers.location).split('/').pop()!.split('#')[0]);
    return { user, org, appId, dashboardId };
  }

  it('moves Sandbox applications and dashboards to an organization the user administers; the audit log page shows it', async () => {
    const { user, org, appId, dashboardId } = await sandboxWithResources();
    const client = t.client(await t.tokenFor(user));
    const res = await client.me.transferResources({ transfer: { destinationId: toApiId(org.id), destinationType: 'organization', applicationIds: [toApiId(appId)], dashboardIds: [toApiId(dashboardId)] } });
    expectSuccess(res);
    expect(await t.knex('applications').where({ id: appId }).first()).toMatchObject({ owner_type: 'organization' });
    expect(Number((await t.knex('dashboards').where({ id: dashboardId }).first()).owner_id)).toBe(org.id);
    const audit = await (await signedIn(t, user)).get(`/orgs/${org.slug}/settings/audit-log`);
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toContain('Moving App');
    expect(audit.body).toContain('Moving Dashboard');
  });

  it('all or none: one id not in the Sandbox is 404 and nothing moves', async () => {
    const { user, org, appId } = await sandboxWithResources();
    const stranger = await newUser(t);
    const theirs = await insertApplication(t, sandboxOf(stranger), 'Not yours');
    const client = t.client(await t.tokenFor(user));
    const refusal = await refusalOf(client.me.transferResources({ transfer: { destinationId: toApiId(org.id), destinationType: 'organization', applicationIds: [toApiId(appId), toApiId(theirs)] } }));
    expect(refusal).toMatchObject({ statusCode: 404, type: 'NotFound' });
    expect(await t.knex('applications').where({ id: appId }).first()).toMatchObject({ owner_type: 'user' });
    expect(await t.knex('audit_events').where({ organization_id: org.id, action: 'application.transferred_in' })).toHaveLength(0);
  });

  it('over the plan’s limit is 409 naming the limit and plan', async () => {
    const { user, org } = await sandboxWithResources();
    // Fill the organization to its application limit.
    const limit = (await planOfOwner(t.deps.db, { kind: 'organization', organizationId: org.id })).limits.applications;
    expect(limit).toBeGreaterThan(0);
    for (let i = 0; i < limit; i++) await insertApplication(t, { owner_type: 'organization', owner_id: org.id }, `Filler ${i}`);
    const extra = await insertApplication(t, sandboxOf(user), 'One too many');
    const client = t.client(await t.tokenFor(user));
    const refusal = await refusalOf(client.me.transferResources({ transfer: { destinationId: toApiId(org.id), destinationType: 'organization', applicationIds: [toApiId(extra)] } }));
    expect(refusal).toMatchObject({ statusCode: 409, type: 'Conflict' });
    expect(refusal.message).toMatch(/Movers Inc on the .* plan allows/);
  });

  it('a stranger organization is 404; a member below Administrator is 403', async () => {
    const { user, appId } = await sandboxWithResources();
    const owner = await newUser(t);
    const theirOrg = await newOrg(t, { owner, name: 'Not Mine' });
    const client = t.client(await t.tokenFor(user));
    const transfer = { destinationId: toApiId(theirOrg.id), destinationType: 'organization', applicationIds: [toApiId(appId)] };
    expect(await refusalOf(client.me.transferResources({ transfer }))).toMatchObject({ statusCode: 404, type: 'NotFound' });
    await addMember(t, theirOrg, user, 'editor');
    expect(await refusalOf(client.me.transferResources({ transfer }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    expect(await refusalOf(client.me.transferResources({ transfer: { ...transfer, destinationType: 'user', destinationId: toApiId(user.id) } }))).toMatchObject({ statusCode: 400 });
  });
});

describe('userApiTokens and userApiToken (R16.2)', () => {
  let user: TestUser;
  let client: ReturnType<ApiTestServer['client']>;
  beforeAll(async () => {
    user = await newUser(t);
    client = t.client(await t.tokenFor(user));
  });

  it('makes a token shown once, stored hashed, that works with losant-rest; the list shows its last use', async () => {
    const made = await client.userApiTokens.post({ apiToken: { name: 'CI deploys', description: 'from the pipeline', scope: ['all.Organization', 'all.User.read'] } });
    expectSchema('apiToken', made);
    expect(made).toMatchObject({ name: 'CI deploys', description: 'from the pipeline', scope: ['all.Organization', 'all.User.read'], status: 'active', ownerType: 'user', ownerId: toApiId(user.id) });
    expect(made.token).toMatch(/^opl_/);
    const stored = await t.knex('api_tokens').where({ id: parseInt(made.id, 16) }).first();
    expect(JSON.stringify(stored)).not.toContain(made.token);

    const own = t.client(made.token);
    expect((await own.me.get()).email).toBe(user.email);
    const list = await client.userApiTokens.get();
    expectSchema('apiTokens', list);
    const listed = list.items.find((i: { id: string }) => i.id === made.id);
    expect(listed).toMatchObject({ name: 'CI deploys', lastUsedDate: t.clock.now().toISOString() });
    expect(listed.token).toBeUndefined();
    const one = await client.userApiToken.get({ apiTokenId: made.id });
    expectSchema('apiToken', one);
    expect(one.token).toBeUndefined();
    // The log-in tokens are not in the list.
    expect(list.items.every((i: { name: string }) => i.name !== 'Log-in token')).toBe(true);
  });

  it('an expiry in the past, an unknown scope or no name is 400 naming the field', async () => {
    const past = await refusalOf(client.userApiTokens.post({ apiToken: { name: 'x', expirationDate: new Date(t.clock.now().getTime() - 1000).toISOString() } }));
    expect(past).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^expirationDate/) });
    expect(await refusalOf(client.userApiTokens.post({ apiToken: { name: 'x', scope: ['all.Everything'] } }))).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^scope: Unknown scope all\.Everything/) });
    expect(await refusalOf(client.userApiTokens.post({ apiToken: { description: 'no name' } }))).toMatchObject({ statusCode: 400, message: expect.stringMatching(/name/) });
  });

  it('a token cannot make a token wider than itself', async () => {
    const narrow = await client.userApiTokens.post({ apiToken: { name: 'tokens only', scope: ['userApiTokens.post', 'all.User.read'] } });
    const narrowClient = t.client(narrow.token);
    const refusal = await refusalOf(narrowClient.userApiTokens.post({ apiToken: { name: 'escalate', scope: ['all.Organization'] } }));
    expect(refusal).toMatchObject({ statusCode: 400, message: expect.stringMatching(/wider/) });
    const same = await narrowClient.userApiTokens.post({ apiToken: { name: 'as narrow' } });
    expect(same.scope).toEqual(['userApiTokens.post', 'all.User.read']);
    expect((await narrowClient.userApiTokens.post({ apiToken: { name: 'read', scope: ['me.get'] } })).scope).toEqual(['me.get']);
  });

  it('an expiring token stops at its expirationDate (401)', async () => {
    const made = await client.userApiTokens.post({ apiToken: { name: 'short', expirationDate: new Date(t.clock.now().getTime() + 60_000).toISOString() } });
    expect(made.expirationDate).toBe(new Date(t.clock.now().getTime() + 60_000).toISOString());
    expect((await t.client(made.token).me.get()).email).toBe(user.email);
    t.clock.advance(61_000);
    expect(await refusalOf(t.client(made.token).me.get())).toMatchObject({ statusCode: 401, message: expect.stringMatching(/expired/) });
  });

  it('patch deactivates and renames; inactive → 401; delete revokes → 401; again → 404', async () => {
    const made = await client.userApiTokens.post({ apiToken: { name: 'to change' } });
    const patched = await client.userApiToken.patch({ apiTokenId: made.id, apiToken: { name: 'renamed', status: 'inactive' } });
    expectSchema('apiToken', patched);
    expect(patched).toMatchObject({ name: 'renamed', status: 'inactive' });
    expect(await refusalOf(t.client(made.token).me.get())).toMatchObject({ statusCode: 401, message: expect.stringMatching(/deactivated/) });
    await client.userApiToken.patch({ apiTokenId: made.id, apiToken: { status: 'active' } });
    expect((await t.client(made.token).me.get()).email).toBe(user.email);
    expectSuccess(await client.userApiToken.delete({ apiTokenId: made.id }));
    expect(await refusalOf(t.client(made.token).me.get())).toMatchObject({ statusCode: 401, type: 'Unauthorized' });
    expect(await refusalOf(client.userApiToken.delete({ apiTokenId: made.id }))).toMatchObject({ statusCode: 404, type: 'NotFound' });
    expect(await refusalOf(client.userApiToken.patch({ apiTokenId: made.id, apiToken: { bogus: 1 } }))).toMatchObject({ statusCode: 400 });
  });

  it('another user’s token is 404 to get, patch and delete; it keeps working', async () => {
    const other = await newUser(t);
    const theirClient = t.client(await t.tokenFor(other));
    const theirs = await theirClient.userApiTokens.post({ apiToken: { name: 'theirs' } });
    expect(await refusalOf(client.userApiToken.get({ apiTokenId: theirs.id }))).toMatchObject({ statusCode: 404 });
    expect(await refusalOf(client.userApiToken.patch({ apiTokenId: theirs.id, apiToken: { status: 'inactive' } }))).toMatchObject({ statusCode: 404 });
    expect(await refusalOf(client.userApiToken.delete({ apiTokenId: theirs.id }))).toMatchObject({ statusCode: 404 });
    expect(await refusalOf(client.userApiToken.get({ apiTokenId: 'not-an-id' }))).toMatchObject({ statusCode: 400 });
    expect((await t.client(theirs.token).me.get()).email).toBe(other.email);
  });

  it('the list sorts and filters as Losant’s', async () => {
    const u = await newUser(t);
    const c = t.client(await t.tokenFor(u));
    for (const name of ['beta', 'alpha', 'gamma']) await c.userApiTokens.post({ apiToken: { name } });
    const sorted = await c.userApiTokens.get({ sortField: 'name', sortDirection: 'desc' });
    expect(sorted.items.map((i: { name: string }) => i.name)).toEqual(['gamma', 'beta', 'alpha']);
    const filtered = await c.userApiTokens.get({ filterField: 'name', filter: 'a*a' });
    expect(filtered).toMatchObject({ totalCount: 1, items: [{ name: 'alpha' }] });
    expect(await refusalOf(c.userApiTokens.get({ sortField: 'token' }))).toMatchObject({ statusCode: 400 });
  });
});

describe('API documentation (R16.3)', () => {
  it('/api/docs.json is an OpenAPI 3 document listing every /api route; /api/docs shows each on a page', async () => {
    const json = await t.app.inject({ method: 'GET', url: '/api/docs.json' });
    expect(json.statusCode).toBe(200);
    const doc = json.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const page = await t.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const routes = t.app.routeList.filter((r) => r.url.startsWith('/api/'));
    expect(routes.length).toBeGreaterThan(5);
    for (const r of routes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${r.url} in docs.json`).toBeDefined();
      expect(page.body, `${r.method} ${r.url} on the docs page`).toContain(`<span class="badge">${r.method}</span> <code>${path}</code>`);
    }
    expect(page.body).toContain('<code>me.patch</code>');
    expect(page.body).not.toMatch(/<script/);
  });
});
