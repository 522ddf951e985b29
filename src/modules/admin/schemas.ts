import { z } from 'zod';
import { formatCount } from '../../format.ts';
import { formatCents, parseDollars } from '../../money.ts';
import type { CustomPlanDefinition } from './create-custom-plan.ts';
import type { ClockShift } from './shift-clock.ts';

const text = (label: string, max: number) =>
  z
    .string({ error: `Enter ${label}.` })
    .trim()
    .min(1, `Enter ${label}.`)
    .max(max, `Keep ${label} under ${max + 1} characters.`);

/** Dollars as typed ("1,250", "$99.50") to integer cents, within bounds. */
const dollars = (label: string, opts: { min: number; maxCents: number }) =>
  z
    .string({ error: `Enter ${label}.` })
    .trim()
    .min(1, `Enter ${label}.`)
    .transform((v, ctx) => {
      const cents = parseDollars(v);
      if (cents === null) {
        ctx.addIssue({ code: 'custom', message: `Enter ${label} in dollars, like 1,250.00.` });
        return z.NEVER;
      }
      if (cents < opts.min) {
        ctx.addIssue({ code: 'custom', message: `${label[0]!.toUpperCase()}${label.slice(1)} must be more than $0.00.` });
        return z.NEVER;
      }
      if (cents > opts.maxCents) {
        ctx.addIssue({ code: 'custom', message: `${label[0]!.toUpperCase()}${label.slice(1)} can be at most ${formatCents(opts.maxCents)}.` });
        return z.NEVER;
      }
      return cents;
    });

/** A whole number as typed ("25,000,000"). */
const whole = (label: string, min: number, max: number) =>
  z
    .string({ error: `Enter ${label}.` })
    .trim()
    .min(1, `Enter ${label}.`)
    .transform((v, ctx) => {
      const cleaned = v.replace(/[,_\s]/g, '');
      if (!/^\d{1,15}$/.test(cleaned)) {
        ctx.addIssue({ code: 'custom', message: `Enter ${label} as a whole number.` });
        return z.NEVER;
      }
      const n = Number(cleaned);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `Enter ${label} from ${formatCount(min)} to ${formatCount(max)}.` });
        return z.NEVER;
      }
      return n;
    });

export const creditSchema = z.object({
  amount: dollars('the amount', { min: 1, maxCents: 100_000_000 }),
  reason: text('a reason', 500),
});

export const customPlanSchema = z
  .object({
    name: text('a plan name', 100),
    price: dollars('the monthly price', { min: 0, maxCents: 100_000_000 }),
    devices: whole('the device limit', 1, 10_000_000),
    applications: whole('the application limit', 1, 1_000_000),
    dashboards: whole('the dashboard limit', 1, 1_000_000),
    members: whole('the member limit', 1, 1_000_000),
    payloads: whole('the monthly payloads', 1, 1_000_000_000_000),
    retention: whole('the retention in days', 1, 3_650),
    overage: z
      .string()
      .trim()
      .optional()
      .transform((v, ctx) => {
        if (!v) return null;
        const cents = parseDollars(v);
        if (cents === null || cents <= 0 || cents > 10_000_000) {
          ctx.addIssue({ code: 'custom', message: 'Enter the overage price per million payloads in dollars (more than $0.00), or leave it empty for a hard cap.' });
          return z.NEVER;
        }
        return cents;
      }),
    support: text('the support level', 100),
  })
  .transform(
    (v): CustomPlanDefinition => ({
      name: v.name,
      priceCents: v.price,
      limits: {
        devices: v.devices,
        applications: v.applications,
        dashboards: v.dashboards,
        members: v.members,
        payloadsPerMonth: v.payloads,
        retentionDays: v.retention,
      },
      overageCentsPerMillion: v.overage,
      supportLevel: v.support,
    }),
  );

/** The custom plan form's fields as typed, to re-render it with the values kept. */
export const CUSTOM_PLAN_FIELDS = ['name', 'price', 'devices', 'applications', 'dashboards', 'members', 'payloads', 'retention', 'overage', 'support'] as const;

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d{1,3})?(Z|[+-]00:?00)?$/;

/** An instant typed as `2026-04-01T00:00` (a datetime-local field) or ISO-8601 in UTC; read as UTC. */
export function parseUtcInstant(value: string): Date | null {
  const m = INSTANT.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map((x) => (x === undefined ? undefined : x));
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)));
  // Reject dates that rolled over (Feb 30 → Mar 2).
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59) return null;
  return date;
}

export const clockShiftSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('by'),
    amount: whole('how far to move the clock', 1, 100_000),
    unit: z.enum(['hours', 'days'], { error: 'Choose hours or days.' }),
  }),
  z.object({
    mode: z.literal('to'),
    instant: z
      .string({ error: 'Enter the instant to move the clock to.' })
      .trim()
      .min(1, 'Enter the instant to move the clock to.')
      .transform((v, ctx) => {
        const d = parseUtcInstant(v);
        if (!d) {
          ctx.addIssue({ code: 'custom', message: 'Enter the instant as a UTC date and time, like 2026-04-01 00:00.' });
          return z.NEVER;
        }
        return d;
      }),
  }),
]);

export function toClockShift(v: z.output<typeof clockShiftSchema>): ClockShift {
  return v.mode === 'by' ? { kind: 'by', amount: v.amount, unit: v.unit } : { kind: 'to', instant: v.instant };
}
