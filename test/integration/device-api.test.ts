import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usagePeriodOf } from '../../src/modules/owners/owner-period.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { dailyPayloads, usageByApplication, usageTotals } from '../../src/modules/usage/queries.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser, insertAccessKey, insertApplication, insertDevice, orgOwner, sandboxOf, type OwnerCols, type TestUser } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

// ---- data, made directly in the database (the application pages are not under test here) ----

const newApplication = (owner: OwnerCols, name = 'Greenhouse') => insertApplication(t, owner, name);
const newDevice = (applicationId: number, name = 'Sensor 1') => insertDevice(t, applicationId, name);

const newKey = (applicationId: number, opts: { revoked?: boolean } = {}) => insertAccessKey(t, applicationId, opts);

/** A Sandbox (or organization) application with one device and one key. */
async function deviceSetup(owner?: OwnerCols) {
  const user = owner ? null : await newUser(t, { name: 'Sam Sandbox' });
  const ownerCols = owner ?? sandboxOf(user!);
  const appId = await newApplication(ownerCols);
  const deviceId = await newDevice(appId);
  const key = await newKey(appId);
  return { user, owner: ownerCols, appId, deviceId, key };
}

function post(
  appId: number | string,
  deviceId: number | string,
  body: unknown,
  opts: { authorization?: string | null; contentType?: string; raw?: boolean } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (opts.authorization) headers.authorization = opts.authorization;
  return t.app.inject({
    method: 'POST',
    url: `/api/applications/${appId}/devices/${deviceId}/state`,
    headers,
    payload: opts.raw ? (body as string) : JSON.stringify(body),
  });
}

const count = async (table: string, where: Record<string, unknown> = {}) =>
  Number((await t.knex(table).where(where).count({ n: '*' }).first())?.n ?? 0);

async function counters(appId: number) {
  const rows = await t.knex('usage_counters').where({ application_id: appId });
  return {
    payloads: rows.reduce((s: number, r: { payloads: number }) => s + Number(r.payloads), 0),
    rejected: rows.reduce((s: number, r: { rejected: number }) => s + Number(r.rejected), 0),
  };
}

const dailyTotal = async (appId: number) =>
  Number((await t.knex('usage_daily').where({ application_id: appId }).sum({ n: 'payloads' }).first())?.n ?? 0);

const error = (res: LightMyRequestResponse) => (res.json() as { message: string }).message;

