import { dailyBarChart, type DailyBarChart } from '../usage/daily-chart.ts';
import { utcDayStart } from '../usage/queries.ts';
import { DAY_MS } from '../../clock.ts';

export type DailyChart = DailyBarChart;

/** The `days` UTC days ending with the one containing `now`, oldest first. */
export function lastDays(now: Date, days: number): Date[] {
  const today = utcDayStart(now);
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS));
}

/** A dashboard's "Payloads over time" block (R5.2): the last days, at the block's size. */
export function dailyChart(series: { day: Date; value: number }[], what = 'Payloads'): DailyChart {
  return dailyBarChart(series, { width: 640, height: 200, plot: { left: 56, right: 632, top: 12, bottom: 168 }, what, none: 'none' });
}
