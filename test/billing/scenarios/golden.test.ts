import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../../support/app.ts';
import { play } from './runner.ts';
import { scenarios } from './timelines.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('golden billing timelines (R9.2–R9.5, R12.2)', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const { billed, creditBalance, orgId } = await play(t, scenario);
      expect(billed.map(({ seq, kind, status, lines, amountDue, creditApplied }) => ({ seq, kind, status, lines, amountDue, creditApplied }))).toEqual(
        scenario.invoices.map((i) => ({ creditApplied: 0, ...i })),
      );
      for (const inv of billed) expect(inv.subtotal).toBe(inv.lines.reduce((s: number, l: number) => s + l, 0));
      expect(creditBalance).toBe(scenario.creditBalance);
      // The gateway's own ledger (the simulated gateway's charges to this
      // customer), not our attempts: one successful charge per invoice with
      // something due, each for exactly that amount.
      const account = await t.knex('billing_accounts').where({ organization_id: orgId }).first('customer_ref');
      const charges = await t.knex('sim_charges').where({ customer_ref: account.customer_ref, status: 'succeeded' }).select('amount_cents');
      const byAmount = (a: number, b: number) => a - b;
      expect(charges.map((c: { amount_cents: number | string }) => Number(c.amount_cents)).sort(byAmount)).toEqual(
        billed.filter((i) => i.amountDue > 0).map((i) => i.amountDue).sort(byAmount),
      );
    });
  }
});
