import { ownerColumns, type Owner } from '../owners/columns.ts';
import { placeholders, type Sql, type SqlValue, type Statement } from '../../db/sql.ts';
import { DAY_MS } from '../../clock.ts';

/** The start (00:00 UTC) of the UTC day containing `instant`, in epoch milliseconds: the key of usage_daily. */
export const utcDayStart = (instant: Date | number): number => Math.floor(Number(instant instanceof Date ? instant.getTime() : instant) / DAY_MS) * DAY_MS;

/** What the counters need to know of an application: its owner as stored, and its name now. */
export interface CountedApplication {
  id: number;
  owner_type: string;
  owner_id: number;
  name: string;
}

// Plain SQL, built once: this runs on every device request.
const INCREMENT_PERIOD = `INSERT INTO usage_counters (owner_type, owner_id, application_id, period_start, application_name, payloads, rejected)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (owner_type, owner_id, period_start, application_id) DO UPDATE SET
    payloads = usage_counters.payloads + excluded.payloads,
    rejected = usage_counters.rejected + excluded.rejected,
    application_name = excluded.application_name`;
const INCREMENT_DAY = `INSERT INTO usage_daily (owner_type, owner_id, application_id, day, payloads)
  VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (owner_type, owner_id, day, application_id) DO UPDATE SET
    payloads = usage_daily.payloads + excluded.payloads`;

/**
 * R8.2: adds accepted payloads and rejected requests to an application's
 * counters for a billing period, and accepted payloads to its counter for a
 * UTC day. One portable upsert each (`INSERT … ON CONFLICT … DO UPDATE`, on
 * SQLite and PostgreSQL alike), so concurrent writers never lose a count.
 * The counter row carries the application's current name, kept for usage
 * pages and invoices after a rename or a deletion.
 */
export async function incrementUsage(
  db: Sql,
  input: { application: CountedApplication; periodStart: Date; day: number; payloads: number; rejected: number },
): Promise<void> {
  const { application, payloads, rejected } = input;
  const ownerType = application.owner_type;
  const ownerId = Number(application.owner_id);
  await db.run(INCREMENT_PERIOD, [ownerType, ownerId, application.id, input.periodStart.getTime(), application.name, payloads, rejected]);
  if (payloads > 0) await db.run(INCREMENT_DAY, [ownerType, ownerId, application.id, input.day, payloads]);
}

const n = (value: unknown) => Number(value ?? 0);

/** Payloads an owner has had accepted in a billing period, over all its applications (one primary-key range). */
export async function payloadsInPeriod(db: Sql, owner: Owner, periodStart: Date): Promise<number> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const row = await db.first<{ n: unknown }>(
    'SELECT sum(payloads) AS n FROM usage_counters WHERE owner_type = ? AND owner_id = ? AND period_start = ?',
    [owner_type, owner_id, periodStart.getTime()],
  );
  return n(row?.n);
}

export interface UsageTotals {
  payloads: number;
  rejected: number;
}

/** An owner's accepted payloads and rejected requests in a billing period (R8.3). */
export async function usageTotals(db: Sql, owner: Owner, periodStart: Date): Promise<UsageTotals> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const row = await db.first<{ payloads: unknown; rejected: unknown }>(
    'SELECT SUM(payloads) AS payloads, SUM(rejected) AS rejected FROM usage_counters WHERE owner_type = ? AND owner_id = ? AND period_start = ?',
    [owner_type, owner_id, periodStart.getTime()],
  );
  return { payloads: n(row?.payloads), rejected: n(row?.rejected) };
}

export interface ApplicationUsage {
  applicationId: number;
  /** The name when the application last reported (it may since have been renamed or deleted). */
  applicationName: string;
  payloads: number;
  rejected: number;
}

/** R8.3: payloads per application in an owner's billing period, most first. */
export async function usageByApplication(db: Sql, owner: Owner, periodStart: Date): Promise<ApplicationUsage[]> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows = await db.rows<{ application_id: number; application_name: string; payloads: unknown; rejected: unknown }>(
    `SELECT application_id, application_name, payloads, rejected FROM usage_counters WHERE owner_type = ? AND owner_id = ? AND period_start = ?
     ORDER BY payloads DESC, application_name ASC, application_id ASC`,
    [owner_type, owner_id, periodStart.getTime()],
  );
  return rows.map((r) => ({
    applicationId: Number(r.application_id),
    applicationName: r.application_name,
    payloads: n(r.payloads),
    rejected: n(r.rejected),
  }));
}

