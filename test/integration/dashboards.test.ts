import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { listDashboardsOf } from '../../src/modules/dashboards/queries.ts';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const GOOD_PASSWORD = 'Sunny-Greenhouse-42';
const DAY = 86_400_000;

/** The words a block shows instead of data when its source no longer qualifies (R5.2). */
const NO_LONGER_AVAILABLE = /This block(?:'|&#39;)s source is no longer available to this dashboard\./;
/** The page's own content, without the signed-in user's header. */
const mainOf = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';

const count = async (table: string, where: Record<string, unknown> = {}) =>
  Number((await t.knex(table).where(where).count({ n: '*' }).first())?.n ?? 0);

const insertedId = (row: unknown) => Number(typeof row === 'object' && row !== null ? (row as { id: number }).id : row);

// ---- Fixtures: applications, devices and usage are written directly -------

type OwnerRef = { user: TestUser } | { org: Organization };
const ownerCols = (o: OwnerRef) => ('user' in o ? { owner_type: 'user', owner_id: o.user.id } : { owner_type: 'organization', owner_id: o.org.id });

async function newApplication(owner: OwnerRef, name: string): Promise<number> {
  const [row] = await t.knex('applications')
    .insert({ ...ownerCols(owner), name, description: '', created_at: t.clock.now().getTime() })
    .returning('id');
  return insertedId(row);
}

async function newDevice(applicationId: number, name: string, state?: Record<string, unknown>, lastSeenAt?: Date): Promise<number> {
  const [row] = await t.knex('devices')
    .insert({
      application_id: applicationId,
      name,
      last_state_json: state ? JSON.stringify(state) : null,
      last_seen_at: lastSeenAt ? lastSeenAt.getTime() : null,
      created_at: t.clock.now().getTime(),
    })
    .returning('id');
  return insertedId(row);
}

/** Payloads on a UTC day, counted the way the usage counters keep them (R8.2). */
async function recordDailyUsage(owner: OwnerRef, applicationId: number, daysAgo: number, payloads: number) {
  const now = t.clock.now();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  await t.knex('usage_daily').insert({ ...ownerCols(owner), application_id: applicationId, day: today - daysAgo * DAY, payloads });
}

async function setBillingStatus(org: Organization, status: 'active' | 'past_due' | 'unpaid') {
  await t.knex('billing_accounts').where({ organization_id: org.id }).update({ status });
}

// ---- Through the pages -----------------------------------------------------

async function createDashboard(agent: Agent, fields: { name: string; description?: string; owner?: string }): Promise<number> {
  const res = await agent.post('/dashboards/new', { description: '', owner: 'sandbox', ...fields });
  expect(res.statusCode, res.body).toBe(303);
  const match = /^\/dashboards\/(\d+)$/.exec(String(res.headers.location));
  expect(match).not.toBeNull();
  return Number(match![1]);
}

async function addBlock(agent: Agent, dashboardId: number, fields: { kind: string; application_id: number; device_id?: number; title?: string }) {
  return agent.post(`/dashboards/${dashboardId}/blocks`, {
    kind: fields.kind,
    title: fields.title ?? '',
    application_id: String(fields.application_id),
    device_id: fields.device_id === undefined ? '' : String(fields.device_id),
  });
}

async function shareToken(dashboardId: number): Promise<string> {
  return (await t.knex('dashboards').where({ id: dashboardId }).first()).share_token as string;
}

/** A signed-in user with a Sandbox dashboard showing one device's state. */
async function sandboxDashboardWithDevice(opts: { name?: string; state?: Record<string, unknown> } = {}) {
  const user = await newUser(t, { name: 'Sam Sandbox' });
  const agent = await signedIn(t, user);
  const appId = await newApplication({ user }, 'Greenhouse');
  const deviceId = await newDevice(appId, 'Thermostat', opts.state ?? { temperature: 21.5, door: 'open' }, new Date('2026-03-10T08:30:00Z'));
  const dashboardId = await createDashboard(agent, { name: opts.name ?? 'Greenhouse board' });
  expect((await addBlock(agent, dashboardId, { kind: 'device_state', application_id: appId, device_id: deviceId })).statusCode).toBe(303);
  return { user, agent, appId, deviceId, dashboardId };
}

/** An organization's dashboard (made by its Administrator) showing one device's state. */
async function orgDashboard(opts: { orgName?: string } = {}) {
  const admin = await newUser(t, { name: 'Olga Admin' });
  const org = await newOrg(t, { owner: admin, name: opts.orgName ?? 'Acme Sensors' });
  const adminAgent = await signedIn(t, admin);
  const appId = await newApplication({ org }, 'Factory floor');
  const deviceId = await newDevice(appId, 'Press 7', { pressure: 812, status: 'running' }, new Date('2026-03-10T07:00:00Z'));
  const dashboardId = await createDashboard(adminAgent, { name: 'Floor board', owner: `org:${org.id}` });
  expect((await addBlock(adminAgent, dashboardId, { kind: 'device_state', application_id: appId, device_id: deviceId })).statusCode).toBe(303);
  return { admin, adminAgent, org, appId, deviceId, dashboardId };
}

describe('creating a dashboard (R5.2, R5.3, R7.3)', () => {
  it('creates a private dashboard in the Sandbox; a user without organizations gets no owner picker', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const form = await agent.get('/dashboards/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label for="dashboard-name">Name</label>');
    expect(form.body).toContain('>Description');
    expect(form.body).not.toContain('<select id="dashboard-owner"');

    const id = await createDashboard(agent, { name: '  Home sensors  ', description: 'Upstairs and down' });
    const row = await t.knex('dashboards').where({ id }).first();
    expect(row).toMatchObject({ owner_type: 'user', owner_id: user.id, name: 'Home sensors', description: 'Upstairs and down', visibility: 'private', password_hash: null });
    expect(row.share_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = await agent.get(`/dashboards/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Home sensors');
    expect(page.body).toContain('Dashboard Home sensors created.');
  });

  it('offers the Sandbox and the organizations where the user is Editor or Administrator, and refuses any other owner', async () => {
    const user = await newUser(t, { name: 'Eve Editor' });
    const other = await newUser(t);
    const editorOrg = await newOrg(t, { owner: other, name: 'Editors Inc' });
    const viewerOrg = await newOrg(t, { owner: other, name: 'Viewers Ltd' });
    const ownOrg = await newOrg(t, { owner: user, name: 'Own Org' });
    const foreignOrg = await newOrg(t, { owner: other, name: 'Foreign Co' });
    await addMember(t, editorOrg, user, 'editor');
    await addMember(t, viewerOrg, user, 'viewer');
    const agent = await signedIn(t, user);

    const form = await agent.get('/dashboards/new');
    expect(form.body).toContain('<label for="dashboard-owner">Owner</label>');
    expect(form.body).toContain('<option value="sandbox"');
    expect(form.body).toContain(`value="org:${editorOrg.id}"`);
    expect(form.body).toContain(`value="org:${ownOrg.id}"`);
    expect(form.body).not.toContain(`value="org:${viewerOrg.id}"`);
    expect(form.body).not.toContain(`value="org:${foreignOrg.id}"`);
    // A link from an organization's page preselects it.
    expect((await agent.get(`/dashboards/new?owner=org:${editorOrg.id}`)).body).toContain(`value="org:${editorOrg.id}" selected`);

    const id = await createDashboard(agent, { name: 'Team board', owner: `org:${editorOrg.id}` });
    expect(await t.knex('dashboards').where({ id }).first()).toMatchObject({ owner_type: 'organization', owner_id: editorOrg.id });

    for (const owner of [`org:${viewerOrg.id}`, `org:${foreignOrg.id}`, 'org:999999', 'user:1', '']) {
      const res = await agent.post('/dashboards/new', { name: 'Sneaky', description: 'kept', owner });
      if (owner === '') {
        // No owner posted (a user with only a Sandbox): it goes to the Sandbox.
        expect(res.statusCode).toBe(303);
        continue;
      }
      expect(res.statusCode, owner).toBe(422);
      expect(res.body).toContain('Choose your Sandbox or an organization where you are an Editor or Administrator.');
      expect(res.body).toContain('Sneaky');
    }
    expect(await count('dashboards', { owner_type: 'organization', owner_id: viewerOrg.id })).toBe(0);
    expect(await count('dashboards', { owner_type: 'organization', owner_id: foreignOrg.id })).toBe(0);
  });

  it('keeps the values and explains a missing name (422)', async () => {
    const agent = await signedIn(t, await newUser(t));
    const res = await agent.post('/dashboards/new', { name: '   ', description: 'My notes', owner: 'sandbox' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Enter a name for the dashboard.');
    expect(res.body).toContain('My notes');
    const long = await agent.post('/dashboards/new', { name: 'x'.repeat(300), owner: 'sandbox' });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('The name can be at most 255 characters.');
  });

  it('refuses a sixth Sandbox dashboard, naming the limit and the plan; nothing is created', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    for (let i = 1; i <= 5; i++) await createDashboard(agent, { name: `Board ${i}` });
    const res = await agent.post('/dashboards/new', { name: 'Board 6', description: 'one too many', owner: 'sandbox' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toMatch(/allows 5 dashboards \(Sandbox limit\)/);
    expect(res.body).toContain('Board 6');
    expect(await count('dashboards', { owner_type: 'user', owner_id: user.id })).toBe(5);
  });

  it('lists an owner\'s dashboards by name, and the Sandbox page shows them', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const b = await createDashboard(agent, { name: 'Beta' });
    const a = await createDashboard(agent, { name: 'Alpha' });
    expect(await listDashboardsOf(t.deps.db, { kind: 'sandbox', userId: user.id })).toEqual([
      { id: a, name: 'Alpha', visibility: 'private' },
      { id: b, name: 'Beta', visibility: 'private' },
    ]);
    const sandbox = await agent.get('/sandbox');
    expect(sandbox.body).toContain(`href="/dashboards/${a}"`);
  });
});

describe('blocks (R5.2)', () => {
  it('a Device state block shows the device\'s latest values and when it was last seen', async () => {
    const { agent, dashboardId } = await sandboxDashboardWithDevice({ state: { temperature: 21.5, door: 'open', nested: { a: 1 } } });
    const page = await agent.get(`/dashboards/${dashboardId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Thermostat · Greenhouse');
    expect(page.body).toMatch(/<th scope="row">temperature<\/th><td>21.5<\/td>/);
    expect(page.body).toMatch(/<th scope="row">door<\/th><td>open<\/td>/);
    expect(page.body).toContain('{&quot;a&quot;:1}');
    expect(page.body).toContain('datetime="2026-03-10T08:30:00.000Z"');
  });

  it('a device that has reported nothing says so', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const appId = await newApplication({ user }, 'Quiet app');
    const deviceId = await newDevice(appId, 'Silent');
    const id = await createDashboard(agent, { name: 'Quiet' });
    await addBlock(agent, id, { kind: 'device_state', application_id: appId, device_id: deviceId, title: 'My silent one' });
    const page = await agent.get(`/dashboards/${id}`);
    expect(page.body).toContain('My silent one');
    expect(page.body).toContain('No state reported yet.');
  });

  it('a Payloads over time block draws an accessible SVG bar chart of the last 30 days, with the numbers in a table', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const appId = await newApplication({ user }, 'Weather');
    await recordDailyUsage({ user }, appId, 0, 120);
    await recordDailyUsage({ user }, appId, 3, 480);
    await recordDailyUsage({ user }, appId, 29, 7);
    await recordDailyUsage({ user }, appId, 30, 9_999); // outside the 30 days
    const id = await createDashboard(agent, { name: 'Weather board' });
    const added = await addBlock(agent, id, { kind: 'payloads_over_time', application_id: appId });
    expect(added.statusCode).toBe(303);
    const page = await agent.get(`/dashboards/${id}`);
    expect(page.body).toContain('Payloads over time · Weather');
    const svg = /<svg class="chart-svg"[^>]*>/.exec(page.body)?.[0];
    expect(svg).toBeDefined();
    expect(svg).toContain('role="img"');
    // Clock: 2026-03-10. The busiest day was 3 days earlier.
    expect(svg).toContain('aria-label="Weather: Payloads per day from Feb 9 to Mar 10, 2026: 607 in total; the busiest day was Mar 7 with 480."');
    expect((page.body.match(/<rect /g) ?? []).length).toBe(30);
    expect(page.body).toMatch(/<time datetime="2026-03-07">Mar 7<\/time><\/th><td>480<\/td>/);
    expect(page.body).toMatch(/<time datetime="2026-02-09">Feb 9<\/time><\/th><td>7<\/td>/);
    expect(page.body).not.toContain('9,999');
    // The CSP forbids inline styles: the chart is drawn with attributes only.
    expect(page.body).not.toMatch(/\sstyle=/);
  });

  it('an organization\'s dashboard cannot use a Sandbox application (on save)', async () => {
    const { admin, adminAgent, dashboardId } = await orgDashboard();
    const sandboxApp = await newApplication({ user: admin }, 'Personal app');
    const before = await count('dashboard_blocks', { dashboard_id: dashboardId });
    const res = await addBlock(adminAgent, dashboardId, { kind: 'payloads_over_time', application_id: sandboxApp, title: 'Kept title' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("Choose one of this organization&#39;s applications");
    expect(res.body).toContain('Kept title');
    expect(await count('dashboard_blocks', { dashboard_id: dashboardId })).toBe(before);
    // The form does not even offer it.
    const page = await adminAgent.get(`/dashboards/${dashboardId}`);
    expect(page.body).not.toContain('Personal app');
  });

  it('an organization\'s dashboard cannot use another organization\'s application even when the editor is in both', async () => {
    const { admin, adminAgent, dashboardId } = await orgDashboard();
    const otherOrg = await newOrg(t, { owner: admin, name: 'Other Org' });
    const otherApp = await newApplication({ org: otherOrg }, 'Other app');
    expect((await addBlock(adminAgent, dashboardId, { kind: 'payloads_over_time', application_id: otherApp })).statusCode).toBe(422);
  });

  it('a Sandbox dashboard may use an application of an organization the user belongs to, and loses it when the user leaves', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, name: 'Shared Data Co' });
    const orgApp = await newApplication({ org }, 'Org weather');
    const orgDevice = await newDevice(orgApp, 'Roof station', { wind: 12 });
    const user = await newUser(t, { name: 'Vic Viewer' });
    await addMember(t, org, user, 'viewer');
    const agent = await signedIn(t, user);
    const id = await createDashboard(agent, { name: 'My mix' });
    const form = await agent.get(`/dashboards/${id}`);
    expect(form.body).toContain('<optgroup label="Shared Data Co">');
    expect((await addBlock(agent, id, { kind: 'device_state', application_id: orgApp, device_id: orgDevice })).statusCode).toBe(303);
    await t.knex('dashboards').where({ id }).update({ visibility: 'public' });
    const link = `/d/${await shareToken(id)}`;
    expect((await agent.get(`/dashboards/${id}`)).body).toMatch(/<th scope="row">wind<\/th><td>12<\/td>/);
    expect((await t.agent('10.1.0.1').get(link)).body).toMatch(/<th scope="row">wind<\/th><td>12<\/td>/);

    // The user leaves the organization: the data goes from their dashboard, public view included.
    expect((await agent.post(`/orgs/${org.slug}/leave`)).statusCode).toBe(303);
    const after = await agent.get(`/dashboards/${id}`);
    expect(after.body).toMatch(NO_LONGER_AVAILABLE);
    expect(after.body).not.toContain('wind');
    const publicAfter = await t.agent('10.1.0.1').get(link);
    expect(publicAfter.body).toMatch(NO_LONGER_AVAILABLE);
    expect(publicAfter.body).not.toContain('wind');
    // And it can no longer be chosen.
    expect((await addBlock(agent, id, { kind: 'payloads_over_time', application_id: orgApp })).statusCode).toBe(422);
  });

  it('a member with role None, or None on that application, cannot put its data on a Sandbox dashboard', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin });
    const appA = await newApplication({ org }, 'App A');
    const appB = await newApplication({ org }, 'App B');
    const user = await newUser(t);
    await addMember(t, org, user, 'viewer');
    await t.knex('resource_roles').insert({ organization_id: org.id, user_id: user.id, resource_type: 'application', resource_id: appB, role: 'none' });
    const agent = await signedIn(t, user);
    const id = await createDashboard(agent, { name: 'Probe' });
    expect((await addBlock(agent, id, { kind: 'payloads_over_time', application_id: appB })).statusCode).toBe(422);
    expect((await addBlock(agent, id, { kind: 'payloads_over_time', application_id: appA })).statusCode).toBe(303);
    await t.knex('memberships').where({ organization_id: org.id, user_id: user.id }).update({ role: 'none' });
    expect((await agent.get(`/dashboards/${id}`)).body).toMatch(NO_LONGER_AVAILABLE);
  });

  it('a deleted application or device leaves its block saying the source is no longer available', async () => {
    const { agent, appId, deviceId, dashboardId } = await sandboxDashboardWithDevice();
    await t.knex('devices').where({ id: deviceId }).delete();
    expect((await agent.get(`/dashboards/${dashboardId}`)).body).toMatch(NO_LONGER_AVAILABLE);
    await t.knex('applications').where({ id: appId }).delete();
    expect((await agent.get(`/dashboards/${dashboardId}`)).body).toMatch(NO_LONGER_AVAILABLE);
  });

  it('validates a block: type, application, and a device of that application for Device state', async () => {
    const { user, agent, appId, dashboardId } = await sandboxDashboardWithDevice();
    const otherApp = await newApplication({ user }, 'Other');
    const otherDevice = await newDevice(otherApp, 'Elsewhere');
    const noDevice = await addBlock(agent, dashboardId, { kind: 'device_state', application_id: appId });
    expect(noDevice.statusCode).toBe(422);
    expect(noDevice.body).toContain('Choose the device whose latest state the block shows.');
    const wrongDevice = await addBlock(agent, dashboardId, { kind: 'device_state', application_id: appId, device_id: otherDevice });
    expect(wrongDevice.statusCode).toBe(422);
    expect(wrongDevice.body).toContain('Choose a device of the chosen application.');
    const badKind = await agent.post(`/dashboards/${dashboardId}/blocks`, { kind: 'pie_chart', application_id: String(appId) });
    expect(badKind.statusCode).toBe(422);
    expect(badKind.body).toContain('Choose the type of block from the list.');
    const noApp = await agent.post(`/dashboards/${dashboardId}/blocks`, { kind: 'payloads_over_time', application_id: 'abc' });
    expect(noApp.statusCode).toBe(422);
    const missing = await addBlock(agent, dashboardId, { kind: 'payloads_over_time', application_id: 99_999_999 });
    expect(missing.statusCode).toBe(422);
    expect(await count('dashboard_blocks', { dashboard_id: dashboardId })).toBe(1);
  });

  it('removes a block; a block of another dashboard is not found', async () => {
    const first = await sandboxDashboardWithDevice();
    const second = await sandboxDashboardWithDevice();
    const [block] = await t.knex('dashboard_blocks').where({ dashboard_id: first.dashboardId });
    expect((await second.agent.post(`/dashboards/${second.dashboardId}/blocks/${block.id}/delete`)).statusCode).toBe(404);
    expect((await first.agent.post(`/dashboards/${first.dashboardId}/blocks/${block.id}/delete`)).statusCode).toBe(303);
    expect(await count('dashboard_blocks', { dashboard_id: first.dashboardId })).toBe(0);
    expect((await first.agent.get(`/dashboards/${first.dashboardId}`)).body).toContain('No blocks yet.');
  });

  it('renames and describes a dashboard, keeping values on error', async () => {
    const { agent, dashboardId } = await sandboxDashboardWithDevice();
    const bad = await agent.post(`/dashboards/${dashboardId}/details`, { name: '', description: 'Still here' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Enter a name for the dashboard.');
    expect(bad.body).toContain('Still here');
    expect((await agent.post(`/dashboards/${dashboardId}/details`, { name: 'Renamed', description: 'New words' })).statusCode).toBe(303);
    expect(await t.knex('dashboards').where({ id: dashboardId }).first()).toMatchObject({ name: 'Renamed', description: 'New words' });
  });
});

