import type { Sql } from '../../db/sql.ts';
import type { Admission } from '../rate-limits/gcra.ts';
import { ownerUsageTerms, usagePeriodOf } from '../owners/owner-period.ts';
import { lockOwner, ownerFromColumns, type Owner } from '../owners/columns.ts';
import { incrementUsage, insertPayloads, payloadsInPeriod, utcDayStart, type CountedApplication } from '../usage/queries.ts';
import { updateLatestState } from '../applications/queries.ts';

/** One state a device reported: its data object and when it was measured (null: when we received it). */
export interface DeviceState {
  data: Record<string, unknown>;
  time: Date | null;
}

export type RecordPayloadsResult =
  | { ok: true; accepted: number }
  /** R13.3: the device's rate limit refused the report; nothing is stored. */
  | { ok: false; reason: 'rate_limited'; retryAfterMs: number }
  /** R9.8: the owning organization is Unpaid; nothing is stored. */
  | { ok: false; reason: 'owner_unpaid' }
  /** R7.1: the owner's plan is a hard cap and this request would go over it; nothing is stored. */
  | {
      ok: false;
      reason: 'monthly_payloads_cap';
      owner: Owner;
      planName: string;
      limit: number;
      used: number;
      requested: number;
      periodEnd: Date;
    };

/**
 * R8.1, R8.2: stores a device's states as payloads — all of them or none —
 * with the device's latest state and the owner's usage counters, in one
 * transaction.
 *
 * Any plan without an overage price is a hard cap (R7.1): the Sandbox, and a
 * custom plan made that way. A request that would take the owner over it is
 * refused whole. Plans with an overage price keep accepting over their
 * allotment; the overage is billed at period end.
 *
 * `admit`, when given, runs first inside the transaction (the device's rate
 * limit, R13.3): a refusal stores nothing.
 */
export async function recordPayloads(
  db: Sql,
  target: { application: CountedApplication; deviceId: number },
  states: readonly DeviceState[],
  now: Date,
  opts: { admit?: (sql: Sql) => Promise<Admission> } = {},
): Promise<RecordPayloadsResult> {
  const owner = ownerFromColumns(target.application);
  const { status, plan, period } = await ownerUsageTerms(db, owner, now);
  if (status === 'unpaid') return { ok: false, reason: 'owner_unpaid' };
  const receivedAt = now.getTime();
  const rows = states.map((s) => ({ time: s.time ? s.time.getTime() : receivedAt, data: JSON.stringify(s.data) }));
  const postgres = db.postgres;

  return db.transaction(async (sql): Promise<RecordPayloadsResult> => {
    if (opts.admit) {
      const admitted = await opts.admit(sql);
      if (!admitted.ok) return { ok: false, reason: 'rate_limited', retryAfterMs: admitted.retryAfterMs };
    }
    if (plan.overageCentsPerMillion === null) {
      // Concurrent requests of one capped owner take turns here (PostgreSQL;
      // SQLite has one writer), so together they cannot pass the cap.
      await lockOwner(sql, owner);
      const used = await payloadsInPeriod(sql, owner, period.start);
      const limit = plan.limits.payloadsPerMonth;
      if (used + rows.length > limit) {
        return { ok: false, reason: 'monthly_payloads_cap', owner, planName: plan.name, limit, used, requested: rows.length, periodEnd: period.end };
      }
    }
    await insertPayloads(sql, { applicationId: target.application.id, deviceId: target.deviceId }, rows, receivedAt, postgres);
    await updateLatestState(sql, target.deviceId, rows);
    await incrementUsage(sql, { application: target.application, periodStart: period.start, day: utcDayStart(now), payloads: rows.length, rejected: 0 });
    return { ok: true, accepted: rows.length };
  });
}

/**
 * R8.1: a request from a known application that was refused (bad body, too
 * large, over the cap, owner Unpaid, unknown device) counts as rejected in
 * the current period, never as payloads.
 */
export async function recordRejected(db: Sql, application: CountedApplication, now: Date): Promise<void> {
  const period = await usagePeriodOf(db, ownerFromColumns(application), now);
  await incrementUsage(db, { application, periodStart: period.start, day: utcDayStart(now), payloads: 0, rejected: 1 });
}
