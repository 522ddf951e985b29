// R16.1-R16.3 with R5.1, R5.2, R7.3, R8.1, R9.8: applications, devices,
// access keys and dashboards through Losant's own client (losant-rest),
// over the same use cases as the pages; every answer checked against the
// client's schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiId } from '../../../src/modules/api/ids.ts';
import type { Organization } from '../../../src/modules/tenancy/queries/organizations.ts';
import { expectSchema, refusalOf, startApiServer, type ApiTestServer } from '../../support/api.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../../support/builders.ts';

let t: ApiTestServer;
let admin: TestUser;
let adminToken: string;
let org: Organization;

beforeAll(async () => {
  t = await startApiServer();
  admin = await newUser(t, { name: 'Grace Admin' });
  org = await newOrg(t, { owner: admin, plan: 'starter', name: 'Api Resources Org' });
  adminToken = await t.tokenFor(admin);
});
afterAll(async () => t.close());

const setBillingStatus = (o: Organization, status: 'active' | 'unpaid') => t.knex('billing_accounts').where({ organization_id: o.id }).update({ status });

async function member(role: 'none' | 'viewer' | 'collaborator' | 'editor'): Promise<{ user: TestUser; token: string }> {
  const user = await newUser(t);
  await addMember(t, org, user, role);
  return { user, token: await t.tokenFor(user) };
}

async function newApp(token = adminToken, body: Record<string, unknown> = { orgId: toApiId(org.id) }) {
  const app = await t.client(token).applications.post({ application: { name: `App ${Math.random().toString(36).slice(2, 8)}`, ...body } });
  expectSchema('application', app);
  return app as { id: string; name: string; ownerId: string; ownerType: string };
}