describe('device API: accepted states (R8.1, R8.2)', () => {
  it('202 for one state: stored with the received time, counted, and the device shows it', async () => {
    const { appId, deviceId, key, owner } = await deviceSetup();
    const now = t.clock.now().getTime();
    const res = await post(appId, deviceId, { data: { temperature: 21.5, door: 'open' } }, { authorization: key.authorization });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ success: true, accepted: 1 });

    const [payload] = await t.knex('payloads').where({ application_id: appId });
    expect(Number(payload.device_id)).toBe(deviceId);
    expect(Number(payload.time)).toBe(now);
    expect(Number(payload.received_at)).toBe(now);
    expect(JSON.parse(payload.data)).toEqual({ temperature: 21.5, door: 'open' });

    const device = await t.knex('devices').where({ id: deviceId }).first();
    expect(JSON.parse(device.last_state_json)).toEqual({ temperature: 21.5, door: 'open' });
    expect(Number(device.last_seen_at)).toBe(now);

    expect(await counters(appId)).toEqual({ payloads: 1, rejected: 0 });
    const [counter] = await t.knex('usage_counters').where({ application_id: appId });
    expect(counter).toMatchObject({ ...owner, application_name: 'Greenhouse' });
    const day = await t.knex('usage_daily').where({ application_id: appId }).first();
    expect(Number(day.day)).toBe(Date.UTC(2026, 2, 10));
    expect(Number(day.payloads)).toBe(1);
  });

  it('202 for an array: every state is a payload with its own time; the latest by time becomes the device state', async () => {
    const { appId, deviceId, key } = await deviceSetup();
    const res = await post(
      appId,
      deviceId,
      [
        { data: { n: 1 }, time: '2026-03-10T08:00:00Z' },
        { data: { n: 2 }, time: '2026-03-10T08:30:00.250+01:00' }, // 07:30:00.250Z: older
        { data: { n: 3 }, time: '2026-03-10T08:45:00.000Z' },
        { data: { n: 4 } }, // no time: received now, 09:00
        { data: { n: 5 }, time: '2026-03-10T08:50:00Z' },
      ],
      { authorization: key.authorization },
    );
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ success: true, accepted: 5 });
    const rows = await t.knex('payloads').where({ application_id: appId }).orderBy('id');
    expect(rows.map((r: { time: number }) => new Date(Number(r.time)).toISOString())).toEqual([
      '2026-03-10T08:00:00.000Z',
      '2026-03-10T07:30:00.250Z',
      '2026-03-10T08:45:00.000Z',
      '2026-03-10T09:00:00.000Z',
      '2026-03-10T08:50:00.000Z',
    ]);
    const device = await t.knex('devices').where({ id: deviceId }).first();
    expect(JSON.parse(device.last_state_json)).toEqual({ n: 4 });

    // A later backfill of older states does not replace the latest state.
    expect((await post(appId, deviceId, { data: { n: 0 }, time: '2026-03-01T00:00:00Z' }, { authorization: key.authorization })).statusCode).toBe(202);
    expect(JSON.parse((await t.knex('devices').where({ id: deviceId }).first()).last_state_json)).toEqual({ n: 4 });
    expect(await counters(appId)).toEqual({ payloads: 6, rejected: 0 });
    expect(await dailyTotal(appId)).toBe(6);
  });

  it('counters equal the stored payloads after 20 requests at once', async () => {
    const { appId, deviceId, key } = await deviceSetup();
    const states = (i: number) => Array.from({ length: 5 }, (_, j) => ({ data: { request: i, j } }));
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => post(appId, deviceId, states(i), { authorization: key.authorization })));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(202));
    expect(await count('payloads', { application_id: appId })).toBe(100);
    expect(await counters(appId)).toEqual({ payloads: 100, rejected: 0 });
    expect(await dailyTotal(appId)).toBe(100);
  });

  // Issue 18: an organization's plan has no hard cap, so on PostgreSQL its
  // report is one statement (rate-limit hit, payloads, latest state, both
  // counters); these pin that path to what the transaction does.
  it('an organization’s reports, 20 at once: every payload stored once, the period and day counters equal them, the latest state by time (R8.1, R8.2)', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, plan: 'starter', name: 'Many Reports Ltd' });
    const { appId, deviceId, key } = await deviceSetup(orgOwner(org));
    const base = t.clock.now().getTime() - 60_000;
    const states = (i: number) => Array.from({ length: 5 }, (_, j) => ({ data: { request: i, j }, time: new Date(base + i * 100 + j).toISOString() }));
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => post(appId, deviceId, states(i), { authorization: key.authorization })));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(202));
    expect(responses.map((r) => r.json())).toEqual(Array(20).fill({ success: true, accepted: 5 }));
    expect(await count('payloads', { application_id: appId, device_id: deviceId })).toBe(100);
    expect(await counters(appId)).toEqual({ payloads: 100, rejected: 0 });
    expect(await dailyTotal(appId)).toBe(100);
    const period = await usagePeriodOf(t.deps.db, { kind: 'organization', organizationId: org.id }, t.clock.now());
    expect(await usageTotals(t.deps.db, { kind: 'organization', organizationId: org.id }, period.start)).toEqual({ payloads: 100, rejected: 0 });
    const device = await t.knex('devices').where({ id: deviceId }).first();
    expect(JSON.parse(device.last_state_json)).toEqual({ request: 19, j: 4 });
    expect(Number(device.last_seen_at)).toBe(base + 19 * 100 + 4);
    // Stored in the order sent, with the times sent.
    const times = (await t.knex('payloads').where({ application_id: appId }).orderBy('id')).map((r: { time: number }) => Number(r.time));
    expect([...times].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => Array.from({ length: 5 }, (_, j) => base + i * 100 + j)).flat());
  });

  it('an organization’s device over its rate limit: the refused report stores nothing and changes no counter or state (R8.1, R13.3)', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, plan: 'starter', name: 'Busy Devices Ltd' });
    const { appId, deviceId, key } = await deviceSetup(orgOwner(org));
    for (let i = 0; i < 60; i++) {
      const res = await post(appId, deviceId, { data: { i } }, { authorization: key.authorization });
      if (res.statusCode !== 202) throw new Error(`request ${i}: ${res.statusCode}`);
    }
    const before = await t.knex('devices').where({ id: deviceId }).first();
    const limited = await post(appId, deviceId, [{ data: { late: 1 } }, { data: { late: 2 } }], { authorization: key.authorization });
    expect(limited.statusCode).toBe(429);
    expect(error(limited)).toMatch(/Too many requests for this device: 600 a minute \(bursts of 60\)\. Nothing was stored\./);
    expect(limited.headers['retry-after']).toBe('1');
    expect(await count('payloads', { application_id: appId })).toBe(60);
    expect(await counters(appId)).toEqual({ payloads: 60, rejected: 1 });
    expect(await dailyTotal(appId)).toBe(60);
    const after = await t.knex('devices').where({ id: deviceId }).first();
    expect(after.last_state_json).toBe(before.last_state_json);
    expect(JSON.parse(after.last_state_json)).toEqual({ i: 59 });
    // A second later the device has room for one more report again.
    t.clock.advance(1_000);
    expect((await post(appId, deviceId, { data: { i: 60 } }, { authorization: key.authorization })).statusCode).toBe(202);
    expect(await counters(appId)).toEqual({ payloads: 61, rejected: 1 });
  });

  it('an organization over its monthly allotment keeps accepting (overage)', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, plan: 'starter', name: 'Overage Farms' });
    const { appId, deviceId, key } = await deviceSetup(orgOwner(org));
    const period = await usagePeriodOf(t.deps.db, { kind: 'organization', organizationId: org.id }, t.clock.now());
    const otherApp = await newApplication(orgOwner(org), 'Busy app');
    await t.knex('usage_counters').insert({ ...orgOwner(org), application_id: otherApp, period_start: period.start.getTime(), application_name: 'Busy app', payloads: 25_000_000, rejected: 0 });

    const res = await post(appId, deviceId, [{ data: { a: 1 } }, { data: { a: 2 } }], { authorization: key.authorization });
    expect(res.statusCode).toBe(202);
    const totals = await usageTotals(t.deps.db, { kind: 'organization', organizationId: org.id }, period.start);
    expect(totals).toEqual({ payloads: 25_000_002, rejected: 0 });
  });

  it('notes when a key was last used, at most once a minute', async () => {
    const { appId, deviceId, key } = await deviceSetup();
    const lastUsed = async () => Number((await t.knex('access_keys').where({ key_id: key.keyId }).first()).last_used_at);
    const first = t.clock.now().getTime();
    await post(appId, deviceId, { data: {} }, { authorization: key.authorization });
    expect(await lastUsed()).toBe(first);
    t.clock.advance(30_000);
    await post(appId, deviceId, { data: {} }, { authorization: key.authorization });
    expect(await lastUsed()).toBe(first);
    t.clock.advance(31_000);
    await post(appId, deviceId, { data: {} }, { authorization: key.authorization });
    expect(await lastUsed()).toBe(first + 61_000);
  });

  it('the usage queries read the counters: per application, per day, totals', async () => {
    const user = await newUser(t);
    const owner = { kind: 'sandbox' as const, userId: user.id };
    const a = await deviceSetup(sandboxOf(user));
    const bApp = await newApplication(sandboxOf(user), 'Beehives');
    const bDevice = await newDevice(bApp);
    const bKey = await newKey(bApp);
    await post(a.appId, a.deviceId, [{ data: { x: 1 } }, { data: { x: 2 } }], { authorization: a.key.authorization });
    await post(bApp, bDevice, [{ data: { x: 1 } }, { data: { x: 2 } }, { data: { x: 3 } }], { authorization: bKey.authorization });
    await post(bApp, bDevice, { data: 'not an object' }, { authorization: bKey.authorization });
    const period = await usagePeriodOf(t.deps.db, owner, t.clock.now());
    expect(await usageByApplication(t.deps.db, owner, period.start)).toEqual([
      { applicationId: bApp, applicationName: 'Beehives', payloads: 3, rejected: 1 },
      { applicationId: a.appId, applicationName: 'Greenhouse', payloads: 2, rejected: 0 },
    ]);
    expect(await usageTotals(t.deps.db, owner, period.start)).toEqual({ payloads: 5, rejected: 1 });
    // The period runs from sign-up on March 10 to April 10: 32 UTC days, zeros included.
    const series = await dailyPayloads(t.deps.db, owner, period);
    expect(series).toHaveLength(32);
    expect(series[0]).toEqual({ day: new Date('2026-03-10T00:00:00Z'), payloads: 5 });
    expect(series.slice(1).every((d) => d.payloads === 0)).toBe(true);
    expect(await dailyPayloads(t.deps.db, owner, period, { applicationId: bApp })).toContainEqual({ day: new Date('2026-03-10T00:00:00Z'), payloads: 3 });

    // A rename shows on the next count.
    await t.knex('applications').where({ id: bApp }).update({ name: 'Bee Hives' });
    await post(bApp, bDevice, { data: {} }, { authorization: bKey.authorization });
    expect((await usageByApplication(t.deps.db, owner, period.start))[0]).toMatchObject({ applicationName: 'Bee Hives', payloads: 4 });
  });
});

