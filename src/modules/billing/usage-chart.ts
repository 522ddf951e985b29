import { formatCount, formatDateShort, formatDayShort } from '../../format.ts';

/**
 * The geometry of the usage page's "payloads per day" bar chart (R8.3),
 * computed on the server so the page needs no script and no inline style:
 * the template only draws rectangles at these coordinates (SVG attributes,
 * which the CSP allows). One bar per UTC day the billing period touches;
 * days still to come are drawn as empty slots.
 */

export interface UsageChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  /** "Mar 10" */
  label: string;
  /** "2026-03-10" */
  isoDay: string;
  value: number;
  future: boolean;
}

export interface UsageChart {
  width: number;
  height: number;
  plot: { left: number; right: number; top: number; bottom: number };
  bars: UsageChartBar[];
  maxValue: number;
  total: number;
  firstLabel: string;
  lastLabel: string;
  /** One sentence a screen reader hears for the whole chart. */
  summary: string;
}

const DAY_MS = 86_400_000;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** `series` is one entry per UTC day (00:00 UTC), oldest first; days starting after `now` are the future. */
export function usageChart(series: { day: Date; payloads: number }[], now: Date): UsageChart {
  const width = 720;
  const height = 220;
  const plot = { left: 64, right: width - 8, top: 14, bottom: 184 };
  const maxValue = Math.max(0, ...series.map((s) => s.payloads));
  const total = series.reduce((sum, s) => sum + s.payloads, 0);
  const slot = series.length ? (plot.right - plot.left) / series.length : 0;
  const barWidth = Math.max(1, round1(slot * 0.72));
  const plotHeight = plot.bottom - plot.top;
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const bars = series.map((s, i) => {
    // A day with any payloads gets at least a sliver, so it never reads as zero.
    const h = maxValue === 0 || s.payloads === 0 ? 0 : Math.max(1.5, (s.payloads / maxValue) * plotHeight);
    const barHeight = round1(h);
    return {
      x: round1(plot.left + i * slot + (slot - barWidth) / 2),
      y: round1(plot.bottom - barHeight),
      width: barWidth,
      height: barHeight,
      label: formatDayShort(s.day),
      isoDay: s.day.toISOString().slice(0, 10),
      value: s.payloads,
      future: s.day.getTime() > today,
    };
  });
  const first = series[0]?.day;
  const last = series.at(-1)?.day;
  const range = first && last ? `from ${formatDayShort(first)} to ${formatDateShort(last)}` : '';
  let summary: string;
  if (total === 0) {
    summary = `Payloads per day ${range}: none yet.`;
  } else {
    const peak = bars.reduce((best, b) => (b.value > best.value ? b : best), bars[0]!);
    summary = `Payloads per day ${range}: ${formatCount(total)} in total; the busiest day was ${peak.label} with ${formatCount(peak.value)}.`;
  }
  return {
    width,
    height,
    plot,
    bars,
    maxValue,
    total,
    firstLabel: first ? formatDayShort(first) : '',
    lastLabel: last ? formatDayShort(last) : '',
    summary,
  };
}
