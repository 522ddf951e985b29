/**
 * Billing periods (R9.2): calendar months from the anchor instant, in UTC. A
 * day the month lacks falls on that month's last day, and every boundary is
 * computed from the anchor — never from the previous boundary — so Jan 31
 * gives Feb 28 (or 29), then Mar 31.
 */

export interface Period {
  index: number;
  start: Date;
  end: Date;
}

/** The anchor moved forward by `months` calendar months, clamped to the month's last day. */
export function addMonthsClamped(anchor: Date, months: number): Date {
  const y = anchor.getUTCFullYear();
  const m = anchor.getUTCMonth() + months;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(anchor.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(
      targetYear,
      targetMonth,
      day,
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
}

/** Period number `index` (0 is the first) of an anchor. */
export function periodAt(anchor: Date, index: number): Period {
  return { index, start: addMonthsClamped(anchor, index), end: addMonthsClamped(anchor, index + 1) };
}

/** The period containing `instant` (instants before the anchor belong to period 0). */
export function periodContaining(anchor: Date, instant: Date): Period {
  const t = instant.getTime();
  const months =
    (instant.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (instant.getUTCMonth() - anchor.getUTCMonth());
  let index = Math.max(0, months - 1);
  while (addMonthsClamped(anchor, index + 1).getTime() <= t) index++;
  while (index > 0 && addMonthsClamped(anchor, index).getTime() > t) index--;
  return periodAt(anchor, index);
}
