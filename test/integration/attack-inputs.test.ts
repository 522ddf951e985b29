import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPostgresKnex as isPostgres } from '../../src/db/knex.ts';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';
import { authenticateApiToken, issueApiToken } from '../../src/modules/accounts/api-tokens.ts';
import { toApiId } from '../../src/modules/api/ids.ts';
import { ALL_SCOPES } from '../../src/modules/api/scopes.ts';

/**
 * R13.2, R13.5 (attack a): generated bodies, query strings and path
 * parameters — control characters, huge and deeply nested values, wrong
 * types, malformed JSON, wrong content types — sent to every route the
 * router has, as every kind of actor: pages with the actor's session, the
 * REST API (R16) with the actor's API token, the device API with a key. Routes are read from the router, so a
 * new route is covered without editing this file. Nothing may answer 5xx,
 * and a refusal (4xx) changes nothing in the database.
 *
 * Runs are sized for the whole suite (2 per route and actor: about two
 * minutes per database on a quiet 2-core machine with the REST API's
 * routes, far longer while other work shares the cores); set
 * ATTACK_SOAK=<n> for n times as many, ATTACK_ONLY=<regexp> for some routes.
 */

const SOAK = Math.max(1, Number(process.env.ATTACK_SOAK ?? 1) || 1);
/** ATTACK_ONLY=<regular expression>: attack only the routes (`METHOD /path`) it matches, while working on them. */
const ONLY = process.env.ATTACK_ONLY ? new RegExp(process.env.ATTACK_ONLY) : null;
const ACTORS = ['anonymous', 'nonMember', 'none', 'viewer', 'collaborator', 'editor', 'administrator', 'platformAdmin'] as const;
type Actor = (typeof ACTORS)[number];

