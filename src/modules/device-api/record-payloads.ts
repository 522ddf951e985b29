import type { Sql } from '../../db/sql.ts';
import type { RateLimitRule } from '../rate-limits/gcra.ts';
import type { RateLimiter } from '../rate-limits/limiter.ts';
import { usagePeriodOf, usageTermsAt, type OwnerTerms } from '../owners/owner-period.ts';
import { lockOwner, ownerFromColumns, type Owner } from '../owners/columns.ts';
import { incrementUsage, insertPayloads, payloadsInPeriod, reportWritesPostgres, utcDayStart, type CountedApplication } from '../usage/queries.ts';
import { latestStateWritePostgres, updateLatestState } from '../applications/queries.ts';

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

/** R13.3: the device's rate limit, hit once per report inside its writes. */
export interface ReportRateLimit {
  limiter: RateLimiter;
  rule: RateLimitRule;
  subject: string;
}

/**
 * R8.1, R8.2: stores a device's states as payloads — all of them or none —
 * with the device's latest state and the owner's usage counters, atomically.
 * `target.ownerTerms` are the owner's status, plan and period anchor, read
 * with the access key (one statement for the key's rights and the owner's
 * terms).
 *
 * Any plan without an overage price is a hard cap (R7.1): the Sandbox, and a
 * custom plan made that way. A request that would take the owner over it is
 * refused whole. Plans with an overage price keep accepting over their
 * allotment; the overage is billed at period end.
 *
 * `rateLimit`, when given, is hit first among the writes (the device's rate
 * limit, R13.3): a refusal stores nothing.
 *
 * Statements: on SQLite one transaction — the rate-limit upsert, one
 * multi-row insert, the latest state, two counter upserts. On PostgreSQL,
 * for an owner without a hard cap and the database's rate limiter, all of
 * that is ONE statement (`WITH hit AS (…upsert…), … SELECT`), each write
 * done only if the hit was admitted: one round trip, atomic without BEGIN
 * and COMMIT. A hard cap needs the owner's lock and its count first, so
 * capped owners (and a Redis limiter) keep the transaction.
 */
export async function recordPayloads(
  db: Sql,
  target: { application: CountedApplication; deviceId: number; ownerTerms: OwnerTerms },
  states: readonly DeviceState[],
  now: Date,
  opts: { rateLimit?: ReportRateLimit } = {},
): Promise<RecordPayloadsResult> {
  const owner = ownerFromColumns(target.application);
  const { status, plan, period } = usageTermsAt(target.ownerTerms, now);
  if (status === 'unpaid') return { ok: false, reason: 'owner_unpaid' };
  const receivedAt = now.getTime();
  const rows = states.map((s) => ({ time: s.time ? s.time.getTime() : receivedAt, data: JSON.stringify(s.data) }));
  const postgres = db.postgres;
  const { rateLimit } = opts;
  const day = utcDayStart(now);

  const hit = rateLimit?.limiter.hitStatement?.(rateLimit.rule, rateLimit.subject);
  if (postgres && hit && plan.overageCentsPerMillion !== null) {
    const admitted = 'EXISTS (SELECT 1 FROM hit WHERE hit.admitted = 1)';
    const writes = [
      ...reportWritesPostgres({ application: target.application, deviceId: target.deviceId, rows, receivedAt, periodStart: period.start, day }, admitted),
      latestStateWritePostgres(target.deviceId, rows, admitted),
    ];
    const row = await db.first<{ tat: number | string; admitted: number | string }>(
      `WITH hit AS (${hit.sql}), ${writes.map((w, i) => `w${i} AS (${w.sql})`).join(', ')} SELECT tat, admitted FROM hit`,
      [...hit.bindings, ...writes.flatMap((w) => w.bindings)],
    );
    if (!row) throw new Error('rate limit upsert returned no row');
    const admission = hit.admission(row);
    if (!admission.ok) return { ok: false, reason: 'rate_limited', retryAfterMs: admission.retryAfterMs };
    return { ok: true, accepted: rows.length };
  }

  return db.transaction(async (sql): Promise<RecordPayloadsResult> => {
    if (rateLimit) {
      const admitted = await rateLimit.limiter.take(rateLimit.rule, rateLimit.subject, { within: sql });
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
    await incrementUsage(sql, { application: target.application, periodStart: period.start, day, payloads: rows.length, rejected: 0 });
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