export interface DailyPayloads {
  /** 00:00 UTC of the day. */
  day: Date;
  payloads: number;
}

/**
 * R8.3: an owner's accepted payloads per UTC day, one entry for every day
 * that overlaps [start, end) — days without payloads are 0 — so a chart of a
 * billing period needs no gap filling. A period starts at its anchor's time of
 * day, so its first and last day also hold payloads of the neighbouring
 * periods. Pass `applicationId` for one application's series.
 */
export async function dailyPayloads(
  db: Sql,
  owner: Owner,
  range: { start: Date; end: Date },
  opts: { applicationId?: number } = {},
): Promise<DailyPayloads[]> {
  const first = utcDayStart(range.start);
  const last = utcDayStart(range.end.getTime() - 1);
  if (last < first) return [];
  const { owner_type, owner_id } = ownerColumns(owner);
  const rows =
    opts.applicationId === undefined
      ? await db.rows<{ day: unknown; n: unknown }>(
          'SELECT day, SUM(payloads) AS n FROM usage_daily WHERE owner_type = ? AND owner_id = ? AND day BETWEEN ? AND ? GROUP BY day',
          [owner_type, owner_id, first, last],
        )
      : await db.rows<{ day: unknown; n: unknown }>(
          'SELECT day, SUM(payloads) AS n FROM usage_daily WHERE owner_type = ? AND owner_id = ? AND day BETWEEN ? AND ? AND application_id = ? GROUP BY day',
          [owner_type, owner_id, first, last, opts.applicationId],
        );
  const byDay = new Map(rows.map((r) => [Number(r.day), n(r.n)]));
  const series: DailyPayloads[] = [];
  for (let day = first; day <= last; day += DAY_MS) series.push({ day: new Date(day), payloads: byDay.get(day) ?? 0 });
  return series;
}

// The statements of the device API's hot path are written once, as plain
// SQL: a request costs its database work, not query building. Rows are
// inserted in the order sent.
//
// SQLite: one VALUES list per number of states (1 to 100), each prepared once
// per connection (db/sql.ts keeps prepared statements), so a request only
// binds and runs; that was 25 % faster than unpacking a JSON array with
// json_each, and skips encoding the states a second time.
const insertPayloadsSqliteByCount: string[] = [];
function insertPayloadsSqlite(count: number): string {
  if (!Number.isInteger(count) || count < 1) throw new Error(`cannot store ${count} states`);
  return (insertPayloadsSqliteByCount[count] ??= `INSERT INTO payloads (application_id, device_id, time, received_at, data) VALUES ${Array.from(
    { length: count },
    () => '(?, ?, ?, ?, ?)',
  ).join(', ')}`);
}
// PostgreSQL: the states as one JSON array bound to one parameter, each
// [time, data] (`data` is already JSON text and comes back out exactly as it
// went in), so the statement is the same for 1 or 100 states.
const INSERT_PAYLOADS_POSTGRES = `INSERT INTO payloads (application_id, device_id, time, received_at, data)
  SELECT ?, ?, (s.value ->> 0)::bigint, ?, s.value ->> 1
  FROM json_array_elements(?::json) WITH ORDINALITY AS s(value, n) ORDER BY s.n`;

/** R8.1: stores one report's states as payloads, in the order sent (the device API's hot path). */
export async function insertPayloads(
  sql: Sql,
  target: { applicationId: number; deviceId: number },
  rows: readonly { time: number; data: string }[],
  receivedAt: number,
  postgres: boolean,
): Promise<void> {
  if (postgres) {
    const states = JSON.stringify(rows.map((r) => [r.time, r.data]));
    await sql.run(INSERT_PAYLOADS_POSTGRES, [target.applicationId, target.deviceId, receivedAt, states]);
  } else {
    const bindings: (number | string)[] = [];
    for (const r of rows) bindings.push(target.applicationId, target.deviceId, r.time, receivedAt, r.data);
    await sql.run(insertPayloadsSqlite(rows.length), bindings);
  }
}

// PostgreSQL: the same writes as parts of one statement (the
// device API's `WITH hit AS (…), … SELECT …`), each done only when `when`
// (SQL from code, e.g. "the rate limit admitted it") holds. One statement is
// one round trip and atomic on its own: no BEGIN and COMMIT to send. The
// casts give the parameters the column types a VALUES list would.
const INSERT_PAYLOADS_WHEN_POSTGRES = (when: string) => `INSERT INTO payloads (application_id, device_id, time, received_at, data)
  SELECT CAST(? AS INTEGER), CAST(? AS INTEGER), (s.value ->> 0)::bigint, CAST(? AS BIGINT), s.value ->> 1
  FROM json_array_elements(?::json) WITH ORDINALITY AS s(value, n) WHERE ${when} ORDER BY s.n`;
