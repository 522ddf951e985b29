import { randomBytes } from 'node:crypto';
import { insertSql, type Sql } from '../../db/sql.ts';

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

export async function findPlanByCode(db: Sql, code: string): Promise<Plan | undefined> {
  const row = await db.first<PlanRow>('SELECT * FROM plans WHERE code = ?', [code]);
  return row ? toPlan(row) : undefined;
}

/** The plans an organization may choose: the tiers and its own custom plans (R7.1). */
export async function availablePlans(db: Sql, organizationId: number): Promise<Plan[]> {
  const rows = await db.rows<PlanRow>(
    "SELECT * FROM plans WHERE kind = 'tier' OR (kind = 'custom' AND organization_id = ?) ORDER BY sort_order, id",
    [organizationId],
  );
  return rows.map(toPlan);
}

/** The personal limits every user's Sandbox has (R1.2, R7.2). */
export async function sandboxPlan(db: Sql): Promise<Plan> {
  const plan = await findPlanByCode(db, 'sandbox');
  if (!plan) throw new Error('The sandbox plan is missing: run the migrations');
  return plan;
}

/** The tiers an organization can pick in the wizard, cheapest first. */
export async function listTiers(db: Sql): Promise<Plan[]> {
  const rows = await db.rows<PlanRow>("SELECT * FROM plans WHERE kind = 'tier' ORDER BY sort_order");
  return rows.map(toPlan);
}

/** R3.4: a custom plan for one organization, made by a platform admin. */
export async function insertCustomPlan(
  db: Sql,
  input: {
    organizationId: number;
    plan: { name: string; priceCents: number; limits: Limits; overageCentsPerMillion: number | null; supportLevel: string };
    now: Date;
  },
): Promise<Plan> {
  const p = input.plan;
  const { sql, bindings } = insertSql(
    'plans',
    [
      {
      code: `custom-${input.organizationId}-${randomBytes(5).toString('hex')}`,
      name: p.name,
      kind: 'custom',
      organization_id: input.organizationId,
      price_cents: p.priceCents,
      max_devices: p.limits.devices,
      max_applications: p.limits.applications,
      max_dashboards: p.limits.dashboards,
      max_members: p.limits.members,
      max_payloads_per_month: p.limits.payloadsPerMonth,
      retention_days: p.limits.retentionDays,
      overage_cents_per_million: p.overageCentsPerMillion,
      support_level: p.supportLevel,
      sort_order: 100,
      created_at: input.now.getTime(),
      },
    ],
    '*',
  );
  return toPlan((await db.first<PlanRow>(sql, bindings))!);
}

// ---------------------------------------------------------------------------
// Plans as other modules read them in one statement with their own rows (an
// owner's terms with a device's access key; the back-office's organizations
// list): this module hands out the join. The alias is the caller's.

/** `JOIN plans <alias> ON <alias>.id = <planId>`. */
export const joinPlans = (alias: string, planId: string) => `JOIN plans ${alias} ON ${alias}.id = ${planId}`;

/** `LEFT JOIN plans <alias> ON <alias>.id = <planId>` (an SQL expression). */
export const leftJoinPlans = (alias: string, planId: string) => `LEFT JOIN plans ${alias} ON ${alias}.id = ${planId}`;

/** The Sandbox plan's id as an SQL subquery (every Sandbox is on it, R1.2). */
export const SANDBOX_PLAN_ID_SQL = "(SELECT sp.id FROM plans sp WHERE sp.code = 'sandbox')";

/** The tiers, in their order, for the back-office's plan filter. */
export async function tierNames(db: Sql): Promise<{ code: string; name: string }[]> {
  return db.rows<{ code: string; name: string }>("SELECT code, name FROM plans WHERE kind = 'tier' ORDER BY sort_order");
}

/** The codes of the tiers. */
export async function tierCodes(db: Sql): Promise<string[]> {
  return (await db.rows<{ code: string }>("SELECT code FROM plans WHERE kind = 'tier'")).map((r) => r.code);
}