/** Routes left out, and why; everything else the router has is attacked. */
const LEFT_OUT: [RegExp, string][] = [
  [/^GET \/static\//, 'static files from disk'],
];

// ---- the world under attack ----------------------------------------------------

let t: TestContext;
const users = {} as Record<Exclude<Actor, 'anonymous'>, TestUser>;
const agents = {} as Record<Actor, Agent>;
let orgId = 0;
let orgSlug = '';
/** Real values a parameter or field may take: ids, slugs, tokens of the fixture. */
const real = new Set<string>();
let deviceKey = '';
/** Each actor's REST API token (R16.2). */
const apiTokens = {} as Record<Actor, string | undefined>;

/** A token for the REST API, made the way POST /api/auth/user makes one (without the password hash's cost). */
async function apiTokenFor(user: TestUser): Promise<string> {
  const { token } = await issueApiToken(t.deps.db, { user, kind: 'login', name: 'attack', scopes: ALL_SCOPES, expiresAt: null, now: t.clock.now() });
  return token;
}
const KEY_ID = 'ak_attack0000000001';
const KEY_SECRET = 'attack-secret-0123456789abcdefghijklmnop';

async function buildWorld() {
  users.administrator = await newUser(t, { name: 'Attack Admin' });
  const org = await newOrg(t, { owner: users.administrator, plan: 'professional', name: 'Attack Org' });
  orgId = org.id;
  orgSlug = org.slug;
  for (const role of ['none', 'viewer', 'collaborator', 'editor'] as const) {
    users[role] = await newUser(t, { name: `Attack ${role}` });
    await addMember(t, org, users[role], role);
  }
  users.nonMember = await newUser(t, { name: 'Attack Outsider' });
  users.platformAdmin = await newUser(t, { name: 'Attack Staff' });
  await t.knex('users').where({ id: users.platformAdmin.id }).update({ is_platform_admin: true });
  agents.anonymous = t.agent('192.0.2.200');
  for (const actor of ACTORS) if (actor !== 'anonymous') agents[actor] = await signedIn(t, users[actor]);
  await agents.anonymous.token();
  for (const actor of ACTORS) if (actor !== 'anonymous') apiTokens[actor] = await apiTokenFor(users[actor]);
  await ensureResources();
}

/** Makes sure the organization's resources exist (an attack may delete or move them) and records their ids. */
async function ensureResources() {
  const db = t.knex;
  const admin = agents.administrator;
  const owned = { owner_type: 'organization', owner_id: orgId };
  let app = await db('applications').where(owned).first();
  if (!app) {
    const res = await admin.post('/applications', { owner: `org:${orgId}`, name: 'Attack App', description: '' });
    app = await db('applications').where({ id: String(res.headers.location).split('/').pop() }).first();
  }
  if (!(await db('devices').where({ application_id: app.id }).first())) await admin.post(`/applications/${app.id}/devices`, { name: 'dev' });
  if (!(await db('workflows').where({ application_id: app.id }).first())) await admin.post(`/applications/${app.id}/workflows`, { name: 'wf', description: '' });
  // A key whose secret the attacker knows, so device reports reach the handler.
  if (!(await db('access_keys').where({ application_id: app.id, key_id: KEY_ID, revoked_at: null }).first())) {
    await db('access_keys').where({ key_id: KEY_ID }).delete();
    await db('access_keys').insert({ application_id: app.id, key_id: KEY_ID, secret_hash: createHash('sha256').update(KEY_SECRET).digest('hex'), name: 'attack key', created_at: t.clock.now().getTime(), revoked_at: null });
  }
  let dash = await db('dashboards').where(owned).first();
  if (!dash) {
    const res = await admin.post('/dashboards/new', { owner: `org:${orgId}`, name: 'Attack Dash', description: '' });
    dash = await db('dashboards').where({ id: String(res.headers.location).split('/').pop()!.split('#')[0] }).first();
  }
  const device = await db('devices').where({ application_id: app.id }).first();
  if (!(await db('dashboard_blocks').where({ dashboard_id: dash.id }).first())) {
    await admin.post(`/dashboards/${dash.id}/blocks`, { kind: 'device_state', title: 'b', application_id: String(app.id), device_id: String(device.id) });
  }
  if (!(await db('invitations').where({ organization_id: orgId }).first())) await admin.post(`/orgs/${orgSlug}/invitations`, { email: 'attack-invitee@example.com', role: 'viewer' });
  const ids = [
    app.id,
    device.id,
    dash.id,
    orgId,
    ...(await db('workflows').where({ application_id: app.id }).pluck('id')),
    ...(await db('access_keys').where({ application_id: app.id }).pluck('id')),
    ...(await db('dashboard_blocks').where({ dashboard_id: dash.id }).pluck('id')),
    ...(await db('invitations').where({ organization_id: orgId }).pluck('id')),
    ...(await db('invoices').where({ organization_id: orgId }).pluck('id')),
    ...(await db('plans').pluck('id')),
    ...(await db('enterprise_inquiries').pluck('id')),
    ...(await db('mail_outbox').limit(3).pluck('id')),
    ...Object.values(users).map((u) => u.id),
  ];
  for (const id of ids) {
    real.add(String(id));
    real.add(toApiId(Number(id)));
  }
  real.add(orgSlug);
  real.add(String(dash.share_token));
  real.add(`org:${orgId}`);
  for (const mail of await db('mail_outbox').where({ kind: 'invitation' }).limit(3)) {
    const token = /\/invites\/([A-Za-z0-9_-]{43})/.exec(mail.text_body)?.[1];
    if (token) real.add(token);
  }
  deviceKey = `${KEY_ID}:${KEY_SECRET}`;
}

/** After each attack: members keep their roles, staff stay staff, everyone stays signed in. */
async function restoreWorld(route: string) {
  const db = t.knex;
  for (const role of ['none', 'viewer', 'collaborator', 'editor', 'administrator'] as const) {
    const where = { organization_id: orgId, user_id: users[role].id };
    if (await db('memberships').where(where).first()) await db('memberships').where(where).update({ role });
    else await addMember(t, { id: orgId } as never, users[role], role);
  }
  await db('resource_roles').where({ organization_id: orgId }).delete();
  await db('users').whereIn('id', [users.platformAdmin.id]).update({ is_platform_admin: true });
  await db('users').whereNot({ id: users.platformAdmin.id }).whereIn('id', Object.values(users).map((u) => u.id)).update({ is_platform_admin: false });
  for (const actor of ACTORS) {
    if (actor === 'anonymous') continue;
    const sid = agents[actor].cookie('orgplane.sid');
    const alive = sid && (await db('sessions').where('data', 'like', `%"userId":${users[actor].id}%`).first());
    if (!alive || route.endsWith('/logout')) agents[actor] = await signedIn(t, users[actor]);
    // An attack may end a token (a password change ends them all, R1.4).
    if (!(await authenticateApiToken(t.deps.db, apiTokens[actor]!, t.clock.now())).ok) apiTokens[actor] = await apiTokenFor(users[actor]);
  }
  await ensureResources();
}

// ---- what the attacker sends ------------------------------------------------------

/** Every form field name the templates use, read from views/. */
function fieldNamesOfTemplates(): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else for (const m of readFileSync(path, 'utf8').matchAll(/name(?:="|: ')([a-z_]+)["']/g)) names.add(m[1]!);
    }
  };
  walk(join(import.meta.dirname, '..', '..', 'views'));
  names.delete('_csrf');
  names.delete('viewport');
  // And the REST API's body and query fields (Losant's names, R16.1).
  for (const name of API_FIELDS) names.add(name);
  return [...names];
}

const API_FIELDS = [
  'email', 'password', 'name', 'description', 'planId', 'billingEmail', 'cardToken', 'userId', 'role', 'inviteId', 'token', 'accept',
  'deviceId', 'key', 'secret', 'tokenTTL', 'requestedScopes', 'scope', 'expirationDate', 'status', 'orgId', 'applicationId',
  'destinationId', 'destinationType', 'applicationIds', 'dashboardIds', 'public', 'data', 'time', 'firstName', 'lastName',
  'sortField', 'sortDirection', 'page', 'perPage', 'filterField', 'filter', 'start', 'end', 'credentials', 'apiTokenId',
];

const CONTROL = fc.constantFrom('\u0000', '\u0001', '\u0007', '\b', '\u000b', '\f', '\r', '\u001b', '\u007f', '\u0085', '\u009f');
const text = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 3, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), CONTROL, fc.string({ maxLength: 10 })).map(([a, c, b]) => a + c + b) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(70_000), 'ü'.repeat(20_000), '9'.repeat(400)) },
    { weight: 2, arbitrary: fc.constantFrom('0', '-1', '1.5', '1e309', 'NaN', '2147483648', '99999999999999999999', '', ' ', 'true', 'null', '[]', '{}', '__proto__') },
    { weight: 4, arbitrary: fc.constantFrom(...realValues()) },
  );