const INCREMENT_PERIOD_WHEN_POSTGRES = (when: string) => `INSERT INTO usage_counters (owner_type, owner_id, application_id, period_start, application_name, payloads, rejected)
  SELECT CAST(? AS VARCHAR(16)), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS VARCHAR(255)), CAST(? AS BIGINT), 0 WHERE ${when}
  ON CONFLICT (owner_type, owner_id, period_start, application_id) DO UPDATE SET
    payloads = usage_counters.payloads + excluded.payloads,
    application_name = excluded.application_name`;
const INCREMENT_DAY_WHEN_POSTGRES = (when: string) => `INSERT INTO usage_daily (owner_type, owner_id, application_id, day, payloads)
  SELECT CAST(? AS VARCHAR(16)), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS BIGINT) WHERE ${when}
  ON CONFLICT (owner_type, owner_id, day, application_id) DO UPDATE SET
    payloads = usage_daily.payloads + excluded.payloads`;

/**
 * R8.1, R8.2 on PostgreSQL: a report's payloads (in the order sent) and the
 * period and day counters they add to, as parts of one statement, written
 * only when `when` holds — what `insertPayloads` and `incrementUsage` do in
 * a transaction.
 */
export function reportWritesPostgres(
  input: { application: CountedApplication; deviceId: number; rows: readonly { time: number; data: string }[]; receivedAt: number; periodStart: Date; day: number },
  when: string,
): Statement[] {
  const { application, rows } = input;
  if (rows.length === 0) throw new Error('cannot store 0 states');
  const ownerType = application.owner_type;
  const ownerId = Number(application.owner_id);
  return [
    { sql: INSERT_PAYLOADS_WHEN_POSTGRES(when), bindings: [application.id, input.deviceId, input.receivedAt, JSON.stringify(rows.map((r) => [r.time, r.data]))] },
    { sql: INCREMENT_PERIOD_WHEN_POSTGRES(when), bindings: [ownerType, ownerId, application.id, input.periodStart.getTime(), application.name, rows.length] },
    { sql: INCREMENT_DAY_WHEN_POSTGRES(when), bindings: [ownerType, ownerId, application.id, input.day, rows.length] },
  ];
}

/** Stored payloads of applications that are deleted. */
export async function deletePayloadsOfApplications(db: Sql, applicationIds: number[]): Promise<void> {
  if (applicationIds.length === 0) return;
  await db.run(`DELETE FROM payloads WHERE application_id IN (${placeholders(applicationIds.length)})`, applicationIds);
}

/** Stored payloads of one device that is deleted. */
export async function deletePayloadsOfDevice(db: Sql, applicationId: number, deviceId: number): Promise<void> {
  await db.run('DELETE FROM payloads WHERE device_id = ? AND application_id = ?', [deviceId, applicationId]);
}

/** R3.9: a deleted organization's counters (its final invoice is their record). */
export async function deleteUsageOf(db: Sql, owner: Owner): Promise<void> {
  const cols = ownerColumns(owner);
  await db.run('DELETE FROM usage_counters WHERE owner_type = ? AND owner_id = ?', [cols.owner_type, cols.owner_id]);
  await db.run('DELETE FROM usage_daily WHERE owner_type = ? AND owner_id = ?', [cols.owner_type, cols.owner_id]);
}

/** One application's counters under `owner` in the period starting at `periodStart` (R8.2), or undefined before its first payload. */
export async function applicationPeriodUsage(db: Sql, owner: Owner, applicationId: number, periodStart: Date): Promise<{ payloads: number; rejected: number } | undefined> {
  const { owner_type, owner_id } = ownerColumns(owner);
  return db.first<{ payloads: number; rejected: number }>(
    'SELECT payloads, rejected FROM usage_counters WHERE owner_type = ? AND owner_id = ? AND application_id = ? AND period_start = ?',
    [owner_type, owner_id, applicationId, periodStart.getTime()],
  );
}

/**
 * R5.5: an application moving to another owner takes this period's counter
 * (`moving`, read in the sender's period) and its daily counts since the day
 * before the sender's period began.
 */
