import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { csvField, parseExportRange } from '../../src/modules/usage/export.ts';
import { deviceDataCsv } from '../../src/modules/applications/export-device-data.ts';
import { purgeExpiredPayloads, retentionJob } from '../../src/modules/applications/purge-expired-payloads.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn, insertApplication, insertDevice, orgOwner, sandboxOf, type OwnerCols, type TestUser } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const DAY = 86_400_000;
const newApplication = (owner: OwnerCols, name = 'Field Sensors') => insertApplication(t, owner, name);
const newDevice = (applicationId: number, name = 'Sensor 1') => insertDevice(t, applicationId, name);

/** Stores payloads directly: the device API is not under test here. */
async function insertPayloads(applicationId: number, deviceId: number, items: { time: number | string; data?: unknown }[]) {
  await t.knex('payloads').insert(
    items.map((p, i) => {
      const time = typeof p.time === 'string' ? Date.parse(p.time) : p.time;
      return { application_id: applicationId, device_id: deviceId, time, received_at: time, data: JSON.stringify(p.data ?? { i }) };
    }),
  );
}

const count = async (table: string, where: Record<string, unknown> = {}) =>
  Number((await t.knex(table).where(where).count({ n: '*' }).first())?.n ?? 0);

describe('data retention (R8.4, R9.8, R12.2)', () => {
  it('deletes only payloads older than each owner’s plan retention; a second run changes nothing; Unpaid organizations keep theirs', async () => {
    const now = t.clock.now().getTime();
    // Sandbox: 30 days.
    const sam = await newUser(t, { name: 'Sam Sandbox' });
    const sandboxApp = await newApplication(sandboxOf(sam), 'Sandbox app');
    const sandboxDevice = await newDevice(sandboxApp);
    await insertPayloads(sandboxApp, sandboxDevice, [{ time: now - 31 * DAY }, { time: now - 30 * DAY - 1 }, { time: now - 30 * DAY }, { time: now - 29 * DAY }, { time: now }]);
    // Starter: 90 days.
    const olga = await newUser(t, { name: 'Olga Org' });
    const org = await newOrg(t, { owner: olga, plan: 'starter', name: 'Keeps Ninety' });
    const orgApp = await newApplication(orgOwner(org), 'Org app');
    const orgDevice = await newDevice(orgApp);
    await insertPayloads(orgApp, orgDevice, [{ time: now - 91 * DAY }, { time: now - 89 * DAY }, { time: now - 31 * DAY }]);
    // Unpaid: nothing is purged while Unpaid.
    const ursula = await newUser(t, { name: 'Ursula Unpaid' });
    const unpaid = await newOrg(t, { owner: ursula, plan: 'starter', name: 'Owes Money' });
    const unpaidApp = await newApplication(orgOwner(unpaid), 'Unpaid app');
    const unpaidDevice = await newDevice(unpaidApp);
    await insertPayloads(unpaidApp, unpaidDevice, [{ time: now - 400 * DAY }, { time: now - 100 * DAY }]);
    await t.knex('billing_accounts').where({ organization_id: unpaid.id }).update({ status: 'unpaid' });

    const first = await retentionJob.run(t.deps, t.clock.now());
    expect(first).toMatch(/^3 payloads past retention deleted from \d+ applications, 1 Unpaid organizations skipped$/);
    const times = async (applicationId: number) =>
      (await t.knex('payloads').where({ application_id: applicationId }).orderBy('time').select('time')).map((r: { time: number }) => (Number(r.time) - now) / DAY);
    expect(await times(sandboxApp)).toEqual([-30, -29, 0]);
    expect(await times(orgApp)).toEqual([-89, -31]);
    expect(await times(unpaidApp)).toEqual([-400, -100]);

    const second = await retentionJob.run(t.deps, t.clock.now());
    expect(second).toMatch(/^0 payloads past retention deleted/);
    expect(await times(sandboxApp)).toEqual([-30, -29, 0]);
    expect(await times(orgApp)).toEqual([-89, -31]);

    // Paid again: the next pass purges by the plan.
    await t.knex('billing_accounts').where({ organization_id: unpaid.id }).update({ status: 'active' });
    await retentionJob.run(t.deps, t.clock.now());
    expect(await times(unpaidApp)).toEqual([]);
  });

  it('deletes in batches until nothing old is left, leaving other applications alone', async () => {
    const now = t.clock.now().getTime();
    const user = await newUser(t);
    const app = await newApplication(sandboxOf(user), 'Many old rows');
    const device = await newDevice(app);
    await insertPayloads(app, device, Array.from({ length: 23 }, (_, i) => ({ time: now - 40 * DAY - i })));
    await insertPayloads(app, device, [{ time: now - DAY }]);
    const report = await purgeExpiredPayloads(t.deps.db, t.clock.now(), { batchSize: 5 });
    expect(report.deleted).toBe(23);
    expect(report.failures).toEqual([]);
    expect(await count('payloads', { application_id: app })).toBe(1);
    expect((await purgeExpiredPayloads(t.deps.db, t.clock.now(), { batchSize: 5 })).deleted).toBe(0);
  });
});

