import { setClause, type Sql } from '../../../db/sql.ts';

export type WizardState = 'editing' | 'charging' | 'completed';

export interface Wizard {
  id: number;
  userId: number;
  planCode: string | null;
  name: string;
  description: string;
  iconColor: string | null;
  billingEmail: string | null;
  customerRef: string | null;
  card: { paymentMethodRef: string; brand: string; last4: string; expMonth: number; expYear: number } | null;
  state: WizardState;
  attempt: number;
  chargeKey: string | null;
  chargingSince: Date | null;
  lastError: string | null;
  completedOrganizationId: number | null;
  updatedAt: Date;
}

interface WizardRow {
  id: number;
  user_id: number;
  plan_code: string | null;
  name: string;
  description: string;
  icon_color: string | null;
  billing_email: string | null;
  customer_ref: string | null;
  payment_method_ref: string | null;
  card_brand: string | null;
  card_last4: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  state: WizardState;
  attempt: number;
  charge_key: string | null;
  charging_since: number | null;
  last_error: string | null;
  completed_organization_id: number | null;
  updated_at: number;
}

const toWizard = (r: WizardRow): Wizard => ({
  id: r.id,
  userId: r.user_id,
  planCode: r.plan_code,
  name: r.name,
  description: r.description,
  iconColor: r.icon_color,
  billingEmail: r.billing_email,
  customerRef: r.customer_ref,
  card:
    r.payment_method_ref && r.card_brand && r.card_last4
      ? { paymentMethodRef: r.payment_method_ref, brand: r.card_brand, last4: r.card_last4, expMonth: r.card_exp_month ?? 0, expYear: r.card_exp_year ?? 0 }
      : null,
  state: r.state,
  attempt: r.attempt,
  chargeKey: r.charge_key,
  chargingSince: r.charging_since === null ? null : new Date(r.charging_since),
  lastError: r.last_error,
  completedOrganizationId: r.completed_organization_id,
  updatedAt: new Date(r.updated_at),
});

export async function findWizard(db: Sql, userId: number): Promise<Wizard | undefined> {
  const row = await db.first<WizardRow>('SELECT * FROM organization_wizards WHERE user_id = ?', [userId]);
  return row ? toWizard(row) : undefined;
}

export async function findWizardById(db: Sql, id: number): Promise<Wizard | undefined> {
  const row = await db.first<WizardRow>('SELECT * FROM organization_wizards WHERE id = ?', [id]);
  return row ? toWizard(row) : undefined;
}

export async function insertWizard(db: Sql, userId: number, now: Date): Promise<Wizard> {
  await db.run('INSERT INTO organization_wizards (user_id, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING', [
    userId,
    now.getTime(),
    now.getTime(),
  ]);
  const wizard = await findWizard(db, userId);
  if (!wizard) throw new Error('wizard insert failed');
  return wizard;
}

export async function deleteWizard(db: Sql, id: number): Promise<void> {
  await db.run('DELETE FROM organization_wizards WHERE id = ?', [id]);
}

export type WizardPatch = Partial<{
  plan_code: string | null;
  name: string;
  description: string;
  icon_color: string;
  billing_email: string;
  customer_ref: string;
  payment_method_ref: string | null;
  card_brand: string | null;
  card_last4: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  last_error: string | null;
}>;

/** Updates a wizard that is being edited (never one mid-charge). */
export async function patchWizard(db: Sql, id: number, patch: WizardPatch, now: Date): Promise<boolean> {
  const set = setClause({ ...patch, updated_at: now.getTime() });
  const n = await db.run(`UPDATE organization_wizards SET ${set.sql} WHERE id = ? AND state = 'editing'`, [...set.bindings, id]);
  return n === 1;
}

/**
 * Claims the wizard for one charge attempt and records the idempotency key
 * before the gateway is called (R9.13). Only one request wins the claim.
 */
export async function claimForCharge(db: Sql, wizard: Wizard, now: Date): Promise<string | null> {
  const attempt = wizard.attempt + 1;
  const key = `orgwizard-${wizard.id}-first-charge-${attempt}`;
  const n = await db.run(
    `UPDATE organization_wizards SET state = 'charging', attempt = ?, charge_key = ?, charging_since = ?, last_error = NULL, updated_at = ?
     WHERE id = ? AND state = 'editing' AND attempt = ?`,
    [attempt, key, now.getTime(), now.getTime(), wizard.id, wizard.attempt],
  );
  return n === 1 ? key : null;
}

/** The outcome of the charge is unknown (the gateway did not answer): the same key is tried again. */
export async function markChargeUnknown(db: Sql, id: number, now: Date): Promise<void> {
  await db.run("UPDATE organization_wizards SET charging_since = NULL, updated_at = ? WHERE id = ? AND state = 'charging'", [now.getTime(), id]);
}

export async function releaseAfterFailedCharge(db: Sql, id: number, error: string, now: Date): Promise<void> {
  await db.run(
    "UPDATE organization_wizards SET state = 'editing', charge_key = NULL, charging_since = NULL, last_error = ?, updated_at = ? WHERE id = ? AND state = 'charging'",
    [error.slice(0, 500), now.getTime(), id],
  );
}

export async function markWizardCompleted(db: Sql, id: number, organizationId: number, now: Date): Promise<number> {
  return db.run(
    "UPDATE organization_wizards SET state = 'completed', completed_organization_id = ?, charging_since = NULL, updated_at = ? WHERE id = ? AND state = 'charging'",
    [organizationId, now.getTime(), id],
  );
}

/** Wizards stuck mid-charge since before `olderThan` (a crash, or a lost gateway answer). */
export async function staleChargingWizards(db: Sql, olderThan: Date): Promise<Wizard[]> {
  const rows = await db.rows<WizardRow>("SELECT * FROM organization_wizards WHERE state = 'charging' AND (charging_since IS NULL OR charging_since < ?)", [
    olderThan.getTime(),
  ]);
  return rows.map(toWizard);
}
