import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { formatCount } from '../../format.ts';
import type { User } from '../accounts/queries.ts';
import { planOfOwner } from '../owners/owner.ts';
import { billingStatusOf, usagePeriodOf } from '../owners/owner-period.ts';
import { can, type Role } from '../tenancy/policy.ts';
import { organizationsOfUser } from '../tenancy/queries/organizations.ts';
import { deleteResourceRolesOn } from '../tenancy/queries/memberships.ts';
import { applicationPeriodUsage, moveApplicationUsage, payloadsInPeriod } from '../usage/queries.ts';
import { ownerFormValue, sameOwner, type Owner } from '../owners/columns.ts';
import { countApplicationsOf, countDevicesOf, countDevicesOfApplication, findApplicationOwnedBy, moveApplicationTo } from './queries.ts';
import { auditTransfer, lockBothOwners, ownerLabel, unpaidSide } from '../resources/transfer.ts';

export interface TransferTarget {
  value: string;
  label: string;
  owner: Owner;
}

/** R5.4: where an actor may move a resource: organizations they administer, and their own Sandbox. */
export async function transferTargets(db: Sql, user: User, current: Owner): Promise<TransferTarget[]> {
  const targets: TransferTarget[] = [{ value: 'sandbox', label: 'Your Sandbox', owner: { kind: 'sandbox', userId: user.id } }];
  for (const org of await organizationsOfUser(db, user.id)) {
    if (!can(org.role as Role, 'settings.manage')) continue;
    const owner: Owner = { kind: 'organization', organizationId: org.id };
    // R9.8: an Unpaid organization takes nothing in.
    if ((await billingStatusOf(db, owner)) === 'unpaid') continue;
    targets.push({ value: ownerFormValue(owner), label: org.name, owner });
  }
  return targets.filter((t) => !sameOwner(t.owner, current));
}

export type TransferResult =
  | { ok: true }
  | { ok: false; reason: 'limit'; message: string }
  | { ok: false; reason: 'not_allowed' }
  /** R9.8: one side is an Unpaid organization. */
  | { ok: false; reason: 'owner_unpaid'; side: 'from' | 'to' };

/**
 * R5.4: moves an application with its devices, workflows, keys, stored data
 * and the counters of the current period to another owner, all or nothing.
 * The receiver must stay within every limit of its plan afterwards.
 */
export async function transferApplication(
  db: Sql,
  clock: Clock,
  input: { actor: User; applicationId: number; from: Owner; to: Owner; allowedTargets: TransferTarget[] },
): Promise<TransferResult> {
  if (!input.allowedTargets.some((t) => sameOwner(t.owner, input.to))) return { ok: false, reason: 'not_allowed' };
  const now = clock.now();
  return db.transaction(async (trx) => {
    // Lock both owners in a fixed order so two opposite transfers cannot deadlock.
    await lockBothOwners(trx, input.from, input.to);
    const app = await findApplicationOwnedBy(trx, input.applicationId, input.from);
    if (!app) return { ok: false, reason: 'not_allowed' } as const;
    const unpaid = await unpaidSide(trx, input.from, input.to);
    if (unpaid) return { ok: false, reason: 'owner_unpaid', side: unpaid } as const;

    const devices = await countDevicesOfApplication(trx, app.id);
    const fromPeriod = await usagePeriodOf(trx, input.from, now);
    const toPeriod = await usagePeriodOf(trx, input.to, now);
    const moving = await applicationPeriodUsage(trx, input.from, app.id, fromPeriod.start);
    const movingPayloads = Number(moving?.payloads ?? 0);

    const plan = await planOfOwner(trx, input.to);
    const counts = {
      applications: await countApplicationsOf(trx, input.to),
      devices: await countDevicesOf(trx, input.to),
      payloadsThisPeriod: await payloadsInPeriod(trx, input.to, toPeriod.start),
    };
    const over: string[] = [];
    if (counts.applications + 1 > plan.limits.applications) over.push(`${formatCount(plan.limits.applications)} applications`);
    if (counts.devices + devices > plan.limits.devices) over.push(`${formatCount(plan.limits.devices)} devices`);
    if (plan.overageCentsPerMillion === null && counts.payloadsThisPeriod + movingPayloads > plan.limits.payloadsPerMonth) {
      over.push(`${formatCount(plan.limits.payloadsPerMonth)} payloads this month`);
    }
    if (over.length) {
      const where = input.to.kind === 'sandbox' ? `Your Sandbox (${plan.name} limits)` : `${await ownerLabel(trx, input.to)} on the ${plan.name} plan`;
      return { ok: false, reason: 'limit', message: `${where} allows ${over.join(' and ')}; this application would not fit. Nothing was moved.` } as const;
    }

    await moveApplicationTo(trx, app.id, input.to);
    // From now on its payloads count for the receiver: this period's counter moves with it.
    await moveApplicationUsage(trx, { application: app, from: input.from, to: input.to, fromPeriodStart: fromPeriod.start, toPeriodStart: toPeriod.start, moving });
    // Per-resource roles belong to the old organization's members.
    await deleteResourceRolesOn(trx, 'application', [app.id]);

    await auditTransfer(trx, { actor: input.actor, from: input.from, to: input.to, resource: { type: 'application', id: app.id, name: app.name }, details: { devices }, at: now });
    return { ok: true } as const;
  });
}
