import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, insertApplication, insertDevice, insertRowId, newOrg, newUser, orgOwner, signedIn, type TestUser } from '../support/builders.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import type { Role } from '../../src/modules/tenancy/policy.ts';
import { pageApplicationsOf } from '../../src/modules/applications/queries.ts';
import { pageDashboardsOf } from '../../src/modules/dashboards/queries.ts';

/**
 * Issue 18, item 3: the overview reads what it shows — the first ten
 * members, applications and dashboards, each with its total, one statement a
 * region — and links to full, paged lists. Those pages check who may see
 * them as the overview does, and show only what the viewer may see (R2.6).
 * No cache: every request reads the role and the overrides again.
 */

let t: TestContext;
let org: Organization;
let owner: TestUser;
let admin: Agent;
const appIds: number[] = [];
const dashboardIds: number[] = [];
const pad = (n: number) => String(n).padStart(2, '0');

beforeAll(async () => {
  t = await startTestApp();
  owner = await newUser(t, { name: 'Aaron Owner' });
  org = await newOrg(t, { owner, name: 'Fleet Org', plan: 'business' });
  admin = await signedIn(t, owner);
  // 30 more members (31 in all), 27 applications, 26 dashboards; created out of name order.
  for (let i = 30; i >= 1; i--) await addMember(t, org, await newUser(t, { name: `Member ${pad(i)}` }), 'viewer');
  for (let i = 27; i >= 1; i--) appIds[i] = await insertApplication(t, orgOwner(org), `App ${pad(i)}`);
  for (let d = 0; d < 3; d++) await insertDevice(t, appIds[1]!, `probe-${d}`);
  for (let i = 26; i >= 1; i--) {
    dashboardIds[i] = await insertRowId(t, 'dashboards', { ...orgOwner(org), name: `Board ${pad(i)}`, description: '', visibility: 'private', share_token: `share-${org.id}-${i}`, created_at: t.clock.now().getTime() });
  }
});
afterAll(async () => {
  await t.close();
});

/** Names in the order a page shows them. */
const namesIn = (html: string, pattern: RegExp) => [...html.matchAll(pattern)].map((m) => m[1]);
const appNames = (html: string) => namesIn(html, /href="\/applications\/\d+">(App \d+)</g);
const boardNames = (html: string) => namesIn(html, /href="\/dashboards\/\d+">(Board \d+)</g);
const memberNames = (html: string) => namesIn(html, /<span class="grow">((?:Member \d+|Aaron Owner|[^<]+?)) <span class="muted">/g);

/** Every statement one request runs, with how many rows each answered. */
async function statementsOf(request: () => Promise<unknown>): Promise<{ sql: string; rows: number }[]> {
  const db = t.deps.db as unknown as Record<'rows' | 'first' | 'run', (...args: unknown[]) => Promise<unknown>>;
  const seen: { sql: string; rows: number }[] = [];
  const originals = { rows: db.rows, first: db.first, run: db.run };
  for (const method of ['rows', 'first', 'run'] as const) {
    const original = originals[method];
    db[method] = async (...args: unknown[]) => {
      const out = await original.apply(t.deps.db, args);
      seen.push({ sql: String(args[0]), rows: Array.isArray(out) ? out.length : out === undefined ? 0 : 1 });
      return out;
    };
  }
  try {
    await request();
  } finally {
    Object.assign(db, originals);
  }
  return seen;
}

async function member(role: Role, overrides: { type: 'application' | 'dashboard'; id: number; role: string }[] = []): Promise<Agent> {
  const user = await newUser(t, { name: `Zed ${role}` });
  await addMember(t, org, user, role);
  for (const o of overrides) await t.knex('resource_roles').insert({ organization_id: org.id, user_id: user.id, resource_type: o.type, resource_id: o.id, role: o.role });
  return signedIn(t, user);
}

