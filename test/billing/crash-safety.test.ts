import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.ts';
import { chargeRequestFor, claimAttempt, recordOutcome, type ClaimedAttempt } from '../../src/modules/billing/charge.ts';
import { SimulatedGateway } from '../../src/modules/billing/gateway/simulated.ts';
import { replaceCard } from '../../src/modules/billing/replace-card.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser, type TestUser } from '../support/builders.ts';
import { createOrganization } from '../../src/modules/organizations/create-organization.ts';
import { openWizard, selectPlan } from '../../src/modules/organizations/wizard.ts';
import { findWizard } from '../../src/modules/organizations/queries/wizards.ts';
import { recordsOf } from './scenarios/runner.ts';
import { payNow } from '../../src/modules/billing/pay-now.ts';
import { changePlan } from '../../src/modules/billing/change-plan.ts';
import { deleteOrganization } from '../../src/modules/organizations/delete-organization.ts';
import { findOrganizationById } from '../../src/modules/tenancy/queries/organizations.ts';
import { findPlanByCode } from '../../src/modules/plans/queries.ts';
import { userActor } from '../../src/modules/audit/record.ts';

/**
 * R9.13: a crash at any step of the charge path never charges an invoice
 * twice nor loses a payment. Each step is cut short either by the simulated
 * gateway (its answer never arrives, before or after it did the work) or by
 * running the pieces of chargeInvoice ourselves and stopping where the
 * process would have died; later scheduler passes must then finish the job
 * through the attempt's idempotency key. The proof is the gateway's own
 * ledger (sim_charges): one successful charge per paid invoice.
 *
 * Every test gets a fresh database: a pass runs over every organization, and
 * an earlier test's organization must not take the failure injected here.
 */

let t: TestContext;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

const VISA = '4242424242424242';
const DECLINED = '4000000000000341';
const MINUTE = 60_000;

async function pass(at?: string | number) {
  if (typeof at === 'string') t.clock.set(at);
  else if (typeof at === 'number') t.clock.advance(at);
  const report = await runPass(jobs, t.deps, t.clock.now());
  const failed = report.results.filter((r) => !r.ok);
  if (failed.length) throw new Error(failed.map((r) => `${r.job}: ${r.summary}`).join('; '));
  return report;
}

async function saveCard(orgId: number, owner: TestUser, number: string) {
  const r = await replaceCard(t.deps, { organizationId: orgId, actor: owner, card: { kind: 'card', number, expMonth: 12, expYear: 2030, cvc: '123' } });
  if (!r.ok) throw new Error(r.failure.message);
}

/** A Starter organization created April 1, due for renewal on May 1. */
async function starterOrg() {
  t.clock.set('2026-04-01T00:00:00Z');
  const owner = await newUser(t);
  const org = await newOrg(t, { owner, plan: 'starter', name: 'Crashy Co' });
  return { owner, orgId: org.id };
}

/** A Past Due organization (the May 1 renewal declined) whose Administrator has since saved a good card. */
async function pastDueWithGoodCard() {
  const { owner, orgId } = await starterOrg();
  await saveCard(orgId, owner, DECLINED);
  await pass('2026-05-01T00:00:00Z');
  t.clock.set('2026-05-02T09:00:00Z');
  await saveCard(orgId, owner, VISA);
  const invoice = await t.knex('invoices').where({ organization_id: orgId, seq: 2 }).first();
  expect(invoice.status).toBe('open');
  return { owner, orgId, invoiceId: Number(invoice.id) };
}

async function state(orgId: number) {
  const records = await recordsOf(t, orgId);
  const invoices = await t.knex('invoices').where({ organization_id: orgId }).orderBy('seq').select('id', 'seq', 'status', 'amount_due_cents', 'amount_paid_cents');
  const attempts = await t.knex('payment_attempts').where({ organization_id: orgId }).orderBy('id').select('invoice_id', 'idempotency_key', 'status');
  return { ...records, invoices, attempts };
}

/**
 * The invariant: in the gateway's ledger, at most one successful charge per
 * invoice; a paid invoice has exactly one, for what it shows as paid; an open
 * one has none; and every charge the gateway made is one of our attempts.
 */
