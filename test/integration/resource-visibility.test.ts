import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';

/**
 * Item 11: a None override hides the resource everywhere a member looks
 * (R2.6), and deleting a dashboard needs Editor, as deleting an application
 * does (R2.1).
 */

let t: TestContext;
let org: Organization;
let admin: Agent;
const ids = { secretApp: 0, openApp: 0, secretDashboard: 0, openDashboard: 0 };
beforeAll(async () => {
  t = await startTestApp();
  const owner = await newUser(t, { name: 'Vera Admin' });
  org = await newOrg(t, { owner, name: 'Override Org' });
  admin = await signedIn(t, owner);
  const app = async (name: string) => Number(String((await admin.post('/applications', { owner: `org:${org.id}`, name, description: '' })).headers.location).split('/').pop());
  ids.secretApp = await app('Secret Project X');
  ids.openApp = await app('Open Project');
  for (const name of ['probe-1', 'probe-2', 'probe-3']) await admin.post(`/applications/${ids.secretApp}/devices`, { name });
  const dash = async (name: string) => Number(String((await admin.post('/dashboards/new', { owner: `org:${org.id}`, name, description: '' })).headers.location).split('/').pop());
  ids.secretDashboard = await dash('Secret Board');
  ids.openDashboard = await dash('Open Board');
});
afterAll(async () => {
  await t.close();
});

async function member(role: 'viewer' | 'collaborator' | 'editor', overrides: { type: 'application' | 'dashboard'; id: number; role: string }[] = []): Promise<{ user: TestUser; agent: Agent }> {
  const user = await newUser(t);
  await addMember(t, org, user, role);
  for (const o of overrides) await t.knex('resource_roles').insert({ organization_id: org.id, user_id: user.id, resource_type: o.type, resource_id: o.id, role: o.role });
  return { user, agent: await signedIn(t, user) };
}

describe('a None override hides the resource (R2.6)', () => {
  it('from the organization overview: no name, no device count', async () => {
    const { agent } = await member('collaborator', [
      { type: 'application', id: ids.secretApp, role: 'none' },
      { type: 'dashboard', id: ids.secretDashboard, role: 'none' },
    ]);
    const page = await agent.get(`/orgs/${org.slug}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Open Project');
    expect(page.body).toContain('Open Board');
    expect(page.body).not.toContain('Secret Project X');
    expect(page.body).not.toContain(`/applications/${ids.secretApp}"`);
    expect(page.body).not.toContain('3 devices');
    expect(page.body).not.toContain('Secret Board');
    // Others still see both.
    const full = await admin.get(`/orgs/${org.slug}`);
    expect(full.body).toContain('Secret Project X');
    expect(full.body).toContain('3 devices');
  });

  it('from the add-block picker of a dashboard they may edit, and a block of it is refused', async () => {
    const { agent } = await member('collaborator', [{ type: 'application', id: ids.secretApp, role: 'none' }]);
    const page = await agent.get(`/dashboards/${ids.openDashboard}`);
    expect(page.body).toContain('Add a block');
    expect(page.body).toContain('Open Project');
    expect(page.body).not.toContain('Secret Project X');
    expect(page.body).not.toContain('probe-1');
    const res = await agent.post(`/dashboards/${ids.openDashboard}/blocks`, { kind: 'payloads_over_time', title: '', application_id: String(ids.secretApp), device_id: '' });
    expect(res.statusCode).toBe(422);
    expect(await t.knex('dashboard_blocks').where({ dashboard_id: ids.openDashboard, application_id: ids.secretApp })).toHaveLength(0);
  });
});

describe('deleting a dashboard needs Editor, as an application (R2.1)', () => {
  it('a Collaborator can edit an organization dashboard but not delete it, and is not offered to', async () => {
    const { agent } = await member('collaborator');
    const page = await agent.get(`/dashboards/${ids.openDashboard}`);
    expect(page.body).toContain('Save details');
    expect(page.body).not.toContain('Delete dashboard');
    expect((await agent.get(`/dashboards/${ids.openDashboard}/delete`)).statusCode).toBe(403);
    const res = await agent.post(`/dashboards/${ids.openDashboard}/delete`);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Editor');
    expect(await t.knex('dashboards').where({ id: ids.openDashboard })).toHaveLength(1);
  });

  it('an Editor whose override on that dashboard is Collaborator cannot delete it either', async () => {
    const { agent } = await member('editor', [{ type: 'dashboard', id: ids.openDashboard, role: 'collaborator' }]);
    expect((await agent.post(`/dashboards/${ids.openDashboard}/delete`)).statusCode).toBe(403);
    expect((await agent.post(`/applications/${ids.openApp}/delete`)).statusCode).toBe(303);
  });

  it('an Editor deletes one', async () => {
    const { agent } = await member('editor');
    const doomed = Number(String((await admin.post('/dashboards/new', { owner: `org:${org.id}`, name: 'Doomed Board', description: '' })).headers.location).split('/').pop());
    expect((await agent.get(`/dashboards/${doomed}`)).body).toContain('Delete dashboard');
    expect((await agent.post(`/dashboards/${doomed}/delete`)).statusCode).toBe(303);
    expect(await t.knex('dashboards').where({ id: doomed })).toHaveLength(0);
  });
});
