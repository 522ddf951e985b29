// R1.5: every date a signed-in user reads is in their time zone, in one style,
// with the zone named wherever a time of day appears. These properties hold
// for any instant in any of the zones below, and in particular around their
// daylight-saving transitions, where a wall clock skips or repeats an hour
// (or half an hour: Lord Howe; or 45 minutes off the hour: Chatham).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { datesIn, isTimeZone, TIME_ZONES, utcDates } from '../../src/format.ts';

const ZONES = [
  'UTC',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Phoenix',
  'America/Los_Angeles',
  'America/Anchorage',
  'Pacific/Honolulu',
  'America/Halifax',
  'America/St_Johns',
  'America/Santiago',
  'America/Sao_Paulo',
  'Europe/London',
  'Europe/Paris',
  'Europe/Kyiv',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Etc/GMT+12',
] as const;

// The names en-US gives zones of North America; every other zone is "GMT±h[:mm]".
const ABBREVIATIONS: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AKST: -540,
  AKDT: -480,
  HST: -600,
  AST: -240,
  ADT: -180,
};
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MINUTE = 60_000;

/** Minutes east of UTC that a zone name as printed stands for. */
function offsetOfName(name: string): number {
  if (name in ABBREVIATIONS) return ABBREVIATIONS[name]!;
  const m = /^GMT([+-])(\d{1,2})(?::(\d{2}))?$/.exec(name);
  if (!m) throw new Error(`unexpected zone name "${name}"`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/** Reads "Mar 8, 2026, 03:00 EDT" back into the instant it names (to the minute). */
function readBack(text: string): { instant: number; zoneName: string; hour: number; datePart: string } {
  const m = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}), (\d{2}):(\d{2}) (\S+)$/.exec(text);
  if (!m) throw new Error(`not in the one style: "${text}"`);
  const [, mon, day, year, hour, minute, zoneName] = m;
  const wall = Date.UTC(Number(year), MONTHS.indexOf(mon!), Number(day), Number(hour), Number(minute));
  return { instant: wall - offsetOfName(zoneName!) * MINUTE, zoneName: zoneName!, hour: Number(hour), datePart: `${mon} ${day}, ${year}` };
}

/** The zone's offset at an instant, asked of Intl another way ("GMT-04:00"), to find transitions. */
function offsetAt(zone: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')!.value;
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name)!;
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** Every instant in [from, to) where the zone's offset changes, to the minute. */
function transitions(zone: string, from: number, to: number): number[] {
  const found: number[] = [];
  const step = 6 * 3_600_000;
  for (let t = from; t < to; t += step) {
    if (offsetAt(zone, t) === offsetAt(zone, t + step)) continue;
    let lo = t;
    let hi = t + step;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (offsetAt(zone, mid) === offsetAt(zone, lo)) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}

const Y2026 = Date.UTC(2026, 0, 1);
const Y2028 = Date.UTC(2028, 0, 1);
const TRANSITIONS = ZONES.flatMap((zone) => transitions(zone, Y2026, Y2028).map((at) => ({ zone, at })));

const anyZone = fc.constantFrom(...ZONES);
const anyInstant = fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2099, 11, 31) });
/** Within three hours of a daylight-saving transition of 2026 or 2027, in the zone that has it. */
const nearTransition = fc
  .tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -180 * MINUTE, max: 180 * MINUTE }))
  .map(([t, delta]) => ({ zone: t.zone, at: t.at + delta }));
const zoneAndInstant = fc.oneof(
  fc.record({ zone: anyZone, at: anyInstant }),
  nearTransition,
);

