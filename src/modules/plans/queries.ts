import type { DbOrTrx } from '../../db/knex.ts';
import { statementsOf, type Executor } from '../../db/sql.ts';

export interface Limits {
  devices: number;
  applications: number;
  dashboards: number;
  members: number;
  payloadsPerMonth: number;
  retentionDays: number;
}

export interface Plan {
  id: number;
  code: string;
  name: string;
  kind: 'personal' | 'tier' | 'custom';
  priceCents: number;
  limits: Limits;
  /** Cents per million payloads over the allotment; null is a hard cap (R7.1). */
  overageCentsPerMillion: number | null;
  supportLevel: string;
}

export interface PlanRow {
  id: number;
  code: string;
  name: string;
  kind: Plan['kind'];
  price_cents: number;
  max_devices: number;
  max_applications: number;
  max_dashboards: number;
  max_members: number;
  max_payloads_per_month: number;
  retention_days: number;
  overage_cents_per_million: number | null;
  support_level: string;
}

export const toPlan = (r: PlanRow): Plan => ({
  id: r.id,
  code: r.code,
  name: r.name,
  kind: r.kind,
  priceCents: r.price_cents,
  limits: {
    devices: r.max_devices,
    applications: r.max_applications,
    dashboards: r.max_dashboards,
    members: r.max_members,
    payloadsPerMonth: Number(r.max_payloads_per_month),
    retentionDays: r.retention_days,
  },
  overageCentsPerMillion: r.overage_cents_per_million,
  supportLevel: r.support_level,
});

export async function findPlanByCode(db: Executor, code: string): Promise<Plan | undefined> {
  const row = await statementsOf(db).first<PlanRow>('SELECT * FROM plans WHERE code = ?', [code]);
  return row ? toPlan(row) : undefined;
}

/** The personal limits every user's Sandbox has (R1.2, R7.2). */
export async function sandboxPlan(db: Executor): Promise<Plan> {
  const plan = await findPlanByCode(db, 'sandbox');
  if (!plan) throw new Error('The sandbox plan is missing: run the migrations');
  return plan;
}

/** The tiers an organization can pick in the wizard, cheapest first. */
export async function listTiers(db: DbOrTrx): Promise<Plan[]> {
  const rows = await db<PlanRow>('plans').where({ kind: 'tier' }).orderBy('sort_order');
  return rows.map(toPlan);
}