function realValues(): string[] {
  return [...real, 'sandbox', 'viewer', 'editor', 'administrator', 'collaborator', 'none', 'starter', 'business', 'public', 'password', 'private', 'device_state', 'payloads_per_day', '#3346d3', 'someone@example.com', 'Long-Enough-Pass-1!', 'on', 'create', 'continue', 'paid', 'new', '4000000000000002', '12/30', '123'];
}

interface Attack {
  actor: Actor;
  params: Record<string, string>;
  query: [string, string | string[]][];
  body: { kind: 'form'; fields: [string, string | string[]][] } | { kind: 'json'; payload: string } | { kind: 'raw'; contentType: string; payload: string } | { kind: 'none' };
  withToken: boolean;
  withDeviceKey: boolean;
}

function attacks(route: { method: string; url: string }, fieldNames: string[]): fc.Arbitrary<Attack> {
  const paramNames = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const names = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fieldNames) }, { weight: 1, arbitrary: text() });
  const value = fc.oneof({ weight: 4, arbitrary: text() }, { weight: 1, arbitrary: fc.array(text(), { maxLength: 3 }) });
  const deep = fc.integer({ min: 20, max: 6000 }).map((n) => `{"data":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`);
  const body: fc.Arbitrary<Attack['body']> = fc.oneof(
    { weight: 6, arbitrary: fc.array(fc.tuple(names, value), { maxLength: 8 }).map((fields) => ({ kind: 'form' as const, fields })) },
    // JSON objects of known field names, as an API client sends them.
    {
      weight: 3,
      arbitrary: fc
        .dictionary(names, fc.oneof(text(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(text(), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 6 })
        .map((o) => ({ kind: 'json' as const, payload: JSON.stringify(o) })),
    },
    { weight: 2, arbitrary: fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), deep, fc.constantFrom('{"data":{"a":1}}', '[{"data":{}},{"data":[]}]')).map((payload) => ({ kind: 'json' as const, payload })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((payload) => ({ kind: 'json' as const, payload })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=latin1', 'application/octet-stream'), fc.string({ maxLength: 60 }))
        .map(([contentType, payload]) => ({ kind: 'raw' as const, contentType, payload })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  );
  return fc.record({
    actor: fc.constantFrom(...ACTORS),
    params: fc.record(Object.fromEntries(paramNames.map((p) => [p, fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...realValues()) }, { weight: 2, arbitrary: text() })]))) as fc.Arbitrary<Record<string, string>>,
    query: fc.array(fc.tuple(names, value), { maxLength: 4 }),
    body: route.method === 'GET' ? fc.constant({ kind: 'none' as const }) : body,
    // Mostly with the actor's own CSRF token, so the attack reaches the handlers.
    withToken: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
    withDeviceKey: fc.boolean(),
  });
}