async function expectChargedOnce(orgId: number) {
  const s = await state(orgId);
  for (const inv of s.invoices) {
    const succeeded = s.charges.filter((c) => c.seq === inv.seq && c.status === 'succeeded');
    if (inv.status === 'paid' && Number(inv.amount_due_cents) > 0) {
      expect(succeeded, `invoice #${inv.seq}`).toHaveLength(1);
      expect(succeeded[0]!.amount).toBe(Number(inv.amount_paid_cents));
    } else {
      expect(succeeded, `invoice #${inv.seq}`).toHaveLength(0);
    }
  }
  expect(s.charges.filter((c) => c.seq === null)).toEqual([]);
  return s;
}

const mailKinds = (s: { mails: { kind: string }[] }) => s.mails.map((m) => m.kind);

describe('a crash in the renewal charge (R9.13)', () => {
  it('before the gateway call: the pending attempt is sent again with its own key, once', async () => {
    const { orgId } = await starterOrg();
    t.gateway.failBeforeChargeOnce();
    await pass('2026-05-01T00:00:00Z');
    let s = await state(orgId);
    expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'open']);
    expect(s.attempts.at(-1)).toMatchObject({ status: 'pending', idempotency_key: `invoice-${s.invoices[1]!.id}-attempt-1` });
    expect(s.charges).toHaveLength(1); // only the first invoice's: the gateway never saw the renewal
    expect(s.status).toBe('active');

    // A minute later the answer may still be on its way: nothing is settled, nothing is charged again.
    await pass(1 * MINUTE);
    s = await state(orgId);
    expect(s.attempts.map((a) => a.status)).toEqual(['succeeded', 'pending']);
    expect(s.charges).toHaveLength(1);

    // Past two minutes the settle job sends the same request with the same key.
    await pass(2 * MINUTE);
    await pass(10 * MINUTE);
    s = await expectChargedOnce(orgId);
    expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    expect(s.attempts.map((a) => a.status)).toEqual(['succeeded', 'succeeded']);
    expect(s.charges.at(-1)).toMatchObject({ seq: 2, status: 'succeeded', at: '2026-05-01T00:03:00.000Z' });
    expect(mailKinds(s)).toEqual(['receipt', 'receipt']); // the first charge's, then the renewal's
    expect(s.status).toBe('active');
  });

  it('after the gateway charged, before our commit: the next pass finds the charge by its key and charges nothing', async () => {
    const { orgId } = await starterOrg();
    t.gateway.failAfterChargeOnce();
    await pass('2026-05-01T00:00:00Z');
    let s = await state(orgId);
    expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'open']);
    expect(s.attempts.map((a) => a.status)).toEqual(['succeeded', 'pending']);
    expect(s.charges.map((c) => [c.seq, c.status])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);

    await pass(1 * MINUTE);
    await pass(2 * MINUTE);
    await pass(2 * MINUTE);
    s = await expectChargedOnce(orgId);
    expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    expect(s.charges).toHaveLength(2);
    expect(mailKinds(s)).toEqual(['receipt', 'receipt']); // the first charge's, then the renewal's
  });

  it('when the settle pass loses answers too, a later pass still settles with the same key', async () => {
    const { orgId } = await starterOrg();
    t.gateway.failBeforeChargeOnce();
    await pass('2026-05-01T00:00:00Z');
    // The settle job's lookup goes through, its resend charges but the answer is lost.
    t.gateway.failAfterChargeOnce();
    await pass(3 * MINUTE);
    let s = await state(orgId);
    expect(s.attempts.map((a) => a.status)).toEqual(['succeeded', 'pending']);
    expect(s.charges.filter((c) => c.seq === 2)).toHaveLength(1);
    // Then the lookup itself fails once.
    t.gateway.failNextCalls(1, { method: 'findChargeByIdempotencyKey', phase: 'before' });
    await pass(3 * MINUTE);
    expect((await state(orgId)).attempts.map((a) => a.status)).toEqual(['succeeded', 'pending']);
    await pass(3 * MINUTE);
    s = await expectChargedOnce(orgId);
    expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    expect(s.charges.filter((c) => c.seq === 2)).toHaveLength(1);
    expect(mailKinds(s)).toEqual(['receipt', 'receipt']); // the first charge's, then the renewal's
  });

  it('a decline whose answer was lost makes the organization Past Due once it is known', async () => {
    const { owner, orgId } = await starterOrg();
    await saveCard(orgId, owner, DECLINED);
    t.gateway.failAfterChargeOnce();
    await pass('2026-05-01T00:00:00Z');
    expect((await state(orgId)).status).toBe('active'); // not known yet

    await pass(3 * MINUTE);
    const s = await expectChargedOnce(orgId);
    expect(s.status).toBe('past_due');
    expect(s.history.map((h) => [h.from, h.to, h.cause, h.at])).toEqual([['active', 'past_due', 'Payment of invoice failed: Your card was declined.', '2026-05-01T00:03:00.000Z']]);
    expect(mailKinds(s)).toEqual(['receipt', 'payment_failed']);
    expect(s.mails[1]!.text).toContain('We will try again on May 8, 2026.');
    expect(s.charges.filter((c) => c.seq === 2).map((c) => c.status)).toEqual(['failed']);
  });

  it('a day-28 retry whose answer is lost does not make the organization Unpaid before the answer is known', async () => {
    const { owner, orgId } = await starterOrg();
    await saveCard(orgId, owner, DECLINED);
    for (const day of ['05-01', '05-08', '05-15', '05-22']) await pass(`2026-${day}T00:00:00Z`);
    t.clock.set('2026-05-25T00:00:00Z');
    await saveCard(orgId, owner, VISA);
    t.gateway.failAfterChargeOnce();
    await pass('2026-05-29T00:00:00Z');
    let s = await state(orgId);
    expect(s.status).toBe('past_due');
    expect(s.attempts.at(-1)!.status).toBe('pending');

    await pass(3 * MINUTE);
    s = await expectChargedOnce(orgId);
    expect(s.status).toBe('active');
    expect(s.history.map((h) => `${h.from}→${h.to}`)).toEqual(['active→past_due', 'past_due→active']);
    expect(s.history.at(-1)!.cause).toBe('Every open invoice paid (a late payment confirmation)');
    expect(mailKinds(s)).not.toContain('unpaid_notice');
    expect(mailKinds(s).at(-1)).toBe('receipt');
  });

  it('two instances settling the same attempt at once charge it once and mail one receipt', async () => {
    const { orgId } = await starterOrg();
    t.gateway.failBeforeChargeOnce();
    await pass('2026-05-01T00:00:00Z');
    t.clock.advance(3 * MINUTE);
    // A second instance: its own gateway client, the same database and gateway ledger.
    const other: Deps = { ...t.deps, gateway: new SimulatedGateway(t.deps.db, t.clock) };
    const reports = await Promise.all([runPass(jobs, t.deps, t.clock.now()), runPass(jobs, other, t.clock.now())]);
    for (const r of reports) expect(r.results.filter((x) => !x.ok)).toEqual([]);
    const s = await expectChargedOnce(orgId);
    expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    expect(s.charges.filter((c) => c.seq === 2)).toHaveLength(1);
    expect(mailKinds(s)).toEqual(['receipt', 'receipt']); // the first charge's, then the renewal's
  });
});