describe('the one date formatter (R1.5)', () => {
  it('finds the daylight-saving transitions it is tested around', () => {
    // New York, Paris, Sydney, Lord Howe, Chatham, Santiago… each change twice a year.
    for (const zone of ['America/New_York', 'Europe/Paris', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Santiago']) {
      expect(TRANSITIONS.filter((t) => t.zone === zone).length, zone).toBe(4);
    }
    expect(TRANSITIONS.filter((t) => t.zone === 'Asia/Kolkata')).toEqual([]);
  });

  it('writes a time of day with its zone, and reading it back gives the same instant, to the minute', () => {
    fc.assert(
      fc.property(zoneAndInstant, ({ zone, at }) => {
        const text = datesIn(zone).dateTime(new Date(at));
        const read = readBack(text);
        expect(read.instant, `${zone}: ${text}`).toBe(Math.floor(at / MINUTE) * MINUTE);
        // The name is the zone's offset at that instant: EST in January, EDT in July.
        expect(offsetOfName(read.zoneName), `${zone}: ${text}`).toBe(offsetAt(zone, at));
      }),
      { numRuns: 3_000 },
    );
  });

  it('uses a 24-hour clock from 00 to 23 (midnight is 00:00, never 24:00)', () => {
    fc.assert(
      fc.property(zoneAndInstant, ({ zone, at }) => {
        const { hour } = readBack(datesIn(zone).dateTime(new Date(at)));
        expect(hour).toBeGreaterThanOrEqual(0);
        expect(hour).toBeLessThanOrEqual(23);
      }),
    );
  });

  it('puts the same calendar day in `date`, `day` and `dateTime`', () => {
    fc.assert(
      fc.property(zoneAndInstant, ({ zone, at }) => {
        const dates = datesIn(zone);
        const d = new Date(at);
        const { datePart } = readBack(dates.dateTime(d));
        expect(dates.date(d)).toBe(datePart);
        expect(datePart.startsWith(`${dates.day(d)}, `)).toBe(true);
        expect(dates.dateRange(d, d)).toBe(`${datePart} – ${datePart}`);
      }),
    );
  });

  it('keeps the order of instants: a later instant never reads earlier, across every transition', () => {
    fc.assert(
      fc.property(nearTransition, fc.integer({ min: 1, max: 240 }), ({ zone, at }, minutes) => {
        const dates = datesIn(zone);
        const before = readBack(dates.dateTime(new Date(at))).instant;
        const after = readBack(dates.dateTime(new Date(at + minutes * MINUTE))).instant;
        expect(after - before).toBe(Math.floor((at + minutes * MINUTE) / MINUTE) * MINUTE - Math.floor(at / MINUTE) * MINUTE);
      }),
    );
  });

  it('adds seconds in the same style when asked', () => {
    fc.assert(
      fc.property(zoneAndInstant, ({ zone, at }) => {
        const dates = datesIn(zone);
        const d = new Date(at);
        const seconds = String(Math.floor(at / 1000) % 60).padStart(2, '0');
        expect(dates.dateTime(d, { seconds: true })).toBe(dates.dateTime(d).replace(/(\d{2}:\d{2}) /, `$1:${seconds} `));
      }),
    );
  });

  it('reads as expected around New York\'s spring-forward and fall-back', () => {
    const ny = datesIn('America/New_York');
    expect(ny.dateTime(new Date('2026-03-08T06:59:00Z'))).toBe('Mar 8, 2026, 01:59 EST');
    expect(ny.dateTime(new Date('2026-03-08T07:00:00Z'))).toBe('Mar 8, 2026, 03:00 EDT');
    // 01:30 happens twice on Nov 1; the zone name tells them apart.
    expect(ny.dateTime(new Date('2026-11-01T05:30:00Z'))).toBe('Nov 1, 2026, 01:30 EDT');
    expect(ny.dateTime(new Date('2026-11-01T06:30:00Z'))).toBe('Nov 1, 2026, 01:30 EST');
    expect(datesIn('Asia/Kolkata').dateTime(new Date('2026-01-31T00:05:00Z'))).toBe('Jan 31, 2026, 05:35 GMT+5:30');
    expect(utcDates.dateTime(new Date('2026-03-01T00:05:00Z'))).toBe('Mar 1, 2026, 00:05 UTC');
    expect(utcDates.date(new Date('2026-01-31T23:59:00Z'))).toBe('Jan 31, 2026');
    expect(datesIn('Pacific/Kiritimati').date(new Date('2026-01-31T23:59:00Z'))).toBe('Feb 1, 2026');
  });

  it('says "Invalid Date" for an invalid date rather than throwing', () => {
    for (const zone of ZONES) {
      expect(datesIn(zone).dateTime(new Date(Number.NaN))).toBe('Invalid Date');
      expect(datesIn(zone).date(new Date(Number.NaN))).toBe('Invalid Date');
    }
  });
});

describe('time zone names (R1.5)', () => {
  it('knows every zone the account page offers, UTC first', () => {
    expect(TIME_ZONES[0]).toBe('UTC');
    expect(TIME_ZONES.length).toBeGreaterThan(300);
    for (const zone of TIME_ZONES) expect(isTimeZone(zone), zone).toBe(true);
    // Browsers may report either name of a renamed zone.
    expect(isTimeZone('Asia/Kolkata')).toBe(true);
    expect(isTimeZone('Asia/Calcutta')).toBe(true);
  });

  it('refuses what is not a zone name: offsets, paths, blanks, anything typed', () => {
    for (const bad of ['', ' ', '+05:00', 'GMT+5', 'Europe/', '/etc/passwd', '../UTC', 'Europe/Nowhere', 'utc ', 'Europe/Paris\n', 'x'.repeat(65), 'Europe/Paris; DROP']) {
      expect(isTimeZone(bad), JSON.stringify(bad)).toBe(false);
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (isTimeZone(s)) expect(() => new Intl.DateTimeFormat('en-US', { timeZone: s })).not.toThrow();
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads an unknown zone as UTC rather than failing a page', () => {
    expect(datesIn('Mars/Olympus_Mons').dateTime(new Date('2026-01-31T09:05:00Z'))).toBe('Jan 31, 2026, 09:05 UTC');
  });
});