export async function moveApplicationUsage(
  trx: Sql,
  input: {
    application: { id: number; name: string };
    from: Owner;
    to: Owner;
    fromPeriodStart: Date;
    toPeriodStart: Date;
    moving: { payloads: number; rejected: number } | null | undefined;
  },
): Promise<void> {
  const app = input.application;
  const moving = input.moving;
  const fromPeriod = { start: input.fromPeriodStart };
  const toPeriod = { start: input.toPeriodStart };
  const from = ownerColumns(input.from);
  const to = ownerColumns(input.to);
  if (moving) {
    await trx.run('DELETE FROM usage_counters WHERE owner_type = ? AND owner_id = ? AND application_id = ? AND period_start = ?', [
      from.owner_type,
      from.owner_id,
      app.id,
      fromPeriod.start.getTime(),
    ]);
    await trx.run(
      `INSERT INTO usage_counters (owner_type, owner_id, application_id, period_start, application_name, payloads, rejected) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (owner_type, owner_id, period_start, application_id)
       DO UPDATE SET payloads = usage_counters.payloads + excluded.payloads, rejected = usage_counters.rejected + excluded.rejected`,
      [to.owner_type, to.owner_id, app.id, toPeriod.start.getTime(), app.name, moving.payloads, moving.rejected],
    );
  }
  const days = await trx.rows<{ day: number; payloads: number }>(
    'SELECT day, payloads FROM usage_daily WHERE owner_type = ? AND owner_id = ? AND application_id = ? AND day >= ?',
    [from.owner_type, from.owner_id, app.id, fromPeriod.start.getTime() - DAY_MS],
  );
  for (const d of days) {
    await trx.run('DELETE FROM usage_daily WHERE owner_type = ? AND owner_id = ? AND application_id = ? AND day = ?', [from.owner_type, from.owner_id, app.id, d.day]);
    await trx.run(
      `INSERT INTO usage_daily (owner_type, owner_id, application_id, day, payloads) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (owner_type, owner_id, day, application_id) DO UPDATE SET payloads = usage_daily.payloads + excluded.payloads`,
      [to.owner_type, to.owner_id, app.id, d.day, d.payloads],
    );
  }
}

/**
 * R16.1: an owner's accepted payloads over the UTC days that overlap
 * [start, end), from the daily counters (the REST API's `payloadCounts`
 * with a range; counters are kept per day, so a partial day counts whole).
 */
export async function payloadsOverDays(db: Sql, owner: Owner, range: { start: Date; end: Date }): Promise<number> {
  const first = utcDayStart(range.start);
  const last = utcDayStart(range.end.getTime() - 1);
  if (last < first) return 0;
  const { owner_type, owner_id } = ownerColumns(owner);
  const row = await db.first<{ n: unknown }>('SELECT SUM(payloads) AS n FROM usage_daily WHERE owner_type = ? AND owner_id = ? AND day BETWEEN ? AND ?', [
    owner_type,
    owner_id,
    first,
    last,
  ]);
  return n(row?.n);
}

/**
 * R16.1: a device's stored states (Losant's device.getState), newest first
 * unless `direction` is 'asc', at most `limit`, measured at or after `since`
 * (ms) when given. Reads the (device_id) index.
 */
export async function statesOfDevice(
  db: Sql,
  applicationId: number,
  deviceId: number,
  opts: { limit: number; since?: number; direction: 'asc' | 'desc' },
): Promise<{ time: Date; data: Record<string, unknown> }[]> {
  const order = opts.direction === 'asc' ? 'ASC' : 'DESC';
  const rows = await db.rows<{ time: unknown; data: string }>(
    `SELECT time, data FROM payloads WHERE device_id = ? AND application_id = ?${opts.since === undefined ? '' : ' AND time >= ?'}
     ORDER BY time ${order}, id ${order} LIMIT ?`,
    opts.since === undefined ? [deviceId, applicationId, opts.limit] : [deviceId, applicationId, opts.since, opts.limit],
  );
  return rows.map((r) => ({ time: new Date(Number(r.time)), data: JSON.parse(r.data) as Record<string, unknown> }));
}

/**
 * An application's payloads per UTC day in [fromDay, toDay] (R8.2), keyed by
 * the day's start in epoch milliseconds. Summed over owners, so days from
 * before a transfer still count.
 */
