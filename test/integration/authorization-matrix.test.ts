import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';

/**
 * R2.1, R2.2, R2.5: every route of the product, walked with every kind of
 * actor. A route that is registered but has no row here fails the last test,
 * so a new route cannot ship without its authorization being decided.
 */

// The last two have a per-resource role (R2.2) on the matrix's application and
// dashboard: a Viewer given Collaborator there, an Editor given None there.
const ACTORS = ['anonymous', 'nonMember', 'platformAdmin', 'none', 'viewer', 'collaborator', 'editor', 'administrator', 'viewerWithCollaborator', 'editorWithNone'] as const;
type Actor = (typeof ACTORS)[number];
type OverrideActor = 'viewerWithCollaborator' | 'editorWithNone';
type Expect = Record<Actor, number>;
/** A row's expectations: the override actors may be left out where they act as their role would on that resource. */
type RowExpect = Record<Exclude<Actor, OverrideActor>, number> & Partial<Record<OverrideActor, number>>;

/**
 * R2.2: on the matrix's own application and dashboard an override replaces
 * the organization role, so there the two answer as Collaborator and as None
 * would; everywhere else as the Viewer and the Editor they are.
 */
const onResource = (path: string) => path.startsWith('/applications/{app}') || path.startsWith('/dashboards/{dashboard}');
const withOverrides = (path: string, e: RowExpect): Expect => ({
  viewerWithCollaborator: onResource(path) ? e.collaborator : e.viewer,
  editorWithNone: onResource(path) ? e.none : e.editor,
  ...e,
});