describe('applications (applications.get/post, application.get/patch/delete)', () => {
  it('creates in an organization and in the Sandbox; the page shows it; lists check against the schema', async () => {
    const app = await t.client(adminToken).applications.post({ application: { name: 'Weather Station', description: 'roof', orgId: toApiId(org.id) } });
    expectSchema('application', app);
    expect(app).toMatchObject({ name: 'Weather Station', description: 'roof', ownerType: 'organization', ownerId: toApiId(org.id), organizationName: org.name });
    const sandboxApp = await t.client(adminToken).applications.post({ application: { name: 'Bench Rig' } });
    expect(sandboxApp).toMatchObject({ ownerType: 'user', ownerId: toApiId(admin.id) });

    const page = await (await signedIn(t, admin)).get(`/orgs/${org.slug}`);
    expect(page.body).toContain('Weather Station');

    const all = await t.client(adminToken).applications.get({});
    expectSchema('applications', all);
    expect(all.items.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['Weather Station', 'Bench Rig']));
    const onlyOrg = await t.client(adminToken).applications.get({ orgId: toApiId(org.id) });
    expect(onlyOrg.items.map((a: { ownerType: string }) => a.ownerType)).not.toContain('user');
    const onlySandbox = await t.client(adminToken).applications.get({ orgId: '' });
    expect(onlySandbox.items.map((a: { name: string }) => a.name)).toEqual(['Bench Rig']);
    const filtered = await t.client(adminToken).applications.get({ filterField: 'name', filter: 'weather*' });
    expect(filtered.items.map((a: { name: string }) => a.name)).toEqual(['Weather Station']);
  });

  it('a member sees what the role and the per-resource overrides allow (R2.2); a stranger gets 404 for the organization', async () => {
    const hidden = await newApp();
    const shown = await newApp();
    const none = await member('none');
    const agent = await signedIn(t, admin);
    const set = await agent.post(`/orgs/${org.slug}/settings/members/${none.user.id}/access`, { [`application:${fromHex(shown.id)}`]: 'viewer' });
    expect(set.statusCode).toBe(303);
    const seen = await t.client(none.token).applications.get({ orgId: toApiId(org.id) });
    expectSchema('applications', seen);
    expect(seen.items.map((a: { id: string }) => a.id)).toEqual([shown.id]);
    expect((await refusalOf(t.client(none.token).application.get({ applicationId: hidden.id }))).statusCode).toBe(403);

    const stranger = await newUser(t);
    const strangerToken = await t.tokenFor(stranger);
    expect(await refusalOf(t.client(strangerToken).applications.get({ orgId: toApiId(org.id) }))).toMatchObject({ statusCode: 404, type: 'NotFound' });
    expect(await refusalOf(t.client(strangerToken).application.get({ applicationId: shown.id }))).toMatchObject({ statusCode: 404, type: 'NotFound' });
  });

  it('creating needs Editor in the organization (403), a name (400 naming it), no unknown fields (400)', async () => {
    const viewer = await member('viewer');
    expect(await refusalOf(t.client(viewer.token).applications.post({ application: { name: 'Nope', orgId: toApiId(org.id) } }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    const blank = await refusalOf(t.client(adminToken).applications.post({ application: { name: '   ', orgId: toApiId(org.id) } }));
    expect(blank).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(blank.message).toMatch(/^name: /);
    expect((await refusalOf(t.client(adminToken).applications.post({ application: { name: 'x', endpointSlug: 'abcd' } }))).statusCode).toBe(400);
  });

  it('the plan limit refuses with the limit and the plan named (R7.3), and nothing is made', async () => {
    const solo = await newUser(t);
    const token = await t.tokenFor(solo);
    await newApp(token, {});
    await newApp(token, {});
    const refusal = await refusalOf(t.client(token).applications.post({ application: { name: 'Third' } }));
    expect(refusal).toMatchObject({ statusCode: 409, type: 'Conflict' });
    expect(refusal.message).toMatch(/2 applications.*Sandbox/);
    expect((await t.client(token).applications.get({})).count).toBe(2);
  });

  it('patch needs Collaborator, delete needs Editor; delete removes it', async () => {
    const app = await newApp();
    const viewer = await member('viewer');
    const collaborator = await member('collaborator');
    expect((await refusalOf(t.client(viewer.token).application.patch({ applicationId: app.id, application: { name: 'x' } }))).statusCode).toBe(403);
    const patched = await t.client(collaborator.token).application.patch({ applicationId: app.id, application: { name: 'Renamed', description: 'new words' } });
    expectSchema('application', patched);
    expect(patched).toMatchObject({ name: 'Renamed', description: 'new words' });
    expect((await t.client(adminToken).application.get({ applicationId: app.id })).name).toBe('Renamed');
    expect(await refusalOf(t.client(collaborator.token).application.delete({ applicationId: app.id }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    const done = await t.client(adminToken).application.delete({ applicationId: app.id });
    expectSchema('success', done);
    expect(await refusalOf(t.client(adminToken).application.get({ applicationId: app.id }))).toMatchObject({ statusCode: 404, type: 'NotFound' });
    expect((await refusalOf(t.client(adminToken).application.get({ applicationId: 'not-an-id' }))).statusCode).toBe(400);
    // A well-formed id that is not one of ours is 404, never a database error (R16.1).
    expect((await refusalOf(t.client(adminToken).application.get({ applicationId: 'f'.repeat(24) }))).statusCode).toBe(404);
    expect((await refusalOf(t.client(adminToken).devices.get({ applicationId: 'f'.repeat(24) }))).statusCode).toBe(404);
  });

  it('an Unpaid organization refuses writes with 402 and still answers reads (R9.8)', async () => {
    const owner = await newUser(t);
    const unpaid = await newOrg(t, { owner, plan: 'starter', name: 'Paused Org' });
    const token = await t.tokenFor(owner);
    const app = await newApp(token, { orgId: toApiId(unpaid.id) });
    await setBillingStatus(unpaid, 'unpaid');
    expect(await refusalOf(t.client(token).applications.post({ application: { name: 'More', orgId: toApiId(unpaid.id) } }))).toMatchObject({ statusCode: 402, type: 'PaymentRequired' });
    expect((await refusalOf(t.client(token).application.patch({ applicationId: app.id, application: { name: 'y' } }))).statusCode).toBe(402);
    expect((await refusalOf(t.client(token).devices.post({ applicationId: app.id, device: { name: 'd' } }))).statusCode).toBe(402);
    expect((await refusalOf(t.client(token).dashboards.post({ dashboard: { name: 'b', orgId: toApiId(unpaid.id) } }))).statusCode).toBe(402);
    expect((await t.client(token).application.get({ applicationId: app.id })).name).toBe(app.name);
  });
});

const fromHex = (id: string) => parseInt(id, 16);

describe('devices, access keys, device tokens and states (devices.*, device.*, applicationKeys.*, applicationKey.*, auth.authenticateDevice)', () => {
  it('adds, lists, renames and deletes a device; the page shows it', async () => {
    const app = await newApp();
    const client = t.client(adminToken);
    const device = await client.devices.post({ applicationId: app.id, device: { name: 'Boiler' } });
    expectSchema('device', device);
    expect(device).toMatchObject({ name: 'Boiler', applicationId: app.id });
    const page = await (await signedIn(t, admin)).get(`/applications/${fromHex(app.id)}`);
    expect(page.body).toContain('Boiler');
    const list = await client.devices.get({ applicationId: app.id });
    expectSchema('devices', list);
    expect(list.items.map((d: { name: string }) => d.name)).toEqual(['Boiler']);
    const renamed = await client.device.patch({ applicationId: app.id, deviceId: device.id, device: { name: 'Boiler 2' } });
    expectSchema('device', renamed);
    expect((await client.device.get({ applicationId: app.id, deviceId: device.id })).name).toBe('Boiler 2');
    expect((await refusalOf(client.devices.post({ applicationId: app.id, device: { name: 'x', tags: [] } }))).statusCode).toBe(400);
    const viewer = await member('viewer');
    expect((await refusalOf(t.client(viewer.token).device.delete({ applicationId: app.id, deviceId: device.id }))).statusCode).toBe(403);
    expectSchema('success', await client.device.delete({ applicationId: app.id, deviceId: device.id }));
    expect((await refusalOf(client.device.get({ applicationId: app.id, deviceId: device.id }))).statusCode).toBe(404);
  });

  it('the device limit of the plan refuses with 409 naming it (R7.3)', async () => {
    const solo = await newUser(t);
    const token = await t.tokenFor(solo);
    const app = await newApp(token, {});
    for (let i = 0; i < 10; i++) await t.client(token).devices.post({ applicationId: app.id, device: { name: `d${i}` } });
    const refusal = await refusalOf(t.client(token).devices.post({ applicationId: app.id, device: { name: 'one too many' } }));
    expect(refusal).toMatchObject({ statusCode: 409, type: 'Conflict' });
    expect(refusal.message).toMatch(/10 devices/);
  });

  it('an access key: its secret once, then listed without it; renamed; revoked by status inactive or delete, never reactivated', async () => {
    const app = await newApp();
    const client = t.client(adminToken);
    const created = await client.applicationKeys.post({ applicationId: app.id, applicationKey: { description: 'Gateway 3' } });
    expectSchema('applicationKeyPostResponse', created);
    expect(created).toMatchObject({ description: 'Gateway 3', status: 'active', secret: expect.any(String), key: expect.stringMatching(/^ak_/) });
    const list = await client.applicationKeys.get({ applicationId: app.id });
    expectSchema('applicationKeys', list);
    expect(JSON.stringify(list)).not.toContain(created.secret);
    const one = await client.applicationKey.get({ applicationId: app.id, applicationKeyId: created.id });
    expectSchema('applicationKey', one);
    expect(one).not.toHaveProperty('secret');
    const viewer = await member('viewer');
    expect((await refusalOf(t.client(viewer.token).applicationKeys.post({ applicationId: app.id, applicationKey: { description: 'x' } }))).statusCode).toBe(403);
    expect((await refusalOf(client.applicationKeys.post({ applicationId: app.id, applicationKey: { description: 'x'.repeat(101) } }))).statusCode).toBe(400);
    const renamed = await client.applicationKey.patch({ applicationId: app.id, applicationKeyId: created.id, applicationKey: { description: 'Gateway 4' } });
    expectSchema('applicationKey', renamed);
    expect(renamed.description).toBe('Gateway 4');
    const revoked = await client.applicationKey.patch({ applicationId: app.id, applicationKeyId: created.id, applicationKey: { status: 'inactive' } });
    expect(revoked.status).toBe('inactive');
    const back = await refusalOf(client.applicationKey.patch({ applicationId: app.id, applicationKeyId: created.id, applicationKey: { status: 'active' } }));
    expect(back).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(back.message).toMatch(/^status: /);
    const other = await client.applicationKeys.post({ applicationId: app.id, applicationKey: { description: 'other' } });
    expectSchema('success', await client.applicationKey.delete({ applicationId: app.id, applicationKeyId: other.id }));
    expect((await client.applicationKey.get({ applicationId: app.id, applicationKeyId: other.id })).status).toBe('inactive');
  });

  it('a device token from auth.authenticateDevice sends state (R8.1); getState reads it back; payloadCounts counts it', async () => {
    const app = await newApp();
    const client = t.client(adminToken);
    const device = await client.devices.post({ applicationId: app.id, device: { name: 'Sensor' } });
    const key = await client.applicationKeys.post({ applicationId: app.id, applicationKey: { description: 'sensor key' } });
    const authed = await t.client().auth.authenticateDevice({ credentials: { deviceId: device.id, key: key.key, secret: key.secret } });
    expectSchema('authedDevice', authed);
    expect(authed).toMatchObject({ applicationId: app.id, deviceId: device.id, ownerType: 'organization' });
    const sent = await t.client(authed.token).device.sendState({ applicationId: app.id, deviceId: device.id, deviceState: { data: { temp: 21.5 } } });
    expectSchema('success', sent);
    expect(sent).toMatchObject({ success: true, accepted: 1 });
    // The access key itself still works as the bearer (key:secret).
    await t.client(`${key.key}:${key.secret}`).device.sendState({ applicationId: app.id, deviceId: device.id, deviceState: [{ data: { temp: 22 } }] });
    const states = await client.device.getState({ applicationId: app.id, deviceId: device.id, limit: 5 });
    expectSchema('deviceStates', states);
    expect(states.map((s: { data: { temp: number } }) => s.data.temp).sort()).toEqual([21.5, 22]);
    const latest = await client.device.getState({ applicationId: app.id, deviceId: device.id });
    expect(latest).toHaveLength(1);
    const counts = await client.application.payloadCounts({ applicationId: app.id });
    expectSchema('payloadStats', counts);
    expect(counts).toEqual({ deviceState: { rest: 2 } });
  });

  it('device tokens: wrong secret 401; another device 401; expired 401; a revoked key ends its tokens', async () => {
    const app = await newApp();
    const client = t.client(adminToken);
    const device = await client.devices.post({ applicationId: app.id, device: { name: 'A' } });
    const otherDevice = await client.devices.post({ applicationId: app.id, device: { name: 'B' } });
    const key = await client.applicationKeys.post({ applicationId: app.id, applicationKey: { description: 'k' } });
    expect(await refusalOf(t.client().auth.authenticateDevice({ credentials: { deviceId: device.id, key: key.key, secret: 'wrong' } }))).toMatchObject({ statusCode: 401, type: 'Unauthorized' });
    const short = await t.client().auth.authenticateDevice({ credentials: { deviceId: device.id, key: key.key, secret: key.secret, tokenTTL: 60 } });
    const other = await refusalOf(t.client(short.token).device.sendState({ applicationId: app.id, deviceId: otherDevice.id, deviceState: { data: { a: 1 } } }));
    expect(other).toMatchObject({ statusCode: 401, message: 'This device token belongs to another device.' });
    const tampered = short.token.slice(0, -2) + (short.token.endsWith('AA') ? 'BB' : 'AA');
    expect((await refusalOf(t.client(tampered).device.sendState({ applicationId: app.id, deviceId: device.id, deviceState: { data: { a: 1 } } }))).statusCode).toBe(401);
    const long = await t.client().auth.authenticateDevice({ credentials: { deviceId: device.id, key: key.key, secret: key.secret } });
    t.clock.advance(61_000);
    expect((await refusalOf(t.client(short.token).device.sendState({ applicationId: app.id, deviceId: device.id, deviceState: { data: { a: 1 } } }))).message).toMatch(/expired/);
    await client.applicationKey.patch({ applicationId: app.id, applicationKeyId: key.id, applicationKey: { status: 'inactive' } });
    const revoked = await refusalOf(t.client(long.token).device.sendState({ applicationId: app.id, deviceId: device.id, deviceState: { data: { a: 1 } } }));
    expect(revoked).toMatchObject({ statusCode: 401, type: 'Unauthorized' });
    expect(revoked.message).toMatch(/revoked/);
    expect((await refusalOf(t.client().auth.authenticateDevice({ credentials: { deviceId: device.id, key: key.key, secret: key.secret } }))).statusCode).toBe(401);
  });
});

describe('dashboards (dashboards.get/post, dashboard.get/patch/delete)', () => {
  it('creates a private dashboard in an organization; the audit log page shows it; lists it', async () => {
    const made = await t.client(adminToken).dashboards.post({ dashboard: { name: 'Plant Floor', description: 'line 1', orgId: toApiId(org.id) } });
    expectSchema('dashboard', made);
    expect(made).toMatchObject({ name: 'Plant Floor', public: false, isPasswordProtected: false, ownerType: 'organization', organizationName: org.name });
    const log = await (await signedIn(t, admin)).get(`/orgs/${org.slug}/settings/audit-log`);
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain('Plant Floor');
    const list = await t.client(adminToken).dashboards.get({ orgId: toApiId(org.id) });
    expectSchema('dashboards', list);
    expect(list.items.map((d: { name: string }) => d.name)).toContain('Plant Floor');
    expect((await t.client(adminToken).dashboards.get({ applicationId: toApiId(1) })).items).toEqual([]);
  });

  it('sharing: a weak password is 400 and makes nothing; public with a password is password-protected; public false is private (R5.2)', async () => {
    const client = t.client(adminToken);
    const before = (await client.dashboards.get({ orgId: '' })).count;
    const weak = await refusalOf(client.dashboards.post({ dashboard: { name: 'Shared', public: true, password: 'short' } }));
    expect(weak).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(weak.message).toMatch(/^password: /);
    expect((await client.dashboards.get({ orgId: '' })).count).toBe(before);
    const shared = await client.dashboards.post({ dashboard: { name: 'Shared', public: true, password: 'Str0ng-Enough!' } });
    expectSchema('dashboard', shared);
    expect(shared).toMatchObject({ public: true, isPasswordProtected: true });
    const row = await t.knex('dashboards').where({ id: fromHex(shared.id) }).first();
    const link = await t.agent().get(`/d/${row.share_token}`);
    expect(link.body).toContain('password');
    const open = await client.dashboard.patch({ dashboardId: shared.id, dashboard: { password: null } });
    expect(open).toMatchObject({ public: true, isPasswordProtected: false });
    const closed = await client.dashboard.patch({ dashboardId: shared.id, dashboard: { public: false } });
    expectSchema('dashboard', closed);
    expect(closed).toMatchObject({ public: false, isPasswordProtected: false });
    expect((await t.agent().get(`/d/${row.share_token}`)).statusCode).toBe(404);
  });

  it('roles: a Viewer reads, a Collaborator edits but cannot delete, an Editor deletes; strangers 404; the deletion is audited', async () => {
    const made = await t.client(adminToken).dashboards.post({ dashboard: { name: 'Roles Board', orgId: toApiId(org.id) } });
    const viewer = await member('viewer');
    const collaborator = await member('collaborator');
    const editor = await member('editor');
    expectSchema('dashboard', await t.client(viewer.token).dashboard.get({ dashboardId: made.id }));
    expect((await refusalOf(t.client(viewer.token).dashboard.patch({ dashboardId: made.id, dashboard: { name: 'x' } }))).statusCode).toBe(403);
    expect((await t.client(collaborator.token).dashboard.patch({ dashboardId: made.id, dashboard: { name: 'Roles Board 2' } })).name).toBe('Roles Board 2');
    expect((await refusalOf(t.client(collaborator.token).dashboard.delete({ dashboardId: made.id }))).statusCode).toBe(403);
    const stranger = await t.tokenFor(await newUser(t));
    expect((await refusalOf(t.client(stranger).dashboard.get({ dashboardId: made.id }))).statusCode).toBe(404);
    expectSchema('success', await t.client(editor.token).dashboard.delete({ dashboardId: made.id }));
    expect((await refusalOf(t.client(adminToken).dashboard.get({ dashboardId: made.id }))).statusCode).toBe(404);
    // The deletion entry names the dashboard as it was last called (creation named it Roles Board).
    const log = await (await signedIn(t, admin)).get(`/orgs/${org.slug}/settings/audit-log`);
    expect(log.body).toContain('Roles Board 2');
  });

  it('the dashboard limit of the plan refuses with 409 naming it (R7.3)', async () => {
    const solo = await newUser(t);
    const token = await t.tokenFor(solo);
    for (let i = 0; i < 5; i++) await t.client(token).dashboards.post({ dashboard: { name: `b${i}` } });
    const refusal = await refusalOf(t.client(token).dashboards.post({ dashboard: { name: 'sixth' } }));
    expect(refusal).toMatchObject({ statusCode: 409, type: 'Conflict' });
    expect(refusal.message).toMatch(/5 dashboards/);
  });
});
