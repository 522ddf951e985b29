/**
 * How counts and dates read, in en-US.
 *
 * Dates a person reads on a page go through `datesIn(timeZone)` (R1.5): one
 * style, in the reader's time zone, the zone named wherever a time of day
 * appears. The fixed-UTC helpers first are for text that is stored or mailed
 * as it always was (invoice line descriptions, billing emails).
 *
 * `Number#toLocaleString` and `Date#toLocale*String` with options build a new
 * Intl formatter on every call (≈56 µs); these reuse one per option set
 * (≈1 µs) and print exactly the same text (test/unit/format.test.ts). One
 * formatter per option set the app uses: don't merge two that look alike
 * without checking the output.
 */

const count = new Intl.NumberFormat('en-US');
const dateLong = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });
const dateShort = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
const dateTime24 = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});
// Proration line descriptions used `hour12: false`, which resolves to
// hourCycle h24 in en-US: the first hour of a day read "24:05". New lines use
// h23 ("00:05"). Lines of issued invoices are stored text and stay
// as they were written (invoices are immutable); only new lines change. They
// stay in UTC whoever reads them: the text is part of the invoice.
const prorationTime = dateTime24;

// `toLocale*String` print an invalid date as "Invalid Date"; a formatter throws.
const dateWith = (formatter: Intl.DateTimeFormat) => (d: Date) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : formatter.format(d));
const utc = (format: (d: Date) => string) => (d: Date) => `${format(d)} UTC`;

/** "1,234,567" */
export const formatCount = (n: number): string => count.format(n);
/** "January 31, 2026", in UTC; billing emails. */
export const formatDateLong = dateWith(dateLong);
/** "Jan 31, 2026" (month, day and year), in UTC; the periods written into invoice line descriptions. */
export const formatDateShort = dateWith(dateShort);
/** "Jan 31, 2026, 09:05 UTC", midnight 00:00, in UTC: text written into invoices (the same reading as `utcDates.dateTime`). */
export const formatDateTime24 = utc(dateWith(dateTime24));
/** "Jan 31, 2026, 09:05 UTC", midnight 00:00, always UTC: the text of new proration lines (see above). */
export const formatProrationTime = utc(dateWith(prorationTime));

/** For templates: every page gets `it.formatCount(…)`, beside `it.formatCents` and the reader's dates (`it.dates`). */
export const formatHelpers = {
  formatCount,
};

// ---------------------------------------------------------------------------
// R1.5: the reader's dates, in one style, in their time zone.

/**
 * Dates and times as a person reads them, in one time zone:
 * - `date`: "Jan 31, 2026"
 * - `dateTime`: "Jan 31, 2026, 09:05 UTC" — 24-hour clock, the zone always named
 *   as it stood at that instant ("EST", "EDT", "GMT+1", "GMT+5:30", "UTC");
 *   `{ seconds: true }` adds the seconds, in the same style
 * - `day`: "Jan 31" (chart labels)
 * - `dateRange`: "Jan 31, 2026 – Feb 28, 2026"
 * An invalid date reads "Invalid Date" rather than throwing.
 */
export interface Dates {
  readonly timeZone: string;
  date(d: Date): string;
  dateTime(d: Date, opts?: { seconds?: boolean }): string;
  day(d: Date): string;
  dateRange(start: Date, end: Date): string;
}

const ZONE_NAME = /^(?:UTC|[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9][A-Za-z0-9_+-]*){1,2})$/;

/** An IANA time zone name the runtime knows ("Europe/Paris", "UTC"); offsets like "+05:00" are not zones. */
export function isTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || name.length > 64 || !ZONE_NAME.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Every zone the account page offers: UTC first, then the runtime's IANA list. */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];

const datesByZone = new Map<string, Dates>();

/** The formatter of one time zone (cached: building Intl formatters is slow). An unknown zone reads as UTC. */
export function datesIn(timeZone: string): Dates {
  const known = datesByZone.get(timeZone);
  if (known) return known;
  if (!isTimeZone(timeZone)) return datesIn('UTC');
  const date = dateWith(new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone }));
  const day = dateWith(new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone }));
  const timeOptions = { month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone, timeZoneName: 'short' } as const;
  const dateTime = dateWith(new Intl.DateTimeFormat('en-US', timeOptions));
  const dateTimeSeconds = dateWith(new Intl.DateTimeFormat('en-US', { ...timeOptions, second: '2-digit' }));
  const dates: Dates = {
    timeZone,
    date,
    day,
    dateTime: (d, opts) => (opts?.seconds ? dateTimeSeconds(d) : dateTime(d)),
    dateRange: (start, end) => `${date(start)} – ${date(end)}`,
  };
  datesByZone.set(timeZone, dates);
  return dates;
}

/** Dates for readers without a zone of their own: visitors, emails, the command line. */
export const utcDates = datesIn('UTC');

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** A zone with its offset at an instant, for the time zone picker: "Europe/Paris (GMT+1)". */
export function zoneLabel(timeZone: string, at: Date): string {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' });
    offsetFormatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(at);
  const offset = parts.find((p) => p.type === 'timeZoneName')?.value || 'GMT';
  return `${timeZone.replaceAll('_', ' ')} (${offset === 'GMT' ? 'GMT+0' : offset})`;
}