describe('the overview shows the first ten of each list and how many there are (issue 18, R3.2)', () => {
  it('ten members, applications and dashboards by name, their totals, and a link to each full list', async () => {
    const page = await admin.get(`/orgs/${org.slug}`);
    expect(page.statusCode).toBe(200);
    expect(appNames(page.body)).toEqual(Array.from({ length: 10 }, (_, i) => `App ${pad(i + 1)}`));
    expect(boardNames(page.body)).toEqual(Array.from({ length: 10 }, (_, i) => `Board ${pad(i + 1)}`));
    expect(memberNames(page.body)).toEqual(['Aaron Owner', ...Array.from({ length: 9 }, (_, i) => `Member ${pad(i + 1)}`)]);
    expect(page.body).toContain('3 devices');
    expect(page.body).toContain(`<a href="/orgs/${org.slug}/applications">View all 27 applications</a>`);
    expect(page.body).toContain(`<a href="/orgs/${org.slug}/dashboards">View all 26 dashboards</a>`);
    expect(page.body).toContain(`<a href="/orgs/${org.slug}/members">View all 31 members</a>`);
    expect(page.body).toContain('aria-label="27 applications"');
    expect(page.body).toContain('aria-label="26 dashboards"');
    expect(page.body).toContain('aria-label="31 members"');
  });

  it('reads no list in full: no statement answers more than ten rows, and each region is one statement', async () => {
    const seen = await statementsOf(() => admin.get(`/orgs/${org.slug}`));
    expect(Math.max(...seen.map((s) => s.rows))).toBeLessThanOrEqual(10);
    const reads = (table: RegExp) => seen.filter((s) => table.test(s.sql));
    expect(reads(/FROM applications a\b/)).toHaveLength(1);
    expect(reads(/FROM dashboards\b/)).toHaveLength(1);
    expect(reads(/FROM memberships m JOIN users/)).toHaveLength(1);
    // The plan's limits are read only for an empty organization's next steps.
    expect(reads(/FROM plans\b/).filter((s) => !/JOIN/.test(s.sql))).toHaveLength(0);
    expect(seen.length).toBeLessThanOrEqual(14);
  });

  it('a small organization shows every row and no "View all" link', async () => {
    const small = await newOrg(t, { owner, name: 'Small Org' });
    await insertApplication(t, orgOwner(small), 'Only App');
    const page = await admin.get(`/orgs/${small.slug}`);
    expect(appNames(page.body)).toEqual([]);
    expect(page.body).toContain('Only App');
    expect(page.body).not.toContain('View all');
    const list = await admin.get(`/orgs/${small.slug}/applications`);
    expect(list.body).toContain('aria-label="1 application in all"');
    // The breadcrumb marks the current page; the Overview link of the sub-navigation does not.
    expect(list.body.match(/aria-current="page"/g)).toHaveLength(1);
  });

  it('reads a list through a filter of only some ids, with one SQL text whatever their number (R2.2)', async () => {
    const owner = { kind: 'organization' as const, organizationId: org.id };
    const one = await pageApplicationsOf(t.deps.db, owner, { only: [appIds[3]!] }, { limit: 10, offset: 0 });
    expect(one).toEqual({ rows: [expect.objectContaining({ id: appIds[3], name: 'App 03' })], total: 1 });
    const some = await pageApplicationsOf(t.deps.db, owner, { only: [appIds[5]!, appIds[4]!, appIds[1]!] }, { limit: 2, offset: 0 });
    expect(some.rows.map((r) => r.name)).toEqual(['App 01', 'App 04']);
    expect(some.total).toBe(3);
    expect(some.rows[0]!.devices).toBe(3);
    const boards = await pageDashboardsOf(t.deps.db, owner, { except: dashboardIds.slice(1, 25) }, { limit: 10, offset: 0 });
    expect(boards.rows.map((r) => r.name)).toEqual(['Board 25', 'Board 26']);
    expect(boards.total).toBe(2);
    expect(await pageApplicationsOf(t.deps.db, owner, { only: [] }, { limit: 10, offset: 0 })).toEqual({ rows: [], total: 0 });
  });
});

