import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../support/app.ts';
import type { Agent } from '../support/agent.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const count = async (table: string, where: Record<string, unknown> = {}) =>
  Number((await t.knex(table).where(where).count({ n: '*' }).first())?.n ?? 0);

async function createApp(agent: Agent, fields: Record<string, string> = {}): Promise<number> {
  const res = await agent.post('/applications', { owner: 'sandbox', name: 'Greenhouse', description: 'Sensors in the greenhouse', ...fields });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  return Number(String(res.headers.location).split('/').pop());
}

describe('applications (R5.1, R5.3)', () => {
  it('creates an application in the Sandbox and lists it there', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const form = await agent.get('/applications/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).not.toContain('<label for="app-owner">Owner</label>'); // only one place to create
    const id = await createApp(agent);
    const page = await agent.get(`/applications/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Greenhouse');
    expect((await agent.get('/sandbox')).body).toContain(`href="/applications/${id}"`);
  });

  it('offers organizations where the user is Editor or Administrator, and refuses others', async () => {
    const user = await newUser(t);
    const own = await newOrg(t, { owner: user, name: 'Mine' });
    const otherOwner = await newUser(t);
    const viewerOrg = await newOrg(t, { owner: otherOwner, name: 'Viewing Only' });
    await addMember(t, viewerOrg, user, 'viewer');
    const agent = await signedIn(t, user);
    const form = await agent.get('/applications/new');
    expect(form.body).toContain(`value="org:${own.id}"`);
    expect(form.body).not.toContain(`value="org:${viewerOrg.id}"`);
    const refused = await agent.post('/applications', { owner: `org:${viewerOrg.id}`, name: 'Sneaky' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('Choose your Sandbox or an organization where you are an Editor or Administrator.');
    const id = await createApp(agent, { owner: `org:${own.id}`, name: 'Org App' });
    expect((await t.knex('applications').where({ id }).first()).owner_type).toBe('organization');
    expect((await agent.get(`/orgs/${own.slug}`)).body).toContain('Org App');
  });

  it('refuses the third Sandbox application, naming the limit and plan; nothing is created (R7.3)', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    await createApp(agent, { name: 'One' });
    await createApp(agent, { name: 'Two' });
    const res = await agent.post('/applications', { owner: 'sandbox', name: 'Three' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('Your Sandbox allows 2 applications (Sandbox limit)');
    expect(await count('applications', { owner_type: 'user', owner_id: user.id })).toBe(2);
  });

  it('refuses the eleventh Sandbox device, naming the limit (R7.3)', async () => {
    const agent = await signedIn(t, await newUser(t));
    const id = await createApp(agent);
    for (let i = 0; i < 10; i++) expect((await agent.post(`/applications/${id}/devices`, { name: `Sensor ${i}` })).statusCode).toBe(303);
    const res = await agent.post(`/applications/${id}/devices`, { name: 'Sensor 11' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('allows 10 devices');
    expect(await count('devices', { application_id: id })).toBe(10);
  });

  it('adds, renames and deletes devices; creates, edits and deletes workflows', async () => {
    const agent = await signedIn(t, await newUser(t));
    const id = await createApp(agent);
    await agent.post(`/applications/${id}/devices`, { name: 'Thermo' });
    const device = await t.knex('devices').where({ application_id: id }).first();
    expect((await agent.post(`/applications/${id}/devices/${device.id}`, { name: 'Thermometer' })).statusCode).toBe(303);
    expect((await t.knex('devices').where({ id: device.id }).first()).name).toBe('Thermometer');
    expect((await agent.post(`/applications/${id}/devices/${device.id}`, { name: '' })).statusCode).toBe(422);
    expect((await agent.post(`/applications/${id}/devices/${device.id}/delete`)).statusCode).toBe(303);
    expect(await count('devices', { application_id: id })).toBe(0);
    expect((await agent.post(`/applications/${id}/devices/999999/delete`)).statusCode).toBe(404);

    expect((await agent.post(`/applications/${id}/workflows`, { name: 'Alert on frost', description: 'below 0°C', enabled: 'on' })).statusCode).toBe(303);
    const wf = await t.knex('workflows').where({ application_id: id }).first();
    expect(Boolean(wf.enabled)).toBe(true);
    expect((await agent.get(`/applications/${id}/workflows/${wf.id}`)).statusCode).toBe(200);
    expect((await agent.post(`/applications/${id}/workflows/${wf.id}`, { name: 'Frost alert', description: '' })).statusCode).toBe(303);
    const edited = await t.knex('workflows').where({ id: wf.id }).first();
    expect(edited.name).toBe('Frost alert');
    expect(Boolean(edited.enabled)).toBe(false);
    expect((await agent.post(`/applications/${id}/workflows/${wf.id}`, { name: 'x'.repeat(256) })).statusCode).toBe(422);
    expect((await agent.post(`/applications/${id}/workflows/${wf.id}/delete`)).statusCode).toBe(303);
    expect(await count('workflows', { application_id: id })).toBe(0);
  });

  it('shows an access key secret once and stores only its SHA-256; revoking works', async () => {
    const agent = await signedIn(t, await newUser(t));
    const id = await createApp(agent);
    const res = await agent.post(`/applications/${id}/keys`, { name: 'Gateway' });
    expect(res.statusCode).toBe(201);
    const secret = /<code class="secret" id="new-key-secret">([A-Za-z0-9_-]{43})<\/code>/.exec(res.body)![1]!;
    const row = await t.knex('access_keys').where({ application_id: id }).first();
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect((await agent.get(`/applications/${id}`)).body).not.toContain(secret);
    expect((await agent.post(`/applications/${id}/keys`, { name: '' })).statusCode).toBe(422);
    expect((await agent.post(`/applications/${id}/keys/${row.id}/revoke`)).statusCode).toBe(303);
    expect((await t.knex('access_keys').where({ id: row.id }).first()).revoked_at).not.toBeNull();
    expect((await agent.post(`/applications/${id}/keys/${row.id}/revoke`)).statusCode).toBe(404);
  });

  it('renames and deletes the application with everything in it', async () => {
    const agent = await signedIn(t, await newUser(t));
    const id = await createApp(agent);
    await agent.post(`/applications/${id}/devices`, { name: 'D' });
    await agent.post(`/applications/${id}/keys`, { name: 'K' });
    expect((await agent.post(`/applications/${id}`, { name: 'Renamed', description: 'new' })).statusCode).toBe(303);
    expect((await t.knex('applications').where({ id }).first()).name).toBe('Renamed');
    expect((await agent.get(`/applications/${id}/delete`)).body).toContain('Delete Renamed?');
    expect((await agent.post(`/applications/${id}/delete`)).headers.location).toBe('/sandbox');
    expect(await count('applications', { id })).toBe(0);
    expect(await count('devices', { application_id: id })).toBe(0);
    expect(await count('access_keys', { application_id: id })).toBe(0);
  });
});

describe('transfer (R5.4)', () => {
  async function sandboxAppWithData(user: TestUser, devices: number) {
    const agent = await signedIn(t, user);
    const id = await createApp(agent, { name: 'Movable' });
    for (let i = 0; i < devices; i++) await agent.post(`/applications/${id}/devices`, { name: `dev ${i}` });
    await agent.post(`/applications/${id}/workflows`, { name: 'wf' });
    await agent.post(`/applications/${id}/keys`, { name: 'key' });
    const device = await t.knex('devices').where({ application_id: id }).first();
    await t.knex('payloads').insert({ application_id: id, device_id: device.id, time: t.clock.now().getTime(), received_at: t.clock.now().getTime(), data: '{"t":1}' });
    const periodStart = new Date(Number(user.createdAt.getTime())).getTime();
    await t.knex('usage_counters').insert({ owner_type: 'user', owner_id: user.id, application_id: id, period_start: periodStart, application_name: 'Movable', payloads: 1, rejected: 0 });
    return { agent, id };
  }

  it('moves the application with devices, workflows, keys, data and this period\'s counters, audited', async () => {
    const user = await newUser(t);
    const org = await newOrg(t, { owner: user, name: 'Receiver' });
    const { agent, id } = await sandboxAppWithData(user, 2);
    const page = await agent.get(`/applications/${id}/transfer`);
    expect(page.body).toContain(`value="org:${org.id}"`);
    const res = await agent.post(`/applications/${id}/transfer`, { to: `org:${org.id}` });
    expect(res.statusCode).toBe(303);
    const app = await t.knex('applications').where({ id }).first();
    expect(app).toMatchObject({ owner_type: 'organization', owner_id: org.id });
    expect(await count('devices', { application_id: id })).toBe(2);
    expect(await count('workflows', { application_id: id })).toBe(1);
    expect(await count('access_keys', { application_id: id })).toBe(1);
    expect(await count('payloads', { application_id: id })).toBe(1);
    expect(await count('usage_counters', { owner_type: 'user', owner_id: user.id, application_id: id })).toBe(0);
    expect(await count('usage_counters', { owner_type: 'organization', owner_id: org.id, application_id: id })).toBe(1);
    expect(await count('audit_events', { organization_id: org.id, action: 'application.transferred_in' })).toBe(1);
    expect((await agent.get(`/orgs/${org.slug}`)).body).toContain('Movable');
  });

  it('is refused as a whole at a receiver that would exceed a limit, naming it', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    // Fill the Sandbox with 2 applications, then bring one more from an organization.
    await createApp(agent, { name: 'A' });
    await createApp(agent, { name: 'B' });
    const org = await newOrg(t, { owner: user, name: 'Source' });
    const id = await createApp(agent, { owner: `org:${org.id}`, name: 'Org App' });
    const res = await agent.post(`/applications/${id}/transfer`, { to: 'sandbox' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('allows 2 applications');
    expect(res.body).toContain('Nothing was moved.');
    expect((await t.knex('applications').where({ id }).first()).owner_type).toBe('organization');
  });

  it('only an Administrator of the source may transfer, and only to places they administer', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin });
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    const adminAgent = await signedIn(t, admin);
    const id = await createApp(adminAgent, { owner: `org:${org.id}`, name: 'Guarded App' });
    const editorAgent = await signedIn(t, editor);
    expect((await editorAgent.get(`/applications/${id}/transfer`)).statusCode).toBe(403);
    expect((await editorAgent.post(`/applications/${id}/transfer`, { to: 'sandbox' })).statusCode).toBe(403);
    const elsewhere = await newOrg(t, { owner: await newUser(t), name: 'Not Mine' });
    const res = await adminAgent.post(`/applications/${id}/transfer`, { to: `org:${elsewhere.id}` });
    expect(res.statusCode).toBe(422);
    expect((await t.knex('applications').where({ id }).first()).owner_id).toBe(org.id);
  });
});

describe('authorization of application routes (R2.1, R2.2, R2.5)', () => {
  let appId: number;
  let deviceId: number;
  let workflowId: number;
  const users: Record<string, TestUser | null> = {};
  beforeAll(async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, plan: 'professional' });
    const agent = await signedIn(t, admin);
    appId = await createApp(agent, { owner: `org:${org.id}`, name: 'Matrix App' });
    await agent.post(`/applications/${appId}/devices`, { name: 'dev' });
    await agent.post(`/applications/${appId}/workflows`, { name: 'wf' });
    deviceId = (await t.knex('devices').where({ application_id: appId }).first()).id;
    workflowId = (await t.knex('workflows').where({ application_id: appId }).first()).id;
    users.administrator = admin;
    users.anonymous = null;
    users.nonMember = await newUser(t);
    for (const role of ['none', 'viewer', 'collaborator', 'editor'] as const) {
      const u = await newUser(t);
      await addMember(t, org, u, role);
      users[role] = u;
    }
    // A Viewer made Collaborator on this one application (R2.2).
    const promoted = await newUser(t);
    await addMember(t, org, promoted, 'viewer');
    await t.knex('resource_roles').insert({ organization_id: org.id, user_id: promoted.id, resource_type: 'application', resource_id: appId, role: 'collaborator' });
    users.viewerOverride = promoted;
    // An Editor given None on it.
    const hidden = await newUser(t);
    await addMember(t, org, hidden, 'editor');
    await t.knex('resource_roles').insert({ organization_id: org.id, user_id: hidden.id, resource_type: 'application', resource_id: appId, role: 'none' });
    users.editorNone = hidden;
  });

  const A = (s: number, others: Partial<Record<string, number>> = {}) => ({
    anonymous: 303, nonMember: 404, none: 403, viewer: s, collaborator: s, editor: s, administrator: s, viewerOverride: s, editorNone: 403, ...others,
  });
  const edit = (ok: number) => A(ok, { viewer: 403 });
  // [method, path, body, expected status per actor]
  const routes: [string, string, Record<string, string>, Record<string, number>][] = [
    ['GET', '/applications/:id', {}, A(200)],
    ['POST', '/applications/:id', { name: 'Matrix App', description: '' }, edit(303)],
    ['POST', '/applications/:id/devices', { name: '' }, edit(422)],
    ['POST', '/applications/:id/devices/:device', { name: 'dev' }, edit(303)],
    ['POST', '/applications/:id/devices/999999999/delete', {}, edit(404)],
    ['POST', '/applications/:id/workflows', { name: '' }, edit(422)],
    ['GET', '/applications/:id/workflows/:workflow', {}, edit(200)],
    ['POST', '/applications/:id/workflows/:workflow', { name: 'wf' }, edit(303)],
    ['POST', '/applications/:id/workflows/999999999/delete', {}, edit(404)],
    ['POST', '/applications/:id/keys', { name: '' }, edit(422)],
    ['POST', '/applications/:id/keys/999999999/revoke', {}, edit(404)],
    ['GET', '/applications/:id/delete', {}, A(200, { viewer: 403, collaborator: 403, viewerOverride: 403 })],
    ['GET', '/applications/:id/transfer', {}, A(403, { administrator: 200 })],
    ['POST', '/applications/:id/transfer', { to: 'nowhere' }, A(403, { administrator: 422 })],
  ];

  for (const [method, path, body, expected] of routes) {
    for (const [actor, status] of Object.entries(expected)) {
      it(`${method} ${path} as ${actor} → ${status}`, async () => {
        const user = users[actor];
        const agent = user ? await signedIn(t, user) : t.agent();
        const url = path.replace(':id', String(appId)).replace(':device', String(deviceId)).replace(':workflow', String(workflowId));
        const res = method === 'GET' ? await agent.get(url) : await agent.post(url, body);
        expect(res.statusCode).toBe(status);
        if (status === 404 && actor === 'nonMember') expect(res.body).not.toContain('Matrix App');
      });
    }
  }

  it('an unknown application is 404 for everyone', async () => {
    const agent = await signedIn(t, users.administrator!);
    expect((await agent.get('/applications/999999999')).statusCode).toBe(404);
    expect((await agent.get('/applications/abc')).statusCode).toBe(404);
  });
});