describe('visibility and the share link (R5.2, R3.5, R9.10)', () => {
  it('refuses a weak shared password, listing what is missing, and stores a good one as an argon2id hash', async () => {
    const { agent, dashboardId } = await sandboxDashboardWithDevice();
    const cases: [string, string[]][] = [
      ['short', ['at least 12 characters', 'an upper-case letter', 'a digit', 'a symbol']],
      ['alllowercase-letters', ['an upper-case letter', 'a digit']],
      ['ALLUPPERCASE12!', ['a lower-case letter']],
      ['NoDigitsHere!!', ['a digit']],
      ['NoSymbols1234abc', ['a symbol']],
      ['Spaces Are Not 1 Symbol', ['a symbol']],
    ];
    for (const [password, missing] of cases) {
      const res = await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'password', password });
      expect(res.statusCode, password).toBe(422);
      expect(res.body, password).toContain('The shared password needs');
      for (const m of missing) expect(res.body, `${password}: ${m}`).toContain(m);
      expect(res.body).toContain('id="visibility-password" name="visibility" value="password" checked');
    }
    expect(await t.knex('dashboards').where({ id: dashboardId }).first()).toMatchObject({ visibility: 'private', password_hash: null });

    const blank = await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'password', password: '' });
    expect(blank.statusCode).toBe(422);
    expect(blank.body).toContain('Choose the shared password that visitors will enter.');
    expect((await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'everyone' })).statusCode).toBe(422);

    expect((await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'password', password: GOOD_PASSWORD })).statusCode).toBe(303);
    const row = await t.knex('dashboards').where({ id: dashboardId }).first();
    expect(row.visibility).toBe('password');
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    // A blank password keeps the current one.
    expect((await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'password', password: '' })).statusCode).toBe(303);
    expect((await t.knex('dashboards').where({ id: dashboardId }).first()).password_hash).toBe(row.password_hash);
    // Going public forgets it.
    expect((await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'public' })).statusCode).toBe(303);
    expect(await t.knex('dashboards').where({ id: dashboardId }).first()).toMatchObject({ visibility: 'public', password_hash: null });
  });

  it('a public dashboard opens logged out, with its blocks and without the organization\'s icon, name or billing notice', async () => {
    const { adminAgent, org, dashboardId } = await orgDashboard({ orgName: 'Zeta Secret Org' });
    await setBillingStatus(org, 'past_due');
    expect((await adminAgent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'public' })).statusCode).toBe(303);
    const member = await adminAgent.get(`/dashboards/${dashboardId}`);
    expect(member.body).toContain('is Past Due</strong>');
    expect(member.body).toContain('Zeta Secret Org');
    const link = `/d/${await shareToken(dashboardId)}`;
    expect(member.body).toContain(`http://localhost:3000${link}`);

    const visitor = t.agent('10.2.0.1');
    const res = await visitor.get(link);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-robots-tag']).toContain('noindex');
    expect(res.body).toContain('Floor board');
    expect(res.body).toMatch(/<th scope="row">pressure<\/th><td>812<\/td>/);
    expect(res.body).not.toContain('Zeta Secret Org');
    expect(res.body).not.toContain('org-icon');
    expect(res.body).not.toContain('is Past Due');
    expect(res.body).not.toContain('Remove block');
    expect(res.body).not.toContain('Add a block');
    // A signed-in member opening the link sees the same neutral view.
    const asMember = await adminAgent.get(link);
    expect(asMember.statusCode).toBe(200);
    expect(mainOf(asMember.body)).toContain('Floor board');
    expect(mainOf(asMember.body)).not.toContain('Zeta Secret Org');
    expect(mainOf(asMember.body)).not.toContain('org-icon');
    expect(asMember.body).not.toContain('is Past Due');
    await setBillingStatus(org, 'active');
  });

  it('a private dashboard\'s link, an unknown link and a malformed link are 404', async () => {
    const { dashboardId } = await sandboxDashboardWithDevice();
    const visitor = t.agent('10.3.0.1');
    expect((await visitor.get(`/d/${await shareToken(dashboardId)}`)).statusCode).toBe(404);
    expect((await visitor.get(`/d/${'A'.repeat(43)}`)).statusCode).toBe(404);
    expect((await visitor.get('/d/short')).statusCode).toBe(404);
    expect((await visitor.post(`/d/${await shareToken(dashboardId)}/unlock`, { password: 'x' })).statusCode).toBe(404);
  });

  it('a password-protected dashboard asks for the password; a wrong one is 401; the right one sets a cookie for that dashboard only', async () => {
    const a = await sandboxDashboardWithDevice({ name: 'Board A', state: { secret_a: 1 } });
    const b = await sandboxDashboardWithDevice({ name: 'Board B', state: { secret_b: 2 } });
    for (const d of [a, b]) {
      expect((await d.agent.post(`/dashboards/${d.dashboardId}/visibility`, { visibility: 'password', password: GOOD_PASSWORD })).statusCode).toBe(303);
    }
    const linkA = `/d/${await shareToken(a.dashboardId)}`;
    const linkB = `/d/${await shareToken(b.dashboardId)}`;
    const visitor = t.agent('10.4.0.1');

    const form = await visitor.get(linkA);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('This dashboard is password-protected');
    expect(form.body).toContain('<label for="unlock-password">Password</label>');
    expect(form.body).not.toContain('secret_a');

    const wrong = await visitor.post(`${linkA}/unlock`, { password: 'Not-The-Right-1' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('That password is not right.');
    expect(wrong.cookies.find((c) => c.name === 'dashboard_pass')).toBeUndefined();
    expect((await visitor.post(`${linkA}/unlock`, {})).statusCode).toBe(422);

    const right = await visitor.post(`${linkA}/unlock`, { password: GOOD_PASSWORD });
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toBe(linkA);
    const cookie = right.cookies.find((c) => c.name === 'dashboard_pass');
    expect(cookie).toMatchObject({ path: linkA, httpOnly: true, sameSite: 'Lax', maxAge: 12 * 3600 });
    const opened = await visitor.get(linkA);
    expect(opened.statusCode).toBe(200);
    expect(opened.body).toContain('secret_a');

    // The same visitor (whose test agent sends the cookie everywhere) is still asked on B.
    const otherBoard = await visitor.get(linkB);
    expect(otherBoard.body).toContain('This dashboard is password-protected');
    expect(otherBoard.body).not.toContain('secret_b');

    // A tampered cookie opens nothing; neither does an expired one.
    const tampered = t.agent('10.4.0.2');
    expect((await tampered.get(linkA, { cookie: `dashboard_pass=${encodeURIComponent(`v1.${a.dashboardId}.99999999999999.x`)}` })).body).toContain(
      'This dashboard is password-protected',
    );
    t.clock.advance(12 * 3_600_000 + 1000);
    expect((await visitor.get(linkA)).body).toContain('This dashboard is password-protected');
    t.clock.advance(-(12 * 3_600_000 + 1000));
    expect((await visitor.get(linkA)).body).toContain('secret_a');

    // A new password ends every unlock made with the old one.
    await a.agent.post(`/dashboards/${a.dashboardId}/visibility`, { visibility: 'password', password: 'Another-Good-Pass-7' });
    expect((await visitor.get(linkA)).body).toContain('This dashboard is password-protected');
  });

  it('unlocking needs the CSRF token and is rate limited', async () => {
    const { agent, dashboardId } = await sandboxDashboardWithDevice();
    await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'password', password: GOOD_PASSWORD });
    const link = `/d/${await shareToken(dashboardId)}`;
    const visitor = t.agent('10.5.0.1');
    await visitor.get(link);
    expect((await visitor.post(`${link}/unlock`, { password: GOOD_PASSWORD }, { csrf: false })).statusCode).toBe(403);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await visitor.post(`${link}/unlock`, { password: `Wrong-guess-${i}A` })).statusCode);
    expect(statuses.slice(0, 9).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('an Unpaid owner (R9.8)', () => {
  it('shared views show a neutral unavailable page; members are told why; past due shows the bar', async () => {
    const { adminAgent, org, dashboardId } = await orgDashboard({ orgName: 'Broke Widgets' });
    await adminAgent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'public' });
    const link = `/d/${await shareToken(dashboardId)}`;
    await setBillingStatus(org, 'unpaid');

    const visitor = t.agent('10.6.0.1');
    const shared = await visitor.get(link);
    expect(shared.statusCode).toBe(503);
    expect(shared.body).toContain('This dashboard is unavailable');
    expect(shared.body).not.toContain('Broke Widgets');
    expect(shared.body).not.toContain('unpaid');
    expect(shared.body).not.toContain('pressure');

    const member = await adminAgent.get(`/dashboards/${dashboardId}`);
    expect(member.statusCode).toBe(200);
    expect(member.body).toMatch(/Broke Widgets(?:'|&#39;)s subscription is unpaid/);
    expect(member.body).not.toContain('pressure');
    expect(member.body).not.toContain('Add a block');
    const [app] = await t.knex('applications').where({ owner_type: 'organization', owner_id: org.id });
    expect((await addBlock(adminAgent, dashboardId, { kind: 'payloads_over_time', application_id: app.id })).statusCode).toBe(409);
    expect((await adminAgent.post('/dashboards/new', { name: 'More', owner: `org:${org.id}` })).statusCode).toBe(409);

    // Password-protected: the same neutral page, without asking for the password.
    await t.knex('dashboards').where({ id: dashboardId }).update({ visibility: 'password', password_hash: 'x' });
    const locked = await visitor.get(link);
    expect(locked.statusCode).toBe(503);
    expect(locked.body).not.toContain('password-protected');

    await setBillingStatus(org, 'active');
  });

  it('a Sandbox dashboard block from an Unpaid organization stops showing its data', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, name: 'Lapsed Ltd' });
    const orgApp = await newApplication({ org }, 'Lapsed app');
    const orgDevice = await newDevice(orgApp, 'Lapsed device', { level: 3 });
    const agent = await signedIn(t, admin);
    const id = await createDashboard(agent, { name: 'Mine' });
    await addBlock(agent, id, { kind: 'device_state', application_id: orgApp, device_id: orgDevice });
    await t.knex('dashboards').where({ id }).update({ visibility: 'public' });
    await setBillingStatus(org, 'unpaid');
    const member = await agent.get(`/dashboards/${id}`);
    expect(member.body).toContain('has an unpaid subscription');
    expect(member.body).not.toContain('level');
    const shared = await t.agent('10.6.0.2').get(`/d/${await shareToken(id)}`);
    expect(shared.statusCode).toBe(200);
    expect(shared.body).toContain('This block is unavailable.');
    expect(shared.body).not.toContain('Lapsed Ltd');
    await setBillingStatus(org, 'active');
  });
});