/**
 * The same, stopping chargeInvoice's own pieces where the process dies:
 * claimAttempt (the attempt row committed), the gateway call with
 * chargeRequestFor (the gateway answered), recordOutcome (our commit, which
 * holds the outcome, the status change and the receipt together, R9.12).
 */
describe('a crash at each step of chargeInvoice, by its pieces (R9.13, R9.12)', () => {
  const steps = {
    'after the attempt is committed, before the gateway call': async (_claim: ClaimedAttempt) => {},
    'after the gateway answered, before our commit': async (claim: ClaimedAttempt) => {
      await t.gateway.charge(chargeRequestFor(claim));
    },
    'after our commit (outcome, status change and receipt in one transaction)': async (claim: ClaimedAttempt) => {
      const result = await t.gateway.charge(chargeRequestFor(claim));
      expect(await recordOutcome(t.deps, claim.idempotencyKey, result, { at: t.clock.now() })).toMatchObject({ invoiceId: claim.invoiceId, consequences: { statusTo: 'active', mails: ['receipt'] } });
    },
  };

  for (const [where, upTo] of Object.entries(steps)) {
    it(where, async () => {
      const { orgId, invoiceId } = await pastDueWithGoodCard();
      const claim = await claimAttempt(t.deps, invoiceId, { at: t.clock.now(), trigger: 'pay_now' });
      if ('skip' in claim) throw new Error(`not claimed: ${claim.skip}`);
      expect(claim).toMatchObject({ invoiceId, idempotencyKey: `invoice-${invoiceId}-attempt-2`, amountCents: 25_000 });
      await upTo(claim);
      // ...and the process dies here.
      const committed = where.startsWith('after our commit');

      // While an attempt is pending nobody starts another one.
      const again = await claimAttempt(t.deps, invoiceId, { at: t.clock.now(), trigger: 'pay_now' });
      expect(again).toEqual(committed ? { skip: 'not_open' } : { skip: 'in_flight' });

      await pass(3 * MINUTE); // a restarted instance
      await pass('2026-05-08T00:00:00Z'); // the day-7 retry
      await pass('2026-05-15T00:00:00Z');
      const s = await expectChargedOnce(orgId);
      expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
      expect(s.attempts.map((a) => a.status)).toEqual(['succeeded', 'failed', 'succeeded']);
      expect(s.charges.map((c) => `#${c.seq} ${c.status} ${c.last4}`)).toEqual(['#1 succeeded 4242', '#2 failed 0341', '#2 succeeded 4242']);
      expect(s.status).toBe('active');
      expect(s.history.map((h) => `${h.from}→${h.to}`)).toEqual(['active→past_due', 'past_due→active']);
      // Active again with the outcome: at once when our commit happened, else at the first pass after the restart.
      expect(s.history.at(-1)!.at).toBe(committed ? '2026-05-02T09:00:00.000Z' : '2026-05-02T09:03:00.000Z');
      // Exactly one receipt, wherever the process died.
      expect(mailKinds(s)).toEqual(['receipt', 'payment_failed', 'receipt']);
    });
  }
});