// Routes outside this matrix, and why.
const ELSEWHERE: [RegExp, string][] = [
  [/^(GET|POST) \/(|health|login|signup|logout)$/, 'public account pages (accounts.test.ts)'],
  [/^GET \/static\//, 'static files'],
  [/^(GET|POST) \/invites\//, 'invitation links work without login (members.test.ts)'],
  [/^(GET|POST) \/d\//, 'share links of dashboards (dashboards.test.ts)'],
  [/^\w+ \/api\//, 'the REST API and the device API: bearer tokens, walked by api/authorization-matrix.test.ts'],
  [/^POST \/webhooks\//, 'Stripe webhooks, signed (stripe-webhooks.test.ts)'],
  [/^(GET|POST) \/admin(\/|$)/, 'back-office: 404 for all but platform admins (admin tests)'],
  [/^(GET|POST) \/(password\/(forgot|reset\/:token)|confirm-email\/:token|cancel-email-change\/:token)$/, 'account recovery, email confirmation and its cancel link: the link is the proof, no login (account-self-service.test.ts, account-security.test.ts)'],
];

/** The organization's member pattern: anonymous to log in, outsiders 404, role decides the rest. */
const org = (minimum: Actor, ok: number, denied = 403): RowExpect => {
  const order: Actor[] = ['none', 'viewer', 'collaborator', 'editor', 'administrator'];
  const from = order.indexOf(minimum);
  const out = { anonymous: 303, nonMember: 404, platformAdmin: 404 } as RowExpect;
  order.forEach((a, i) => (out[a] = i >= from ? ok : denied));
  return out;
};
const signedInOnly = (ok: number): RowExpect => ({ anonymous: 303, nonMember: ok, platformAdmin: ok, none: ok, viewer: ok, collaborator: ok, editor: ok, administrator: ok });

let t: TestContext;
const agents = {} as Record<Actor, Agent>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  const users = {} as Record<Actor, TestUser>;
  users.administrator = await newUser(t, { name: 'Matrix Admin' });
  const created = await newOrg(t, { owner: users.administrator, plan: 'professional', name: 'Matrix Org' });
  users.nonMember = await newUser(t);
  users.platformAdmin = await newUser(t);
  await t.knex('users').where({ id: users.platformAdmin.id }).update({ is_platform_admin: true });
  for (const role of ['none', 'viewer', 'collaborator', 'editor'] as const) {
    users[role] = await newUser(t);
    await addMember(t, created, users[role], role);
  }
  users.viewerWithCollaborator = await newUser(t);
  await addMember(t, created, users.viewerWithCollaborator, 'viewer');
  users.editorWithNone = await newUser(t);
  await addMember(t, created, users.editorWithNone, 'editor');
  const target = await newUser(t, { name: 'Target Member' });
  await addMember(t, created, target, 'viewer');
  agents.anonymous = t.agent();
  for (const a of ACTORS) if (a !== 'anonymous') agents[a] = await signedIn(t, users[a]);
  const admin = agents.administrator;
  const app = await admin.post('/applications', { owner: `org:${created.id}`, name: 'Matrix App' });
  ids.app = String(app.headers.location).split('/').pop()!;
  await admin.post(`/applications/${ids.app}/devices`, { name: 'dev' });
  await admin.post(`/applications/${ids.app}/workflows`, { name: 'wf' });
  ids.device = String((await t.knex('devices').where({ application_id: ids.app }).first()).id);
  ids.workflow = String((await t.knex('workflows').where({ application_id: ids.app }).first()).id);
  await admin.post(`/applications/${ids.app}/keys`, { name: 'matrix key' });
  ids.key = String((await t.knex('access_keys').where({ application_id: ids.app }).first()).id);
  const dash = await admin.post('/dashboards/new', { owner: `org:${created.id}`, name: 'Matrix Dashboard', description: '' });
  ids.dashboard = String(dash.headers.location).split('/').pop()!.split('#')[0]!;
  await admin.post(`/dashboards/${ids.dashboard}/blocks`, { kind: 'device_state', title: 'Matrix block', application_id: ids.app, device_id: ids.device });
  ids.block = String((await t.knex('dashboard_blocks').where({ dashboard_id: ids.dashboard }).first()).id);
  // The overrides, set the way an Administrator sets them (Settings → Members → Access).
  for (const [actor, role] of [['viewerWithCollaborator', 'collaborator'], ['editorWithNone', 'none']] as const) {
    const set = await admin.post(`/orgs/${created.slug}/settings/members/${users[actor].id}/access`, { [`application:${ids.app}`]: role, [`dashboard:${ids.dashboard}`]: role });
    expect(set.statusCode).toBe(303);
  }
  await admin.post(`/orgs/${created.slug}/invitations`, { email: 'matrix-invitee@example.com', role: 'viewer' });
  ids.invitation = String((await t.knex('invitations').where({ organization_id: created.id }).first()).id);
  ids.invoice = String((await t.knex('invoices').where({ organization_id: created.id }).first()).id);
  ids.plan = String((await t.knex('plans').where({ code: 'business' }).first()).id);
  ids.slug = created.slug;
  ids.target = String(target.id);
  await admin.post('/account/tokens', { name: 'Matrix token', scope: 'all.User.read' });
  ids.apiToken = String((await t.knex('api_tokens').where({ user_id: users.administrator.id, kind: 'personal' }).first()).id);
});
afterAll(async () => {
  await t.close();
});

// [route as registered, path to request, form body, expected per actor]. Order matters only
// where a request changes membership (leave comes last).
// An allowed actor's row expects success (200, 201, 303). It expects a refusal
// (4xx) only where success would destroy what later rows need (a deletion, a
// transfer, the organization itself, creating and charging a new one) or needs
// what this test does not hold (an account's password, a fresh quote); each
// module's own tests make those succeed.
const rows: [string, string, Record<string, string>, RowExpect][] = [
  ['GET /orgs', '/orgs', {}, signedInOnly(200)],
  ['GET /sandbox', '/sandbox', {}, signedInOnly(200)],
  ['GET /orgs/new', '/orgs/new', {}, signedInOnly(200)],
  ['GET /orgs/new/details', '/orgs/new/details', {}, signedInOnly(303)],
  ['GET /orgs/new/enterprise', '/orgs/new/enterprise', {}, signedInOnly(200)],
  ['POST /orgs/new/plan', '/orgs/new/plan', { plan: 'starter' }, signedInOnly(303)],
  ['POST /orgs/new/continue', '/orgs/new/continue', {}, signedInOnly(303)],
  ['POST /orgs/new/icon', '/orgs/new/icon', { name: 'x' }, signedInOnly(303)],
  // An empty form after choosing a plan: a complete one would create (and charge) an organization per actor.
  ['POST /orgs/new/details', '/orgs/new/details', {}, signedInOnly(422)],
  ['POST /orgs/new/enterprise', '/orgs/new/enterprise', {}, signedInOnly(422)],
  ['GET /applications/new', '/applications/new', {}, signedInOnly(200)],
  ['POST /applications', '/applications', { owner: 'sandbox', name: 'Sandbox App' }, signedInOnly(303)],
  ['GET /dashboards/new', '/dashboards/new', {}, signedInOnly(200)],
  ['POST /dashboards/new', '/dashboards/new', { owner: 'sandbox', name: 'Sandbox Dashboard', description: '' }, signedInOnly(303)],
  ['GET /account', '/account', {}, signedInOnly(200)],
  ['POST /account/profile', '/account/profile', { name: 'Matrix Actor', time_zone: 'UTC' }, signedInOnly(303)],
  ['POST /account/email', '/account/email', { email: 'not-an-email', current_password: 'x' }, signedInOnly(422)],
  ['POST /account/password', '/account/password', { current_password: '', new_password: '' }, signedInOnly(422)],
  ['POST /account/email/cancel', '/account/email/cancel', {}, signedInOnly(303)],
  ['POST /account/sessions/sign-out-others', '/account/sessions/sign-out-others', {}, signedInOnly(303)],
  // R16.2: personal API tokens; a token is its owner's only (the Administrator's is 404 to everyone else).
  ['POST /account/tokens', '/account/tokens', { name: 'Actor token', scope: 'all.User.read' }, signedInOnly(201)],
  ['GET /account/tokens/:id/revoke', '/account/tokens/{apiToken}/revoke', {}, { ...signedInOnly(404), administrator: 200 }],

  ['GET /orgs/:slug', '/orgs/{slug}', {}, org('viewer', 200)],
  ['GET /orgs/:slug/leave', '/orgs/{slug}/leave', {}, org('none', 200)],
  // Issue 18: the overview's full lists, for whoever sees the overview.
  ['GET /orgs/:slug/members', '/orgs/{slug}/members', {}, org('viewer', 200)],
  ['GET /orgs/:slug/applications', '/orgs/{slug}/applications', {}, org('viewer', 200)],
  ['GET /orgs/:slug/dashboards', '/orgs/{slug}/dashboards', {}, org('viewer', 200)],
  ['POST /orgs/:slug/settings/general/icon', '/orgs/{slug}/settings/general/icon', { name: 'x' }, org('administrator', 303)],
  ['GET /orgs/:slug/invitations/:id/revoke', '/orgs/{slug}/invitations/{invitation}/revoke', {}, org('administrator', 200)],
  ['GET /orgs/:slug/settings', '/orgs/{slug}/settings', {}, org('administrator', 303)],
  ['GET /orgs/:slug/settings/general', '/orgs/{slug}/settings/general', {}, org('administrator', 200)],
  ['POST /orgs/:slug/settings/general', '/orgs/{slug}/settings/general', { name: 'Matrix Org', description: '', icon_color: '#3346d3' }, org('administrator', 303)],
  ['GET /orgs/:slug/settings/members', '/orgs/{slug}/settings/members', {}, org('administrator', 200)],
  ['POST /orgs/:slug/settings/members/:userId/role', '/orgs/{slug}/settings/members/{target}/role', { role: 'viewer' }, org('administrator', 303)],
  ['GET /orgs/:slug/settings/members/:userId/access', '/orgs/{slug}/settings/members/{target}/access', {}, org('administrator', 200)],
  ['POST /orgs/:slug/settings/members/:userId/access', '/orgs/{slug}/settings/members/{target}/access', {}, org('administrator', 303)],
  ['GET /orgs/:slug/settings/members/:userId/remove', '/orgs/{slug}/settings/members/{target}/remove', {}, org('administrator', 200)],
  ['POST /orgs/:slug/invitations', '/orgs/{slug}/invitations', { email: 'matrix-second@example.com', role: 'viewer' }, org('administrator', 303)],
  ['POST /orgs/:slug/invitations/:id/renew', '/orgs/{slug}/invitations/{invitation}/renew', {}, org('administrator', 303)],
  ['GET /orgs/:slug/settings/audit-log', '/orgs/{slug}/settings/audit-log', {}, org('administrator', 200)],
  ['GET /orgs/:slug/settings/audit-log/export.csv', '/orgs/{slug}/settings/audit-log/export.csv', {}, org('administrator', 200)],
  ['GET /orgs/:slug/settings/usage', '/orgs/{slug}/settings/usage', {}, org('administrator', 200)],
  ['GET /orgs/:slug/settings/invoices', '/orgs/{slug}/settings/invoices', {}, org('administrator', 200)],
  ['GET /orgs/:slug/settings/invoices/:invoiceId', '/orgs/{slug}/settings/invoices/{invoice}', {}, org('administrator', 200)],
  ['GET /orgs/:slug/settings/invoices/:invoiceId/pdf', '/orgs/{slug}/settings/invoices/{invoice}/pdf', {}, org('administrator', 200)],
  ['GET /orgs/:slug/settings/billing-details', '/orgs/{slug}/settings/billing-details', {}, org('administrator', 200)],
  ['POST /orgs/:slug/settings/billing-details', '/orgs/{slug}/settings/billing-details', { billing_email: 'not-an-email' }, org('administrator', 422)],
  // R9.14: only former Administrators of a deleted organization (invoices.test.ts); a live one is not found here.
  ['GET /orgs/deleted/:slug/invoices', '/orgs/deleted/{slug}/invoices', {}, signedInOnly(404)],
  ['GET /orgs/deleted/:slug/invoices/:invoiceId', '/orgs/deleted/{slug}/invoices/{invoice}', {}, signedInOnly(404)],
  ['GET /orgs/deleted/:slug/invoices/:invoiceId/pdf', '/orgs/deleted/{slug}/invoices/{invoice}/pdf', {}, signedInOnly(404)],
  ['GET /orgs/:slug/settings/payment-method', '/orgs/{slug}/settings/payment-method', {}, org('administrator', 200)],
  ['POST /orgs/:slug/settings/payment-method', '/orgs/{slug}/settings/payment-method', { card_number: '4242 4242 4242 4242', card_expiry: '12/39', card_cvc: '123' }, org('administrator', 303)],
  ['POST /orgs/:slug/billing/pay-now', '/orgs/{slug}/billing/pay-now', {}, org('administrator', 303)],
  ['GET /orgs/:slug/settings/billing-plan', '/orgs/{slug}/settings/billing-plan', {}, org('administrator', 200)],
  ['GET /orgs/:slug/settings/billing-plan/change', '/orgs/{slug}/settings/billing-plan/change?plan={plan}', {}, org('administrator', 200)],
  ['POST /orgs/:slug/settings/billing-plan/change', '/orgs/{slug}/settings/billing-plan/change', { plan: '{plan}', quote: 'stale' }, org('administrator', 409)],
  ['GET /orgs/:slug/settings/delete', '/orgs/{slug}/settings/delete', {}, org('administrator', 200)],
  ['POST /orgs/:slug/settings/delete', '/orgs/{slug}/settings/delete', { confirm_name: 'not the name' }, org('administrator', 422)],

  ['GET /applications/:id', '/applications/{app}', {}, org('viewer', 200)],
  ['POST /applications/:id', '/applications/{app}', { name: 'Matrix App', description: '' }, org('collaborator', 303)],
  ['POST /applications/:id/devices', '/applications/{app}/devices', { name: 'another device' }, org('collaborator', 303)],
  ['POST /applications/:id/devices/:childId', '/applications/{app}/devices/{device}', { name: 'dev' }, org('collaborator', 303)],
  ['GET /applications/:id/devices/:childId/delete', '/applications/{app}/devices/{device}/delete', {}, org('collaborator', 200)],
  ['GET /applications/:id/workflows/:childId/delete', '/applications/{app}/workflows/{workflow}/delete', {}, org('collaborator', 200)],
  ['GET /applications/:id/keys/:childId/revoke', '/applications/{app}/keys/{key}/revoke', {}, org('collaborator', 200)],
  ['POST /applications/:id/devices/:childId/delete', '/applications/{app}/devices/2147483647/delete', {}, org('collaborator', 404)],
  ['POST /applications/:id/workflows', '/applications/{app}/workflows', { name: 'another workflow' }, org('collaborator', 303)],
  ['GET /applications/:id/workflows/:childId', '/applications/{app}/workflows/{workflow}', {}, org('collaborator', 200)],
  ['POST /applications/:id/workflows/:childId', '/applications/{app}/workflows/{workflow}', { name: 'wf' }, org('collaborator', 303)],
  ['POST /applications/:id/workflows/:childId/delete', '/applications/{app}/workflows/2147483647/delete', {}, org('collaborator', 404)],
  ['POST /applications/:id/keys', '/applications/{app}/keys', { name: 'another key' }, org('collaborator', 201)],
  ['POST /applications/:id/keys/:childId/revoke', '/applications/{app}/keys/2147483647/revoke', {}, org('collaborator', 404)],
  ['GET /applications/:id/delete', '/applications/{app}/delete', {}, org('editor', 200)],
  ['GET /applications/:id/transfer', '/applications/{app}/transfer', {}, org('administrator', 200)],
  ['POST /applications/:id/transfer', '/applications/{app}/transfer', { to: 'nowhere' }, org('administrator', 422)],
  ['GET /applications/:appId/export.csv', '/applications/{app}/export.csv?from=2030-01-01&to=2030-01-02', {}, org('viewer', 200)],

  ['GET /dashboards/:id', '/dashboards/{dashboard}', {}, org('viewer', 200)],
  ['POST /dashboards/:id/details', '/dashboards/{dashboard}/details', { name: 'Matrix Dashboard', description: '' }, org('collaborator', 303)],
  ['POST /dashboards/:id/blocks', '/dashboards/{dashboard}/blocks', { kind: 'device_state', title: 'Another block', application_id: '{app}', device_id: '{device}' }, org('collaborator', 303)],
  ['GET /dashboards/:id/blocks/:blockId/delete', '/dashboards/{dashboard}/blocks/{block}/delete', {}, org('collaborator', 200)],
  ['POST /dashboards/:id/blocks/:blockId/delete', '/dashboards/{dashboard}/blocks/2147483647/delete', {}, org('collaborator', 404)],
  ['POST /dashboards/:id/visibility', '/dashboards/{dashboard}/visibility', { visibility: 'private' }, org('collaborator', 303)],
  ['GET /dashboards/:id/delete', '/dashboards/{dashboard}/delete', {}, org('editor', 200)],
  ['GET /dashboards/:id/transfer', '/dashboards/{dashboard}/transfer', {}, { ...org('viewer', 403), administrator: 200 }],
  ['POST /dashboards/:id/transfer', '/dashboards/{dashboard}/transfer', { to: 'nowhere' }, { ...org('viewer', 403), administrator: 422 }],

  // Last: these change who is in the organization.
  ['POST /orgs/:slug/invitations/:id/revoke', '/orgs/{slug}/invitations/{invitation}/revoke', {}, org('administrator', 303)],
  ['POST /orgs/:slug/settings/members/:userId/remove', '/orgs/{slug}/settings/members/{target}/remove', {}, org('administrator', 303)],
  // The first allowed actor deletes it; later ones find it gone.
  ['POST /applications/:id/delete', '/applications/{app}/delete', {}, { ...org('editor', 303), administrator: 404, viewerWithCollaborator: 404, editorWithNone: 404 }],
  ['POST /dashboards/:id/delete', '/dashboards/{dashboard}/delete', {}, { ...org('editor', 303), administrator: 404, viewerWithCollaborator: 404, editorWithNone: 404 }],
  // Revoking the Administrator's API token: only its owner may; the others find nothing.
  ['POST /account/tokens/:id/revoke', '/account/tokens/{apiToken}/revoke', {}, { ...signedInOnly(404), administrator: 303 }],
  ['POST /orgs/:slug/leave', '/orgs/{slug}/leave', {}, org('none', 303)],
];

const fill = (s: string) => s.replace(/\{(\w+)\}/g, (_, k: string) => ids[k] ?? `{${k}}`);

describe('authorization matrix (R2.5)', () => {
  for (const [route, path, body, rowExpected] of rows) {
    const expected = withOverrides(path, rowExpected);
    for (const actor of ACTORS) {
      it(`${route} as ${actor} → ${expected[actor]}`, async () => {
        const agent = agents[actor];
        const url = fill(path);
        const res = route.startsWith('GET') ? await agent.get(url) : await agent.post(url, Object.fromEntries(Object.entries(body).map(([k, v]) => [k, fill(v)])));
        expect(res.statusCode, `${route} as ${actor}`).toBe(expected[actor]);
        if (actor === 'anonymous') expect(res.headers.location).toMatch(/^\/login/);
        if (res.statusCode === 404 && (actor === 'nonMember' || actor === 'platformAdmin')) expect(res.body).not.toContain('Matrix Org');
      });
    }
  }

  it('every registered route has a row here, or is covered elsewhere for a stated reason', () => {
    const covered = new Set(rows.map((r) => r[0]));
    const missing = t.app.routeList
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !covered.has(r) && !ELSEWHERE.some(([re]) => re.test(r)));
    expect(missing).toEqual([]);
  });
});
