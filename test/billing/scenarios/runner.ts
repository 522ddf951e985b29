import type { TestContext } from '../../support/app.ts';
import { newOrg, newUser } from '../../support/builders.ts';
import { changePlan } from '../../../src/modules/billing/change-plan.ts';
import { deleteOrganization, type DeleteOrganizationResult } from '../../../src/modules/organizations/delete-organization.ts';
import { usagePeriodOf } from '../../../src/modules/owners/owner-period.ts';
import { replaceCard, type ReplaceCardResult } from '../../../src/modules/billing/replace-card.ts';
import { payNow } from '../../../src/modules/billing/pay-now.ts';
import { systemActor, userActor } from '../../../src/modules/audit/record.ts';
import { grantCredit } from '../../../src/modules/billing/grant-credit.ts';
import { findOrganizationById } from '../../../src/modules/tenancy/queries/organizations.ts';
import { findPlanByCode } from '../../../src/modules/plans/queries.ts';
import { jobs } from '../../../src/scheduler/jobs.ts';
import { runPass } from '../../../src/scheduler/registry.ts';

type PlanCode = 'starter' | 'professional' | 'business';

/** One step of a billing timeline, at an instant of the manual clock. */
export type Step =
  | { at: string; create: PlanCode }
  | { at: string; changePlan: PlanCode }
  | { at: string; payloads: number }
  /** One scheduler pass with every job, in the real order. */
  | { at: string; pass: true }
  /** An Administrator saves this test card (R9.6); on an Unpaid organization that reactivates (R9.8). */
  | { at: string; card: string }
  /** An Administrator presses Pay now (R9.7). */
  | { at: string; payNow: true }
  /** An Administrator deletes the organization (R3.9, R9.9). */
  | { at: string; delete: true }
  /**
   * The card's issuer declines the next charge of the invoice with this
   * sequence number (insufficient funds), even one not issued yet.
   */
  | { at: string; issuerDeclines: number }
  /** A platform admin grants this much credit (R11.2). */
  | { at: string; grantCredit: number };

/** What a step returned, for the steps whose answer a test may check. */
export type StepResult =
  | { step: number; card: ReplaceCardResult }
  | { step: number; payNow: Awaited<ReturnType<typeof payNow>> }
  | { step: number; delete: DeleteOrganizationResult };

export interface ExpectedInvoice {
  seq: number;
  kind: string;
  status: 'open' | 'paid';
  /** Line amounts in cents, in order. */
  lines: number[];
  creditApplied?: number;
  amountDue: number;
}

export interface Scenario {
  name: string;
  steps: Step[];
  invoices: ExpectedInvoice[];
  creditBalance: number;
}

