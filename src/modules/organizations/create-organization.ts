import type { Deps } from '../../deps.ts';
import { formatCents } from '../../money.ts';
import { findUserById, type User } from '../accounts/queries.ts';
import { recordAudit, systemActor, userActor } from '../audit/record.ts';
import type { CardSetupInput, Failure } from '../billing/gateway/types.ts';
import { deliverOutbox } from '../billing/charge.ts';
import { billingMailContext, cardPhrase, receiptMail } from '../billing/emails.ts';
import { openSubscription } from '../billing/open-subscription.ts';
import { insertMembership } from '../tenancy/queries/memberships.ts';
import { findPlanByCode, type Plan } from '../plans/queries.ts';
import { insertOrganization, findOrganizationById, type Organization } from '../tenancy/queries/organizations.ts';
import {
  claimForCharge,
  findWizardById,
  markChargeUnknown,
  markWizardCompleted,
  patchWizard,
  releaseAfterFailedCharge,
  staleChargingWizards,
  type Wizard,
} from './queries/wizards.ts';
import { openWizard, selectPlan } from './wizard.ts';
import { assertNever } from '../../assert-never.ts';

export interface OrganizationDetails {
  name: string;
  description: string;
  iconColor: string;
  billingEmail: string;
}


export type CreateOrganizationResult =
  | { ok: true; organization: Organization }
  | { ok: false; reason: 'no_plan' }
  | { ok: false; reason: 'card_required' }
  | { ok: false; reason: 'card_rejected'; failure: Failure }
  | { ok: false; reason: 'charge_failed'; failure: Failure }
  | { ok: false; reason: 'gateway_unavailable' }
  | { ok: false; reason: 'in_progress' };

/** A wizard mid-charge for longer than this lost its request (crash or timeout) and is resumed. */
export const STALE_CHARGE_MS = 2 * 60_000;

/**
 * R3.6, R3.7, R9.13: saves the card if one was typed, charges the plan's
 * first period with an idempotency key recorded beforehand, and only when the
 * charge succeeded creates, in one transaction, the organization, its
 * Administrator, its billing period, invoice #1 and the payment attempt.
 * A decline creates nothing. A crash after the charge is finished later with
 * the same key, so the card is never charged twice.
 */
export async function createOrganization(
  deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>,
  user: User,
  wizard: Wizard,
  details: OrganizationDetails,
  /**
   * The card to save before charging, or null to charge the one already on
   * the wizard: raw fields (simulated gateway only), a PaymentMethod from
   * Stripe Elements or a finished Checkout Session.
   */
  card: CardSetupInput | null,
): Promise<CreateOrganizationResult> {
  const { db, clock, gateway } = deps;
  if (wizard.state === 'completed' && wizard.completedOrganizationId) return completedResult(deps, wizard.completedOrganizationId);
  if (wizard.state === 'charging') {
    const stale = wizard.chargingSince === null || clock.now().getTime() - wizard.chargingSince.getTime() > STALE_CHARGE_MS;
    return stale ? finishCharge(deps, wizard, clock.now()) : { ok: false, reason: 'in_progress' };
  }
  const plan = wizard.planCode ? await findPlanByCode(db, wizard.planCode) : undefined;
  if (!plan || plan.kind !== 'tier') return { ok: false, reason: 'no_plan' };

  await patchWizard(
    db,
    wizard.id,
    { name: details.name, description: details.description, icon_color: details.iconColor, billing_email: details.billingEmail },
    clock.now(),
  );

  let current = wizard;
  if (card) {
    const customerRef =
      wizard.customerRef ??
      (await gateway.createCustomer({ email: details.billingEmail, name: user.name, idempotencyKey: `orgwizard-${wizard.id}-customer` }))
        .customerRef;
    const saved = await gateway.saveCard(customerRef, card);
    if (!saved.ok) {
      await patchWizard(db, wizard.id, { customer_ref: customerRef, last_error: saved.failure.message }, clock.now());
      return { ok: false, reason: 'card_rejected', failure: saved.failure };
    }
    await patchWizard(
      db,
      wizard.id,
      {
        customer_ref: customerRef,
        payment_method_ref: saved.card.paymentMethodRef,
        card_brand: saved.card.brand,
        card_last4: saved.card.last4,
        card_exp_month: saved.card.expMonth,
        card_exp_year: saved.card.expYear,
      },
      clock.now(),
    );
    current = (await findWizardById(db, wizard.id)) ?? wizard;
  }
  if (!current.card || !current.customerRef) return { ok: false, reason: 'card_required' };

  const key = await claimForCharge(db, current, clock.now());
  if (!key) return { ok: false, reason: 'in_progress' };
  const claimed = await findWizardById(db, wizard.id);
  if (!claimed) return { ok: false, reason: 'in_progress' };
  return finishCharge(deps, claimed, clock.now(), plan);
}

