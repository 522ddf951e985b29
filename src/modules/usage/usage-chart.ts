import { dailyBarChart, type DailyBarChart } from './daily-chart.ts';

export type UsageChart = DailyBarChart;

/**
 * R8.3: the usage page's "payloads per day" chart over a billing period: one
 * bar per UTC day the period touches; days still to come are empty slots.
 * `series` is one entry per UTC day (00:00 UTC), oldest first.
 */
export function usageChart(series: { day: Date; payloads: number }[], now: Date): UsageChart {
  return dailyBarChart(
    series.map((s) => ({ day: s.day, value: s.payloads })),
    { width: 720, height: 220, plot: { left: 64, right: 712, top: 14, bottom: 184 }, what: 'Payloads', none: 'none yet', now },
  );
}
