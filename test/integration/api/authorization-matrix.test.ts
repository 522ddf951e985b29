import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiId } from '../../../src/modules/api/ids.ts';
import { startApiServer, type ApiTestServer } from '../../support/api.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../../support/builders.ts';

/**
 * R2.1, R2.2, R2.5, R16.3: every REST API route, called with every kind of
 * actor's token, as the page matrix (../authorization-matrix.test.ts) walks
 * the pages. A route under /api with no row here fails the last test, so an
 * endpoint cannot ship without its authorization being decided. The API
 * answers a stranger 404 (never 403: the organization's existence is not
 * told), a role too low 403, no token 401.
 */

const ACTORS = ['anonymous', 'nonMember', 'platformAdmin', 'none', 'viewer', 'collaborator', 'editor', 'administrator', 'viewerWithCollaborator', 'editorWithNone'] as const;
type Actor = (typeof ACTORS)[number];
type OverrideActor = 'viewerWithCollaborator' | 'editorWithNone';
type Expect = Record<Actor, number>;
type RowExpect = Record<Exclude<Actor, OverrideActor>, number> & Partial<Record<OverrideActor, number>>;

/** R2.2: on the matrix's application and dashboard the overrides answer as Collaborator and None would. */
const onResource = (path: string) => /^\/(applications\/\{app\}|dashboards\/\{dashboard\})/.test(path);
const withOverrides = (path: string, e: RowExpect): Expect => ({
  viewerWithCollaborator: onResource(path) ? e.collaborator : e.viewer,
  editorWithNone: onResource(path) ? e.none : e.editor,
  ...e,
});

// Routes walked elsewhere, and why.
const ELSEWHERE: [RegExp, string][] = [
  [/^POST \/api\/auth\/(user|device)$/, 'log-in routes take credentials, not a token (auth.test.ts, devices tests)'],
  [/^POST \/api\/applications\/:appId\/devices\/:deviceId\/state$/, 'device API: access keys and device tokens (device-api.test.ts)'],
  [/^GET \/api\/docs/, 'the API documentation is public'],
];

/** An organization route: no token 401, strangers 404, the role decides the rest. */
export const org = (minimum: Actor, ok: number, denied = 403): RowExpect => {
  const order: Actor[] = ['none', 'viewer', 'collaborator', 'editor', 'administrator'];
  const from = order.indexOf(minimum);
  const out = { anonymous: 401, nonMember: 404, platformAdmin: 404 } as RowExpect;
  order.forEach((a, i) => (out[a] = i >= from ? ok : denied));
  return out;
};
/** Any token will do: the route speaks for its own user. */
const anyUser = (ok: number): RowExpect => ({ anonymous: 401, nonMember: ok, platformAdmin: ok, none: ok, viewer: ok, collaborator: ok, editor: ok, administrator: ok });

let t: ApiTestServer;
const tokens = {} as Record<Actor, string | undefined>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startApiServer();
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
  tokens.anonymous = undefined;
  for (const a of ACTORS) if (a !== 'anonymous') tokens[a] = await t.tokenFor(users[a]);
  // The matrix's resources, made through the pages the way an Administrator makes them.
  const admin = await signedIn(t, users.administrator);
  const app = await admin.post('/applications', { owner: `org:${created.id}`, name: 'Matrix App' });
  const appId = Number(String(app.headers.location).split('/').pop());
  await admin.post(`/applications/${appId}/devices`, { name: 'dev' });
  await admin.post(`/applications/${appId}/keys`, { name: 'matrix key' });
  const dash = await admin.post('/dashboards/new', { owner: `org:${created.id}`, name: 'Matrix Dashboard', description: '' });
  const dashboardId = Number(String(dash.headers.location).split('/').pop()!.split('#')[0]);
  for (const [actor, role] of [['viewerWithCollaborator', 'collaborator'], ['editorWithNone', 'none']] as const) {
    const set = await admin.post(`/orgs/${created.slug}/settings/members/${users[actor].id}/access`, { [`application:${appId}`]: role, [`dashboard:${dashboardId}`]: role });
    expect(set.statusCode).toBe(303);
  }
  await admin.post(`/orgs/${created.slug}/invitations`, { email: 'matrix-invitee@example.com', role: 'viewer' });
  ids.org = toApiId(created.id);
  ids.app = toApiId(appId);
  ids.device = toApiId(Number((await t.knex('devices').where({ application_id: appId }).first()).id));
  ids.key = toApiId(Number((await t.knex('access_keys').where({ application_id: appId }).first()).id));
  ids.dashboard = toApiId(dashboardId);
  ids.invitation = toApiId(Number((await t.knex('invitations').where({ organization_id: created.id }).first()).id));
  ids.target = toApiId(target.id);
  ids.adminToken = (await t.client(tokens.administrator).userApiTokens.post({ apiToken: { name: 'matrix admin token', scope: ['me.get'] } })).id as string;
  const appToDelete = await admin.post('/applications', { owner: `org:${created.id}`, name: 'Matrix App To Delete' });
  ids.appToDelete = toApiId(Number(String(appToDelete.headers.location).split('/').pop()));
  const dashToDelete = await admin.post('/dashboards/new', { owner: `org:${created.id}`, name: 'Matrix Dashboard To Delete', description: '' });
  ids.dashboardToDelete = toApiId(Number(String(dashToDelete.headers.location).split('/').pop()!.split('#')[0]));
  ids.missing = toApiId(2_000_000_000);
  // A dozen accounts and log-ins (argon2 each): more than the default 30 s when the machine is busy.
}, 180_000);
afterAll(async () => t.close());

