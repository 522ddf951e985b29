// Issue #9 (performance): counts and dates go through cached Intl formatters
// instead of `toLocale*String` with options, which builds a formatter on every
// call. The text must not change by a byte: it is the issue date and period of
// invoices (R9.4, R9.11), the overage and proration line descriptions stored
// on them (R9.3, R9.5), billing and invitation emails (R9.12, R4.1) and the
// usage page (R8.3). Each helper is checked against the call it replaced.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount, formatDateLong, formatDateShort, formatDateTime24, formatProrationTime, utcDates } from '../../src/format.ts';
import { describePeriod } from '../../src/modules/billing/open-subscription.ts';

const DATE_HELPERS: [string, (d: Date) => string, (d: Date) => string][] = [
  ['formatDateLong', formatDateLong, (d) => d.toLocaleDateString('en-US', { dateStyle: 'long', timeZone: 'UTC' })],
  ['formatDateShort', formatDateShort, (d) => d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' })],
  [
    // Text written into invoices (reactivation lines): the reader-independent UTC twin of utcDates.dateTime.
    'formatDateTime24',
    formatDateTime24,
    (d) => `${d.toLocaleString('en-US', { month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' })} UTC`,
  ],
  [
    // New proration lines: h23, so the first hour of a day reads 00:xx (issue #14).
    'formatProrationTime',
    formatProrationTime,
    (d) => `${d.toLocaleString('en-US', { month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' })} UTC`,
  ],
];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MIN_YEAR = 1926;
const MAX_YEAR = 2126;

/** Any instant within about ±100 years of today. */
const anyInstant = fc.date({ min: new Date(Date.UTC(MIN_YEAR, 0, 1)), max: new Date(Date.UTC(MAX_YEAR, 11, 31, 23, 59, 59, 999)), noInvalidDate: true });
/** Within a day and a half either side of a New Year's midnight UTC. */
const nearNewYear = fc
  .tuple(fc.integer({ min: MIN_YEAR, max: MAX_YEAR }), fc.integer({ min: -36 * HOUR_MS, max: 36 * HOUR_MS }))
  .map(([year, offset]) => new Date(Date.UTC(year, 0, 1) + offset));
/** In the first or last hour of some UTC day, where 12- and 24-hour clocks differ most. */
const nearMidnight = fc
  .tuple(fc.integer({ min: Date.UTC(MIN_YEAR, 0, 1) / DAY_MS, max: Date.UTC(MAX_YEAR, 11, 31) / DAY_MS }), fc.integer({ min: -HOUR_MS, max: HOUR_MS - 1 }))
  .map(([day, offset]) => new Date(day * DAY_MS + offset));
const dates = fc.oneof(anyInstant, nearNewYear, nearMidnight);

describe('cached date formatters print what toLocale*String printed (R9.4, R9.12, R8.3)', () => {
  it.each(DATE_HELPERS)('%s, for any date within ±100 years', (_name, helper, original) => {
    fc.assert(
      fc.property(dates, (d) => {
        expect(helper(d)).toBe(original(d));
      }),
      { numRuns: 2_000 },
    );
  });

  it.each(DATE_HELPERS)('%s, at the edges of a year and a day', (_name, helper, original) => {
    for (const iso of ['2025-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:59:00.000Z', '2028-02-29T12:00:00.000Z', '1926-01-01T00:00:00.000Z', '2126-12-31T23:59:00.000Z']) {
      const d = new Date(iso);
      expect(helper(d), iso).toBe(original(d));
    }
  });

  it.each(DATE_HELPERS)('%s, for an invalid date, says "Invalid Date" rather than throwing', (_name, helper, original) => {
    const d = new Date(Number.NaN);
    expect(helper(d)).toBe(original(d));
  });

  it('reads as expected', () => {
    const d = new Date('2026-01-31T09:05:00Z');
    expect(formatDateLong(d)).toBe('January 31, 2026');
    expect(formatDateShort(d)).toBe('Jan 31, 2026');
  });

  it('new proration lines read 00:05 for the first hour of a day, not 24:05 (issue #14)', () => {
    const d = new Date('2026-03-01T00:05:00Z');
    expect(formatProrationTime(d)).toBe('Mar 1, 2026, 00:05 UTC');
    expect(formatProrationTime(new Date('2026-03-01T23:59:00Z'))).toBe('Mar 1, 2026, 23:59 UTC');
  });
});

describe('text written into invoices reads like the pages in UTC (R1.5)', () => {
  it('formatDateTime24 is utcDates.dateTime, for any date', () => {
    fc.assert(
      fc.property(dates, (d) => {
        expect(formatDateTime24(d)).toBe(utcDates.dateTime(d));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('describePeriod, the period on invoices and line descriptions (R9.4, R9.3)', () => {
  const original = (start: Date, end: Date) => {
    const fmt = (d: Date) => d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
    return `${fmt(start)} – ${fmt(end)}`;
  };

  it('is unchanged for any two dates', () => {
    fc.assert(
      fc.property(dates, dates, (start, end) => {
        expect(describePeriod(start, end)).toBe(original(start, end));
      }),
      { numRuns: 1_000 },
    );
  });

  it('reads "Jan 31, 2026 – Feb 28, 2026"', () => {
    expect(describePeriod(new Date('2026-01-31T10:00:00Z'), new Date('2026-02-28T10:00:00Z'))).toBe('Jan 31, 2026 – Feb 28, 2026');
  });
});

describe('formatCount prints what toLocaleString("en-US") printed (R8.3, R9.4)', () => {
  const original = (n: number) => n.toLocaleString('en-US');

  it('for any integer, negative and large included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER)), (n) => {
        expect(formatCount(n)).toBe(original(n));
      }),
      { numRuns: 2_000 },
    );
  });

  it('for any number at all (fractions, infinities, NaN)', () => {
    fc.assert(
      fc.property(fc.double(), (n) => {
        expect(formatCount(n)).toBe(original(n));
      }),
      { numRuns: 2_000 },
    );
  });

  it('groups thousands', () => {
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(-1_000)).toBe('-1,000');
  });
});
