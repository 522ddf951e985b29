import type { Sql, SqlValue } from '../../db/sql.ts';
import { DAY_MS } from '../../clock.ts';
/** Payloads read per query: memory stays the same for a thousand rows or a hundred million. */
export const EXPORT_CHUNK_SIZE = 5_000;
export const EXPORT_COLUMNS = ['time', 'device_id', 'device_name', 'data'] as const;

/** An export's time range: whole UTC days, both ends included; null is open. */
export interface ExportRange {
  from: string | null;
  to: string | null;
  /** Inclusive lower bound, epoch ms. */
  startMs: number | null;
  /** Exclusive upper bound (the day after `to`), epoch ms. */
  endMs: number | null;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The start of a `YYYY-MM-DD` UTC day, or null when it is no real day. */
export function parseUtcDay(value: string): number | null {
  const m = DAY.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (y < 1970 || back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

/** R14.1: `from` and `to` of an export (both optional), or a message saying what is wrong. */
export function parseExportRange(query: { from?: unknown; to?: unknown }): { ok: true; range: ExportRange } | { ok: false; message: string } {
  const day = (name: 'from' | 'to'): { value: string | null; ms: number | null } | string => {
    const raw = query[name];
    if (raw === undefined || raw === '') return { value: null, ms: null };
    const ms = typeof raw === 'string' ? parseUtcDay(raw) : null;
    if (ms === null) return `"${name}" must be a date like 2026-03-01 (YYYY-MM-DD, UTC).`;
    return { value: raw as string, ms };
  };
  const from = day('from');
  if (typeof from === 'string') return { ok: false, message: from };
  const to = day('to');
  if (typeof to === 'string') return { ok: false, message: to };
  if (from.ms !== null && to.ms !== null && from.ms > to.ms) return { ok: false, message: `"from" (${from.value}) is after "to" (${to.value}).` };
  return { ok: true, range: { from: from.value, to: to.value, startMs: from.ms, endMs: to.ms === null ? null : to.ms + DAY_MS } };
}

const NEEDS_QUOTES = /[",\r\n]/;
// A cell starting with one of these is a formula to a spreadsheet (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field (RFC 4180): a leading formula character is neutralised with `'`; commas, quotes and line breaks are quoted, quotes doubled. */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const csvLine = (fields: readonly string[]) => `${fields.map(csvField).join(',')}\r\n`;

interface ExportRow {
  id: number;
  time: number;
  device_id: number;
  device_name: string;
  data: string;
}

/**
 * R14.1: an application's payloads in a range as CSV text, oldest first, a
 * chunk at a time. Pages by (time, id) keyset through the (application_id,
 * time) index, so each query costs the same however deep the export is and
 * no query holds a transaction or the (single SQLite) connection between
 * chunks. Consumed through a stream, it reads the next chunk only when the
 * client has taken the last one.
 */
export async function* deviceDataCsv(
  db: Sql,
  applicationId: number,
  range: ExportRange,
  chunkSize = EXPORT_CHUNK_SIZE,
): AsyncGenerator<string, void, undefined> {
  yield csvLine(EXPORT_COLUMNS);
  let after: { time: number; id: number } | null = null;
  for (;;) {
    let where = 'p.application_id = ?';
    const bindings: SqlValue[] = [applicationId];
    if (range.startMs !== null) (where += ' AND p.time >= ?'), bindings.push(range.startMs);
    if (range.endMs !== null) (where += ' AND p.time < ?'), bindings.push(range.endMs);
    if (after) (where += ' AND p.time >= ? AND (p.time > ? OR p.id > ?)'), bindings.push(after.time, after.time, after.id);
    const rows = await db.rows<ExportRow>(
      `SELECT p.id, p.time, p.device_id, d.name AS device_name, p.data FROM payloads p JOIN devices d ON d.id = p.device_id
       WHERE ${where} ORDER BY p.time ASC, p.id ASC LIMIT ?`,
      [...bindings, chunkSize],
    );
    if (rows.length === 0) return;
    let text = '';
    for (const r of rows) {
      text += csvLine([new Date(Number(r.time)).toISOString(), String(r.device_id), r.device_name, r.data]);
    }
    yield text;
    if (rows.length < chunkSize) return;
    const last = rows[rows.length - 1]!;
    after = { time: Number(last.time), id: Number(last.id) };
  }
}

/** A download name made of the application's name and the range, safe in a header. */
export function exportFileName(applicationName: string, range: ExportRange): string {
  const slug =
    applicationName
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'application';
  const span = range.from || range.to ? `-${range.from ?? 'start'}-to-${range.to ?? 'now'}` : '';
  return `${slug}-device-data${span}.csv`;
}