export async function dailyPayloadsOfApplication(db: Sql, applicationId: number, fromDay: Date, toDay: Date): Promise<Map<number, number>> {
  const rows = await db.rows<{ day: number | string; n: number | string | null }>(
    'SELECT day, SUM(payloads) AS n FROM usage_daily WHERE application_id = ? AND day BETWEEN ? AND ? GROUP BY day',
    [applicationId, fromDay.getTime(), toDay.getTime()],
  );
  return new Map(rows.map((r) => [Number(r.day), Number(r.n ?? 0)]));
}

/** One payload as an export reads it (R14.1), as stored: an export streams millions, so rows are not copied into other objects. */
export interface ExportedPayload {
  id: number | string;
  time: number | string;
  device_id: number | string;
  data: string;
}

/**
 * R14.1: the next `limit` payloads of an application in [startMs, endMs)
 * (either end open when null) after the (time, id) position `after`, oldest
 * first: a keyset page through the (application_id, time) index, so each
 * page costs the same however deep the export is.
 */
export async function payloadPage(
  db: Sql,
  applicationId: number,
  range: { startMs: number | null; endMs: number | null },
  after: { time: number; id: number } | null,
  limit: number,
): Promise<ExportedPayload[]> {
  let where = 'p.application_id = ?';
  const bindings: SqlValue[] = [applicationId];
  if (range.startMs !== null) (where += ' AND p.time >= ?'), bindings.push(range.startMs);
  if (range.endMs !== null) (where += ' AND p.time < ?'), bindings.push(range.endMs);
  if (after) (where += ' AND p.time >= ? AND (p.time > ? OR p.id > ?)'), bindings.push(after.time, after.time, after.id);
  return db.rows<ExportedPayload>(`SELECT p.id, p.time, p.device_id, p.data FROM payloads p WHERE ${where} ORDER BY p.time ASC, p.id ASC LIMIT ?`, [
    ...bindings,
    limit,
  ]);
}

/** R8.4: deletes one application's payloads older than `cutoff` (ms), `batchSize` at a time, through the (application_id, time) index. */
export async function deletePayloadsOlderThan(db: Sql, applicationId: number, cutoff: number, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.run('DELETE FROM payloads WHERE id IN (SELECT id FROM payloads WHERE application_id = ? AND time < ? LIMIT ?)', [
      applicationId,
      cutoff,
      batchSize,
    ]);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/** Payloads of each organization given in its own current period (`periodStartOf`), by organization id (the back-office list, R11.1): one grouped read. */
export async function payloadsOfOrganizations(db: Sql, periodStartOf: ReadonlyMap<number, number>): Promise<Map<number, number>> {
  const ids = [...periodStartOf.keys()];
  if (ids.length === 0) return new Map();
  const starts = [...new Set(periodStartOf.values())];
  const rows = await db.rows<{ id: number; period_start: number | string; n: number | string }>(
    `SELECT owner_id AS id, period_start, SUM(payloads) AS n FROM usage_counters
     WHERE owner_type = 'organization' AND owner_id IN (${placeholders(ids.length)}) AND period_start IN (${placeholders(starts.length)}) GROUP BY owner_id, period_start`,
    [...ids, ...starts],
  );
  const out = new Map<number, number>();
  for (const r of rows) if (periodStartOf.get(Number(r.id)) === Number(r.period_start)) out.set(Number(r.id), Number(r.n));
  return out;
}

/** One application's payloads of an organization's period as an invoice records them (R9.3, R9.12). */
export interface InvoicedApplicationUsage {
  application_id: number;
  application_name: string;
  payloads: number;
}

/** R9.3: the counters of an organization's period, one per application, as stored (the period's overage and the invoice's usage table are made from them). */
export async function periodUsageOfOrganization(db: Sql, organizationId: number, periodStart: Date): Promise<InvoicedApplicationUsage[]> {
  return db.rows<InvoicedApplicationUsage>(
    `SELECT application_id, application_name, payloads FROM usage_counters
     WHERE owner_type = 'organization' AND owner_id = ? AND period_start = ?`,
    [organizationId, periodStart.getTime()],
  );
}

/** R9.5: how many stored payloads of the applications given are older than `cutoff` (ms): what a shorter retention would delete. */
export async function countPayloadsOlderThan(db: Sql, applicationIds: readonly number[], cutoff: number): Promise<number> {
  if (applicationIds.length === 0) return 0;
  const row = await db.first<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM payloads WHERE application_id IN (${placeholders(applicationIds.length)}) AND time < ?`,
    [...applicationIds, cutoff],
  );
  return Number(row?.n ?? 0);
}