/** Plays a timeline against the real use cases and returns what was billed. */
export async function play(t: TestContext, scenario: Scenario) {
  let orgId = 0;
  const owner = await newUser(t);
  const results: StepResult[] = [];
  for (const [i, step] of scenario.steps.entries()) {
    t.clock.set(step.at);
    if ('create' in step) {
      orgId = (await newOrg(t, { owner, plan: step.create, name: scenario.name.slice(0, 40) })).id;
    } else if ('changePlan' in step) {
      const plan = await findPlanByCode(t.deps.db, step.changePlan);
      const r = await changePlan(t.deps, { organizationId: orgId, planId: plan!.id, at: t.clock.now(), actor: owner });
      if (!r.ok) throw new Error(`changePlan failed: ${r.reason}`);
    } else if ('payloads' in step) {
      const period = await usagePeriodOf(t.deps.db, { kind: 'organization', organizationId: orgId }, t.clock.now());
      await t.knex('usage_counters').insert({
        owner_type: 'organization',
        owner_id: orgId,
        application_id: 1,
        period_start: period.start.getTime(),
        application_name: 'Fleet',
        payloads: step.payloads,
        rejected: 0,
      });
    } else if ('card' in step) {
      const card = { kind: 'card' as const, number: step.card, expMonth: 12, expYear: t.clock.now().getUTCFullYear() + 3, cvc: '123' };
      const r = await replaceCard(t.deps, { organizationId: orgId, actor: owner, card });
      if (!r.ok) throw new Error(`replaceCard failed: ${r.failure.message}`);
      results.push({ step: i, card: r });
    } else if ('payNow' in step) {
      results.push({ step: i, payNow: await payNow(t.deps, { organizationId: orgId, actor: userActor(owner), by: 'administrator' }) });
    } else if ('delete' in step) {
      const organization = (await findOrganizationById(t.deps.db, orgId))!;
      results.push({ step: i, delete: await deleteOrganization(t.deps, { organization, actor: owner, confirmName: organization.name }) });
    } else if ('issuerDeclines' in step) {
      const { customer_ref: customerRef } = await t.knex('billing_accounts').where({ organization_id: orgId }).first('customer_ref');
      const number = `-${String(step.issuerDeclines).padStart(6, '0')}`;
      t.gateway.declineNextCharge((request) => request.customerRef === customerRef && request.description.endsWith(number));
    } else if ('grantCredit' in step) {
      const r = await grantCredit(t.deps, { organizationId: orgId, amountCents: step.grantCredit, reason: 'Goodwill', actor: systemActor });
      if (!r.ok) throw new Error(`grantCredit failed: ${r.reason}`);
    } else {
      const report = await runPass(jobs, t.deps, t.clock.now());
      const failed = report.results.filter((r) => !r.ok);
      if (failed.length) throw new Error(`scheduler pass at ${step.at} failed: ${failed.map((r) => `${r.job}: ${r.summary}`).join('; ')}`);
    }
  }
  const invoices = await t.knex('invoices').where({ organization_id: orgId }).orderBy('seq');
  const billed = [];
  for (const inv of invoices) {
    const lines = await t.knex('invoice_lines').where({ invoice_id: inv.id }).orderBy('position');
    billed.push({
      seq: inv.seq,
      kind: inv.kind,
      status: inv.status,
      lines: lines.map((l: { amount_cents: number }) => Number(l.amount_cents)),
      creditApplied: Number(inv.credit_applied_cents),
      amountDue: Number(inv.amount_due_cents),
      amountPaid: Number(inv.amount_paid_cents),
      subtotal: Number(inv.subtotal_cents),
      periodStart: new Date(Number(inv.period_start)).toISOString(),
    });
  }
  const account = await t.knex('billing_accounts').where({ organization_id: orgId }).first();
  return { orgId, owner, billed, results, creditBalance: Number(account.credit_balance_cents) };
}

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

/**
 * What an organization's billing left behind besides its invoices: status
 * history (R9.7, R9.8), billing emails (R9.12), and the gateway's own ledger
 * of charges and refunds (R9.13), each in the order it happened.
 */
export async function recordsOf(t: TestContext, orgId: number) {
  const db = t.knex;
  const account = await db('billing_accounts').where({ organization_id: orgId }).first();
  const history = await db('billing_status_history').where({ organization_id: orgId }).orderBy('id');
  const mails = await db('mail_outbox').where({ organization_id: orgId }).orderBy('id');
  // The simulated gateway's ledger, found through the customer, so a charge we have no attempt for shows too.
  const charges = await db('sim_charges as c')
    .join('sim_payment_methods as m', 'm.ref', 'c.payment_method_ref')
    .leftJoin('payment_attempts as a', 'a.idempotency_key', 'c.idempotency_key')
    .leftJoin('invoices as i', 'i.id', 'a.invoice_id')
    .where('c.customer_ref', account.customer_ref)
    .orderBy([{ column: 'c.created_at' }, { column: 'a.id' }])
    .select('c.ref', 'c.idempotency_key', 'c.amount_cents', 'c.status', 'c.failure_code', 'c.created_at', 'm.last4', 'i.seq');
  const refunds = await db('sim_refunds as r')
    .join('sim_charges as c', 'c.ref', 'r.charge_ref')
    .where('c.customer_ref', account.customer_ref)
    .orderBy('r.created_at')
    .select('r.amount_cents', 'r.created_at', 'c.ref as charge_ref');
  return {
    status: account.status as string,
    history: history.map((h: Record<string, unknown>) => ({ from: h.from_status, to: h.to_status, cause: h.cause, at: iso(h.at) })),
    mails: mails.map((m: Record<string, unknown>) => ({ kind: String(m.kind), at: iso(m.created_at), to: String(m.to_address), text: String(m.text_body) })),
    charges: charges.map((c: Record<string, unknown>) => ({
      at: iso(c.created_at),
      seq: c.seq == null ? null : Number(c.seq),
      amount: Number(c.amount_cents),
      status: String(c.status),
      ...(c.failure_code ? { failure: String(c.failure_code) } : {}),
      last4: String(c.last4),
      ref: String(c.ref),
    })),
    refunds: refunds.map((r: Record<string, unknown>) => ({ at: iso(r.created_at), amount: Number(r.amount_cents), chargeRef: String(r.charge_ref) })),
  };
}