/** Runs `work` with the process dying (a throw) at the first email written to the outbox, inside its transaction. */
async function diesWritingTheFirstEmail(work: () => Promise<unknown>) {
  const enqueue = t.deps.mailer.enqueue;
  let dying = true;
  t.deps.mailer.enqueue = async (...args) => {
    if (dying) {
      dying = false;
      throw new Error('process died');
    }
    return enqueue(...args);
  };
  try {
    await expect(work()).rejects.toThrow('process died');
  } finally {
    t.deps.mailer.enqueue = enqueue;
  }
}

describe('the outcome and its consequences are one transaction (R9.12)', () => {
  it('a crash while writing the receipt rolls the outcome back; the settle pass applies it all once', async () => {
    const { orgId } = await starterOrg();
    // The process dies inside the outcome's transaction, after the invoice was marked paid.
    await diesWritingTheFirstEmail(() => pass('2026-05-01T00:00:00Z'));
    let s = await state(orgId);
    expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'open']);
    expect(s.attempts.map((a) => a.status)).toEqual(['succeeded', 'pending']);
    expect(s.charges.filter((c) => c.seq === 2).map((c) => c.status)).toEqual(['succeeded']);
    expect(mailKinds(s)).toEqual(['receipt']); // the first charge's only

    await pass(3 * MINUTE);
    await pass(3 * MINUTE);
    s = await expectChargedOnce(orgId);
    expect(s.invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    expect(mailKinds(s)).toEqual(['receipt', 'receipt']);
    expect(s.mails[1]).toMatchObject({ at: '2026-05-01T00:03:00.000Z' });
  });

  it('a crash while writing the payment-failed email leaves no half state: Past Due and its email come together', async () => {
    const { owner, orgId } = await starterOrg();
    await saveCard(orgId, owner, DECLINED);
    await diesWritingTheFirstEmail(() => pass('2026-05-01T00:00:00Z'));
    // Not Active-with-a-recorded-failure: nothing of the outcome is there yet.
    let s = await state(orgId);
    expect(s.status).toBe('active');
    expect(s.attempts.map((a) => a.status)).toEqual(['succeeded', 'pending']);
    expect(s.history).toEqual([]);
    expect(mailKinds(s)).toEqual(['receipt']); // the first charge's only

    await pass(3 * MINUTE);
    s = await expectChargedOnce(orgId);
    expect(s.status).toBe('past_due');
    expect(s.history.map((h) => [h.to, h.at])).toEqual([['past_due', '2026-05-01T00:03:00.000Z']]);
    expect(mailKinds(s)).toEqual(['receipt', 'payment_failed']);
  });
});