describe('deleting a dashboard', () => {
  it('is confirmed on its own page, deletes the blocks, and the share link stops working', async () => {
    const { agent, dashboardId } = await sandboxDashboardWithDevice();
    await agent.post(`/dashboards/${dashboardId}/visibility`, { visibility: 'public' });
    const link = `/d/${await shareToken(dashboardId)}`;
    const confirm = await agent.get(`/dashboards/${dashboardId}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('>Delete dashboard</button>');
    expect(confirm.body).toContain('Its share link stops working at once.');
    const res = await agent.post(`/dashboards/${dashboardId}/delete`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/sandbox');
    expect(await count('dashboards', { id: dashboardId })).toBe(0);
    expect(await count('dashboard_blocks', { dashboard_id: dashboardId })).toBe(0);
    expect((await t.agent('10.7.0.1').get(link)).statusCode).toBe(404);
  });

  it('an organization dashboard\'s deletion goes back to the organization and is audited', async () => {
    const { adminAgent, org, dashboardId } = await orgDashboard();
    const res = await adminAgent.post(`/dashboards/${dashboardId}/delete`);
    expect(res.headers.location).toBe(`/orgs/${org.slug}`);
    const actions = (await t.knex('audit_events').where({ organization_id: org.id }).orderBy('id'))
      .map((e: { action: string }) => e.action)
      .filter((a: string) => a.startsWith('dashboard.'));
    expect(actions).toEqual(['dashboard.created', 'dashboard.deleted']);
  });
});

describe('who may do what (R2.1, R2.2, R2.5)', () => {
  const viewRoutes = (id: number) => [`/dashboards/${id}`];
  const editGets = (id: number) => [`/dashboards/${id}/delete`];
  const editPosts = (id: number, blockId: number, appId: number): [string, Record<string, string>][] => [
    [`/dashboards/${id}/details`, { name: 'Hijacked', description: '' }],
    [`/dashboards/${id}/blocks`, { kind: 'payloads_over_time', application_id: String(appId), title: 'Hijack', device_id: '' }],
    [`/dashboards/${id}/blocks/${blockId}/delete`, {}],
    [`/dashboards/${id}/visibility`, { visibility: 'public', password: '' }],
    [`/dashboards/${id}/delete`, {}],
  ];

  async function fixture() {
    const f = await orgDashboard();
    const [block] = await t.knex('dashboard_blocks').where({ dashboard_id: f.dashboardId });
    return { ...f, blockId: Number(block.id) };
  }

  const unchanged = async (id: number) => {
    const row = await t.knex('dashboards').where({ id }).first();
    expect(row).toMatchObject({ name: 'Floor board', visibility: 'private' });
    expect(await count('dashboard_blocks', { dashboard_id: id })).toBe(1);
  };

  it('anonymous visitors are sent to log in from every member route', async () => {
    const { dashboardId, blockId, appId } = await fixture();
    const anon = t.agent('10.8.0.1');
    for (const url of ['/dashboards/new', ...viewRoutes(dashboardId), ...editGets(dashboardId)]) {
      const res = await anon.get(url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location, url).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
    for (const [url, fields] of [...editPosts(dashboardId, blockId, appId), ['/dashboards/new', { name: 'x', owner: 'sandbox' }] as [string, Record<string, string>]]) {
      const res = await anon.post(url, fields);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location, url).toBe('/login');
    }
    await unchanged(dashboardId);
  });

  it('a non-member gets 404 everywhere; a platform admin flag changes nothing', async () => {
    const { dashboardId, blockId, appId } = await fixture();
    const stranger = await newUser(t);
    await t.knex('users').where({ id: stranger.id }).update({ is_platform_admin: true });
    const agent = await signedIn(t, stranger);
    for (const url of [...viewRoutes(dashboardId), ...editGets(dashboardId)]) expect((await agent.get(url)).statusCode, url).toBe(404);
    for (const [url, fields] of editPosts(dashboardId, blockId, appId)) expect((await agent.post(url, fields)).statusCode, url).toBe(404);
    expect((await agent.get('/dashboards/abc')).statusCode).toBe(404);
    expect((await agent.get('/dashboards/99999999')).statusCode).toBe(404);
    await unchanged(dashboardId);
  });

  it('another user\'s Sandbox dashboard is 404', async () => {
    const { dashboardId, appId } = await sandboxDashboardWithDevice();
    const [block] = await t.knex('dashboard_blocks').where({ dashboard_id: dashboardId });
    const agent = await signedIn(t, await newUser(t));
    for (const url of [...viewRoutes(dashboardId), ...editGets(dashboardId)]) expect((await agent.get(url)).statusCode, url).toBe(404);
    for (const [url, fields] of editPosts(dashboardId, block.id, appId)) expect((await agent.post(url, fields)).statusCode, url).toBe(404);
  });

  it('role None is 403 on view and edit', async () => {
    const { org, dashboardId, blockId, appId } = await fixture();
    const none = await newUser(t);
    await addMember(t, org, none, 'none');
    const agent = await signedIn(t, none);
    for (const url of [...viewRoutes(dashboardId), ...editGets(dashboardId)]) expect((await agent.get(url)).statusCode, url).toBe(403);
    for (const [url, fields] of editPosts(dashboardId, blockId, appId)) expect((await agent.post(url, fields)).statusCode, url).toBe(403);
    await unchanged(dashboardId);
  });

  it('a Viewer sees the dashboard without edit controls and gets 403 on every edit route', async () => {
    const { org, dashboardId, blockId, appId } = await fixture();
    const viewer = await newUser(t);
    await addMember(t, org, viewer, 'viewer');
    const agent = await signedIn(t, viewer);
    const page = await agent.get(`/dashboards/${dashboardId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<th scope="row">pressure<\/th><td>812<\/td>/);
    for (const text of ['Add a block', 'Remove block', 'Save sharing', 'Save details', 'Delete dashboard']) expect(page.body, text).not.toContain(text);
    for (const url of editGets(dashboardId)) expect((await agent.get(url)).statusCode, url).toBe(403);
    for (const [url, fields] of editPosts(dashboardId, blockId, appId)) expect((await agent.post(url, fields)).statusCode, url).toBe(403);
    // A Viewer cannot create in the organization either.
    expect((await agent.post('/dashboards/new', { name: 'Nope', owner: `org:${org.id}` })).statusCode).toBe(422);
    await unchanged(dashboardId);
  });

  it('a Collaborator edits: details, blocks, visibility — deleting needs Editor (R2.1)', async () => {
    const { org, dashboardId, blockId, appId } = await fixture();
    const collaborator = await newUser(t);
    await addMember(t, org, collaborator, 'collaborator');
    const agent = await signedIn(t, collaborator);
    const page = await agent.get(`/dashboards/${dashboardId}`);
    for (const text of ['Add a block', 'Remove block', 'Save sharing', 'Save details']) expect(page.body, text).toContain(text);
    expect(page.body).not.toContain('Delete dashboard');
    expect((await agent.get(`/dashboards/${dashboardId}/delete`)).statusCode).toBe(403);
    for (const [url, fields] of editPosts(dashboardId, blockId, appId)) {
      expect((await agent.post(url, fields)).statusCode, url).toBe(url.endsWith('/delete') && !url.includes('/blocks/') ? 403 : 303);
    }
    expect(await count('dashboards', { id: dashboardId })).toBe(1);
    // A Collaborator does not create dashboards in the organization (Editor does, R2.1).
    expect((await agent.post('/dashboards/new', { name: 'Nope', owner: `org:${org.id}` })).statusCode).toBe(422);
  });

  it('a Viewer given Collaborator on one dashboard edits that one only; None on a dashboard hides it', async () => {
    const { org, adminAgent, dashboardId } = await fixture();
    const other = await createDashboard(adminAgent, { name: 'Other board', owner: `org:${org.id}` });
    const viewer = await newUser(t);
    await addMember(t, org, viewer, 'viewer');
    await t.knex('resource_roles').insert({ organization_id: org.id, user_id: viewer.id, resource_type: 'dashboard', resource_id: dashboardId, role: 'collaborator' });
    const agent = await signedIn(t, viewer);
    expect((await agent.get(`/dashboards/${dashboardId}`)).body).toContain('Add a block');
    expect((await agent.post(`/dashboards/${dashboardId}/details`, { name: 'Renamed by override', description: '' })).statusCode).toBe(303);
    expect((await agent.post(`/dashboards/${other}/details`, { name: 'Nope', description: '' })).statusCode).toBe(403);
    expect((await agent.get(`/dashboards/${other}`)).body).not.toContain('Add a block');
    // The override's edit landed, and the refused one changed nothing.
    expect((await t.knex('dashboards').where({ id: dashboardId }).first()).name).toBe('Renamed by override');
    expect((await t.knex('dashboards').where({ id: other }).first()).name).toBe('Other board');

    await t.knex('resource_roles').insert({ organization_id: org.id, user_id: viewer.id, resource_type: 'dashboard', resource_id: other, role: 'none' });
    expect((await agent.get(`/dashboards/${other}`)).statusCode).toBe(403);
  });

  it('every state-changing route needs the CSRF token', async () => {
    const { adminAgent, dashboardId, blockId, appId } = await fixture();
    for (const [url, fields] of editPosts(dashboardId, blockId, appId)) {
      expect((await adminAgent.post(url, fields, { csrf: false })).statusCode, url).toBe(403);
    }
    expect((await adminAgent.post('/dashboards/new', { name: 'x', owner: 'sandbox' }, { csrf: false })).statusCode).toBe(403);
    await unchanged(dashboardId);
  });
});
