import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimAttempt } from '../../src/modules/billing/charge.ts';
import { replaceCard } from '../../src/modules/billing/replace-card.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { newOrg, newUser } from '../support/builders.ts';
import { createOrganization } from '../../src/modules/organizations/create-organization.ts';
import { openWizard, selectPlan } from '../../src/modules/organizations/wizard.ts';
import { findWizard } from '../../src/modules/organizations/queries/wizards.ts';

/**
 * R12.1: a scheduler pass run "as if at" an instant (the CLI's --at, the
 * admin's pass) does every step at that instant — the invoice's issue, the
 * attempt, its outcome and the receipt, and a first charge it settles —
 * whatever the application clock reads. R9.13: an attempt left pending is settled with the card it was made
 * with, not with the card on file by then.
 */

let t: TestContext;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

describe('a pass at a given instant (R12.1)', () => {
  it('issues, charges, records and mails at the pass instant, not the clock', async () => {
    t.clock.set('2026-11-30T07:05:00Z');
    const owner = await newUser(t);
    const org = await newOrg(t, { owner });
    // The application clock is elsewhere (the wall clock, the demo clock): a month before.
    t.clock.set('2026-11-30T08:00:00Z');
    const at = new Date('2026-12-30T07:05:00Z');
    const report = await runPass(jobs, t.deps, at);
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    const invoice = await t.knex('invoices').where({ organization_id: org.id, seq: 2 }).first();
    expect([iso(invoice.issued_at), iso(invoice.paid_at)]).toEqual(['2026-12-30T07:05:00.000Z', '2026-12-30T07:05:00.000Z']);
    const attempt = await t.knex('payment_attempts').where({ invoice_id: invoice.id }).first();
    expect([iso(attempt.created_at), iso(attempt.completed_at)]).toEqual(['2026-12-30T07:05:00.000Z', '2026-12-30T07:05:00.000Z']);
    const receipt = await t.knex('mail_outbox').where({ organization_id: org.id, kind: 'receipt' }).orderBy('id', 'desc').first();
    expect(iso(receipt.created_at)).toBe('2026-12-30T07:05:00.000Z');
    expect(receipt.text_body).toContain('on December 30, 2026');
  });
});

describe('settling a first charge at a given instant (R12.1, R9.13)', () => {
  const VISA = '4242424242424242';
  /** A wizard whose charge was sent at 07:00 and whose answer never came back. */
  async function wizardChargingSince7(fail: 'before' | 'after') {
    t.clock.set('2026-11-30T07:00:00Z');
    const owner = await newUser(t);
    await selectPlan(t.deps.db, t.clock, await openWizard(t.deps.db, t.clock, owner, { restartCompleted: true }), 'starter');
    t.gateway.failNextCalls(1, { method: 'charge', phase: fail });
    const details = { name: 'Settled Later Co', description: '', iconColor: '#3346d3', billingEmail: owner.email };
    const card = { kind: 'card' as const, number: VISA, expMonth: 12, expYear: 2030, cvc: '123' };
    expect(await createOrganization(t.deps, owner, (await findWizard(t.deps.db, owner.id))!, details, card)).toMatchObject({ ok: false, reason: 'gateway_unavailable' });
    return owner;
  }

  it('a charge the gateway made: the organization, its invoice, attempt and receipt carry the pass instant, not the clock', async () => {
    await wizardChargingSince7('after');
    // The application clock reads 07:01 (the wall clock, the demo clock); the pass runs as if at 07:05.
    t.clock.set('2026-11-30T07:01:00Z');
    const report = await runPass(jobs, t.deps, new Date('2026-11-30T07:05:00Z'));
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    const org = await t.knex('organizations').where({ name: 'Settled Later Co' }).first();
    expect(iso(org.created_at)).toBe('2026-11-30T07:05:00.000Z');
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    expect([iso(account.period_anchor), iso(account.current_period_end)]).toEqual(['2026-11-30T07:05:00.000Z', '2026-12-30T07:05:00.000Z']);
    const invoice = await t.knex('invoices').where({ organization_id: org.id, seq: 1 }).first();
    expect([iso(invoice.issued_at), iso(invoice.paid_at)]).toEqual(['2026-11-30T07:05:00.000Z', '2026-11-30T07:05:00.000Z']);
    const attempt = await t.knex('payment_attempts').where({ invoice_id: invoice.id }).first();
    expect([iso(attempt.created_at), iso(attempt.completed_at)]).toEqual(['2026-11-30T07:05:00.000Z', '2026-11-30T07:05:00.000Z']);
    const receipt = await t.knex('mail_outbox').where({ organization_id: org.id, kind: 'receipt' }).first();
    expect(iso(receipt.created_at)).toBe('2026-11-30T07:05:00.000Z');
    const created = await t.knex('audit_events').where({ organization_id: org.id, action: 'organization.created' }).first();
    expect(iso(created.created_at)).toBe('2026-11-30T07:05:00.000Z');
  });

  it('a charge the gateway never saw: the wizard is released at the pass instant', async () => {
    const owner = await wizardChargingSince7('before');
    t.clock.set('2026-11-30T07:01:00Z');
    await runPass(jobs, t.deps, new Date('2026-11-30T07:05:00Z'));
    const wizard = await t.knex('organization_wizards').where({ user_id: owner.id }).first();
    expect([wizard.state, iso(wizard.updated_at)]).toEqual(['editing', '2026-11-30T07:05:00.000Z']);
    expect(await t.knex('organizations').where({ name: 'Settled Later Co' })).toEqual([]);
  });
});

describe('settling a pending attempt (R9.13)', () => {
  it('resends with the card the attempt was made with, not the card on file now', async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const owner = await newUser(t);
    const org = await newOrg(t, { owner });
    t.clock.set('2026-05-01T00:00:00Z');
    // The renewal is issued and its attempt claimed with the Visa; the process dies before the gateway call.
    await runPass(jobs.filter((j) => j.name === 'billing:renewals'), { ...t.deps, gateway: { ...t.deps.gateway, charge: () => Promise.reject(new Error('process died')) } }, t.clock.now());
    const invoice = await t.knex('invoices').where({ organization_id: org.id, seq: 2 }).first();
    const pending = await t.knex('payment_attempts').where({ invoice_id: invoice.id }).first();
    expect(pending).toMatchObject({ status: 'pending', card_last4: '4242' });
    expect(await claimAttempt(t.deps, Number(invoice.id), { at: t.clock.now(), trigger: 'pay_now' })).toEqual({ skip: 'in_flight' });
    // Meanwhile the Administrator saves a Mastercard.
    await replaceCard(t.deps, { organizationId: org.id, actor: owner, card: { kind: 'card', number: '5555555555554444', expMonth: 12, expYear: 2030, cvc: '123' } });
    t.clock.set('2026-05-01T00:05:00Z');
    await runPass(jobs, t.deps, t.clock.now());
    const charges = await t.knex('sim_charges as c').join('sim_payment_methods as m', 'm.ref', 'c.payment_method_ref').where('c.idempotency_key', pending.idempotency_key).select('m.last4', 'c.status');
    expect(charges).toEqual([{ last4: '4242', status: 'succeeded' }]);
    expect((await t.knex('payment_attempts').where({ id: pending.id }).first()).status).toBe('succeeded');
  });
});
