import { DAY_MS } from '../../clock.ts';
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
