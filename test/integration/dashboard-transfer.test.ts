import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('dashboard transfer (R5.4, R5.2)', () => {
  it('moves a Sandbox dashboard to an organization; a block whose source it may not show says so', async () => {
    const user = await newUser(t);
    const org = await newOrg(t, { owner: user, name: 'Dash Receiver' });
    const agent = await signedIn(t, user);
    const app = await agent.post('/applications', { owner: 'sandbox', name: 'Home Sensors' });
    const appId = String(app.headers.location).split('/').pop()!;
    await agent.post(`/applications/${appId}/devices`, { name: 'Kitchen' });
    const device = await t.knex('devices').where({ application_id: appId }).first();
    const dash = await agent.post('/dashboards/new', { owner: 'sandbox', name: 'Home board', description: '' });
    const dashId = String(dash.headers.location).split('/').pop()!.split('#')[0]!;
    const block = await agent.post(`/dashboards/${dashId}/blocks`, { kind: 'device_state', title: 'Kitchen state', application_id: appId, device_id: String(device.id) });
    expect(block.statusCode).toBe(303);
    const page = await agent.get(`/dashboards/${dashId}/transfer`);
    expect(page.body).toContain(`value="org:${org.id}"`);
    const res = await agent.post(`/dashboards/${dashId}/transfer`, { to: `org:${org.id}` });
    expect(res.statusCode).toBe(303);
    expect(await t.knex('dashboards').where({ id: dashId }).first()).toMatchObject({ owner_type: 'organization', owner_id: org.id });
    const after = await agent.get(`/dashboards/${dashId}`);
    expect(after.body).toContain('These blocks lost their source and show no data there: Kitchen state.');
    expect(await t.knex('audit_events').where({ organization_id: org.id, action: 'dashboard.transferred_in' })).toHaveLength(1);
  });

  it('is refused as a whole at a receiver with no room for another dashboard', async () => {
    const user = await newUser(t);
    const org = await newOrg(t, { owner: user });
    const agent = await signedIn(t, user);
    for (let i = 0; i < 5; i++) expect((await agent.post('/dashboards/new', { owner: 'sandbox', name: `S${i}`, description: '' })).statusCode).toBe(303);
    const dash = await agent.post('/dashboards/new', { owner: `org:${org.id}`, name: 'Org board', description: '' });
    const dashId = String(dash.headers.location).split('/').pop()!.split('#')[0]!;
    const res = await agent.post(`/dashboards/${dashId}/transfer`, { to: 'sandbox' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('allows 5 dashboards');
    expect((await t.knex('dashboards').where({ id: dashId }).first()).owner_type).toBe('organization');
  });

  it('only an Administrator of the owning organization may transfer it', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin });
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    const dash = await (await signedIn(t, admin)).post('/dashboards/new', { owner: `org:${org.id}`, name: 'Guarded board', description: '' });
    const dashId = String(dash.headers.location).split('/').pop()!.split('#')[0]!;
    const editorAgent = await signedIn(t, editor);
    expect((await editorAgent.get(`/dashboards/${dashId}/transfer`)).statusCode).toBe(403);
    expect((await editorAgent.post(`/dashboards/${dashId}/transfer`, { to: 'sandbox' })).statusCode).toBe(403);
  });
});