describe('the full lists: paged, plain links, checked like the overview (issue 18, R2.5, R2.6)', () => {
  it('applications: 25 a page by name, Previous and Next, a page past the last goes to the last', async () => {
    const first = await admin.get(`/orgs/${org.slug}/applications`);
    expect(first.statusCode).toBe(200);
    expect(appNames(first.body)).toEqual(Array.from({ length: 25 }, (_, i) => `App ${pad(i + 1)}`));
    expect(first.body).toContain('Page 1 of 2');
    expect(first.body).toContain(`href="/orgs/${org.slug}/applications?page=2" rel="next"`);
    expect(first.body).toContain('aria-label="27 applications in all"');
    const second = await admin.get(`/orgs/${org.slug}/applications?page=2`);
    expect(appNames(second.body)).toEqual(['App 26', 'App 27']);
    expect(second.body).toContain(`href="/orgs/${org.slug}/applications" rel="prev"`);
    const past = await admin.get(`/orgs/${org.slug}/applications?page=9`);
    expect(past.statusCode).toBe(303);
    expect(past.headers.location).toBe(`/orgs/${org.slug}/applications?page=2`);
    // Not a page number: the first page, as on the back-office lists.
    for (const bad of ['abc', '0', '-1', '1e9', '99999999999999999999']) expect(appNames((await admin.get(`/orgs/${org.slug}/applications?page=${bad}`)).body)).toHaveLength(25);
    // A control character is refused at the input boundary, as everywhere (R13.5).
    expect((await admin.get(`/orgs/${org.slug}/applications?page=%00`)).statusCode).toBe(400);
  });

  it('dashboards and members the same way', async () => {
    const boards = await admin.get(`/orgs/${org.slug}/dashboards?page=2`);
    expect(boards.statusCode).toBe(200);
    expect(boardNames(boards.body)).toEqual(['Board 26']);
    const members = await admin.get(`/orgs/${org.slug}/members`);
    expect(members.statusCode).toBe(200);
    expect(memberNames(members.body)).toHaveLength(25);
    expect(members.body).toContain('Viewer');
    const rest = await admin.get(`/orgs/${org.slug}/members?page=2`);
    expect(memberNames(rest.body).length).toBeGreaterThanOrEqual(6);
  });

  it('a stranger gets 404 on every list, and one signed out is sent to log in', async () => {
    const stranger = await signedIn(t, await newUser(t, { name: 'Stranger' }));
    for (const list of ['members', 'applications', 'dashboards']) {
      expect((await stranger.get(`/orgs/${org.slug}/${list}`)).statusCode).toBe(404);
      expect((await stranger.get(`/orgs/nosuchorg/${list}`)).statusCode).toBe(404);
      const anonymous = await t.agent().get(`/orgs/${org.slug}/${list}`);
      expect(anonymous.statusCode).toBe(303);
      expect(String(anonymous.headers.location)).toMatch(/^\/login/);
    }
  });

  it('a None override hides the resource from the lists and from the totals (R2.6), read again on every request', async () => {
    const viewer = await member('viewer', [
      { type: 'application', id: appIds[1]!, role: 'none' },
      { type: 'dashboard', id: dashboardIds[2]!, role: 'none' },
    ]);
    const overview = await viewer.get(`/orgs/${org.slug}`);
    expect(overview.statusCode).toBe(200);
    expect(appNames(overview.body)).toEqual(Array.from({ length: 10 }, (_, i) => `App ${pad(i + 2)}`));
    expect(overview.body).not.toContain('3 devices');
    expect(overview.body).toContain('View all 26 applications');
    expect(overview.body).toContain('View all 25 dashboards');
    expect(boardNames(overview.body)).not.toContain('Board 02');
    const apps = await viewer.get(`/orgs/${org.slug}/applications`);
    expect(appNames(apps.body)).not.toContain('App 01');
    expect(appNames(apps.body)).toHaveLength(25);
    expect((await viewer.get(`/orgs/${org.slug}/applications?page=2`)).body).toContain('App 27');
    const boards = await viewer.get(`/orgs/${org.slug}/dashboards`);
    expect(boardNames(boards.body)).not.toContain('Board 02');
    expect(boardNames(boards.body)).toHaveLength(25);
    expect(boards.body).not.toContain('Page 1 of');
    // The override lifted: the next request shows it (nothing cached).
    await t.knex('resource_roles').where({ resource_type: 'application', resource_id: appIds[1]! }).delete();
    expect(appNames((await viewer.get(`/orgs/${org.slug}`)).body)[0]).toBe('App 01');
  });

  it('a Collaborator overridden to None on every dashboard sees none, and is told so', async () => {
    const collaborator = await member(
      'collaborator',
      dashboardIds.filter(Boolean).map((id) => ({ type: 'dashboard' as const, id, role: 'none' })),
    );
    const overview = await collaborator.get(`/orgs/${org.slug}`);
    expect(boardNames(overview.body)).toEqual([]);
    expect(overview.body).not.toContain('View all 26 dashboards');
    const boards = await collaborator.get(`/orgs/${org.slug}/dashboards`);
    expect(boards.statusCode).toBe(200);
    expect(boards.body).toContain('No dashboards you can see.');
  });

  it('a removed member loses the lists at once', async () => {
    const user = await newUser(t, { name: 'Leaving Soon' });
    await addMember(t, org, user, 'editor');
    const agent = await signedIn(t, user);
    expect((await agent.get(`/orgs/${org.slug}/members`)).statusCode).toBe(200);
    await t.knex('memberships').where({ organization_id: org.id, user_id: user.id }).delete();
    expect((await agent.get(`/orgs/${org.slug}/members`)).statusCode).toBe(404);
    expect((await agent.get(`/orgs/${org.slug}/applications`)).statusCode).toBe(404);
  });
});

describe('the usage page reads its counters, never the stored payloads (issue 18, R8.2, R8.3)', () => {
  it('no statement of the page reads the payloads table, and none answers more than a row per application or day', async () => {
    const device = await t.knex('devices').where({ application_id: appIds[1]! }).first('id');
    const now = t.clock.now().getTime();
    await t.knex('payloads').insert(Array.from({ length: 50 }, (_, i) => ({ application_id: appIds[1]!, device_id: device.id, time: now - i * 1000, received_at: now, data: '{"t":1}' })));
    const seen = await statementsOf(() => admin.get(`/orgs/${org.slug}/settings/usage`));
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.filter((s) => /\b(FROM|JOIN)\s+payloads\b/i.test(s.sql))).toEqual([]);
    expect(Math.max(...seen.map((s) => s.rows))).toBeLessThanOrEqual(27 + 31);
  });
});
