import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import type { User } from '../accounts/queries.ts';
import { findPlanByCode } from '../plans/queries.ts';
import { DEFAULT_ICON_COLOR } from '../tenancy/icon.ts';
import { findOrganizationById } from '../tenancy/queries/organizations.ts';
import { deleteWizard, findWizard, insertWizard, patchWizard, type Wizard } from './queries/wizards.ts';

/**
 * The user's creation wizard (R3.4), started on first visit. A finished one
 * is put away when the user starts again, so the next organization begins
 * from a clean form.
 */
export async function openWizard(db: Sql, clock: Clock, user: User, opts: { restartCompleted: boolean }): Promise<Wizard> {
  let wizard = await findWizard(db, user.id);
  if (wizard && wizard.state === 'completed' && opts.restartCompleted) {
    await deleteWizard(db, wizard.id);
    wizard = undefined;
  }
  if (!wizard) {
    wizard = await insertWizard(db, user.id, clock.now());
    await patchWizard(db, wizard.id, { billing_email: user.email, icon_color: DEFAULT_ICON_COLOR }, clock.now());
    wizard = (await findWizard(db, user.id))!;
  }
  return wizard;
}

export type SelectPlanResult = { ok: true; planCode: string } | { ok: false; reason: 'unknown_plan' | 'busy' };

export async function selectPlan(db: Sql, clock: Clock, wizard: Wizard, planCode: string): Promise<SelectPlanResult> {
  const plan = await findPlanByCode(db, planCode);
  if (!plan || plan.kind !== 'tier') return { ok: false, reason: 'unknown_plan' };
  const saved = await patchWizard(db, wizard.id, { plan_code: plan.code, last_error: null }, clock.now());
  return saved ? { ok: true, planCode: plan.code } : { ok: false, reason: 'busy' };
}

/** Keeps what the user typed on step 2 (never card data), so a reload shows it again. */
export async function saveWizardDraft(
  db: Sql,
  clock: Clock,
  wizard: Wizard,
  draft: { name?: string; description?: string; iconColor?: string; billingEmail?: string },
): Promise<void> {
  await patchWizard(
    db,
    wizard.id,
    {
      ...(draft.name !== undefined ? { name: draft.name.slice(0, 255) } : {}),
      ...(draft.description !== undefined ? { description: draft.description.slice(0, 32_767) } : {}),
      ...(draft.iconColor !== undefined ? { icon_color: draft.iconColor } : {}),
      ...(draft.billingEmail !== undefined ? { billing_email: draft.billingEmail.slice(0, 320) } : {}),
    },
    clock.now(),
  );
}

/** How long a second submit waits for the first one's charge to settle: 40 looks, 150 ms apart (6 s). */
const SETTLE_LOOKS = 40;
const SETTLE_EVERY_MS = 150;

export type CreationOutcome =
  | { state: 'completed'; slug: string }
  | { state: 'editing'; wizard: Wizard }
  | { state: 'still_charging' };

/**
 * R3.6: a second submit while the first is charging waits briefly for it and
 * lands where it did: the new organization, or the form again (declined).
 */
export async function awaitCreation(db: Sql, userId: number): Promise<CreationOutcome> {
  for (let i = 0; i < SETTLE_LOOKS; i++) {
    const w = await findWizard(db, userId);
    if (w?.state === 'completed' && w.completedOrganizationId) {
      const org = await findOrganizationById(db, w.completedOrganizationId);
      if (org) return { state: 'completed', slug: org.slug };
    }
    if (w && w.state === 'editing') return { state: 'editing', wizard: w };
    await new Promise((r) => setTimeout(r, SETTLE_EVERY_MS));
  }
  return { state: 'still_charging' };
}
