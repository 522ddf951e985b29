import type { Deps } from '../../deps.ts';
import { formatCents } from '../../money.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit } from '../audit/record.ts';
import { insertCustomPlan, type Limits, type Plan } from '../plans/queries.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';
import { adminActor } from './events.ts';

export interface CustomPlanDefinition {
  name: string;
  priceCents: number;
  limits: Limits;
  /** Cents per million payloads over the allotment; null is a hard cap (R7.1). */
  overageCentsPerMillion: number | null;
  supportLevel: string;
}

export type CreateCustomPlanResult = { ok: true; plan: Plan } | { ok: false; reason: 'not_found' | 'deleted' };

/**
 * R7.1, R11.2: a custom (Enterprise) plan for one organization. It becomes
 * one of that organization's plans; switching to it is a plan change like
 * any other (previewed, prorated, confirmed).
 */
export async function createCustomPlan(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { organizationId: number; plan: CustomPlanDefinition; admin: User; inquiryId?: number | null },
): Promise<CreateCustomPlanResult> {
  const { db, clock } = deps;
  const now = clock.now();
  const p = input.plan;
  return db.transaction(async (trx) => {
    const org = await findOrganizationById(trx, input.organizationId);
    if (!org) return { ok: false, reason: 'not_found' } as const;
    if (org.deletedAt) return { ok: false, reason: 'deleted' } as const;
    const plan = await insertCustomPlan(trx, { organizationId: org.id, plan: p, now });
    await recordAudit(trx, {
      organizationId: org.id,
      actor: adminActor(input.admin),
      action: 'plan.custom_created',
      target: { type: 'plan', id: plan.id, label: plan.name },
      after: {
        price: formatCents(plan.priceCents),
        ...plan.limits,
        overagePerMillion: plan.overageCentsPerMillion === null ? 'hard cap' : formatCents(plan.overageCentsPerMillion),
        support: plan.supportLevel,
        ...(input.inquiryId ? { inquiry: input.inquiryId } : {}),
      },
      at: now,
    });
    return { ok: true, plan } as const;
  });
}