describe('the first charge (R9.12, R9.13)', () => {
  it('the gateway charged and the answer was lost: the settle job creates the organization once, with one receipt', async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const owner = await newUser(t);
    await selectPlan(t.deps.db, t.clock, await openWizard(t.deps.db, t.clock, owner, { restartCompleted: true }), 'starter');
    t.gateway.failAfterChargeOnce();
    const details = { name: 'Lost Answer Co', description: '', iconColor: '#3346d3', billingEmail: owner.email };
    const card = { kind: 'card' as const, number: VISA, expMonth: 12, expYear: 2030, cvc: '123' };
    expect(await createOrganization(t.deps, owner, (await findWizard(t.deps.db, owner.id))!, details, card)).toMatchObject({ ok: false, reason: 'gateway_unavailable' });
    expect(await t.knex('organizations').where({ name: 'Lost Answer Co' })).toEqual([]);

    await pass(3 * MINUTE);
    await pass(3 * MINUTE);
    const org = await t.knex('organizations').where({ name: 'Lost Answer Co' }).first();
    const s = await expectChargedOnce(Number(org.id));
    expect(s.invoices.map((i) => i.status)).toEqual(['paid']);
    expect(s.charges.map((c) => c.status)).toEqual(['succeeded']);
    expect(s.mails.map((m) => [m.kind, m.to])).toEqual([['receipt', owner.email]]);
    expect(s.mails[0]!.text).toContain('We received $250.00 for Lost Answer Co');
  });
});

/**
 * R9.8, R9.13: the reactivation invoice is committed with the pending attempt
 * that charges it, so a crash anywhere leaves either nothing or an attempt the
 * settle job finishes with its key: a decline learned late voids the invoice,
 * a payment learned late reactivates.
 */