// [route as registered, method, path to request (under /api), JSON body, expected per actor].
// As on the page matrix, an allowed actor's row expects success, except where
// success would destroy what later rows need; each resource's contract tests
// make those succeed.
const rows: [string, string, Record<string, unknown> | undefined, RowExpect][] = [
  // --- me and API tokens
  ['GET /api/me', '/me', undefined, anyUser(200)],
  ['PATCH /api/me', '/me', {}, anyUser(200)],
  ['GET /api/me/payloadCounts', '/me/payloadCounts', undefined, anyUser(200)],
  // Nothing named to move: refused as a bad body for every user; the org's own roles are walked in me-tokens.test.ts.
  ['PATCH /api/me/transferResources', '/me/transferResources', { destinationId: '{org}', destinationType: 'organization' }, anyUser(400)],
  ['GET /api/me/tokens', '/me/tokens', undefined, anyUser(200)],
  ['POST /api/me/tokens', '/me/tokens', { name: 'matrix token', scope: ['me.get'] }, anyUser(201)],
  // A token is its owner's only: the Administrator's token id is 404 to everyone else.
  ['GET /api/me/tokens/:apiTokenId', '/me/tokens/{adminToken}', undefined, { ...anyUser(404), administrator: 200 }],
  ['PATCH /api/me/tokens/:apiTokenId', '/me/tokens/{adminToken}', { description: 'matrix' }, { ...anyUser(404), administrator: 200 }],
  ['DELETE /api/me/tokens/:apiTokenId', '/me/tokens/{adminToken}', undefined, { ...anyUser(404), administrator: 200 }],
  // --- end of me and API tokens

  // --- organizations (orgs, org)
  ['GET /api/orgs', '/orgs', undefined, anyUser(200)],
  // Everyone may create an organization (R3.3); each actor's is a new one of its own.
  ['POST /api/orgs', '/orgs', { name: 'Created In Matrix', planId: 'starter', cardToken: 'tok_visa' }, anyUser(201)],
  ['GET /api/orgs/:orgId', '/orgs/{org}', undefined, org('viewer', 200)],
  ['PATCH /api/orgs/:orgId', '/orgs/{org}', { description: 'Changed through the API matrix' }, org('administrator', 200)],
  ['GET /api/orgs/:orgId/payloadCounts', '/orgs/{org}/payloadCounts', undefined, org('administrator', 200)],
  // Moving the matrix's resources away would take them from later rows: an Administrator's empty transfer is 400 (orgs.test.ts moves some).
  ['PATCH /api/orgs/:orgId/transferResources', '/orgs/{org}/transferResources', { destinationId: '{target}', destinationType: 'user' }, org('administrator', 400)],
  // --- end of organizations

  // --- members, invitations, audit log
  ['GET /api/orgs/:orgId/invites', '/orgs/{org}/invites', undefined, org('administrator', 200)],
  ['POST /api/orgs/:orgId/invites', '/orgs/{org}/invites', { email: 'matrix-api-invitee@example.com', role: 'view' }, org('administrator', 200)],
  ['PATCH /api/orgs/:orgId/member', '/orgs/{org}/member', { userId: '{target}', role: 'view' }, org('administrator', 200)],
  ['GET /api/orgs/:orgId/audit-logs', '/orgs/{org}/audit-logs', undefined, org('administrator', 200)],
  // The invitation link's API needs no API token (the invitation's token is the proof): a bad one is 404 for everyone,
  // and accepting needs an account (401 without a token).
  ['GET /api/invites', `/invites?token=${'q'.repeat(43)}&email=matrix-invitee%40example.com`, undefined, { ...anyUser(404), anonymous: 404 }],
  ['POST /api/invites', '/invites', { token: 'q'.repeat(43), email: 'matrix-invitee@example.com', accept: true }, anyUser(404)],
  // --- end of members, invitations, audit log

  // --- applications, devices, keys, dashboards
  ['GET /api/applications', '/applications', undefined, anyUser(200)],
  ['GET /api/applications', '/applications?orgId={org}', undefined, org('none', 200)],
  ['POST /api/applications', '/applications', { name: 'API App', orgId: '{org}' }, org('editor', 201)],
  ['GET /api/applications/:applicationId', '/applications/{app}', undefined, org('viewer', 200)],
  ['PATCH /api/applications/:applicationId', '/applications/{app}', { description: 'patched' }, org('collaborator', 200)],
  ['GET /api/applications/:applicationId/payloadCounts', '/applications/{app}/payloadCounts', undefined, org('viewer', 200)],
  ['GET /api/applications/:applicationId/devices', '/applications/{app}/devices', undefined, org('viewer', 200)],
  ['POST /api/applications/:applicationId/devices', '/applications/{app}/devices', { name: 'api device' }, org('collaborator', 201)],
  ['GET /api/applications/:applicationId/devices/:deviceId', '/applications/{app}/devices/{device}', undefined, org('viewer', 200)],
  ['PATCH /api/applications/:applicationId/devices/:deviceId', '/applications/{app}/devices/{device}', { name: 'dev' }, org('collaborator', 200)],
  ['GET /api/applications/:applicationId/devices/:deviceId/state', '/applications/{app}/devices/{device}/state', undefined, org('viewer', 200)],
  ['GET /api/applications/:applicationId/keys', '/applications/{app}/keys', undefined, org('viewer', 200)],
  ['POST /api/applications/:applicationId/keys', '/applications/{app}/keys', { description: 'api key' }, org('collaborator', 201)],
  ['GET /api/applications/:applicationId/keys/:applicationKeyId', '/applications/{app}/keys/{key}', undefined, org('viewer', 200)],
  ['PATCH /api/applications/:applicationId/keys/:applicationKeyId', '/applications/{app}/keys/{key}', { description: 'matrix key' }, org('collaborator', 200)],
  ['GET /api/dashboards', '/dashboards', undefined, anyUser(200)],
  ['GET /api/dashboards', '/dashboards?orgId={org}', undefined, org('none', 200)],
  ['POST /api/dashboards', '/dashboards', { name: 'API Dashboard', orgId: '{org}' }, org('editor', 201)],
  ['GET /api/dashboards/:dashboardId', '/dashboards/{dashboard}', undefined, org('viewer', 200)],
  ['PATCH /api/dashboards/:dashboardId', '/dashboards/{dashboard}', { description: 'patched' }, org('collaborator', 200)],
  // --- end of applications, devices, keys, dashboards

  // Last: rows that change who is in the organization or delete it.
  // --- membership changes and deletions
  // Deleting a device or a key that is not there: who may delete gets 404, who may not 403 (the contract tests delete real ones).
  ['DELETE /api/applications/:applicationId/devices/:deviceId', '/applications/{app}/devices/{missing}', undefined, org('collaborator', 404)],
  ['DELETE /api/applications/:applicationId/keys/:applicationKeyId', '/applications/{app}/keys/{missing}', undefined, org('collaborator', 404)],
  // An application and a dashboard made for these rows: the first Editor deletes them, every later actor finds them gone (404).
  ['DELETE /api/applications/:applicationId', '/applications/{appToDelete}', undefined, { ...org('editor', 200), administrator: 404, viewerWithCollaborator: 404, editorWithNone: 404 }],
  ['DELETE /api/dashboards/:dashboardId', '/dashboards/{dashboardToDelete}', undefined, { ...org('editor', 200), administrator: 404, viewerWithCollaborator: 404, editorWithNone: 404 }],
  ['DELETE /api/orgs/:orgId/invites', '/orgs/{org}/invites?inviteId={invitation}', undefined, org('administrator', 200)],
  ['DELETE /api/orgs/:orgId/member', '/orgs/{org}/member?userId={target}', undefined, org('administrator', 200)],
  // The very last row: the Administrator deletes the matrix organization (R3.9), so the two actors after them find it gone (404).
  ['DELETE /api/orgs/:orgId', '/orgs/{org}', undefined, { ...org('administrator', 200), viewerWithCollaborator: 404, editorWithNone: 404 }],
  // --- end of membership changes and deletions
];

