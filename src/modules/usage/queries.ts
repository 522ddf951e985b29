import type { DbOrTrx } from '../../db/knex.ts';
import { ownerColumns, type Owner } from '../owners/columns.ts';
import { statementsOf, type Executor } from '../../db/sql.ts';

const DAY_MS = 86_400_000;

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
  db: Executor,
  input: { application: CountedApplication; periodStart: Date; day: number; payloads: number; rejected: number },
): Promise<void> {
  const { application, payloads, rejected } = input;
  const ownerType = application.owner_type;
  const ownerId = Number(application.owner_id);
  const sql = statementsOf(db);
  await sql.run(INCREMENT_PERIOD, [ownerType, ownerId, application.id, input.periodStart.getTime(), application.name, payloads, rejected]);
  if (payloads > 0) await sql.run(INCREMENT_DAY, [ownerType, ownerId, application.id, input.day, payloads]);
}

const n = (value: unknown) => Number(value ?? 0);

/** Payloads an owner has had accepted in a billing period, over all its applications (one primary-key range). */
export async function payloadsInPeriod(db: Executor, owner: Owner, periodStart: Date): Promise<number> {
  const { owner_type, owner_id } = ownerColumns(owner);
  const row = await statementsOf(db).first<{ n: unknown }>(
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
export async function usageTotals(db: DbOrTrx, owner: Owner, periodStart: Date): Promise<UsageTotals> {
  const row = (await db('usage_counters')
    .where({ ...ownerColumns(owner), period_start: periodStart.getTime() })
    .sum({ payloads: 'payloads', rejected: 'rejected' })
    .first()) as { payloads?: unknown; rejected?: unknown } | undefined;
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
export async function usageByApplication(db: DbOrTrx, owner: Owner, periodStart: Date): Promise<ApplicationUsage[]> {
  const rows = await db('usage_counters')
    .where({ ...ownerColumns(owner), period_start: periodStart.getTime() })
    .orderBy([
      { column: 'payloads', order: 'desc' },
      { column: 'application_name', order: 'asc' },
      { column: 'application_id', order: 'asc' },
    ])
    .select('application_id', 'application_name', 'payloads', 'rejected');
  return rows.map((r: { application_id: number; application_name: string; payloads: unknown; rejected: unknown }) => ({
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
  db: DbOrTrx,
  owner: Owner,
  range: { start: Date; end: Date },
  opts: { applicationId?: number } = {},
): Promise<DailyPayloads[]> {
  const first = utcDayStart(range.start);
  const last = utcDayStart(range.end.getTime() - 1);
  if (last < first) return [];
  const query = db('usage_daily')
    .where(ownerColumns(owner))
    .whereBetween('day', [first, last])
    .groupBy('day')
    .select('day')
    .sum({ n: 'payloads' });
  if (opts.applicationId !== undefined) query.where('application_id', opts.applicationId);
  const rows = (await query) as unknown as { day: unknown; n: unknown }[];
  const byDay = new Map(rows.map((r) => [Number(r.day), n(r.n)]));
  const series: DailyPayloads[] = [];
  for (let day = first; day <= last; day += DAY_MS) series.push({ day: new Date(day), payloads: byDay.get(day) ?? 0 });
  return series;
}
