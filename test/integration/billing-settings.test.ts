import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, insertApplication, insertDevice, newOrg, newUser, orgOwner, signedIn } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const money = (s: string) => s.replace(/&#39;/g, "'");

async function adminWithOrg(plan: 'starter' | 'professional' | 'business' = 'starter') {
  const admin = await newUser(t, { name: 'Bill Admin' });
  const org = await newOrg(t, { owner: admin, plan, name: 'Billing Co' });
  return { admin, org, agent: await signedIn(t, admin) };
}

describe('Billing Plan tab (R9.5)', () => {
  it('the preview shows exactly the proration lines the next invoice carries', async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const { org, agent } = await adminWithOrg('starter');
    const tab = await agent.get(`/orgs/${org.slug}/settings/billing-plan`);
    expect(tab.statusCode).toBe(200);
    expect(tab.body).toContain('Current plan: <strong>Starter</strong>');
    const pro = await t.knex('plans').where({ code: 'professional' }).first();
    t.clock.set('2026-04-16T00:00:00Z');
    const preview = await agent.get(`/orgs/${org.slug}/settings/billing-plan/change?plan=${pro.id}`);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('-$125.00');
    expect(preview.body).toContain('$500.00');
    expect(preview.body).toContain('$375.00'); // net
    const quote = /name="quote" value="([^"]+)"/.exec(preview.body)![1]!;
    // Confirmed a few minutes later: the amounts are those shown, not recomputed.
    t.clock.advance(3 * 60_000);
    const confirm = await agent.post(`/orgs/${org.slug}/settings/billing-plan/change`, { plan: String(pro.id), quote });
    expect(confirm.statusCode).toBe(303);
    expect((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).plan_id).toBe(pro.id);
    const tabAfter = await agent.get(`/orgs/${org.slug}/settings/billing-plan`);
    expect(tabAfter.body).toContain('On your next invoice');
    expect(tabAfter.body).toContain('-$125.00');
    t.clock.set('2026-05-01T00:00:00Z');
    await runPass(jobs, t.deps, t.clock.now());
    const invoice = await t.knex('invoices').where({ organization_id: org.id, kind: 'renewal' }).first();
    const lines = await t.knex('invoice_lines').where({ invoice_id: invoice.id }).orderBy('position');
    expect(lines.map((l: { amount_cents: number }) => Number(l.amount_cents))).toEqual([-12_500, 50_000, 100_000]);
    const audit = await t.knex('audit_events').where({ organization_id: org.id, action: 'billing.plan_changed' }).first();
    expect(audit).toBeTruthy();
  });

  it('refuses a tampered or stale quote and shows fresh amounts', async () => {
    const { org, agent } = await adminWithOrg('starter');
    const pro = await t.knex('plans').where({ code: 'professional' }).first();
    const tampered = await agent.post(`/orgs/${org.slug}/settings/billing-plan/change`, { plan: String(pro.id), quote: `${t.clock.now().getTime() - 1000}.${'A'.repeat(43)}` });
    expect(tampered.statusCode).toBe(409);
    expect(tampered.body).toContain('These amounts have expired');
    const preview = await agent.get(`/orgs/${org.slug}/settings/billing-plan/change?plan=${pro.id}`);
    const quote = /name="quote" value="([^"]+)"/.exec(preview.body)![1]!;
    t.clock.advance(16 * 60_000);
    expect((await agent.post(`/orgs/${org.slug}/settings/billing-plan/change`, { plan: String(pro.id), quote })).statusCode).toBe(409);
    expect((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).plan_id).not.toBe(pro.id);
  });

  it('refuses a downgrade the current resources exceed, naming each limit', async () => {
    const { org, agent } = await adminWithOrg('professional');
    for (let i = 0; i < 11; i++) await t.knex('applications').insert({ owner_type: 'organization', owner_id: org.id, name: `App ${i}`, description: '', created_at: t.clock.now().getTime() });
    const starter = await t.knex('plans').where({ code: 'starter' }).first();
    const preview = await agent.get(`/orgs/${org.slug}/settings/billing-plan/change?plan=${starter.id}`);
    expect(preview.body).toContain('Applications: 11 in use, Starter allows 10');
    expect(preview.body).not.toContain('name="quote"');
    const { signQuote } = await import('../../src/modules/billing/change-plan.ts');
    const quote = signQuote(t.deps.config.sessionSecret, org.id, starter.id, t.clock.now());
    const res = await agent.post(`/orgs/${org.slug}/settings/billing-plan/change`, { plan: String(starter.id), quote });
    expect(res.statusCode).toBe(409);
    expect(money(res.body)).toContain('Applications: 11 in use, Starter allows 10');
  });

  it('warns, but allows, a downgrade below the period\'s payload usage, and shows data aging out', async () => {
    const { org, agent } = await adminWithOrg('professional');
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    await t.knex('usage_counters').insert({ owner_type: 'organization', owner_id: org.id, application_id: 1, period_start: account.period_anchor, application_name: 'x', payloads: 30_000_000, rejected: 0 });
    const starter = await t.knex('plans').where({ code: 'starter' }).first();
    const preview = await agent.get(`/orgs/${org.slug}/settings/billing-plan/change?plan=${starter.id}`);
    expect(preview.body).toContain('overage may be charged');
    expect(preview.body).toContain('name="quote"');
    // Nothing stored is older than 90 days: no warning about deleting nothing (issue #14).
    expect(preview.body).not.toContain('Data retention drops to 90 days');
    expect(preview.body).not.toContain('0 stored payloads');

    // Two payloads older than 90 days: then the warning says how many.
    const appId = await insertApplication(t, orgOwner(org), 'Old Data');
    const deviceId = await insertDevice(t, appId, 'sensor');
    const old = t.clock.now().getTime() - 100 * 86_400_000;
    await t.knex('payloads').insert([0, 1].map((i) => ({ application_id: appId, device_id: deviceId, time: old + i, received_at: old + i, data: '{}' })));
    const again = await agent.get(`/orgs/${org.slug}/settings/billing-plan/change?plan=${starter.id}`);
    expect(again.body).toContain('Data retention drops to 90 days: 2 stored payloads are older than that and will be deleted by the next clean-up.');
  });
});