describe('a crash in the reactivation charge (R9.8, R9.13)', () => {
  /** Starter from April 1; the May 1 renewal (#2) and its retries declined; Unpaid May 29; the June 1 pass bills nothing. */
  async function unpaidSinceMay29() {
    const { owner, orgId } = await starterOrg();
    await saveCard(orgId, owner, DECLINED);
    for (const day of ['05-01', '05-08', '05-15', '05-22', '05-29', '06-01']) await pass(`2026-${day}T00:00:00Z`);
    expect((await state(orgId)).status).toBe('unpaid');
    return { owner, orgId };
  }

  /** The gateway call for invoice #3 goes wrong: its answer is lost after the gateway did the work, or the process dies before the call. */
  function loseTheCallOfInvoice3(phase: 'before' | 'after') {
    const charge = t.gateway.charge;
    t.gateway.charge = async (request) => {
      if (!request.description.endsWith('-000003')) return charge.call(t.gateway, request);
      t.gateway.charge = charge;
      if (phase === 'before') throw new Error('process died');
      await charge.call(t.gateway, request);
      throw new Error('answer lost');
    };
  }

  const card = (number: string) => ({ kind: 'card' as const, number, expMonth: 12, expYear: 2030, cvc: '123' });
  const period = async (orgId: number) => {
    const a = await t.knex('billing_accounts').where({ organization_id: orgId }).first();
    return `${new Date(Number(a.current_period_start)).toISOString().slice(0, 10)} – ${new Date(Number(a.current_period_end)).toISOString().slice(0, 10)}`;
  };

  it('a decline whose answer was lost: the invoice waits with its charge in flight, nothing is charged twice, and the settle pass voids it', async () => {
    const { owner, orgId } = await unpaidSinceMay29();
    t.clock.set('2026-06-10T00:00:00Z');
    // #3: the rest of Jun 1 – Jul 1 (30 days, 21 left): 25000 × 21 / 30 = 17500. The issuer declines it; the answer is lost.
    const customerRef = (await t.knex('billing_accounts').where({ organization_id: orgId }).first()).customer_ref;
    t.gateway.declineNextCharge((r) => r.customerRef === customerRef && r.description.endsWith('-000003'));
    loseTheCallOfInvoice3('after');
    const first = await replaceCard(t.deps, { organizationId: orgId, actor: owner, card: card(VISA) });
    expect(first.ok && first.reactivation).toMatchObject({ ok: false, failed: { message: 'The payment processor did not answer; try again in a moment.' } });
    let s = await state(orgId);
    expect(s.invoices.map((i) => `#${i.seq} ${i.status}`)).toEqual(['#1 paid', '#2 paid', '#3 open']);
    expect(s.attempts.at(-1)).toMatchObject({ status: 'pending' });
    expect(await period(orgId)).toBe('2026-06-01 – 2026-07-01');

    // Pay now at once: the outcome of #3 is unknown, so it is neither voided nor charged again.
    const again = await payNow(t.deps, { organizationId: orgId, actor: userActor(owner), by: 'administrator' });
    expect(again).toMatchObject({ ok: true, paidCents: 0, failure: expect.stringMatching(/^Invoice .*-000003: The payment processor did not answer/) });
    expect((await state(orgId)).invoices.map((i) => i.status)).toEqual(['paid', 'paid', 'open']);

    await pass(3 * MINUTE);
    s = await expectChargedOnce(orgId);
    expect(s.invoices.map((i) => `#${i.seq} ${i.status}`)).toEqual(['#1 paid', '#2 paid', '#3 void']);
    expect(s.status).toBe('unpaid');
    expect(await period(orgId)).toBe('2026-05-01 – 2026-06-01');
    // Since June 10: #2's receipt; nothing is owed for the void #3, so no payment-failed email.
    expect(s.mails.filter((m) => m.at >= '2026-06-10').map((m) => m.kind)).toEqual(['receipt']);

    // June 12: 19 of 30 days left: 25000 × 19 / 30 = 15833.33 → 15833.
    t.clock.set('2026-06-12T00:00:00Z');
    await saveCard(orgId, owner, VISA);
    s = await expectChargedOnce(orgId);
    expect(s.charges.filter((c) => c.at >= '2026-06-10').map((c) => `${c.at.slice(0, 10)} #${c.seq} ${c.amount} ${c.status}`)).toEqual([
      '2026-06-10 #2 25000 succeeded',
      '2026-06-10 #3 17500 failed',
      '2026-06-12 #4 15833 succeeded',
    ]);
    expect(s.status).toBe('active');
    expect(await period(orgId)).toBe('2026-06-01 – 2026-07-01');
  });

  it('the process dies after the invoice and its attempt are committed, before the gateway call: the settle pass charges it once and reactivates', async () => {
    const { owner, orgId } = await unpaidSinceMay29();
    t.clock.set('2026-06-10T00:00:00Z');
    loseTheCallOfInvoice3('before');
    const first = await replaceCard(t.deps, { organizationId: orgId, actor: owner, card: card(VISA) });
    expect(first.ok && first.reactivation?.ok).toBe(false);
    let s = await state(orgId);
    expect(s.invoices.map((i) => `#${i.seq} ${i.status}`)).toEqual(['#1 paid', '#2 paid', '#3 open']);
    expect(s.charges.filter((c) => c.seq === 3)).toEqual([]);

    await pass(3 * MINUTE);
    s = await expectChargedOnce(orgId);
    expect(s.invoices.map((i) => `#${i.seq} ${i.status} ${i.amount_paid_cents}`)).toEqual(['#1 paid 25000', '#2 paid 25000', '#3 paid 17500']);
    expect(s.status).toBe('active');
    expect(s.history.at(-1)).toMatchObject({ from: 'unpaid', to: 'active', at: '2026-06-10T00:03:00.000Z' });
    expect(mailKinds(s).slice(-3)).toEqual(['receipt', 'receipt', 'reactivated']); // #2's, #3's, then reactivated
    expect(await period(orgId)).toBe('2026-06-01 – 2026-07-01');
  });
});

