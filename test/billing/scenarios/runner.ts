import type { TestContext } from '../../support/app.ts';
import { newOrg, newUser } from '../../support/builders.ts';
import { changePlan } from '../../../src/modules/billing/change-plan.ts';
import { renewalPass } from '../../../src/modules/billing/renew.ts';
import { usagePeriodOf } from '../../../src/modules/billing/owner-period.ts';
import { findPlanByCode } from '../../../src/modules/plans/queries.ts';

type PlanCode = 'starter' | 'professional' | 'business';

/** One step of a billing timeline, at an instant of the manual clock. */
export type Step =
  | { at: string; create: PlanCode }
  | { at: string; changePlan: PlanCode }
  | { at: string; payloads: number }
  | { at: string; pass: true };

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
  for (const step of scenario.steps) {
    t.clock.set(step.at);
    if ('create' in step) {
      orgId = (await newOrg(t, { owner, plan: step.create, name: scenario.name.slice(0, 40) })).id;
    } else if ('changePlan' in step) {
      const plan = await findPlanByCode(t.deps.db, step.changePlan);
      const r = await changePlan(t.deps, { organizationId: orgId, planId: plan!.id, at: t.clock.now(), actor: owner });
      if (!r.ok) throw new Error(`changePlan failed: ${r.reason}`);
    } else if ('payloads' in step) {
      const period = await usagePeriodOf(t.deps.db, { kind: 'organization', organizationId: orgId }, t.clock.now());
      await t.deps.db('usage_counters').insert({
        owner_type: 'organization',
        owner_id: orgId,
        application_id: 1,
        period_start: period.start.getTime(),
        application_name: 'Fleet',
        payloads: step.payloads,
        rejected: 0,
      });
    } else {
      await renewalPass(t.deps, t.clock.now());
    }
  }
  const invoices = await t.deps.db('invoices').where({ organization_id: orgId }).orderBy('seq');
  const billed = [];
  for (const inv of invoices) {
    const lines = await t.deps.db('invoice_lines').where({ invoice_id: inv.id }).orderBy('position');
    billed.push({
      seq: inv.seq,
      kind: inv.kind,
      status: inv.status,
      lines: lines.map((l: { amount_cents: number }) => Number(l.amount_cents)),
      creditApplied: Number(inv.credit_applied_cents),
      amountDue: Number(inv.amount_due_cents),
      subtotal: Number(inv.subtotal_cents),
      periodStart: new Date(Number(inv.period_start)).toISOString(),
    });
  }
  const account = await t.deps.db('billing_accounts').where({ organization_id: orgId }).first();
  return { orgId, billed, creditBalance: Number(account.credit_balance_cents) };
}