describe('Payment Method tab (R9.6)', () => {
  it('replaces the card; a card that fails to save leaves the old one in place', async () => {
    const { org, agent } = await adminWithOrg();
    const page = await agent.get(`/orgs/${org.slug}/settings/payment-method`);
    expect(page.body).toContain('Visa ending in 4242');
    const declined = await agent.post(`/orgs/${org.slug}/settings/payment-method`, { card_number: '4000 0000 0000 0002', card_expiry: '12/34', card_cvc: '123' });
    expect(declined.statusCode).toBe(402);
    expect(declined.body).toContain('Your card was declined. Your previous card is still on file.');
    expect((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).card_last4).toBe('4242');
    const ok = await agent.post(`/orgs/${org.slug}/settings/payment-method`, { card_number: '5555 5555 5555 4444', card_expiry: '11/33', card_cvc: '321' });
    expect(ok.statusCode).toBe(303);
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    expect(account).toMatchObject({ card_brand: 'mastercard', card_last4: '4444', card_exp_month: 11, card_exp_year: 2033 });
    expect(await t.knex('audit_events').where({ organization_id: org.id, action: 'billing.payment_method_changed' }).first()).toBeTruthy();
    expect((await agent.post(`/orgs/${org.slug}/settings/payment-method`, { card_number: 'abc', card_expiry: '1', card_cvc: '' })).statusCode).toBe(422);
  });
});

