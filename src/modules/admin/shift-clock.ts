import { DAY_MS, OffsetClock, systemClock } from '../../clock.ts';
import type { Deps } from '../../deps.ts';
import type { User } from '../accounts/queries.ts';
import { userActor } from '../audit/record.ts';
import { recordAdminEvent } from './events.ts';
import { addToClockOffset, readClockOffset } from './queries/clock-offset.ts';

const HOUR_MS = 3_600_000;
/** One shift moves at most this far, so a typo cannot throw the demo decades ahead. */
export const MAX_SHIFT_MS = 5 * 366 * DAY_MS;

export type ClockShift = { kind: 'by'; amount: number; unit: 'hours' | 'days' } | { kind: 'to'; instant: Date };

export type PlannedShift = { ok: true; from: Date; to: Date; deltaMs: number } | { ok: false; reason: 'not_forward' | 'too_far' };

/** Where a shift would take the application clock from `now`: only ever forward (R11.3). */
export function planShift(now: Date, shift: ClockShift): PlannedShift {
  const deltaMs = shift.kind === 'by' ? shift.amount * (shift.unit === 'hours' ? HOUR_MS : DAY_MS) : shift.instant.getTime() - now.getTime();
  if (!Number.isSafeInteger(deltaMs) || deltaMs <= 0) return { ok: false, reason: 'not_forward' };
  if (deltaMs > MAX_SHIFT_MS) return { ok: false, reason: 'too_far' };
  return { ok: true, from: now, to: new Date(now.getTime() + deltaMs), deltaMs };
}

export type ShiftClockResult = PlannedShift;

/**
 * R11.3: moves the application clock forward by adding to the stored offset
 * (atomically, so two shifts at once both count), logs it in admin_events,
 * and refreshes this instance's clock at once; other instances pick the new
 * offset up within their refresh interval. Outside production only: the
 * routes that call this do not exist in production.
 */
export async function shiftClock(deps: Pick<Deps, 'db' | 'clock'>, input: { admin: User; shift: ClockShift }): Promise<ShiftClockResult> {
  const { db, clock } = deps;
  const planned = planShift(clock.now(), input.shift);
  if (!planned.ok) return planned;
  await db.transaction(async (trx) => {
    const before = await readClockOffset(trx);
    // The real time of the change (the row's bookkeeping), not the application time.
    const changedAt = systemClock.now().getTime();
    await addToClockOffset(trx, planned.deltaMs, changedAt);
    await recordAdminEvent(trx, {
      actor: userActor(input.admin),
      action: 'clock.shifted',
      target: { type: 'clock', label: 'Application clock' },
      before: { applicationTime: planned.from.toISOString(), offsetMs: before },
      after: { applicationTime: planned.to.toISOString(), offsetMs: before + planned.deltaMs },
      at: planned.from,
    });
  });
  if (clock instanceof OffsetClock) await clock.refresh();
  return planned;
}