describe('device API: refusals store nothing (R8.1, R13.2)', () => {
  /** A request that must be refused with `status`, store nothing, and count (or not) as rejected. */
  async function expectRefused(
    res: LightMyRequestResponse,
    status: number,
    setup: { appId: number },
    opts: { rejected: number; message?: RegExp },
  ): Promise<void> {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(typeof error(res)).toBe('string');
    if (opts.message) expect(error(res)).toMatch(opts.message);
    expect(await count('payloads', { application_id: setup.appId })).toBe(0);
    expect(await counters(setup.appId)).toEqual({ payloads: 0, rejected: opts.rejected });
  }

  it('401 without a key, with a malformed or unknown key, a wrong secret, a revoked key or another application’s key — not counted', async () => {
    const s = await deviceSetup();
    const other = await deviceSetup();
    const revoked = await newKey(s.appId, { revoked: true });
    const body = { data: { a: 1 } };
    const cases: [string | null, RegExp][] = [
      [null, /Authorization: Bearer/],
      ['Basic dXNlcjpwYXNz', /Authorization: Bearer/],
      [`Bearer ${s.key.keyId}`, /Authorization: Bearer/],
      [`Bearer ak_doesnotexist0000:${s.key.secret}`, /not valid/],
      [`Bearer ${s.key.keyId}:wrong-secret`, /not valid/],
      [revoked.authorization, /revoked/],
      [other.key.authorization, /another application/],
    ];
    for (const [authorization, message] of cases) {
      const res = await post(s.appId, s.deviceId, body, { authorization });
      await expectRefused(res, 401, s, { rejected: 0, message });
      expect(res.headers['www-authenticate']).toContain('Bearer');
    }
    // A wrong secret for a revoked key does not reveal that it exists.
    expect(error(await post(s.appId, s.deviceId, body, { authorization: `Bearer ${revoked.keyId}:nope` }))).toMatch(/not valid/);
  });

  it('404 for an unknown application, an unknown device, or a device of another application', async () => {
    const s = await deviceSetup();
    const other = await deviceSetup();
    const auth = { authorization: s.key.authorization };
    await expectRefused(await post(999_999, s.deviceId, { data: {} }, auth), 404, s, { rejected: 0, message: /no application 999999/ });
    await expectRefused(await post('abc', s.deviceId, { data: {} }, auth), 404, s, { rejected: 0 });
    await expectRefused(await post(s.appId, 999_999, { data: {} }, auth), 404, s, { rejected: 1, message: /no device 999999/ });
    await expectRefused(await post(s.appId, other.deviceId, { data: {} }, auth), 404, s, { rejected: 2 });
    await expectRefused(await post(s.appId, 'x1', { data: {} }, auth), 404, s, { rejected: 3 });
    expect(await count('payloads', { application_id: other.appId })).toBe(0);
  });

  it('413 for a body over 256 KiB, as JSON with a message', async () => {
    const s = await deviceSetup();
    const res = await post(s.appId, s.deviceId, { data: { blob: 'x'.repeat(256 * 1024) } }, { authorization: s.key.authorization });
    await expectRefused(res, 413, s, { rejected: 1, message: /larger than 256 KiB/ });
    // Just under the limit is fine.
    const fits = { data: { blob: 'y'.repeat(256 * 1024 - 40) } };
    expect(Buffer.byteLength(JSON.stringify(fits))).toBeLessThanOrEqual(256 * 1024);
    expect((await post(s.appId, s.deviceId, fits, { authorization: s.key.authorization })).statusCode).toBe(202);
  });

  it('400 for invalid JSON, a wrong shape, 0 or 101 states, non-object data, a bad or far-future time', async () => {
    const s = await deviceSetup();
    const auth = s.key.authorization;
    const inHours = (h: number, ms = 0) => new Date(t.clock.now().getTime() + h * 3_600_000 + ms).toISOString();
    const cases: [unknown, RegExp, { raw?: boolean; contentType?: string }?][] = [
      ['{"data": {"a": 1}', /not valid JSON/, { raw: true }],
      ['', /empty/, { raw: true }],
      ['{"data":{"a":1}}', /Content-Type: application\/json/, { raw: true, contentType: 'text/plain' }],
      ['<data/>', /Content-Type: application\/json/, { raw: true, contentType: 'application/xml' }],
      ['{"__proto__":{"x":1},"data":{}}', /not valid JSON/, { raw: true }],
      [[], /array is empty/],
      [Array.from({ length: 101 }, () => ({ data: {} })), /at most 100 states and this one has 101/],
      [{ data: [1, 2] }, /"data" must be a JSON object/],
      [{ data: 'hello' }, /"data" must be a JSON object/],
      [{ data: null }, /"data" must be a JSON object/],
      [{}, /"data" must be a JSON object/],
      [42, /must be a JSON object/],
      [[{ data: {} }, 'x'], /\[1\] must be a JSON object/],
      [[{ data: {} }, { data: {}, extra: 1 }], /\[1\] has an unexpected field "extra"/],
      [{ data: {}, time: 'yesterday' }, /"time" must be an ISO-8601/],
      [{ data: {}, time: 1741597200000 }, /"time" must be an ISO-8601/],
      [{ data: {}, time: '2026-02-30T00:00:00Z' }, /"time" must be an ISO-8601/],
      [{ data: {}, time: '2026-03-10T09:00:00' }, /"time" must be an ISO-8601/], // no zone
      [[{ data: {} }, { data: {}, time: inHours(24, 1) }], /\[1\]\.time is more than 24 hours ahead/],
    ];
    let rejected = 0;
    for (const [body, message, opts] of cases) {
      const res = await post(s.appId, s.deviceId, body, { authorization: auth, ...opts });
      await expectRefused(res, 400, s, { rejected: ++rejected, message });
    }
    // 24 hours ahead exactly, and exactly 100 states, are accepted.
    expect((await post(s.appId, s.deviceId, { data: {}, time: inHours(24) }, { authorization: auth })).statusCode).toBe(202);
    expect((await post(s.appId, s.deviceId, Array.from({ length: 100 }, () => ({ data: {} })), { authorization: auth })).statusCode).toBe(202);
    expect(await counters(s.appId)).toEqual({ payloads: 101, rejected });
  });

  it('429 when the Sandbox monthly payload cap would be passed: all or nothing, naming the limit', async () => {
    const s = await deviceSetup();
    const owner = { kind: 'sandbox' as const, userId: s.user!.id };
    const period = await usagePeriodOf(t.deps.db, owner, t.clock.now());
    // 999,998 payloads already accepted this period by another application of the same Sandbox.
    const busy = await newApplication(s.owner, 'Busy');
    await t.knex('usage_counters').insert({ ...s.owner, application_id: busy, period_start: period.start.getTime(), application_name: 'Busy', payloads: 999_998, rejected: 0 });

    const three = [{ data: { i: 1 } }, { data: { i: 2 } }, { data: { i: 3 } }];
    const refused = await post(s.appId, s.deviceId, three, { authorization: s.key.authorization });
    await expectRefused(refused, 429, s, { rejected: 1, message: /1,000,000 payloads a month \(Sandbox limit\).*999,998.*this request has 3/ });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    const two = await post(s.appId, s.deviceId, three.slice(0, 2), { authorization: s.key.authorization });
    expect(two.statusCode).toBe(202);
    const one = await post(s.appId, s.deviceId, three.slice(0, 1), { authorization: s.key.authorization });
    expect(one.statusCode).toBe(429);
    expect(await count('payloads', { application_id: s.appId })).toBe(2);
    expect(await counters(s.appId)).toEqual({ payloads: 2, rejected: 2 });

    // The next period starts counting again.
    const before = t.clock.now();
    t.clock.set(period.end);
    expect((await post(s.appId, s.deviceId, three, { authorization: s.key.authorization })).statusCode).toBe(202);
    t.clock.set(before);
  });

  it('requests arriving at once cannot together pass the Sandbox cap', async () => {
    const s = await deviceSetup();
    const period = await usagePeriodOf(t.deps.db, { kind: 'sandbox', userId: s.user!.id }, t.clock.now());
    await t.knex('usage_counters').insert({ ...s.owner, application_id: s.appId, period_start: period.start.getTime(), application_name: 'Greenhouse', payloads: 999_990, rejected: 0 });
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => post(s.appId, s.deviceId, { data: { i } }, { authorization: s.key.authorization })));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((c) => c === 202)).toHaveLength(10);
    expect(statuses.filter((c) => c === 429)).toHaveLength(10);
    expect(await count('payloads', { application_id: s.appId })).toBe(10);
    expect(await counters(s.appId)).toEqual({ payloads: 1_000_000, rejected: 10 });
  });

  it('402 when the owning organization is Unpaid (R9.8)', async () => {
    const admin = await newUser(t);
    const org = await newOrg(t, { owner: admin, name: 'Late Payers' });
    const s = await deviceSetup(orgOwner(org));
    await t.knex('billing_accounts').where({ organization_id: org.id }).update({ status: 'unpaid' });
    const res = await post(s.appId, s.deviceId, [{ data: { a: 1 } }, { data: { a: 2 } }], { authorization: s.key.authorization });
    await expectRefused(res, 402, s, { rejected: 1, message: /Unpaid/ });
    expect((await t.knex('devices').where({ id: s.deviceId }).first()).last_state_json).toBeNull();

    // Past Due keeps working (R9.7).
    await t.knex('billing_accounts').where({ organization_id: org.id }).update({ status: 'past_due' });
    expect((await post(s.appId, s.deviceId, { data: { a: 3 } }, { authorization: s.key.authorization })).statusCode).toBe(202);
  });

  it('429 once a device goes over 600 a minute in bursts of 60 (R13.1, R13.3), as JSON with Retry-After, counted as rejected', async () => {
    const s = await deviceSetup();
    for (let i = 0; i < 60; i++) {
      const res = await post(s.appId, s.deviceId, { data: { i } }, { authorization: s.key.authorization });
      if (res.statusCode !== 202) throw new Error(`request ${i}: ${res.statusCode}`);
    }
    const limited = await post(s.appId, s.deviceId, { data: {} }, { authorization: s.key.authorization });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/json/);
    expect(error(limited)).toMatch(/Too many requests for this device: 600 a minute \(bursts of 60\)\. Nothing was stored\./);
    expect(limited.headers['retry-after']).toBe('1');
    expect(await counters(s.appId)).toEqual({ payloads: 60, rejected: 1 });
    // Another device of the same application is not held back.
    const otherDevice = await newDevice(s.appId, 'Sensor 2');
    expect((await post(s.appId, otherDevice, { data: {} }, { authorization: s.key.authorization })).statusCode).toBe(202);
  });
});
