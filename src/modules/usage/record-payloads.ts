import type { Knex } from 'knex';
import type { Db, DbOrTrx } from '../../db/knex.ts';
import { lockRow } from '../../db/locks.ts';
import { planOfOwner } from '../billing/limits.ts';
import { billingStatusOf, usagePeriodOf } from '../billing/owner-period.ts';
import { ownerFromColumns, type Owner } from '../resources/owners.ts';
import { incrementUsage, payloadsInPeriod, utcDayStart, type CountedApplication } from './queries.ts';

/** One state a device reported: its data object and when it was measured (null: when we received it). */
export interface DeviceState {
  data: Record<string, unknown>;
  time: Date | null;
}

export type RecordPayloadsResult =
  | { ok: true; accepted: number }
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
 */
export async function recordPayloads(
  db: Db,
  target: { application: CountedApplication; deviceId: number },
  states: readonly DeviceState[],
  now: Date,
): Promise<RecordPayloadsResult> {
  const owner = ownerFromColumns(target.application);
  if ((await billingStatusOf(db, owner)) === 'unpaid') return { ok: false, reason: 'owner_unpaid' };
  const plan = await planOfOwner(db, owner);
  const period = await usagePeriodOf(db, owner, now);
  const receivedAt = now.getTime();
  const rows = states.map((s) => ({
    application_id: target.application.id,
    device_id: target.deviceId,
    time: s.time ? s.time.getTime() : receivedAt,
    received_at: receivedAt,
    data: JSON.stringify(s.data),
  }));

  return db.transaction(async (trx): Promise<RecordPayloadsResult> => {
    if (plan.overageCentsPerMillion === null) {
      // Concurrent requests of one capped owner take turns here (PostgreSQL;
      // SQLite has one writer), so together they cannot pass the cap.
      await lockOwnerRow(trx, owner);
      const used = await payloadsInPeriod(trx, owner, period.start);
      const limit = plan.limits.payloadsPerMonth;
      if (used + rows.length > limit) {
        return { ok: false, reason: 'monthly_payloads_cap', owner, planName: plan.name, limit, used, requested: rows.length, periodEnd: period.end };
      }
    }
    await trx('payloads').insert(rows);
    await updateLatestState(trx, target.deviceId, rows);
    await incrementUsage(trx, { application: target.application, periodStart: period.start, day: utcDayStart(now), payloads: rows.length, rejected: 0 });
    return { ok: true, accepted: rows.length };
  });
}

/**
 * R8.1: a request from a known application that was refused (bad body, too
 * large, over the cap, owner Unpaid, unknown device) counts as rejected in
 * the current period, never as payloads.
 */
export async function recordRejected(db: DbOrTrx, application: CountedApplication, now: Date): Promise<void> {
  const period = await usagePeriodOf(db, ownerFromColumns(application), now);
  await incrementUsage(db, { application, periodStart: period.start, day: utcDayStart(now), payloads: 0, rejected: 1 });
}

/**
 * The device's latest state is the one with the latest time (a backfill of
 * older states does not replace it); among equal times, the last one sent.
 */
async function updateLatestState(trx: Knex.Transaction, deviceId: number, rows: readonly { time: number; data: string }[]) {
  let latest = rows[0];
  for (const row of rows) if (latest === undefined || row.time >= latest.time) latest = row;
  if (!latest) return;
  await trx('devices')
    .where({ id: deviceId })
    .andWhere((q) => q.whereNull('last_seen_at').orWhere('last_seen_at', '<=', latest.time))
    .update({ last_state_json: latest.data, last_seen_at: latest.time });
}

/** The same rows resource limits lock, so limit checks and counting never deadlock one another. */
async function lockOwnerRow(trx: Knex.Transaction, owner: Owner): Promise<void> {
  if (owner.kind === 'sandbox') await lockRow(trx, 'users', { id: owner.userId });
  else await lockRow(trx, 'organizations', { id: owner.organizationId });
}
