import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser, signedIn } from '../support/builders.ts';

/**
 * R9.8 (item 7): an Unpaid organization's applications and dashboards stop
 * working — nothing is created in it, changed in it, moved in or out of it —
 * until it pays; its Administrators keep Settings, Payment Method, Invoices
 * and the data export. One row per create or edit route of applications and
 * dashboards, read from the router: a new such route fails the last test
 * until its Unpaid behaviour is decided here.
 */

let t: TestContext;
let admin: Agent;
let unpaid: Organization;
let active: Organization;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  const owner = await newUser(t, { name: 'Una Admin' });
  unpaid = await newOrg(t, { owner, name: 'Unpaid Org', plan: 'professional' });
  active = await newOrg(t, { owner, name: 'Active Org', plan: 'professional' });
  admin = await signedIn(t, owner);
  const app = await admin.post('/applications', { owner: `org:${unpaid.id}`, name: 'Paused App', description: '' });
  ids.app = String(app.headers.location).split('/').pop()!;
  await admin.post(`/applications/${ids.app}/devices`, { name: 'dev' });
  await admin.post(`/applications/${ids.app}/workflows`, { name: 'wf', description: '' });
  await admin.post(`/applications/${ids.app}/keys`, { name: 'key' });
  ids.device = String((await t.knex('devices').where({ application_id: ids.app }).first()).id);
  ids.workflow = String((await t.knex('workflows').where({ application_id: ids.app }).first()).id);
  ids.key = String((await t.knex('access_keys').where({ application_id: ids.app }).first()).id);
  const dash = await admin.post('/dashboards/new', { owner: `org:${unpaid.id}`, name: 'Paused Board', description: '' });
  ids.dashboard = String(dash.headers.location).split('/').pop()!.split('#')[0]!;
  await admin.post(`/dashboards/${ids.dashboard}/blocks`, { kind: 'device_state', title: '', application_id: ids.app, device_id: ids.device });
  ids.block = String((await t.knex('dashboard_blocks').where({ dashboard_id: ids.dashboard }).first()).id);
  // Resources elsewhere that could be moved into the Unpaid organization.
  const sandboxApp = await admin.post('/applications', { owner: 'sandbox', name: 'Sandbox App', description: '' });
  ids.sandboxApp = String(sandboxApp.headers.location).split('/').pop()!;
  const sandboxDash = await admin.post('/dashboards/new', { owner: 'sandbox', name: 'Sandbox Board', description: '' });
  ids.sandboxDashboard = String(sandboxDash.headers.location).split('/').pop()!.split('#')[0]!;
  ids.unpaidOwner = `org:${unpaid.id}`;
  ids.activeOwner = `org:${active.id}`;
  await t.knex('billing_accounts').where({ organization_id: unpaid.id }).update({ status: 'unpaid' });
});
afterAll(async () => {
  await t.close();
});

const fill = (s: string) => s.replace(/\{(\w+)\}/g, (_, k: string) => ids[k] ?? `{${k}}`);

// [route as registered, path, a form that would succeed for an Active owner, expected status]
const ROWS: [string, string, Record<string, string>, number][] = [
  ['POST /applications', '/applications', { owner: '{unpaidOwner}', name: 'New App', description: '' }, 409],
  ['POST /applications/:id', '/applications/{app}', { name: 'Renamed', description: '' }, 409],
  ['POST /applications/:id/devices', '/applications/{app}/devices', { name: 'dev 2' }, 409],
  ['POST /applications/:id/devices/:childId', '/applications/{app}/devices/{device}', { name: 'renamed dev' }, 409],
  ['POST /applications/:id/devices/:childId/delete', '/applications/{app}/devices/{device}/delete', {}, 409],
  ['POST /applications/:id/workflows', '/applications/{app}/workflows', { name: 'wf 2', description: '' }, 409],
  ['POST /applications/:id/workflows/:childId', '/applications/{app}/workflows/{workflow}', { name: 'renamed wf', description: '' }, 409],
  ['POST /applications/:id/workflows/:childId/delete', '/applications/{app}/workflows/{workflow}/delete', {}, 409],
  ['POST /applications/:id/keys', '/applications/{app}/keys', { name: 'key 2' }, 409],
  ['POST /applications/:id/keys/:childId/revoke', '/applications/{app}/keys/{key}/revoke', {}, 409],
  ['POST /applications/:id/delete', '/applications/{app}/delete', {}, 409],
  ['POST /applications/:id/transfer', '/applications/{app}/transfer', { to: '{activeOwner}' }, 409],
  ['POST /dashboards/new', '/dashboards/new', { owner: '{unpaidOwner}', name: 'New Board', description: '' }, 409],
  ['POST /dashboards/:id/details', '/dashboards/{dashboard}/details', { name: 'Renamed Board', description: '' }, 409],
  ['POST /dashboards/:id/blocks', '/dashboards/{dashboard}/blocks', { kind: 'payloads_over_time', title: '', application_id: '{app}', device_id: '' }, 409],
  ['POST /dashboards/:id/blocks/:blockId/delete', '/dashboards/{dashboard}/blocks/{block}/delete', {}, 409],
  ['POST /dashboards/:id/visibility', '/dashboards/{dashboard}/visibility', { visibility: 'public', password: '' }, 409],
  ['POST /dashboards/:id/delete', '/dashboards/{dashboard}/delete', {}, 409],
  ['POST /dashboards/:id/transfer', '/dashboards/{dashboard}/transfer', { to: '{activeOwner}' }, 409],
];
// Moving a resource into the Unpaid organization is refused too.
const INTO: [string, string, Record<string, string>][] = [
  ['an application from the Sandbox', '/applications/{sandboxApp}/transfer', { to: '{unpaidOwner}' }],
  ['a dashboard from the Sandbox', '/dashboards/{sandboxDashboard}/transfer', { to: '{unpaidOwner}' }],
];

async function snapshot() {
  const out: Record<string, unknown> = {};
  for (const table of ['applications', 'devices', 'workflows', 'access_keys', 'dashboards', 'dashboard_blocks', 'audit_events']) out[table] = await t.knex(table).orderBy('id');
  return JSON.parse(JSON.stringify(out));
}

describe('an Unpaid organization (item 7, R9.8)', () => {
  it.each(ROWS)('%s is refused, nothing changes', async (_route, path, fields, status) => {
    const before = await snapshot();
    const res = await admin.post(fill(path), Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fill(v)])));
    expect(res.statusCode, res.body.slice(0, 400)).toBe(status);
    expect(res.body).toMatch(/[Uu]npaid/);
    expect(await snapshot()).toEqual(before);
  });

  it.each(INTO)('moving %s into it is refused, nothing changes', async (_label, path, fields) => {
    const before = await snapshot();
    const res = await admin.post(fill(path), Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fill(v)])));
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(await snapshot()).toEqual(before);
  });

  it('the same forms work for an Active organization (the rows are real successes otherwise)', async () => {
    const res = await admin.post('/applications', { owner: `org:${active.id}`, name: 'Active App', description: '' });
    expect(res.statusCode).toBe(303);
  });

  it('every create or edit route of applications and dashboards has a row here', () => {
    const covered = new Set(ROWS.map((r) => r[0]));
    const missing = t.app.routeList
      .filter((r) => r.method === 'POST' && /^\/(applications|dashboards)(\/|$)/.test(r.url))
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !covered.has(r));
    expect(missing).toEqual([]);
  });
});
