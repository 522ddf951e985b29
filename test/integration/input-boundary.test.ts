import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findControlCharacter, jsonNestsDeeperThan } from '../../src/http/input-boundary.ts';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { insertAccessKey, insertApplication, insertDevice, newOrg, newUser, sandboxOf, signedIn } from '../support/builders.ts';

/**
 * R13.5 (items 5 and 6): control characters in text are refused with a 400
 * on both databases alike (PostgreSQL answered 500 to a NUL, SQLite stored
 * it), and JSON deeper than 32 levels is a 400.
 */

let t: TestContext;
let admin: Agent;
let platform: Agent;
const ids: Record<string, string> = {};
beforeAll(async () => {
  t = await startTestApp();
  const owner = await newUser(t, { name: 'Boundary Bo' });
  const org = await newOrg(t, { owner, name: 'Boundary Org' });
  admin = await signedIn(t, owner);
  const pa = await newUser(t);
  await t.knex('users').where({ id: pa.id }).update({ is_platform_admin: true });
  platform = await signedIn(t, pa);
  ids.slug = org.slug;
  ids.org = String(org.id);
  const app = await admin.post('/applications', { owner: `org:${org.id}`, name: 'Boundary App', description: '' });
  ids.app = String(app.headers.location).split('/').pop()!;
  await admin.post(`/applications/${ids.app}/devices`, { name: 'dev' });
  await admin.post(`/applications/${ids.app}/workflows`, { name: 'wf', description: '' });
  ids.device = String((await t.knex('devices').where({ application_id: ids.app }).first()).id);
  ids.workflow = String((await t.knex('workflows').where({ application_id: ids.app }).first()).id);
  const dash = await admin.post('/dashboards/new', { owner: `org:${org.id}`, name: 'Boundary Dash', description: '' });
  ids.dashboard = String(dash.headers.location).split('/').pop()!.split('#')[0]!;
});
afterAll(async () => {
  await t.close();
});

const NUL = '\u0000';
const fill = (s: string) => s.replace(/\{(\w+)\}/g, (_, k: string) => ids[k]!);

// Every kind of form the report found answering 500 on PostgreSQL, each with a NUL in one text field.
const FORMS: [string, string, Record<string, string>][] = [
  ['settings', '/orgs/{slug}/settings/general', { name: `Evil${NUL}`, description: '', icon_color: '#3346d3' }],
  ['settings description', '/orgs/{slug}/settings/general', { name: 'Boundary Org', description: `a${NUL}b`, icon_color: '#3346d3' }],
  ['new application', '/applications', { owner: 'sandbox', name: `App${NUL}`, description: '' }],
  ['application', '/applications/{app}', { name: `App${NUL}`, description: '' }],
  ['device', '/applications/{app}/devices', { name: `Dev${NUL}` }],
  ['device rename', '/applications/{app}/devices/{device}', { name: `Dev${NUL}` }],
  ['workflow', '/applications/{app}/workflows', { name: `Wf${NUL}`, description: '' }],
  ['workflow edit', '/applications/{app}/workflows/{workflow}', { name: 'wf', description: `x${NUL}` }],
  ['access key', '/applications/{app}/keys', { name: `Key${NUL}` }],
  ['new dashboard', '/dashboards/new', { owner: 'sandbox', name: `Dash${NUL}`, description: '' }],
  ['dashboard details', '/dashboards/{dashboard}/details', { name: `Dash${NUL}`, description: '' }],
  ['block', '/dashboards/{dashboard}/blocks', { kind: 'device_state', title: `Block${NUL}`, application_id: '{app}', device_id: '{device}' }],
  ['wizard details', '/orgs/new/details', { name: `Org${NUL}`, description: '', icon_color: '#3346d3', billing_email: 'x@example.com' }],
  ['enterprise', '/orgs/new/enterprise', { name: 'Ent', email: 'ent@example.com', company: `Co${NUL}`, expected_devices: '10', message: 'hi' }],
  ['invitation', '/orgs/{slug}/invitations', { email: `in${NUL}vitee@example.com`, role: 'viewer' }],
  ['a field name', '/applications/{app}/devices', { name: 'ok', [`x${NUL}`]: '1' }],
  ['a lone carriage return', '/applications/{app}', { name: 'Boundary App', description: 'line one\rline two' }],
  ['another control character', '/applications/{app}', { name: 'Bell\u0007App', description: '' }],
  ['a C1 control character', '/applications/{app}', { name: 'Next\u0085Line', description: '' }],
];

