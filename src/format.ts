/**
 * How counts and dates read, in en-US and UTC. `Number#toLocaleString` and
 * `Date#toLocale*String` with options build a new Intl formatter on every
 * call (≈56 µs); these reuse one per option set (≈1 µs) and print exactly
 * the same text (test/unit/format.test.ts). One formatter per option set
 * the app uses: don't merge two that look alike without checking the output.
 */

const count = new Intl.NumberFormat('en-US');
const dateLong = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });
const dateMedium = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });
const dateShort = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
const dayShort = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dateTimeLong = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
const dateTimeMedium = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
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
// h23 ("00:05", issue #14). Lines of issued invoices are stored text and stay
// as they were written (invoices are immutable); only new lines change. They
// stay in UTC whoever reads them: the text is part of the invoice.
const prorationTime = dateTime24;

// `toLocale*String` print an invalid date as "Invalid Date"; a formatter throws.
const dateWith = (formatter: Intl.DateTimeFormat) => (d: Date) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : formatter.format(d));
const utc = (format: (d: Date) => string) => (d: Date) => `${format(d)} UTC`;

/** "1,234,567" */
export const formatCount = (n: number): string => count.format(n);
/** "January 31, 2026" */
export const formatDateLong = dateWith(dateLong);
/** "Jan 31, 2026" (`dateStyle: 'medium'`) */
export const formatDateMedium = dateWith(dateMedium);
/** "Jan 31, 2026" (month, day and year); the dates of invoices and billing periods. */
export const formatDateShort = dateWith(dateShort);
/** "Jan 31" */
export const formatDayShort = dateWith(dayShort);
/** "January 31, 2026 at 9:05 AM UTC" */
export const formatDateTimeLong = utc(dateWith(dateTimeLong));
/** "Jan 31, 2026, 9:05 AM UTC" */
export const formatDateTimeMedium = utc(dateWith(dateTimeMedium));
/** "Jan 31, 2026, 09:05 UTC"; midnight is 00:00. */
export const formatDateTime24 = utc(dateWith(dateTime24));
/** "Jan 31, 2026, 09:05 UTC", midnight 00:00, always UTC: the text of new proration lines (see above). */
export const formatProrationTime = utc(dateWith(prorationTime));

/** For templates: every page gets these as `it.formatCount(…)` etc., beside `it.formatCents`. */
export const formatHelpers = {
  formatCount,
  formatDateLong,
  formatDateMedium,
  formatDateShort,
  formatDayShort,
  formatDateTimeLong,
  formatDateTimeMedium,
  formatDateTime24,
};