/**
 * Charges (or re-asks the gateway about) the wizard's recorded key and, on
 * success, creates the organization. Safe to call again for the same key.
 * Everything it records carries `at`: the request's instant, or the instant
 * of the scheduler pass that settles a stale wizard (R12.1).
 */
export async function finishCharge(
  deps: Pick<Deps, 'db' | 'gateway' | 'mailer' | 'config'>,
  wizard: Wizard,
  at: Date,
  knownPlan?: Plan,
): Promise<CreateOrganizationResult> {
  const { db, gateway } = deps;
  const plan = knownPlan ?? (wizard.planCode ? await findPlanByCode(db, wizard.planCode) : undefined);
  if (!plan || !wizard.chargeKey || !wizard.card || !wizard.customerRef) {
    await releaseAfterFailedCharge(db, wizard.id, 'The organization could not be created; please check the details and try again.', at);
    return { ok: false, reason: 'no_plan' };
  }
  const startedAt = at;
  let result;
  try {
    result = await gateway.charge({
      customerRef: wizard.customerRef,
      paymentMethodRef: wizard.card.paymentMethodRef,
      amountCents: plan.priceCents,
      idempotencyKey: wizard.chargeKey,
      description: `Orgplane ${plan.name} plan, first month of ${wizard.name}`,
      metadata: { wizard_id: String(wizard.id) },
    });
  } catch {
    // The gateway may or may not have charged: keep the key and ask again with it.
    await markChargeUnknown(db, wizard.id, at);
    return { ok: false, reason: 'gateway_unavailable' };
  }
  if (result.status === 'failed') {
    await releaseAfterFailedCharge(db, wizard.id, result.failure.message, at);
    return { ok: false, reason: 'charge_failed', failure: result.failure };
  }
  const succeeded = result;
  const card = wizard.card;
  const customerRef = wizard.customerRef;
  const chargeKey = wizard.chargeKey;
  const organization = await db.transaction(async (trx) => {
    const now = at;
    const org = await insertOrganization(trx, {
      name: wizard.name,
      description: wizard.description,
      iconColor: wizard.iconColor ?? '#3346d3',
      createdByUserId: wizard.userId,
      createdAt: now,
    });
    await insertMembership(trx, { organizationId: org.id, userId: wizard.userId, role: 'administrator', createdAt: now });
    const creator = await findUserById(trx, wizard.userId);
    await recordAudit(trx, {
      organizationId: org.id,
      actor: creator ? userActor(creator) : systemActor,
      action: 'organization.created',
      target: { type: 'organization', id: org.id, label: org.name },
      after: { plan: plan.name, firstCharge: formatCents(plan.priceCents), card: `${card.brand} •••• ${card.last4}` },
      at: now,
    });
    const invoice = await openSubscription(trx, {
      organizationId: org.id,
      organizationName: org.name,
      invoicePrefix: org.slug,
      plan,
      billingEmail: wizard.billingEmail ?? '',
      customerRef,
      card,
      now,
      charge: { idempotencyKey: chargeKey, result: succeeded, startedAt },
    });
    // R9.12: the first charge's receipt, in the transaction that records it.
    const mailCtx = await billingMailContext(trx, deps.config, org.id);
    if (mailCtx) {
      await deps.mailer.enqueue(
        trx,
        receiptMail(mailCtx, { invoiceId: invoice.id, invoiceNumber: invoice.number, amountCents: plan.priceCents, card: cardPhrase(card.brand, card.last4), paidAt: now }),
        now,
      );
    }
    const marked = await markWizardCompleted(trx, wizard.id, org.id, now);
    if (marked !== 1) throw new WizardRaceError();
    return org;
  }).catch(async (err) => {
    if (err instanceof WizardRaceError) {
      const latest = await findWizardById(db, wizard.id);
      if (latest?.completedOrganizationId) return findOrganizationById(db, latest.completedOrganizationId);
    }
    throw err;
  });
  if (!organization) return { ok: false, reason: 'in_progress' };
  await deliverOutbox(deps);
  return { ok: true, organization };
}

