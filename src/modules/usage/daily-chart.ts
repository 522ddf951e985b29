import { formatCount, utcDates } from '../../format.ts';
import { utcDayStart } from './queries.ts';

/**
 * The geometry of a "payloads per day" bar chart (R8.3, R5.2), computed on
 * the server so the page needs no script and no inline style: the template
 * only draws rectangles at these coordinates (SVG attributes, which the CSP
 * allows). The usage page and dashboard blocks draw it at their own sizes.
 */

export interface DailyBar {
  x: number;
  y: number;
  width: number;
  height: number;
  /** "Mar 10" */
  label: string;
  /** "2026-03-10" */
  isoDay: string;
  value: number;
  /** "1,200" */
  valueText: string;
  /** A day that starts after `now` (an empty slot still to come). */
  future: boolean;
}

export interface DailyBarChart {
  width: number;
  height: number;
  plot: { left: number; right: number; top: number; bottom: number };
  bars: DailyBar[];
  maxValue: number;
  total: number;
  /** The counts as a partial prints them (partials get no helpers of their own). */
  maxValueText: string;
  totalText: string;
  firstLabel: string;
  lastLabel: string;
  /** One sentence a screen reader hears for the whole chart. */
  summary: string;
}

export interface DailyBarChartLayout {
  width: number;
  height: number;
  /** Margins of the plot inside the chart. */
  plot: { left: number; right: number; top: number; bottom: number };
  /** What is counted, for the summary: "Payloads". */
  what: string;
  /** The summary's words for a chart of zeros: "none", "none yet". */
  none: string;
  /** Days starting after this are marked `future`. */
  now?: Date;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** `series` is one entry per UTC day (00:00 UTC), oldest first. */
export function dailyBarChart(series: { day: Date; value: number }[], layout: DailyBarChartLayout): DailyBarChart {
  const { width, height, plot } = layout;
  const maxValue = Math.max(0, ...series.map((s) => s.value));
  const total = series.reduce((sum, s) => sum + s.value, 0);
  const slot = series.length ? (plot.right - plot.left) / series.length : 0;
  const barWidth = Math.max(1, round1(slot * 0.72));
  const plotHeight = plot.bottom - plot.top;
  const today = layout.now ? utcDayStart(layout.now) : Infinity;
  const bars = series.map((s, i) => {
    // A day with any payloads gets at least a sliver, so it never reads as zero.
    const barHeight = round1(maxValue === 0 || s.value === 0 ? 0 : Math.max(1.5, (s.value / maxValue) * plotHeight));
    return {
      x: round1(plot.left + i * slot + (slot - barWidth) / 2),
      y: round1(plot.bottom - barHeight),
      width: barWidth,
      height: barHeight,
      label: utcDates.day(s.day),
      isoDay: s.day.toISOString().slice(0, 10),
      value: s.value,
      valueText: formatCount(s.value),
      future: s.day.getTime() > today,
    };
  });
  const first = series[0]?.day;
  const last = series.at(-1)?.day;
  const range = first && last ? `from ${utcDates.day(first)} to ${utcDates.date(last)}` : '';
  let summary: string;
  if (total === 0) {
    summary = `${layout.what} per day ${range}: ${layout.none}.`;
  } else {
    const peak = bars.reduce((best, b) => (b.value > best.value ? b : best), bars[0]!);
    summary = `${layout.what} per day ${range}: ${formatCount(total)} in total; the busiest day was ${peak.label} with ${formatCount(peak.value)}.`;
  }
  return {
    width,
    height,
    plot,
    bars,
    maxValue,
    total,
    maxValueText: formatCount(maxValue),
    totalText: formatCount(total),
    firstLabel: first ? utcDates.day(first) : '',
    lastLabel: last ? utcDates.day(last) : '',
    summary,
  };
}