async function send(route: { method: string; url: string }, attack: Attack): Promise<LightMyRequestResponse> {
  const agent = agents[attack.actor];
  const path = route.url.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(attack.params[name] ?? 'x'));
  const query = new URLSearchParams();
  for (const [k, v] of attack.query) for (const one of [v].flat()) query.append(k, one);
  const qs = query.toString();
  const headers: Record<string, string> = {};
  const sid = agent.cookie('orgplane.sid');
  if (sid) headers.cookie = `orgplane.sid=${sid}`;
  const token = attack.withToken ? await agent.token() : undefined;
  if (token) headers['x-csrf-token'] = token;
  // The API reads bearer tokens: the device key, or the actor's API token.
  if (attack.withDeviceKey && deviceKey) headers.authorization = `Bearer ${deviceKey}`;
  else if (route.url.startsWith('/api/') && apiTokens[attack.actor]) headers.authorization = `Bearer ${apiTokens[attack.actor]}`;
  let payload: string | undefined;
  if (attack.body.kind === 'form') {
    const form = new URLSearchParams();
    if (token) form.append('_csrf', token);
    for (const [k, v] of attack.body.fields) for (const one of [v].flat()) form.append(k, one);
    payload = form.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (attack.body.kind === 'json') {
    payload = attack.body.payload;
    headers['content-type'] = 'application/json';
  } else if (attack.body.kind === 'raw') {
    payload = attack.body.payload;
    headers['content-type'] = attack.body.contentType;
  }
  return t.app.inject({ method: route.method as 'GET' | 'POST', url: qs ? `${path}?${qs}` : path, headers, payload, remoteAddress: `198.18.200.${ACTORS.indexOf(attack.actor) + 1}` });
}

// ---- "nothing changed": every table but the bookkeeping ones ----------------------------

/** Tables a refusal may change, and why. */
const MAY_CHANGE_ON_REFUSAL: Record<string, string> = {
  knex_migrations: 'the migrations run',
  knex_migrations_lock: 'the migrations run',
  sessions: 'an anonymous visitor gets a session for a form’s CSRF secret',
  rate_limits: 'a refused attempt still counts against its limit (R13.3)',
  usage_counters: 'a refused device report counts as rejected (R8.1)',
  usage_daily: 'a refused device report counts as rejected (R8.1)',
  organization_wizards: 'the creation wizard keeps its draft between steps, also when a step is refused (R3.4)',
};
const BOOKKEEPING = new Set(Object.keys(MAY_CHANGE_ON_REFUSAL));
let tables: string[] = [];