describe('Delete Organization (R3.9, R9.9)', () => {
  it('needs the exact name, then deletes resources, cancels invitations and billing, and lands on the listing', async () => {
    const { admin, org, agent } = await adminWithOrg();
    const member = await newUser(t);
    await addMember(t, org, member, 'viewer');
    await agent.post('/applications', { owner: `org:${org.id}`, name: 'Doomed App' });
    await agent.post(`/orgs/${org.slug}/invitations`, { email: 'pending@example.com', role: 'viewer' });
    const wrong = await agent.post(`/orgs/${org.slug}/settings/delete`, { confirm_name: 'billing co' });
    expect(wrong.statusCode).toBe(422);
    const res = await agent.post(`/orgs/${org.slug}/settings/delete`, { confirm_name: 'Billing Co' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/orgs');
    expect((await t.knex('organizations').where({ id: org.id }).first()).deleted_at).not.toBeNull();
    expect(await t.knex('applications').where({ owner_type: 'organization', owner_id: org.id })).toHaveLength(0);
    expect((await t.knex('invitations').where({ organization_id: org.id }).first()).status).toBe('cancelled');
    expect((await agent.get(`/orgs/${org.slug}`)).statusCode).toBe(404);
    const listing = (await (await signedIn(t, member)).get('/orgs')).body;
    expect(listing).toContain('Billing Co was deleted on');
    expect(listing).not.toContain('/orgs/' + org.slug + '"');
    expect(await t.knex('users').where({ id: member.id })).toHaveLength(1);
    expect(admin).toBeTruthy();
    // No more period invoices.
    t.clock.advanceDays(40);
    await runPass(jobs, t.deps, t.clock.now());
    expect(await t.knex('invoices').where({ organization_id: org.id, kind: 'renewal' })).toHaveLength(0);
  });

  it('is for Administrators only', async () => {
    const { org } = await adminWithOrg();
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    const agent = await signedIn(t, editor);
    expect((await agent.get(`/orgs/${org.slug}/settings/delete`)).statusCode).toBe(403);
    expect((await agent.post(`/orgs/${org.slug}/settings/delete`, { confirm_name: 'Billing Co' })).statusCode).toBe(403);
  });
});

describe('Past Due bar and Pay now (R9.7, R9.10)', () => {
  it('shows the bar to members on organization and application pages; Pay now settles with a working card', async () => {
    const { org, agent } = await adminWithOrg();
    const viewer = await newUser(t);
    await addMember(t, org, viewer, 'viewer');
    const created = await agent.post('/applications', { owner: `org:${org.id}`, name: 'Bar App' });
    const appPath = String(created.headers.location);
    // A renewal with a card that fails when charged.
    await agent.post(`/orgs/${org.slug}/settings/payment-method`, { card_number: '4000000000000341', card_expiry: '12/34', card_cvc: '123' });
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    t.clock.set(new Date(Number(account.current_period_end)));
    await runPass(jobs, t.deps, t.clock.now());
    expect((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).status).toBe('past_due');
    const overview = await agent.get(`/orgs/${org.slug}`);
    expect(overview.body).toContain('Billing Co is Past Due');
    expect(overview.body).toContain('>Pay now</button>');
    const viewerAgent = await signedIn(t, viewer);
    const asViewer = await viewerAgent.get(appPath);
    expect(asViewer.body).toContain('Billing Co is Past Due');
    expect(asViewer.body).not.toContain('>Pay now</button>');
    expect((await viewerAgent.post(`/orgs/${org.slug}/billing/pay-now`)).statusCode).toBe(403);
    const failedAgain = await agent.post(`/orgs/${org.slug}/billing/pay-now`);
    expect(failedAgain.statusCode).toBe(303);
    expect((await agent.get('/orgs/' + org.slug + '/settings/invoices')).body).toContain('The payment failed');
    await agent.post(`/orgs/${org.slug}/settings/payment-method`, { card_number: '4242424242424242', card_expiry: '12/34', card_cvc: '123' });
    await agent.post(`/orgs/${org.slug}/billing/pay-now`);
    expect((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).status).toBe('active');
    expect((await agent.get(`/orgs/${org.slug}`)).body).not.toContain('is Past Due');
  });
});