describe('CSV export (R14.1)', () => {
  let admin: TestUser;
  let org: Organization;
  let appId: number;
  const base = Date.UTC(2026, 2, 1, 10, 0, 0); // 2026-03-01T10:00Z

  beforeAll(async () => {
    admin = await newUser(t, { name: 'Ada Admin' });
    org = await newOrg(t, { owner: admin, name: 'Export Co' });
    appId = await newApplication(orgOwner(org), 'Field Sensors');
    const plain = await newDevice(appId, 'North, "roof"');
    const formula = await newDevice(appId, '=HYPERLINK("http://evil.example")');
    const multiline = await newDevice(appId, 'Cellar\nUnit');
    await insertPayloads(appId, plain, [{ time: base, data: { temperature: 21.5, note: 'say "hi", ok' } }]);
    await insertPayloads(appId, formula, [{ time: '2026-03-02T23:59:59.999Z', data: { v: -1 } }]);
    await insertPayloads(appId, multiline, [{ time: '2026-03-03T00:00:00.000Z', data: { text: 'line1\nline2' } }]);
    await insertPayloads(appId, plain, [{ time: '2026-03-05T12:00:00.000Z', data: { v: 2 } }]);
    // Another application's data never leaks in.
    const other = await newApplication(orgOwner(org), 'Other');
    await insertPayloads(other, await newDevice(other), [{ time: base, data: { secret: true } }]);
  });

  const header = 'time,device_id,device_name,data\r\n';

  it('streams every payload, oldest first, as escaped CSV to download', async () => {
    const agent = await signedIn(t, admin);
    const res = await agent.get(`/applications/${appId}/export.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="field-sensors-device-data.csv"');
    const devices = await t.knex('devices').where({ application_id: appId }).orderBy('id').select('id');
    const [plain, formula, multiline] = devices.map((d: { id: number }) => Number(d.id));
    expect(res.body).toBe(
      header +
        `2026-03-01T10:00:00.000Z,${plain},"North, ""roof""","{""temperature"":21.5,""note"":""say \\""hi\\"", ok""}"\r\n` +
        `2026-03-02T23:59:59.999Z,${formula},"'=HYPERLINK(""http://evil.example"")","{""v"":-1}"\r\n` +
        `2026-03-03T00:00:00.000Z,${multiline},"Cellar\nUnit","{""text"":""line1\\nline2""}"\r\n` +
        `2026-03-05T12:00:00.000Z,${plain},"North, ""roof""","{""v"":2}"\r\n`,
    );
  });

  it('filters by whole UTC days, both ends included', async () => {
    const agent = await signedIn(t, admin);
    const lines = async (query: string) => {
      const res = await agent.get(`/applications/${appId}/export.csv${query}`);
      expect(res.statusCode).toBe(200);
      return res.body.split('\r\n').slice(1, -1).map((l) => l.slice(0, 24));
    };
    expect(await lines('?from=2026-03-02&to=2026-03-03')).toEqual(['2026-03-02T23:59:59.999Z', '2026-03-03T00:00:00.000Z']);
    expect(await lines('?from=2026-03-03')).toEqual(['2026-03-03T00:00:00.000Z', '2026-03-05T12:00:00.000Z']);
    expect(await lines('?to=2026-03-01')).toEqual(['2026-03-01T10:00:00.000Z']);
    expect(await lines('?from=2026-03-04&to=2026-03-04')).toEqual([]);
    expect(await lines('?from=&to=')).toHaveLength(4);
    const named = await agent.get(`/applications/${appId}/export.csv?from=2026-03-02&to=2026-03-03`);
    expect(named.headers['content-disposition']).toBe('attachment; filename="field-sensors-device-data-2026-03-02-to-2026-03-03.csv"');
  });

  it('answers 400 with a page for a bad date or a range that ends before it starts', async () => {
    const agent = await signedIn(t, admin);
    for (const [query, message] of [
      ['?from=2026-02-30', '&quot;from&quot; must be a date like 2026-03-01'],
      ['?to=03/01/2026', '&quot;to&quot; must be a date like 2026-03-01'],
      ['?from=2026-3-1', '&quot;from&quot; must be a date'],
      ['?from=2026-03-05&to=2026-03-01', 'is after'],
      ['?from=2026-03-01&from=2026-03-02', '&quot;from&quot; must be a date'],
    ]) {
      const res = await agent.get(`/applications/${appId}/export.csv${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain(message);
    }
  });

  it('a Viewer may export, also while the organization is Unpaid; a member with role None may not (403); a non-member gets 404', async () => {
    const viewer = await newUser(t, { name: 'Vic Viewer' });
    const nobody = await newUser(t, { name: 'Nora None' });
    const stranger = await newUser(t, { name: 'Stan Stranger' });
    await addMember(t, org, viewer, 'viewer');
    await addMember(t, org, nobody, 'none');
    await t.knex('billing_accounts').where({ organization_id: org.id }).update({ status: 'unpaid' });
    try {
      const asViewer = await (await signedIn(t, viewer)).get(`/applications/${appId}/export.csv`);
      expect(asViewer.statusCode).toBe(200);
      expect(asViewer.body.split('\r\n')).toHaveLength(6);
      const asNone = await (await signedIn(t, nobody)).get(`/applications/${appId}/export.csv`);
      expect(asNone.statusCode).toBe(403);
      expect(asNone.body).not.toContain('temperature');
      const asStranger = await (await signedIn(t, stranger)).get(`/applications/${appId}/export.csv`);
      expect(asStranger.statusCode).toBe(404);
      expect(asStranger.body).not.toContain('Field Sensors');
      expect((await (await signedIn(t, stranger)).get('/applications/999999/export.csv')).statusCode).toBe(404);
      const anonymous = await t.agent().get(`/applications/${appId}/export.csv`);
      expect(anonymous.statusCode).toBe(303);
      expect(anonymous.headers.location).toMatch(/^\/login\?next=/);
    } finally {
      await t.knex('billing_accounts').where({ organization_id: org.id }).update({ status: 'active' });
    }
  });

  it('pages by (time, id), so payloads with the same time are neither skipped nor repeated across chunks', async () => {
    const user = await newUser(t);
    const app = await newApplication(sandboxOf(user), 'Ties');
    const device = await newDevice(app);
    await insertPayloads(app, device, Array.from({ length: 12 }, (_, i) => ({ time: base + (i < 7 ? 0 : 1000), data: { i } })));
    const range = parseExportRange({});
    if (!range.ok) throw new Error(range.message);
    let text = '';
    for await (const chunk of deviceDataCsv(t.deps.db, app, range.range, 5)) text += chunk;
    const order = text
      .split('\r\n')
      .slice(1, -1)
      .map((l) => JSON.parse(l.slice(l.indexOf('"{')).slice(1, -1).replaceAll('""', '"')).i);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('neutralises spreadsheet formulas and quotes what needs it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('=1+2')).toBe("'=1+2");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=a,"b"')).toBe('"\'=a,""b"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('')).toBe('');
  });

  it.skipIf(process.env.TEST_DB === 'postgres')(
    'streams 1,000,000 rows in bounded memory (SQLite only: generating a million rows on PostgreSQL would slow CI)',
    async () => {
      const user = await newUser(t, { name: 'Mo Million' });
      const app = await newApplication(sandboxOf(user), 'Million');
      const device = await newDevice(app, 'Busy sensor');
      const ROWS = 1_000_000;
      const start = t.clock.now().getTime() - 12 * DAY;
      // Rows generated inside SQLite: one statement, no JavaScript objects per row.
      await t.knex.raw(
        `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
         INSERT INTO payloads (application_id, device_id, time, received_at, data)
         SELECT ?, ?, ? + n * 1000, ? + n * 1000, '{"n":' || n || ',"temperature":21.5,"humidity":40}' FROM seq`,
        [ROWS, app, device, start, start],
      );
      expect(await count('payloads', { application_id: app })).toBe(ROWS);

      const agent = await signedIn(t, user);
      globalThis.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      const res = await t.app.inject({
        method: 'GET',
        url: `/applications/${app}/export.csv`,
        headers: { cookie: `orgplane.sid=${agent.cookie('orgplane.sid')}` },
        payloadAsStream: true,
      });
      expect(res.statusCode).toBe(200);
      let lines = 0;
      let chunks = 0;
      let tail = '';
      for await (const chunk of res.stream()) {
        const buf = chunk as Buffer;
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
        tail = (tail + buf.toString('utf8')).slice(-200);
        if (++chunks % 20 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      expect(lines).toBe(ROWS + 1);
      expect(tail).toMatch(new RegExp(`,${device},Busy sensor,"\\{""n"":${ROWS},""temperature"":21.5,""humidity"":40\\}"\\r\\n$`));
      const growthMb = (heapPeak - heapBefore) / 1024 / 1024;
      expect(growthMb).toBeLessThan(100);
    },
    180_000,
  );
});