class WizardRaceError extends Error {}

/**
 * R3.6, R16.3: creation in one call (the REST API's `POST /orgs`): the
 * user's wizard takes the plan, the details and the card, then the same
 * first charge as the pages' Create Organization. A decline creates nothing.
 * While the user's wizard is charging (a submit in flight) nothing starts.
 */
export async function createOrganizationAtOnce(
  deps: Pick<Deps, 'db' | 'clock' | 'gateway' | 'mailer' | 'config'>,
  user: User,
  input: { planCode: string; details: OrganizationDetails; card: CardSetupInput },
): Promise<CreateOrganizationResult | { ok: false; reason: 'unknown_plan' }> {
  const { db, clock } = deps;
  const wizard = await openWizard(db, clock, user, { restartCompleted: true });
  if (wizard.state !== 'editing') return { ok: false, reason: 'in_progress' };
  const selected = await selectPlan(db, clock, wizard, input.planCode);
  if (!selected.ok) {
    switch (selected.reason) {
      case 'unknown_plan':
        return { ok: false, reason: 'unknown_plan' };
      // Another request of the same user is saving the wizard.
      case 'busy':
        return { ok: false, reason: 'in_progress' };
      default:
        return assertNever(selected.reason);
    }
  }
  const current = await findWizardById(db, wizard.id);
  if (!current) return { ok: false, reason: 'in_progress' };
  return createOrganization(deps, user, current, input.details, input.card);
}

async function completedResult(deps: Pick<Deps, 'db'>, organizationId: number): Promise<CreateOrganizationResult> {
  const org = await findOrganizationById(deps.db, organizationId);
  return org ? { ok: true, organization: org } : { ok: false, reason: 'no_plan' };
}

/**
 * R9.13: a wizard left mid-charge (the server crashed, or the gateway's
 * answer was lost) is settled by its recorded key: a charge the gateway made
 * creates the organization; one it never saw or declined frees the wizard.
 */
export async function settleStaleWizards(deps: Pick<Deps, 'db' | 'gateway' | 'mailer' | 'config'>, at: Date): Promise<{ created: number; released: number }> {
  const { db, gateway } = deps;
  const stale = await staleChargingWizards(db, new Date(at.getTime() - STALE_CHARGE_MS));
  let created = 0;
  let released = 0;
  for (const wizard of stale) {
    if (!wizard.chargeKey) continue;
    let outcome;
    try {
      outcome = await gateway.findChargeByIdempotencyKey(wizard.chargeKey);
    } catch {
      continue; // The gateway cannot tell yet; the next pass asks again.
    }
    if (outcome?.status === 'succeeded') {
      const result = await finishCharge(deps, wizard, at);
      if (result.ok) created++;
    } else {
      await releaseAfterFailedCharge(
        db,
        wizard.id,
        outcome?.failure.message ?? 'The payment did not go through and nothing was charged. Please try again.',
        at,
      );
      released++;
    }
  }
  return { created, released };
}