describe('control characters in forms (item 5, R13.5)', () => {
  it.each(FORMS)('%s: 400, nothing changed', async (_label, path, fields) => {
    const before = await snapshot();
    const res = await admin.post(fill(path), Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fill(v)])));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('control character');
    expect(await snapshot()).toEqual(before);
  });

  it('anonymous sign-up and log-in', async () => {
    const visitor = t.agent();
    expect((await visitor.post('/signup', { name: `N${NUL}`, email: 'nul@example.com', password: 'long enough password' })).statusCode).toBe(400);
    expect((await visitor.post('/signup', { name: 'N', email: `nul${NUL}@example.com`, password: 'long enough password' })).statusCode).toBe(400);
    expect((await visitor.post('/login', { email: `a${NUL}@example.com`, password: 'x' })).statusCode).toBe(400);
    expect(await t.knex('users').where('email', 'like', 'nul%')).toHaveLength(0);
  });

  it('admin searches and other query strings, and path parameters', async () => {
    for (const url of ['/admin/organizations?q=%00', '/admin/users?q=%00', '/admin/inquiries?status=%00', '/admin/organizations?status=%00&plan=%01']) {
      expect((await platform.get(url)).statusCode, url).toBe(400);
    }
    expect((await admin.get('/orgs/%00')).statusCode).toBe(400);
    expect((await admin.get(`/applications/new?owner=org%3A${ids.org}%00`)).statusCode).toBe(400);
    expect((await t.agent().get('/invites/%00abc')).statusCode).toBe(400);
  });

  it('keeps tab, newline and a textarea’s CRLF line breaks', async () => {
    const res = await admin.post(`/applications/${ids.app}`, { name: 'Tabbed\tApp', description: 'line one\r\nline two\nline three' });
    expect(res.statusCode).toBe(303);
    const row = await t.knex('applications').where({ id: ids.app }).first();
    expect(row.name).toBe('Tabbed\tApp');
    expect(row.description).toBe('line one\r\nline two\nline three');
  });
});

describe('JSON nesting (item 6, R13.5)', () => {
  async function deviceWithKey() {
    const user = await newUser(t);
    const appId = await insertApplication(t, sandboxOf(user), 'Deep');
    const deviceId = await insertDevice(t, appId, 'Nested');
    const { authorization } = await insertAccessKey(t, appId);
    const send = (payload: string) =>
      t.app.inject({ method: 'POST', url: `/api/applications/${appId}/devices/${deviceId}/state`, headers: { 'content-type': 'application/json', authorization }, payload });
    return { appId, send };
  }
  const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

  it('a state nested 5,000 levels deep is a 400, counted as rejected, nothing stored', async () => {
    const d = await deviceWithKey();
    const res = await d.send(`{"data":${nested(5000)}}`);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/deeper than 32 levels/);
    expect(await t.knex('payloads').where({ application_id: d.appId })).toHaveLength(0);
    const counters = await t.knex('usage_counters').where({ application_id: d.appId });
    expect(counters.map((c) => Number(c.rejected))).toEqual([1]);
  });

  it('32 levels in all are accepted; 33 are not', async () => {
    const d = await deviceWithKey();
    expect((await d.send(`{"data":${nested(31)}}`)).statusCode).toBe(202);
    expect((await d.send(`{"data":${nested(32)}}`)).statusCode).toBe(400);
    // Brackets inside strings do not count.
    expect((await d.send(JSON.stringify({ data: { text: '{'.repeat(100) + '['.repeat(100) } }))).statusCode).toBe(202);
  });

  it('the depth reader agrees with JSON.parse on every depth', () => {
    for (let depth = 0; depth < 40; depth++) {
      const text = `${'['.repeat(depth)}"\\"]{"${']'.repeat(depth)}`;
      expect(jsonNestsDeeperThan(text, 32)).toBe(depth > 32);
    }
  });

  it('a NUL inside device data is data, stored as JSON (both databases)', async () => {
    const d = await deviceWithKey();
    expect((await d.send(JSON.stringify({ data: { note: `a${NUL}b` } }))).statusCode).toBe(202);
    const row = await t.knex('payloads').where({ application_id: d.appId }).first();
    expect(JSON.parse(row.data)).toEqual({ note: `a${NUL}b` });
  });
});

describe('findControlCharacter', () => {
  it('looks through form values, arrays and field names', () => {
    expect(findControlCharacter({ a: 'ok', b: ['fine', `bad${NUL}`] }, 'body')).toBe('body.b');
    expect(findControlCharacter({ [`k${NUL}`]: 'v' }, 'body')).toBe('body');
    expect(findControlCharacter({ a: 'tab\there', b: 'crlf\r\nok' }, 'body')).toBeNull();
    expect(findControlCharacter('lone\rcr', 'q')).toBe('q');
  });
});

/** Every table but the limiter's and the sessions, as JSON: "nothing changed" means this is equal. */
async function snapshot() {
  const out: Record<string, unknown> = {};
  for (const table of ['organizations', 'applications', 'devices', 'workflows', 'access_keys', 'dashboards', 'dashboard_blocks', 'invitations', 'organization_wizards', 'enterprise_inquiries', 'users', 'audit_events']) {
    out[table] = await t.knex(table).orderBy('id');
  }
  return JSON.parse(JSON.stringify(out));
}