async function listTables(): Promise<string[]> {
  const db = t.knex;
  const names: string[] = isPostgres(db)
    ? await db('pg_tables').whereRaw('schemaname = current_schema()').pluck('tablename')
    : await db('sqlite_master').where({ type: 'table' }).whereNot('name', 'like', 'sqlite_%').pluck('name');
  return names.filter((n) => !BOOKKEEPING.has(n)).sort();
}

/** One digest of every table: a refused request must leave it as it was. */
async function digest(): Promise<Record<string, string>> {
  const db = t.knex;
  // Reading refreshes no row; these only record that a key or token was used, or a log-in paused.
  const row = (table: string) => (table === 'access_keys' || table === 'api_tokens' ? "(to_jsonb(r) - 'last_used_at')::text" : 'to_jsonb(r)::text');
  const where = (table: string) => (table === 'mail_outbox' ? " WHERE r.kind <> 'login_paused'" : '');
  if (isPostgres(db)) {
    const sql = tables
      .map((tb) => `SELECT '${tb}' AS t, md5(coalesce(string_agg(x, '|' ORDER BY x), '')) AS h FROM (SELECT ${row(tb)} AS x FROM ${tb} r${where(tb)}) s`)
      .join(' UNION ALL ');
    const res = await db.raw(sql);
    return Object.fromEntries((res.rows as { t: string; h: string }[]).map((r) => [r.t, r.h]));
  }
  const out: Record<string, string> = {};
  for (const tb of tables) {
    let rows = (await db.raw(`SELECT * FROM ${tb}${tb === 'mail_outbox' ? " WHERE kind <> 'login_paused'" : ''}`)) as Record<string, unknown>[];
    if (tb === 'access_keys' || tb === 'api_tokens') rows = rows.map(({ last_used_at: _ignored, ...rest }) => rest);
    out[tb] = createHash('sha1').update(rows.map((r) => JSON.stringify(r)).sort().join('|')).digest('hex');
  }
  return out;
}

// ---- the suite ----------------------------------------------------------------

beforeAll(async () => {
  t = await startTestApp({ config: { authRateLimit: 100_000, deviceRateLimit: 100_000, apiRateLimit: 100_000 } });
  await buildWorld();
  tables = await listTables();
}, 120_000);
afterAll(async () => {
  await t.close();
});

describe('every route, generated input, every actor (attack a, R13.2, R13.5)', () => {
  const fieldNames = fieldNamesOfTemplates();

  it('the router has the routes this walks', () => {
    expect(t.app.routeList.length).toBeGreaterThan(60);
    expect(fieldNames).toEqual(expect.arrayContaining(['name', 'email', 'password', 'description', 'role', 'owner']));
  });

  it('no route answers 5xx, and no refusal leaves a change behind', async () => {
    const routes = t.app.routeList.filter((r) => !LEFT_OUT.some(([re]) => re.test(`${r.method} ${r.url}`)) && (!ONLY || ONLY.test(`${r.method} ${r.url}`)));
    const failures: string[] = [];
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(attacks(route, fieldNames), async (attack) => {
          const before = await digest();
          const res = await send(route, attack);
          const label = `${route.method} ${route.url} as ${attack.actor}`;
          if (res.statusCode >= 500) failures.push(`${label}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          expect(res.statusCode, label).toBeLessThan(500);
          if (res.statusCode >= 400) {
            const after = await digest();
            const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
            expect(changed, `${label} answered ${res.statusCode} but changed ${changed.join(', ')}`).toEqual([]);
          }
          await restoreWorld(route.url);
        }),
        { numRuns: ACTORS.length * 2 * SOAK },
      );
    }
    expect(failures).toEqual([]);
  }, 1_500_000 * SOAK);
});