/**
 * R3.9, R9.13, R9.12: the credit balance refunded on deletion. The refund is
 * recorded, pending, with its idempotency key in the deletion's transaction,
 * before the gateway is called; its outcome — the ledger entry, the lower
 * balance and the refund notice — is one transaction. Wherever the process
 * dies, a later pass refunds the card once and the books follow, once.
 */
describe('a crash in the refund of the credit balance on deletion (R9.13)', () => {
  /**
   * Business from April 1 ($2,500.00). Starter from April 21, 10 of the 30 days left:
   * −250000 × 10 / 30 = −83333.33 → −83333, +25000 × 10 / 30 = 8333.33 → 8333; net −75000 of credit.
   * Deleted April 25: the final invoice carries those two lines ($0.00 due), and $750.00 is refunded.
   */
  async function deleteWithCredit(crash?: () => void) {
    t.clock.set('2026-04-01T00:00:00Z');
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, plan: 'business', name: 'Refundy Co' });
    t.clock.set('2026-04-21T00:00:00Z');
    const starter = (await findPlanByCode(t.deps.db, 'starter'))!;
    expect(await changePlan(t.deps, { organizationId: org.id, planId: starter.id, at: t.clock.now(), actor: owner })).toMatchObject({ ok: true });
    t.clock.set('2026-04-25T00:00:00Z');
    crash?.();
    const organization = (await findOrganizationById(t.deps.db, org.id))!;
    return { orgId: org.id, remove: () => deleteOrganization(t.deps, { organization, actor: owner, confirmName: organization.name }) };
  }

  async function refundState(orgId: number) {
    const records = await recordsOf(t, orgId);
    const refunds = await t.knex('credit_refunds').where({ organization_id: orgId }).orderBy('id');
    const ledger = await t.knex('credit_ledger').where({ organization_id: orgId }).orderBy('id');
    const account = await t.knex('billing_accounts').where({ organization_id: orgId }).first();
    return {
      /** What the gateway refunded, from its own ledger. */
      gateway: records.refunds.map((r) => r.amount),
      ours: refunds.map((r: { amount_cents: number; status: string }) => `${r.amount_cents} ${r.status}`),
      balance: Number(account.credit_balance_cents),
      ledger: ledger.map((l: { amount_cents: number; reason: string }) => `${l.amount_cents} ${l.reason.replace(/[A-Z0-9]+-\d{6}/, 'N').replace(/charge \d+/, 'charge C')}`),
      notices: records.mails.filter((m) => m.kind === 'refund').map((m) => `${m.at} ${/We refunded (\$[\d,.]+)/.exec(m.text)![1]}`),
    };
  }
  const settledAt = (at: string) => ({
    gateway: [75_000],
    ours: ['75000 succeeded'],
    balance: 0,
    ledger: ['75000 Net credit of final invoice N', '-75000 Refunded to card (charge C)'],
    notices: [`${at} $750.00`],
  });
  const unsettled = (gateway: number[]) => ({ gateway, ours: ['75000 pending'], balance: 75_000, ledger: ['75000 Net credit of final invoice N'], notices: [] });

  it('with no crash: refunded at once, with its notice', async () => {
    const { orgId, remove } = await deleteWithCredit();
    expect(await remove()).toMatchObject({ ok: true, refundedCents: 75_000, refundPendingCents: 0, refundFailedCents: 0 });
    expect(await refundState(orgId)).toEqual(settledAt('2026-04-25T00:00:00.000Z'));
  });

  it('before the gateway call: the refund waits, pending, and the settle pass makes it with its key, once', async () => {
    const { orgId, remove } = await deleteWithCredit(() => t.gateway.failNextCalls(1, { method: 'refund', phase: 'before' }));
    expect(await remove()).toMatchObject({ ok: true, refundedCents: 0, refundPendingCents: 75_000, refundFailedCents: 0 });
    // The balance is still shown, as owed to the customer; nothing is refunded yet.
    expect(await refundState(orgId)).toEqual(unsettled([]));
    await pass(1 * MINUTE); // the answer may still be on its way
    expect(await refundState(orgId)).toEqual(unsettled([]));
    await pass(2 * MINUTE);
    await pass(3 * MINUTE);
    expect(await refundState(orgId)).toEqual(settledAt('2026-04-25T00:03:00.000Z'));
  });

  it('after the gateway refunded, before our commit: the settle pass gets the same refund back by its key and writes the books once', async () => {
    const { orgId, remove } = await deleteWithCredit(() => t.gateway.failNextCalls(1, { method: 'refund', phase: 'after' }));
    expect(await remove()).toMatchObject({ ok: true, refundedCents: 0, refundPendingCents: 75_000 });
    expect(await refundState(orgId)).toEqual(unsettled([75_000]));
    await pass(3 * MINUTE);
    await pass(3 * MINUTE);
    expect(await refundState(orgId)).toEqual(settledAt('2026-04-25T00:03:00.000Z'));
  });

  it('while writing the refund notice: the outcome rolls back with it, and the settle pass writes them together, once', async () => {
    const { orgId, remove } = await deleteWithCredit();
    await diesWritingTheFirstEmail(remove);
    expect(await refundState(orgId)).toEqual(unsettled([75_000]));
    expect((await t.knex('organizations').where({ id: orgId }).first()).deleted_at).toBe(Date.parse('2026-04-25T00:00:00Z'));
    await pass(3 * MINUTE);
    expect(await refundState(orgId)).toEqual(settledAt('2026-04-25T00:03:00.000Z'));
  });

  it('a refund the gateway refuses is placed on the next charge with room, in the transaction that records the refusal', async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, plan: 'business', name: 'Two Charges Co' });
    await pass('2026-05-01T00:00:00Z'); // #2, Business for May 1 – Jun 1, charged $2,500.00
    // May 21, 11 of the 31 days left: −250000 × 11 / 31 = −88709.68 → −88710; +25000 × 11 / 31 = 8870.97 → 8871; net −79839.
    t.clock.set('2026-05-21T00:00:00Z');
    const starter = (await findPlanByCode(t.deps.db, 'starter'))!;
    await changePlan(t.deps, { organizationId: org.id, planId: starter.id, at: t.clock.now(), actor: owner });
    // The May charge was refunded in full in the gateway's own dashboard meanwhile: a refund of it is refused.
    const [first, second] = (await recordsOf(t, org.id)).charges;
    await t.knex('sim_charges').where({ ref: second!.ref }).update({ refunded_cents: 250_000 });
    t.clock.set('2026-05-25T00:00:00Z');
    const organization = (await findOrganizationById(t.deps.db, org.id))!;
    expect(await deleteOrganization(t.deps, { organization, actor: owner, confirmName: organization.name })).toMatchObject({ ok: true, refundedCents: 79_839, refundPendingCents: 0, refundFailedCents: 0 });
    const refunds = await t.knex('credit_refunds').where({ organization_id: org.id }).orderBy('id');
    expect(refunds.map((r: { amount_cents: number; status: string; charge_ref: string }) => [Number(r.amount_cents), r.status, r.charge_ref])).toEqual([
      [79_839, 'failed', second!.ref],
      [79_839, 'succeeded', first!.ref],
    ]);
    const records = await recordsOf(t, org.id);
    expect(records.refunds.map((r) => [r.amount, r.chargeRef])).toEqual([[79_839, first!.ref]]);
    expect(records.mails.filter((m) => m.kind === 'refund').map((m) => /We refunded (\$[\d,.]+)/.exec(m.text)![1])).toEqual(['$798.39']);
    expect(Number((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).credit_balance_cents)).toBe(0);
  });

  it('two instances settling the same refund at once refund once and write one notice', async () => {
    const { orgId, remove } = await deleteWithCredit(() => t.gateway.failNextCalls(1, { method: 'refund', phase: 'before' }));
    await remove();
    t.clock.advance(3 * MINUTE);
    const other: Deps = { ...t.deps, gateway: new SimulatedGateway(t.deps.db, t.clock) };
    const reports = await Promise.all([runPass(jobs, t.deps, t.clock.now()), runPass(jobs, other, t.clock.now())]);
    for (const r of reports) expect(r.results.filter((x) => !x.ok)).toEqual([]);
    expect(await refundState(orgId)).toEqual(settledAt('2026-04-25T00:03:00.000Z'));
  });
});
