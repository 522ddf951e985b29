import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, MonotonicClock, OffsetClock } from '../../src/clock.ts';
import { parseUtcInstant } from '../../src/modules/admin/schemas.ts';
import { MAX_SHIFT_MS, planShift } from '../../src/modules/admin/shift-clock.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

afterEach(() => {
  vi.useRealTimers();
});

describe('OffsetClock (R11.3)', () => {
  it('is its base plus the offset last read, synchronously', async () => {
    const base = new ManualClock('2026-03-10T09:00:00.000Z');
    let stored = 0;
    const clock = new OffsetClock(async () => stored, base);
    expect(clock.now().toISOString()).toBe('2026-03-10T09:00:00.000Z');
    stored = 2 * DAY;
    expect(clock.now().toISOString()).toBe('2026-03-10T09:00:00.000Z');
    await clock.refresh();
    expect(clock.offsetMs).toBe(2 * DAY);
    expect(clock.now().toISOString()).toBe('2026-03-12T09:00:00.000Z');
    base.advance(HOUR);
    expect(clock.now().toISOString()).toBe('2026-03-12T10:00:00.000Z');
  });

  it('never runs behind its base: a negative or malformed stored offset counts as none', async () => {
    for (const bad of [-DAY, Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
      const clock = new OffsetClock(async () => bad, new ManualClock('2026-01-01T00:00:00Z'));
      await clock.refresh();
      expect(clock.offsetMs, String(bad)).toBe(0);
    }
  });

  it('keeps the latest read when reads answer out of order', async () => {
    const answers: ((v: number) => void)[] = [];
    const clock = new OffsetClock(() => new Promise<number>((resolve) => answers.push(resolve)), new ManualClock());
    const older = clock.refresh();
    const newer = clock.refresh();
    answers[1]!(5 * DAY);
    await newer;
    answers[0]!(DAY);
    await older;
    expect(clock.offsetMs).toBe(5 * DAY);
  });

  it('refreshes on its interval once started, survives a failed read, and stops', async () => {
    vi.useFakeTimers();
    let stored = 0;
    let fail = false;
    const clock = new OffsetClock(
      async () => {
        if (fail) throw new Error('database gone');
        return stored;
      },
      new ManualClock('2026-01-01T00:00:00Z'),
      2_000,
    );
    clock.start();
    stored = HOUR;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(clock.offsetMs).toBe(HOUR);
    fail = true;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(clock.offsetMs).toBe(HOUR);
    fail = false;
    clock.stop();
    stored = DAY;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(clock.offsetMs).toBe(HOUR);
  });
});

describe('planning a clock shift', () => {
  const now = new Date('2026-03-10T09:00:00.000Z');

  it('moves by hours or days, or to a later instant', () => {
    expect(planShift(now, { kind: 'by', amount: 5, unit: 'hours' })).toEqual({ ok: true, from: now, to: new Date('2026-03-10T14:00:00.000Z'), deltaMs: 5 * HOUR });
    expect(planShift(now, { kind: 'by', amount: 31, unit: 'days' })).toMatchObject({ ok: true, to: new Date('2026-04-10T09:00:00.000Z') });
    expect(planShift(now, { kind: 'to', instant: new Date('2026-04-01T00:00:00Z') })).toMatchObject({ ok: true, to: new Date('2026-04-01T00:00:00Z') });
  });

  it('never moves backwards or stays put, and refuses more than the maximum in one shift', () => {
    expect(planShift(now, { kind: 'to', instant: now })).toEqual({ ok: false, reason: 'not_forward' });
    expect(planShift(now, { kind: 'to', instant: new Date('2026-03-01T00:00:00Z') })).toEqual({ ok: false, reason: 'not_forward' });
    expect(planShift(now, { kind: 'by', amount: 0, unit: 'days' })).toEqual({ ok: false, reason: 'not_forward' });
    expect(planShift(now, { kind: 'to', instant: new Date(now.getTime() + MAX_SHIFT_MS + 1) })).toEqual({ ok: false, reason: 'too_far' });
  });

  it('whatever is asked, a planned shift only ever lands later', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10 * 365 * DAY, max: 10 * 365 * DAY }), (delta) => {
        const planned = planShift(now, { kind: 'to', instant: new Date(now.getTime() + delta) });
        if (planned.ok) expect(planned.to.getTime()).toBeGreaterThan(now.getTime());
        else expect(delta <= 0 || delta > MAX_SHIFT_MS).toBe(true);
      }),
    );
  });
});

describe('reading an instant typed in the clock form', () => {
  it('reads datetime-local values and ISO-8601 in UTC', () => {
    expect(parseUtcInstant('2026-04-01T00:00')?.toISOString()).toBe('2026-04-01T00:00:00.000Z');
    expect(parseUtcInstant('2026-04-01 13:45')?.toISOString()).toBe('2026-04-01T13:45:00.000Z');
    expect(parseUtcInstant('2026-04-01T13:45:30Z')?.toISOString()).toBe('2026-04-01T13:45:30.000Z');
    expect(parseUtcInstant('2026-04-01T13:45:30.123Z')?.toISOString()).toBe('2026-04-01T13:45:30.000Z');
  });

  it('refuses what is not one instant in UTC', () => {
    for (const bad of ['', 'tomorrow', '2026-02-30T00:00', '2026-04-01T24:00', '2026-04-01T10:00+02:00', '2026-04-01']) {
      expect(parseUtcInstant(bad), bad).toBeNull();
    }
  });
});

describe('MonotonicClock (the rate limiter’s, R13.3)', () => {
  it('never runs backwards', () => {
    const base = new ManualClock('2026-05-01T00:00:00Z');
    const clock = new MonotonicClock(base);
    expect(clock.now().toISOString()).toBe('2026-05-01T00:00:00.000Z');
    base.set('2026-04-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-05-01T00:00:00.000Z');
    base.set('2026-05-01T00:00:01Z');
    expect(clock.now().toISOString()).toBe('2026-05-01T00:00:01.000Z');
  });
});
