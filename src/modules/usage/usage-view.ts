import { formatCount, type Dates } from '../../format.ts';
import { formatCents } from '../../money.ts';
import type { Limits } from '../plans/queries.ts';
import type { UsageProjection } from './projection.ts';
import { DAY_MS } from '../../clock.ts';

/**
 * How the usage page reads (R8.3): each count against its plan limit, and
 * the projection in words. Pure; the template only places these values.
 */

export interface LimitRow {
  key: 'devices' | 'applications' | 'dashboards' | 'members' | 'payloads';
  label: string;
  used: number;
  limit: number;
  usedText: string;
  limitText: string;
  /** "12%", "<1%"; over 100% when payloads pass the allotment. */
  shareText: string;
  /** <meter> attributes: the value is clamped to the limit; the text says by how much it is over. */
  meter: { value: number; max: number; low: number; high: number };
  over: boolean;
  note: string;
}

function shareText(used: number, limit: number): string {
  if (limit <= 0) return used > 0 ? 'over' : '0%';
  const pct = (used / limit) * 100;
  if (used > 0 && pct < 1) return '<1%';
  return `${Math.floor(pct)}%`;
}

function row(key: LimitRow['key'], label: string, used: number, limit: number, note = ''): LimitRow {
  const max = Math.max(1, limit);
  return {
    key,
    label,
    used,
    limit,
    usedText: formatCount(used),
    limitText: formatCount(limit),
    shareText: shareText(used, limit),
    meter: { value: Math.min(used, max), max, low: Math.floor(max * 0.75), high: Math.floor(max * 0.9) },
    over: used > limit,
    note,
  };
}

export function limitRows(input: {
  limits: Limits;
  devices: number;
  applications: number;
  dashboards: number;
  members: number;
  openInvitations: number;
  payloads: number;
  hardCap: boolean;
}): LimitRow[] {
  const { limits } = input;
  const overBy = input.payloads - limits.payloadsPerMonth;
  const payloadNote =
    overBy > 0
      ? input.hardCap
        ? `Allotment reached: further payloads are refused until the period ends.`
        : `${formatCount(overBy)} over the monthly allotment; the overage is billed at period end.`
      : 'Monthly allotment, renewed each billing period.';
  const invitations = input.openInvitations;
  return [
    row('devices', 'Devices', input.devices, limits.devices),
    row('applications', 'Applications', input.applications, limits.applications),
    row('dashboards', 'Dashboards', input.dashboards, limits.dashboards),
    row(
      'members',
      'Members',
      input.members + invitations,
      limits.members,
      invitations > 0 ? `${formatCount(input.members)} members and ${formatCount(invitations)} pending invitation${invitations === 1 ? '' : 's'}, which count toward the limit.` : '',
    ),
    row('payloads', 'Payloads this period', input.payloads, limits.payloadsPerMonth, payloadNote),
  ];
}

export function periodText(period: { start: Date; end: Date }, now: Date, dates: Dates) {
  const totalDays = Math.round((period.end.getTime() - period.start.getTime()) / DAY_MS);
  const elapsed = Math.min(period.end.getTime(), Math.max(period.start.getTime(), now.getTime())) - period.start.getTime();
  const day = Math.min(totalDays, Math.floor(elapsed / DAY_MS) + 1);
  return {
    start: dates.dateTime(period.start),
    end: dates.dateTime(period.end),
    startIso: period.start.toISOString(),
    endIso: period.end.toISOString(),
    progress: `Day ${day} of ${totalDays}`,
  };
}

/** The projection of R8.3 in words. */
export function projectionText(p: UsageProjection, periodEnd: Date, dates: Dates) {
  const by = dates.dateTime(periodEnd);
  const headline =
    p.elapsedShare >= 1
      ? `The period has ended with ${formatCount(p.payloadsSoFar)} payloads.`
      : p.payloadsSoFar === 0
        ? `No payloads yet this period, so none are projected by ${by}.`
        : `At the current pace, about ${formatCount(p.projectedPayloads)} payloads by the end of the period (${by}).`;
  const allotment = `Your plan includes ${formatCount(p.allotment)} payloads a month.`;
  if (p.overage.kind === 'hard_cap') {
    return {
      headline,
      allotment,
      projected: formatCount(p.projectedPayloads),
      overage: 'No overage: your plan has a hard cap. Payloads over the monthly allotment are refused, never billed.',
      overageCost: null,
      soFar: null,
    };
  }
  const o = p.overage;
  const rate = `${formatCents(o.centsPerMillion)} / million`;
  return {
    headline,
    allotment,
    projected: formatCount(p.projectedPayloads),
    overage:
      o.projectedOver > 0
        ? `Projected overage: ${formatCount(o.projectedOver)} payloads over the allotment at ${rate} = ${formatCents(o.projectedCents)}, billed on the invoice at period end.`
        : `No overage projected: payloads over the allotment would cost ${rate}.`,
    overageCost: formatCents(o.projectedCents),
    soFar: o.overSoFar > 0 ? `Overage so far: ${formatCount(o.overSoFar)} payloads = ${formatCents(o.centsSoFar)}.` : null,
  };
}
