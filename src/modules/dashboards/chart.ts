import { formatCount, formatDateShort, formatDayShort } from '../../format.ts';

/**
 * The geometry of a "Payloads over time" bar chart, computed on the server so
 * the page needs no script and no inline style: the template only draws
 * rectangles at these coordinates (SVG attributes, allowed by the CSP).
 */

export interface ChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  isoDay: string;
  value: number;
  /** "1,200" */
  valueText: string;
}

export interface DailyChart {
  width: number;
  height: number;
  plot: { left: number; right: number; top: number; bottom: number };
  bars: ChartBar[];
  maxValue: number;
  total: number;
  /** The counts as the partial prints them (it gets no helpers of its own). */
  maxValueText: string;
  totalText: string;
  firstLabel: string;
  lastLabel: string;
  /** One sentence a screen reader hears for the whole chart. */
  summary: string;
}

const DAY_MS = 86_400_000;

/** The start (00:00 UTC) of the day containing `instant`. */
export function utcDayStart(instant: Date): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
}

/** The `days` UTC days ending with the one containing `now`, oldest first. */
export function lastDays(now: Date, days: number): Date[] {
  const today = utcDayStart(now).getTime();
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS));
}

export function dailyChart(series: { day: Date; value: number }[], what = 'Payloads'): DailyChart {
  const width = 640;
  const height = 200;
  const plot = { left: 56, right: width - 8, top: 12, bottom: 168 };
  const maxValue = Math.max(0, ...series.map((s) => s.value));
  const total = series.reduce((sum, s) => sum + s.value, 0);
  const slot = series.length ? (plot.right - plot.left) / series.length : 0;
  const barWidth = Math.max(1, Math.round(slot * 0.72 * 10) / 10);
  const plotHeight = plot.bottom - plot.top;
  const bars = series.map((s, i) => {
    // A day with any payloads gets at least a sliver, so it never looks like zero.
    const h = maxValue === 0 ? 0 : s.value === 0 ? 0 : Math.max(1.5, (s.value / maxValue) * plotHeight);
    const barHeight = Math.round(h * 10) / 10;
    return {
      x: Math.round((plot.left + i * slot + (slot - barWidth) / 2) * 10) / 10,
      y: Math.round((plot.bottom - barHeight) * 10) / 10,
      width: barWidth,
      height: barHeight,
      label: formatDayShort(s.day),
      isoDay: s.day.toISOString().slice(0, 10),
      value: s.value,
      valueText: formatCount(s.value),
    };
  });
  const first = series[0]?.day;
  const last = series.at(-1)?.day;
  const firstLabel = first ? formatDayShort(first) : '';
  const lastLabel = last ? formatDayShort(last) : '';
  const range = first && last ? `from ${formatDayShort(first)} to ${formatDateShort(last)}` : '';
  let summary: string;
  if (total === 0) {
    summary = `${what} per day ${range}: none.`;
  } else {
    const peak = bars.reduce((best, b) => (b.value > best.value ? b : best), bars[0]!);
    summary = `${what} per day ${range}: ${formatCount(total)} in total; the busiest day was ${peak.label} with ${formatCount(peak.value)}.`;
  }
  return { width, height, plot, bars, maxValue, total, maxValueText: formatCount(maxValue), totalText: formatCount(total), firstLabel, lastLabel, summary };
}