const fill = (s: string) => s.replace(/\{(\w+)\}/g, (_, k: string) => ids[k] ?? `{${k}}`);

describe('API authorization matrix (R2.5, R16.3)', () => {
  for (const [route, path, body, rowExpected] of rows) {
    const expected = withOverrides(path, rowExpected);
    const method = route.split(' ')[0]!;
    for (const actor of ACTORS) {
      it(`${route} as ${actor} → ${expected[actor]}`, async () => {
        const token = tokens[actor];
        const res = await t.app.inject({
          method: method as 'GET',
          url: `/api${fill(path)}`,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { payload: JSON.parse(fill(JSON.stringify(body))) as Record<string, unknown> } : {}),
        });
        expect(res.statusCode, `${route} as ${actor}: ${res.body}`).toBe(expected[actor]);
        if (res.statusCode >= 400) expect(res.json()).toMatchObject({ type: expect.any(String), message: expect.any(String) });
        if (res.statusCode === 404 && (actor === 'nonMember' || actor === 'platformAdmin')) expect(res.body).not.toContain('Matrix');
      });
    }
  }

  it('every /api route has a row here, or is covered elsewhere for a stated reason', () => {
    const covered = new Set(rows.map((r) => r[0]));
    const missing = t.app.routeList
      .filter((r) => r.url.startsWith('/api/'))
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !covered.has(r) && !ELSEWHERE.some(([re]) => re.test(r)));
    expect(missing).toEqual([]);
  });
});
