import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import type { Sql } from '../../db/sql.ts';
import { formatCount } from '../../format.ts';
import { formatCents } from '../../money.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor, type AuditActor } from '../audit/record.ts';
import { availablePlans, type Limits, type Plan } from '../plans/queries.ts';
import { organizationHoldings } from './owner-counts.ts';
import { lockAccount } from './charge.ts';
import { findBillingAccount, setAccountPlan } from '../owners/queries/billing-accounts.ts';
import { insertPendingLines } from './queries/lines.ts';
import { insertPlanChange } from './queries/plan-changes.ts';
import { prorationLines, type ProrationLine } from './proration.ts';
import { planInForce } from './plan-in-force.ts';
import { DAY_MS } from '../../clock.ts';
import { applicationIdsOf } from '../applications/queries.ts';
import { countPayloadsOlderThan } from '../usage/queries.ts';


/** How long a shown preview may be confirmed at its own instant, so the invoice carries exactly what was shown. */
export const QUOTE_TTL_MS = 15 * 60_000;

export interface PlanChangePreview {
  from: Plan;
  to: Plan;
  at: Date;
  lines: ProrationLine[];
  netCents: number;
  limitsBefore: Limits;
  limitsAfter: Limits;
  /** Limits the organization's current resources exceed on the new plan: the change is refused (R9.5). */
  exceeded: string[];
  /** The period's payloads already exceed the new allotment: allowed, with a warning. */
  payloadWarning: string | null;
  /**
   * Stored payloads older than the new (shorter) retention, which the next
   * purge removes; null when none would be (the retention is not shorter, or
   * nothing stored is that old), so no warning is shown for nothing.
   */
  agingOutPayloads: number | null;
}

/** R9.5: a change to the plan the organization is on already is no change; every caller asks this. */
export const isCurrentPlan = (account: { planId: number }, plan: { id: number }) => account.planId === plan.id;

/** R9.5: the exact lines and consequences of switching to `to` at `at`. */
export async function previewPlanChange(db: Sql, organizationId: number, to: Plan, at: Date): Promise<PlanChangePreview> {
  const account = await findBillingAccount(db, organizationId);
  if (!account) throw new Error('no billing account');
  const from = await planInForce(db, organizationId, at);
  const lines = prorationLines(from, to, at, { start: account.currentPeriodStart, end: account.currentPeriodEnd });
  const counts = await organizationHoldings(db, organizationId, at);
  const exceeded: string[] = [];
  const check = (label: string, used: number, limit: number) => {
    if (used > limit) exceeded.push(`${label}: ${formatCount(used)} in use, ${to.name} allows ${formatCount(limit)}`);
  };
  check('Devices', counts.devices, to.limits.devices);
  check('Applications', counts.applications, to.limits.applications);
  check('Dashboards', counts.dashboards, to.limits.dashboards);
  check('Members (with pending invitations)', counts.members + counts.openInvitations, to.limits.members);
  const payloadWarning =
    counts.payloadsThisPeriod > to.limits.payloadsPerMonth
      ? `This period already has ${formatCount(counts.payloadsThisPeriod)} payloads, more than the ${formatCount(to.limits.payloadsPerMonth)} of ${to.name}: overage may be charged at the end of the period.`
      : null;
  let agingOutPayloads: number | null = null;
  if (to.limits.retentionDays < from.limits.retentionDays) {
    const cutoff = at.getTime() - to.limits.retentionDays * DAY_MS;
    const n = await countPayloadsOlderThan(db, await applicationIdsOf(db, { kind: 'organization', organizationId }), cutoff);
    agingOutPayloads = n > 0 ? n : null;
  }
  return {
    from,
    to,
    at,
    lines,
    netCents: lines.reduce((s, l) => s + l.amountCents, 0),
    limitsBefore: from.limits,
    limitsAfter: to.limits,
    exceeded,
    payloadWarning,
    agingOutPayloads,
  };
}

/** A signed quote binds a confirmation to the instant (and so the amounts) the preview showed. */
export function signQuote(secret: string, organizationId: number, planId: number, at: Date): string {
  const payload = `${organizationId}:${planId}:${at.getTime()}`;
  return `${at.getTime()}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

export function verifyQuote(secret: string, organizationId: number, planId: number, quote: unknown, now: Date): Date | null {
  if (typeof quote !== 'string' || !/^\d{1,16}\.[A-Za-z0-9_-]{43}$/.test(quote)) return null;
  const at = new Date(Number(quote.split('.')[0]));
  const expected = signQuote(secret, organizationId, planId, at);
  const ok = expected.length === quote.length && timingSafeEqual(Buffer.from(expected), Buffer.from(quote));
  if (!ok || at.getTime() > now.getTime() || now.getTime() - at.getTime() > QUOTE_TTL_MS) return null;
  return at;
}

export type ChangePlanResult =
  | { ok: true; preview: PlanChangePreview }
  | { ok: false; reason: 'same_plan' | 'unknown_plan' | 'period_changed' }
  | { ok: false; reason: 'exceeds_limits'; exceeded: string[] };

/**
 * R9.5: switches the plan at once; the two proration lines of the preview go
 * on the next invoice. Refused when current resources exceed the new limits.
 * `at` is the instant the customer saw the preview of (signed quote), so the
 * invoice carries exactly the amounts shown.
 */
export async function changePlan(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { organizationId: number; planId: number; at: Date; actor: User | AuditActor },
): Promise<ChangePlanResult> {
  const { db, clock } = deps;
  return db.transaction(async (trx) => {
    await lockAccount(trx, input.organizationId);
    const plans = await availablePlans(trx, input.organizationId);
    const to = plans.find((p) => p.id === input.planId);
    if (!to) return { ok: false, reason: 'unknown_plan' } as const;
    const account = await findBillingAccount(trx, input.organizationId);
    if (!account) return { ok: false, reason: 'unknown_plan' } as const;
    if (input.at.getTime() < account.currentPeriodStart.getTime() || input.at.getTime() >= account.currentPeriodEnd.getTime()) {
      return { ok: false, reason: 'period_changed' } as const;
    }
    if (isCurrentPlan(account, to)) return { ok: false, reason: 'same_plan' } as const;
    const preview = await previewPlanChange(trx, input.organizationId, to, input.at);
    if (preview.exceeded.length) return { ok: false, reason: 'exceeds_limits', exceeded: preview.exceeded } as const;
    const now = clock.now();
    await setAccountPlan(trx, input.organizationId, to.id, now);
    await insertPlanChange(trx, { organizationId: input.organizationId, planId: to.id, effectiveAt: input.at, actorUserId: 'id' in input.actor ? input.actor.id : input.actor.userId });
    await insertPendingLines(trx, input.organizationId, preview.lines, input.at);
    await recordAudit(trx, {
      organizationId: input.organizationId,
      actor: 'email' in input.actor ? userActor(input.actor) : input.actor,
      action: 'billing.plan_changed',
      target: { type: 'plan', id: to.id, label: to.name },
      before: { plan: preview.from.name, price: formatCents(preview.from.priceCents) },
      after: { plan: to.name, price: formatCents(to.priceCents), prorationCredit: formatCents(preview.lines[0]!.amountCents), prorationCharge: formatCents(preview.lines[1]!.amountCents) },
      at: now,
    });
    return { ok: true, preview } as const;
  });
}
