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
      // The gateway's own ledger: exactly one successful charge per invoice with something due.
      const charged = await t.deps.db('payment_attempts as a').join('invoices as i', 'i.id', 'a.invoice_id').where({ 'i.organization_id': orgId, 'a.status': 'succeeded' }).count({ n: '*' }).first();
      expect(Number(charged?.n)).toBe(billed.filter((i) => i.amountDue > 0).length);
    });
  }
});
