// R8.1, R13.2: the times of a device's states. parseIsoDateTime runs up to
// 100 times a request (issue #9), so it was rewritten without temporary
// arrays and Dates; these properties pin it to the calendar and to the
// straightforward version it replaced.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIsoDateTime, parseStates } from '../../src/modules/device-api/states.ts';

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i;

/** The version before issue #9, kept as the reference. */
function reference(value: string): Date | null {
  const m = ISO.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const [offsetHours, offsetMins] = [Number(m[10]), Number(m[11])];
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return ms < 0 ? null : new Date(ms);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const isoLike = fc
  .record({
    year: fc.integer({ min: 1960, max: 2400 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.option(fc.integer({ min: 0, max: 61 })),
    fraction: fc.option(fc.stringMatching(/^\d{1,9}$/)),
    zone: fc.oneof(
      fc.constantFrom('Z', 'z'),
      fc.record({ sign: fc.constantFrom('+', '-'), h: fc.integer({ min: 0, max: 25 }), m: fc.integer({ min: 0, max: 61 }), colon: fc.boolean() }),
    ),
  })
  .map(({ year, month, day, hour, minute, second, fraction, zone }) => {
    const time = `${pad(hour, 2)}:${pad(minute, 2)}${second === null ? '' : `:${pad(second, 2)}${fraction === null ? '' : `.${fraction}`}`}`;
    const z = typeof zone === 'string' ? zone : `${zone.sign}${pad(zone.h, 2)}${zone.colon ? ':' : ''}${pad(zone.m, 2)}`;
    return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}${z}`;
  });

describe('parseIsoDateTime (R8.1)', () => {
  it('answers what the reference answers, for dates valid and not', () => {
    fc.assert(
      fc.property(isoLike, (text) => {
        expect(parseIsoDateTime(text)?.getTime() ?? null).toBe(reference(text)?.getTime() ?? null);
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with Date.parse on every valid instant it is given', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-12-31T23:59:59.999Z'), noInvalidDate: true }), (d) => {
        expect(parseIsoDateTime(d.toISOString())?.getTime()).toBe(d.getTime());
      }),
    );
  });

  it.each([
    ['2024-02-29T00:00:00Z', true],
    ['2023-02-29T00:00:00Z', false],
    ['2000-02-29T12:00:00Z', true],
    ['2100-02-29T12:00:00Z', false],
    ['2026-04-31T00:00:00Z', false],
    ['2026-12-31T23:59:59.999999999+14:00', true],
    ['1969-12-31T23:59:59Z', false],
    ['2026-03-10T09:00:00', false],
  ])('%s is %s', (text, valid) => {
    expect(parseIsoDateTime(text) !== null).toBe(valid);
  });
});

describe('parseStates (R8.1, R13.2)', () => {
  const now = new Date('2026-03-10T09:00:00Z');
  it('names the place of the first bad state', () => {
    expect(parseStates([{ data: {} }, { data: 1 }], now)).toEqual({ ok: false, message: '[1].data must be a JSON object, like { "temperature": 21.5 }.' });
    expect(parseStates([{ data: {} }, 5], now)).toMatchObject({ ok: false, message: expect.stringMatching(/^\[1\] must be a JSON object/) });
    expect(parseStates({ data: {}, extra: 1 }, now)).toMatchObject({ ok: false, message: expect.stringMatching(/^The body has an unexpected field "extra"/) });
    expect(parseStates({ data: {}, time: 'yesterday' }, now)).toMatchObject({ ok: false, message: expect.stringMatching(/^"time" must be an ISO-8601/) });
  });
  it('keeps every state of a valid report, in order', () => {
    const body = Array.from({ length: 100 }, (_, i) => ({ data: { i }, time: new Date(now.getTime() - i * 1000).toISOString() }));
    const parsed = parseStates(body, now);
    expect(parsed.ok && parsed.states.map((s) => [s.data.i, s.time?.getTime()])).toEqual(body.map((b, i) => [i, now.getTime() - i * 1000]));
  });
});
