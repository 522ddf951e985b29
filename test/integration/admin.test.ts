import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPlatformAdmin } from '../../src/modules/accounts/queries.ts';
import { availablePlans } from '../../src/modules/plans/queries.ts';
import { issueInvoice } from '../../src/modules/billing/invoices.ts';
import { findBillingAccount } from '../../src/modules/owners/queries/billing-accounts.ts';
import { transition } from '../../src/modules/billing/status.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { submitEnterpriseInquiry } from '../../src/modules/organizations/submit-enterprise-inquiry.ts';
import { toPlan } from '../../src/modules/plans/queries.ts';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';

let t: TestContext;
let admin: TestUser;
let adminAgent: Agent;
beforeAll(async () => {
  t = await startTestApp();
  admin = await newUser(t, { name: 'Olga Ops', email: 'ops@orgplane.example' });
  await setPlatformAdmin(t.deps.db, admin.id, true);
  adminAgent = await signedIn(t, admin);
});
afterAll(async () => {
  await t.close();
});

const db = () => t.deps.db;

let periodSeq = 0;
/** An open invoice, issued through the billing engine's own function. */
async function openInvoice(org: Organization, amountCents = 25_000): Promise<{ id: number; number: string }> {
  const start = new Date(Date.UTC(2030, 0, 1) + ++periodSeq * 1000);
  return db().transaction(async (trx) => {
    const inv = await issueInvoice(trx, {
      organizationId: org.id,
      numberPrefix: org.slug,
      kind: 'renewal',
      issuedAt: t.clock.now(),
      periodStart: start,
      periodEnd: new Date(start.getTime() + 30 * 86_400_000),
      lines: [{ kind: 'subscription', description: 'Starter plan', quantity: 1, unitPriceCents: amountCents, amountCents }],
      creditAppliedCents: 0,
    });
    return { id: inv.id, number: inv.number };
  });
}

async function makePastDue(org: Organization) {
  await db().transaction((trx) => transition(trx, { organizationId: org.id, to: 'past_due', cause: 'Payment of invoice failed: Your card was declined.', at: t.clock.now() }));
}

/** Replaces the card on file with one that attaches but fails when charged (4000 0000 0000 0341). */
async function giveFailingCard(org: Organization) {
  const account = (await findBillingAccount(db(), org.id))!;
  const saved = await t.gateway.saveCard(account.customerRef, { kind: 'card', number: '4000000000000341', expMonth: 12, expYear: 2031, cvc: '123' });
  if (!saved.ok) throw new Error('could not save the failing card');
  await t.knex('billing_accounts').where({ organization_id: org.id }).update({ payment_method_ref: saved.card.paymentMethodRef, card_brand: saved.card.brand, card_last4: saved.card.last4 });
}

const statusOf = async (org: Organization) => (await findBillingAccount(db(), org.id))!.status;
const auditOf = async (org: Organization) =>
  t.knex('audit_events').where({ organization_id: org.id }).orderBy('id').select('action', 'actor_user_id', 'actor_label', 'before_json', 'after_json');
const adminEvents = async (action: string) => t.knex('admin_events').where({ action }).orderBy('id');

describe('access (R2.4, §11): every /admin route is 404 for anyone but a platform admin', () => {
  it('answers 404 to visitors, users and organization Administrators on every route, GET and POST, and changes nothing', async () => {
    const orgAdmin = await newUser(t, { name: 'Owen Owner' });
    const org = await newOrg(t, { owner: orgAdmin, name: 'Matrix Co' });
    const plain = await newUser(t, { name: 'Pat Plain' });
    const invoice = await openInvoice(org);
    const inquiry = await submitEnterpriseInquiry(db(), t.clock, { userId: orgAdmin.id, name: 'Owen Owner', email: orgAdmin.email, company: 'Matrix Co', expectedDevices: 9000, message: 'Talk to us' });
    const mail = await t.deps.mailer.send({ to: 'someone@example.com', subject: 'Hello', text: 'Hi', kind: 'test' });
    const pass = await adminAgent.post('/admin/scheduler/passes');
    const passId = /\/admin\/scheduler\/passes\/(\d+)$/.exec(String(pass.headers.location))![1]!;

    const routes = t.app.routeList.filter((r) => r.url === '/admin' || r.url.startsWith('/admin/'));
    const ids: Record<string, number | string> = {
      '/admin/organizations/': org.id,
      '/admin/users/': plain.id,
      '/admin/inquiries/': inquiry.id,
      '/admin/mail/': mail.id,
      '/admin/scheduler/passes/': passId,
    };
    const fill = (url: string) => {
      let out = url.replace(':invoiceId', String(invoice.id));
      if (out.includes(':id')) {
        const prefix = Object.keys(ids).find((p) => out.startsWith(p));
        if (!prefix) throw new Error(`no fixture for the :id of ${url}: add one to this test`);
        out = out.replace(':id', String(ids[prefix]));
      }
      if (out.includes(':')) throw new Error(`unknown parameter in ${url}: add a fixture to this test`);
      return out;
    };
    // Bodies an admin's form would send, so a 404 here is the guard, not bad input.
    const body = { amount: '10.00', reason: 'sneaky', confirm: 'yes', value: 'grant', status: 'closed', mode: 'by', unit: 'days', plan: '1', quote: 'x', name: 'X', price: '1' };

    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes).toContainEqual({ method: 'GET', url: '/admin' });
    expect(routes).toContainEqual({ method: 'POST', url: '/admin/organizations/:id/credits' });
    expect(routes).toContainEqual({ method: 'POST', url: '/admin/clock/shifts' });

    const visitors: [string, Agent][] = [
      ['a visitor', t.agent()],
      ['a signed-in user', await signedIn(t, plain)],
      ['an organization Administrator', await signedIn(t, orgAdmin)],
    ];
    const auditBefore = (await auditOf(org)).length;
    const eventsBefore = Number((await t.knex('admin_events').count({ n: '*' }).first())?.n);
    for (const [who, agent] of visitors) {
      for (const r of routes) {
        const url = fill(r.url);
        const res = r.method === 'GET' ? await agent.get(url) : await agent.post(url, body);
        expect(res.statusCode, `${who}: ${r.method} ${url}`).toBe(404);
        expect(res.body, `${who}: ${r.method} ${url}`).toContain('Page not found');
        expect(res.body).not.toContain('Back-office');
      }
    }
    // Nothing happened: no credit, no promotion, no status change, no log entry.
    expect((await findBillingAccount(db(), org.id))!.creditBalanceCents).toBe(0);
    expect(Boolean((await t.knex('users').where({ id: plain.id }).first()).is_platform_admin)).toBe(false);
    expect((await t.knex('enterprise_inquiries').where({ id: inquiry.id }).first()).status).toBe('new');
    expect((await t.knex('invoices').where({ id: invoice.id }).first()).status).toBe('open');
    expect((await auditOf(org)).length).toBe(auditBefore);
    expect(Number((await t.knex('admin_events').count({ n: '*' }).first())?.n)).toBe(eventsBefore);

    // The same pages open for a platform admin (so the 404s above were the guard).
    const professional = await t.knex('plans').where({ code: 'professional' }).first('id');
    const query: Record<string, string> = { '/admin/organizations/:id/plan/preview': `?plan=${professional.id}` };
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const url = fill(r.url) + (query[r.url] ?? '');
      const res = await adminAgent.get(url);
      expect(res.statusCode, `admin: GET ${url}`).toBe(200);
      expect(res.body).toContain('Back-office');
    }
  });

  it('shows the signed-in user on the 404 page, as for any unknown page', async () => {
    const user = await newUser(t, { name: 'Nosy Nora' });
    const agent = await signedIn(t, user);
    const admin404 = await agent.get('/admin/organizations');
    const unknown = await agent.get('/no-such-page');
    expect(admin404.statusCode).toBe(404);
    expect(admin404.body).toContain('Nosy Nora');
    expect(admin404.body.replace(/name="_csrf" value="[^"]+"/g, '').replace(/"x-csrf-token": "[^"]+"/g, '')).toBe(
      unknown.body.replace(/name="_csrf" value="[^"]+"/g, '').replace(/"x-csrf-token": "[^"]+"/g, ''),
    );
  });
});

describe('organizations list (R11.1)', () => {
  it('filters by status, plan and name, counts per status, and shows the figures of each organization', async () => {
    const owner = await newUser(t, { name: 'Lisa Lister' });
    const active = await newOrg(t, { owner, name: 'Zeta Listing Active', plan: 'professional' });
    const late = await newOrg(t, { owner, name: 'Zeta Listing Late' });
    const gone = await newOrg(t, { owner, name: 'Zeta Listing Gone' });
    await addMember(t, active, await newUser(t), 'viewer');
    await openInvoice(late, 12_345);
    await makePastDue(late);
    await openInvoice(gone, 5_000);
    await t.knex('organizations').where({ id: gone.id }).update({ deleted_at: t.clock.now().getTime() });
    const account = (await findBillingAccount(db(), active.id))!;
    const [app] = await t.knex('applications')
      .insert({ owner_type: 'organization', owner_id: active.id, name: 'Fleet', description: '', created_at: t.clock.now().getTime() })
      .returning('id');
    const appId = Number(typeof app === 'object' ? (app as { id: number }).id : app);
    await t.knex('devices').insert([1, 2, 3].map((i) => ({ application_id: appId, name: `d${i}`, created_at: t.clock.now().getTime() })));
    await t.knex('usage_counters').insert({ owner_type: 'organization', owner_id: active.id, application_id: appId, period_start: account.currentPeriodStart.getTime(), application_name: 'Fleet', payloads: 1_234_567 });

    const all = await adminAgent.get('/admin/organizations?q=zeta+listing');
    expect(all.statusCode).toBe(200);
    const rowOf = (html: string, name: string) => {
      const m = new RegExp(`<tr>\\s*<th scope="row"><a href="/admin/organizations/\\d+">${name}</a></th>([\\s\\S]*?)</tr>`).exec(html);
      return m ? m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() : null;
    };
    expect(rowOf(all.body, 'Zeta Listing Active')).toBe('Professional Active 2 1 3 1,234,567 $0.00');
    expect(rowOf(all.body, 'Zeta Listing Late')).toBe('Starter Past Due 1 0 0 0 $123.45');
    expect(rowOf(all.body, 'Zeta Listing Gone')).toBe('Starter Deleted 1 0 0 0 $50.00');
    // Counts per status within the search.
    expect(all.body).toMatch(/>All <span class="count">3<\/span>/);
    expect(all.body).toMatch(/>Active <span class="count">1<\/span>/);
    expect(all.body).toMatch(/>Past Due <span class="count">1<\/span>/);
    expect(all.body).toMatch(/>Unpaid <span class="count">0<\/span>/);
    expect(all.body).toMatch(/>Deleted with debt <span class="count">1<\/span>/);

    const pastDue = await adminAgent.get('/admin/organizations?q=zeta&status=past_due');
    expect(rowOf(pastDue.body, 'Zeta Listing Late')).not.toBeNull();
    expect(rowOf(pastDue.body, 'Zeta Listing Active')).toBeNull();
    const debt = await adminAgent.get('/admin/organizations?q=zeta&status=deleted_with_debt');
    expect(rowOf(debt.body, 'Zeta Listing Gone')).not.toBeNull();
    expect(rowOf(debt.body, 'Zeta Listing Late')).toBeNull();
    const pro = await adminAgent.get('/admin/organizations?q=zeta&plan=professional');
    expect(rowOf(pro.body, 'Zeta Listing Active')).not.toBeNull();
    expect(rowOf(pro.body, 'Zeta Listing Late')).toBeNull();
    // LIKE wildcards in the search are taken literally.
    expect(rowOf((await adminAgent.get('/admin/organizations?q=zeta%25active')).body, 'Zeta Listing Active')).toBeNull();
    // Unknown filter values are ignored rather than failing.
    expect((await adminAgent.get('/admin/organizations?status=bogus&plan=nope&page=-3')).statusCode).toBe(200);
  });

  it('pages the list 25 at a time', async () => {
    const owner = await newUser(t);
    const template = (await findBillingAccount(db(), (await newOrg(t, { owner, name: 'Paging 00' })).id))!;
    for (let i = 1; i <= 26; i++) {
      const [row] = await t.knex('organizations')
        .insert({ slug: `paging${i}`, name: `Paging ${String(i).padStart(2, '0')}`, description: '', icon_color: '#3346d3', created_by_user_id: owner.id, created_at: t.clock.now().getTime() })
        .returning('id');
      const id = Number(typeof row === 'object' ? (row as { id: number }).id : row);
      await t.knex('billing_accounts').insert({
        organization_id: id,
        plan_id: template.planId,
        status: 'active',
        billing_email: owner.email,
        customer_ref: template.customerRef,
        period_anchor: template.periodAnchor.getTime(),
        current_period_start: template.currentPeriodStart.getTime(),
        current_period_end: template.currentPeriodEnd.getTime(),
        created_at: t.clock.now().getTime(),
        updated_at: t.clock.now().getTime(),
      });
    }
    const first = await adminAgent.get('/admin/organizations?q=paging');
    expect(first.body).toContain('27 matching');
    expect(first.body).toContain('Page 1 of 2');
    expect(first.body).toContain('href="/admin/organizations?q=paging&amp;page=2"');
    const second = await adminAgent.get('/admin/organizations?q=paging&page=2');
    expect(second.body).toContain('Paging 26');
    expect(second.body).not.toContain('Paging 24');
  });
});

describe('organization page and billing actions (R11.2), each audited with the admin as actor', () => {
  it('shows plan and limits, billing, invoices with attempts, members, resources and the audit log', async () => {
    const owner = await newUser(t, { name: 'Dora Detail' });
    const org = await newOrg(t, { owner, name: 'Detail Works' });
    await giveFailingCard(org);
    const invoice = await openInvoice(org, 7_700);
    const res0 = await adminAgent.post(`/admin/organizations/${org.id}/charge-retry`);
    expect(res0.statusCode).toBe(303);
    const page = await adminAgent.get(`/admin/organizations/${org.id}`);
    expect(page.statusCode).toBe(200);
    for (const text of ['Plan and limits', 'Starter', 'Billing period', 'Invoices and payment attempts', invoice.number, 'Attempt: Failed', 'Your card was declined.', 'Status history', 'Active → Past Due', 'Credit ledger', 'Dora Detail', 'Administrator', 'Resources', 'Audit log', 'organization.created', 'billing.charge_retried', '$77.00']) {
      expect(page.body, text).toContain(text);
    }
    expect(await statusOf(org)).toBe('past_due');
  });

  it('grant credit: a review step, then the balance, the ledger and the audit log change together', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Credit Co' });
    const bad = await adminAgent.post(`/admin/organizations/${org.id}/credits`, { amount: 'ten', reason: '' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Enter the amount in dollars, like 1,250.00.');
    expect(bad.body).toContain('Enter a reason.');
    const review = await adminAgent.post(`/admin/organizations/${org.id}/credits`, { amount: '1,250.50', reason: 'Outage on 2026-03-01' });
    expect(review.statusCode).toBe(200);
    expect(review.body).toContain('Grant $1,250.50 of credit to Credit Co?');
    expect((await findBillingAccount(db(), org.id))!.creditBalanceCents).toBe(0);
    const done = await adminAgent.post(`/admin/organizations/${org.id}/credits`, { amount: '1,250.50', reason: 'Outage on 2026-03-01', confirm: 'yes' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/admin/organizations/${org.id}`);
    expect((await findBillingAccount(db(), org.id))!.creditBalanceCents).toBe(125_050);
    expect(await t.knex('credit_ledger').where({ organization_id: org.id }).select('amount_cents', 'reason', 'actor_user_id')).toEqual([
      { amount_cents: 125_050, reason: 'Outage on 2026-03-01', actor_user_id: admin.id },
    ]);
    const entry = (await auditOf(org)).find((e) => e.action === 'billing.credit_granted');
    expect(entry).toMatchObject({ actor_user_id: admin.id, actor_label: 'Olga Ops <ops@orgplane.example> (platform admin)' });
    expect(JSON.parse(entry.after_json)).toMatchObject({ creditBalance: '$1,250.50', granted: '$1,250.50' });
    const page = await adminAgent.get(`/admin/organizations/${org.id}`);
    expect(page.body).toContain('Granted $1,250.50 of credit to Credit Co. Credit balance: $1,250.50.');
    // A deleted organization keeps only its debt.
    await t.knex('organizations').where({ id: org.id }).update({ deleted_at: t.clock.now().getTime() });
    expect((await adminAgent.post(`/admin/organizations/${org.id}/credits`, { amount: '5', reason: 'late', confirm: 'yes' })).statusCode).toBe(409);
  });

  it('grant credit then retry the charge: a Past Due organization is Active again, with both actions audited', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Comeback Co' });
    const inv = await openInvoice(org, 25_000);
    await makePastDue(org);
    expect((await adminAgent.post(`/admin/organizations/${org.id}/credits`, { amount: '20', reason: 'Goodwill', confirm: 'yes' })).statusCode).toBe(303);
    const confirm = await adminAgent.get(`/admin/organizations/${org.id}/charge-retry`);
    expect(confirm.body).toContain('Charge Comeback Co&#39;s open invoices now?');
    expect(confirm.body).toContain('$250.00');
    expect(await statusOf(org)).toBe('past_due');
    const receipts = async () => Number((await t.knex('mail_outbox').where({ organization_id: org.id, kind: 'receipt' }).count({ n: '*' }).first())?.n);
    const receiptsBefore = await receipts();
    const res = await adminAgent.post(`/admin/organizations/${org.id}/charge-retry`);
    expect(res.statusCode).toBe(303);
    expect(await statusOf(org)).toBe('active');
    expect((await t.knex('invoices').where({ id: inv.id }).first()).status).toBe('paid');
    const audit = await auditOf(org);
    // The status change is written with the payment that caused it (R9.12), then the retry with its result.
    expect(audit.map((e) => e.action)).toEqual(['organization.created', 'billing.status_changed', 'billing.credit_granted', 'billing.status_changed', 'billing.charge_retried']);
    expect(audit.at(-2)).toMatchObject({ actor_user_id: admin.id });
    expect(audit.at(-1)).toMatchObject({ actor_user_id: admin.id });
    expect(JSON.parse(audit.at(-2).after_json)).toMatchObject({ status: 'Active', cause: 'Paid after an admin retry' });
    const history = await t.knex('billing_status_history').where({ organization_id: org.id }).orderBy('id');
    expect(history.at(-1)).toMatchObject({ from_status: 'past_due', to_status: 'active', cause: 'Paid after an admin retry' });
    const page = await adminAgent.get(`/admin/organizations/${org.id}`);
    expect(page.body).toContain('Charged $250.00. No invoice is open. Comeback Co is Active again.');
    // A receipt went to the billing email (the billing engine's own path).
    expect(await receipts()).toBe(receiptsBefore + 1);
    // Nothing left to charge.
    const again = await adminAgent.post(`/admin/organizations/${org.id}/charge-retry`);
    expect(again.statusCode).toBe(303);
    expect((await adminAgent.get(`/admin/organizations/${org.id}`)).body).toContain('has no open invoice: nothing was charged.');
  });

  it('a retry that fails leaves the organization Past Due and is still audited', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Still Late Co' });
    await openInvoice(org);
    await makePastDue(org);
    await giveFailingCard(org);
    const res = await adminAgent.post(`/admin/organizations/${org.id}/charge-retry`);
    expect(res.statusCode).toBe(303);
    expect(await statusOf(org)).toBe('past_due');
    const retried = (await auditOf(org)).filter((e) => e.action === 'billing.charge_retried');
    expect(retried).toHaveLength(1);
    expect(JSON.parse(retried[0]!.after_json)).toMatchObject({ openInvoices: 1, failure: 'Your card was declined.' });
    expect((await adminAgent.get(`/admin/organizations/${org.id}`)).body).toContain('A charge failed: Your card was declined. 1 invoice is still open.');
  });

  it('void and uncollectible: only open invoices; the last open one ends Past Due', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Write Off Co' });
    const first = await openInvoice(org, 1_000);
    const second = await openInvoice(org, 2_000);
    await makePastDue(org);
    const confirm = await adminAgent.get(`/admin/organizations/${org.id}/invoices/${first.id}/void`);
    expect(confirm.body).toContain(`Void invoice ${first.number}?`);
    expect((await t.knex('invoices').where({ id: first.id }).first()).status).toBe('open');
    expect((await adminAgent.post(`/admin/organizations/${org.id}/invoices/${first.id}/void`)).statusCode).toBe(303);
    expect((await t.knex('invoices').where({ id: first.id }).first()).status).toBe('void');
    expect(await statusOf(org)).toBe('past_due');
    expect((await adminAgent.post(`/admin/organizations/${org.id}/invoices/${first.id}/uncollectible`)).statusCode).toBe(409);
    const lastConfirm = await adminAgent.get(`/admin/organizations/${org.id}/invoices/${second.id}/uncollectible`);
    expect(lastConfirm.body).toContain('last open invoice');
    expect((await adminAgent.post(`/admin/organizations/${org.id}/invoices/${second.id}/uncollectible`)).statusCode).toBe(303);
    expect((await t.knex('invoices').where({ id: second.id }).first()).status).toBe('uncollectible');
    expect(await statusOf(org)).toBe('active');
    const audit = await auditOf(org);
    expect(audit.map((e) => e.action).slice(-3)).toEqual(['billing.invoice_voided', 'billing.invoice_marked_uncollectible', 'billing.status_changed']);
    for (const e of audit.slice(-3)) expect(e.actor_user_id).toBe(admin.id);
    expect(JSON.parse(audit.at(-1).after_json).cause).toBe(`Invoice ${second.number} marked uncollectible by a platform admin; no invoice left open`);
    // Another organization's invoice is not reachable through this one.
    const other = await newOrg(t, { owner, name: 'Other Co' });
    const foreign = await openInvoice(other);
    expect((await adminAgent.post(`/admin/organizations/${org.id}/invoices/${foreign.id}/void`)).statusCode).toBe(404);
    expect((await t.knex('invoices').where({ id: foreign.id }).first()).status).toBe('open');
  });

  it('on an Unpaid organization, retry and void reactivate it on its original anchor (R9.8)', async () => {
    const owner = await newUser(t);
    const makeUnpaid = async (org: Organization) => {
      await makePastDue(org);
      await db().transaction((trx) => transition(trx, { organizationId: org.id, to: 'unpaid', cause: '28 days Past Due', at: t.clock.now() }));
    };
    const retried = await newOrg(t, { owner, name: 'Unpaid Retry Co' });
    const before = (await findBillingAccount(db(), retried.id))!;
    const debt = await openInvoice(retried, 3_000);
    await makeUnpaid(retried);
    t.clock.advance(40 * 86_400_000);
    const now = t.clock.now();
    expect((await adminAgent.get(`/admin/organizations/${retried.id}/charge-retry`)).body).toContain('Reactivate Unpaid Retry Co now?');
    expect((await adminAgent.post(`/admin/organizations/${retried.id}/charge-retry`)).statusCode).toBe(303);
    expect(await statusOf(retried)).toBe('active');
    expect((await t.knex('invoices').where({ id: debt.id }).first()).status).toBe('paid');
    const account = (await findBillingAccount(db(), retried.id))!;
    // The anchor stays; the current anchored period is the one containing now, and the rest of it was billed.
    expect(account.periodAnchor.getTime()).toBe(before.periodAnchor.getTime());
    expect(account.currentPeriodStart.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(account.currentPeriodEnd.getTime()).toBeGreaterThan(now.getTime());
    expect(await t.knex('invoices').where({ organization_id: retried.id, kind: 'reactivation', status: 'paid', period_start: now.getTime() }).count({ n: '*' }).first()).toMatchObject({ n: 1 });
    expect((await auditOf(retried)).map((e) => e.action).slice(-2)).toEqual(['billing.status_changed', 'billing.charge_retried']);

    const voided = await newOrg(t, { owner, name: 'Unpaid Void Co' });
    const only = await openInvoice(voided, 3_000);
    await makeUnpaid(voided);
    const confirm = await adminAgent.get(`/admin/organizations/${voided.id}/invoices/${only.id}/void`);
    expect(confirm.body).toContain('the Unpaid organization is reactivated');
    expect((await adminAgent.post(`/admin/organizations/${voided.id}/invoices/${only.id}/void`)).statusCode).toBe(303);
    expect(await statusOf(voided)).toBe('active');
    // Voided within its first (invoiced) period: nothing new to bill, the period is unchanged.
    expect((await findBillingAccount(db(), voided.id))!.currentPeriodStart.getTime()).toBe(voided.createdAt.getTime());
    expect(await t.knex('invoices').where({ organization_id: voided.id, kind: 'reactivation' })).toEqual([]);
    expect((await auditOf(voided)).map((e) => e.action).slice(-2)).toEqual(['billing.invoice_voided', 'billing.status_changed']);

    // A failing card keeps it Unpaid, and says why. The declined reactivation invoice is void (R9.8):
    // the time it billed is spent Unpaid, so nothing is left for a later reactivation to collect.
    const stuck = await newOrg(t, { owner, name: 'Unpaid Stuck Co' });
    const stuckInvoice = await openInvoice(stuck, 3_000);
    await makeUnpaid(stuck);
    await giveFailingCard(stuck);
    const stuckBefore = (await findBillingAccount(db(), stuck.id))!;
    // A period later, so the reactivation has the rest of the current period to charge.
    t.clock.advance(35 * 86_400_000);
    await adminAgent.post(`/admin/organizations/${stuck.id}/invoices/${stuckInvoice.id}/uncollectible`);
    expect(await statusOf(stuck)).toBe('unpaid');
    const page = await adminAgent.get(`/admin/organizations/${stuck.id}`);
    expect(page.body).toContain('Unpaid Stuck Co stays Unpaid: the reactivation charge failed (Invoice ');
    expect(page.body).toContain(', for the rest of the current period, could not be paid and is void: Your card was declined.)');
    const reactivation = await t.knex('invoices').where({ organization_id: stuck.id, kind: 'reactivation' });
    expect(reactivation.map((i: { status: string; amount_paid_cents: number }) => [i.status, Number(i.amount_paid_cents)])).toEqual([['void', 0]]);
    expect(await t.knex('invoices').where({ organization_id: stuck.id, status: 'open' })).toEqual([]);
    // The account is back in the period it had: a reactivation later bills from its own instant.
    const stuckAfter = (await findBillingAccount(db(), stuck.id))!;
    expect([stuckAfter.currentPeriodStart, stuckAfter.currentPeriodEnd, stuckAfter.creditBalanceCents]).toEqual([stuckBefore.currentPeriodStart, stuckBefore.currentPeriodEnd, stuckBefore.creditBalanceCents]);
    expect((await auditOf(stuck)).map((e) => e.action).slice(-2)).toEqual(['billing.invoice_marked_uncollectible', 'billing.invoice_voided']);
  });

  it('runs the scheduler pass now and shows its report; the pass is logged with the admin', async () => {
    const res = await adminAgent.post('/admin/scheduler/passes');
    expect(res.statusCode).toBe(303);
    const report = await adminAgent.get(String(res.headers.location));
    expect(report.statusCode).toBe(200);
    for (const job of ['billing:renewals', 'sessions:purge-expired']) expect(report.body).toContain(job);
    const [event] = (await adminEvents('scheduler.pass_run')).slice(-1);
    expect(event).toMatchObject({ actor_user_id: admin.id });
    expect(JSON.parse(event.after_json).at).toBe(t.clock.now().toISOString());
  });
});

describe('assigning a plan (R11.2, R9.5)', () => {
  const planForm = {
    name: 'Enterprise — Big Fleet',
    price: '4,000.00',
    devices: '20,000',
    applications: '500',
    dashboards: '2000',
    members: '400',
    payloads: '2,000,000,000',
    retention: '1095',
    overage: '3.50',
    support: 'Dedicated engineer, 1 hour',
  };

  it('creates a custom Enterprise plan and switches to it with exactly the proration the preview showed', async () => {
    // A fixed instant (later than anything before in this file): a 30-day period, Sep 1 – Oct 1.
    t.clock.set('2026-09-01T00:00:00.000Z');
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Big Fleet' });
    const invalid = await adminAgent.post(`/admin/organizations/${org.id}/custom-plans`, { ...planForm, price: 'a lot', retention: '0' });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('Enter the monthly price in dollars, like 1,250.00.');
    expect(invalid.body).toContain('Enter the retention in days from 1 to 3,650.');
    expect(invalid.body).toContain('value="Enterprise — Big Fleet"');

    const created = await adminAgent.post(`/admin/organizations/${org.id}/custom-plans`, planForm);
    expect(created.statusCode).toBe(303);
    const plan = toPlan(await t.knex('plans').where({ organization_id: org.id }).first());
    expect(plan).toMatchObject({
      kind: 'custom',
      name: 'Enterprise — Big Fleet',
      priceCents: 400_000,
      limits: { devices: 20_000, applications: 500, dashboards: 2_000, members: 400, payloadsPerMonth: 2_000_000_000, retentionDays: 1095 },
      overageCentsPerMillion: 350,
      supportLevel: 'Dedicated engineer, 1 hour',
    });
    expect(created.headers.location).toBe(`/admin/organizations/${org.id}/plan/preview?plan=${plan.id}`);
    // The plan is this organization's alone.
    const otherOrg = await newOrg(t, { owner, name: 'Not Big Fleet' });
    expect((await availablePlans(db(), otherOrg.id)).map((p) => p.id)).not.toContain(plan.id);
    expect((await adminAgent.get(`/admin/organizations/${otherOrg.id}/plan/preview?plan=${plan.id}`)).statusCode).toBe(404);

    t.clock.advance(3 * 3_600_000);
    const preview = await adminAgent.get(String(created.headers.location));
    expect(preview.statusCode).toBe(200);
    const shown = [...preview.body.matchAll(/<tr><th scope="row">([^<]+)<\/th><td class="num">([^<]+)<\/td><\/tr>/g)].map((m) => ({ description: m[1], amount: m[2] }));
    const quote = /name="quote" value="([^"]+)"/.exec(preview.body)![1]!;
    // Worked by hand: 2,592,000 s in the period, 2,581,200 s left 3 hours in.
    // Starter credit: 25,000 × 2,581,200 / 2,592,000 = 24,895.83… → −$248.96;
    // Enterprise charge: 400,000 × 2,581,200 / 2,592,000 = 398,333.33… → $3,983.33.
    expect(shown.slice(0, 2).map((s) => s.amount)).toEqual(['-$248.96', '$3,983.33']);

    // Confirmed a while later: the invoice still carries the previewed amounts.
    t.clock.advance(5 * 60_000);
    const confirmed = await adminAgent.post(`/admin/organizations/${org.id}/plan`, { plan: String(plan.id), quote });
    expect(confirmed.statusCode).toBe(303);
    expect((await findBillingAccount(db(), org.id))!.planId).toBe(plan.id);
    const pending = await t.knex('pending_invoice_lines').where({ organization_id: org.id }).whereNull('invoice_id').orderBy('id');
    expect(pending.map((p: { amount_cents: number }) => Number(p.amount_cents))).toEqual([-24_896, 398_333]);
    const audit = await auditOf(org);
    expect(audit.map((e) => e.action).slice(-2)).toEqual(['plan.custom_created', 'billing.plan_changed']);
    for (const e of audit.slice(-2)) expect(e).toMatchObject({ actor_user_id: admin.id });
    const page = await adminAgent.get(`/admin/organizations/${org.id}`);
    expect(page.body).toContain(`Big Fleet is now on Enterprise — Big Fleet. The next invoice carries -$248.96`);
    // The same quote cannot be confirmed twice.
    const twice = await adminAgent.post(`/admin/organizations/${org.id}/plan`, { plan: String(plan.id), quote });
    expect(twice.statusCode).toBe(409);
  });

  it('switches to a tier; refuses a plan the organization exceeds, an expired or forged quote', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Tier Hopper', plan: 'starter' });
    const professional = toPlan(await t.knex('plans').where({ code: 'professional' }).first());
    const preview = await adminAgent.get(`/admin/organizations/${org.id}/plan/preview?plan=${professional.id}`);
    expect(preview.body).toContain('Change Tier Hopper from Starter to Professional?');
    const quote = /name="quote" value="([^"]+)"/.exec(preview.body)![1]!;
    expect((await adminAgent.post(`/admin/organizations/${org.id}/plan`, { plan: String(professional.id), quote: quote.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) })).statusCode).toBe(409);
    t.clock.advance(16 * 60_000);
    const expired = await adminAgent.post(`/admin/organizations/${org.id}/plan`, { plan: String(professional.id), quote });
    expect(expired.statusCode).toBe(409);
    expect(expired.body).toContain('That preview has expired');
    expect((await findBillingAccount(db(), org.id))!.planId).not.toBe(professional.id);

    // A custom plan with fewer members than the organization has is refused, naming the limit.
    await addMember(t, org, await newUser(t), 'viewer');
    await adminAgent.post(`/admin/organizations/${org.id}/custom-plans`, { ...planForm, name: 'Tiny', members: '1' });
    const tiny = toPlan(await t.knex('plans').where({ organization_id: org.id, name: 'Tiny' }).first());
    const refused = await adminAgent.get(`/admin/organizations/${org.id}/plan/preview?plan=${tiny.id}`);
    expect(refused.body).toContain('Tier Hopper uses more than Tiny allows, so the change is refused.');
    expect(refused.body).toContain('Members (with pending invitations): 2 in use, Tiny allows 1');
    expect(refused.body).not.toContain('Confirm plan change');
    const tinyQuote = /name="quote" value="([^"]+)"/.exec(refused.body)![1]!;
    const forced = await adminAgent.post(`/admin/organizations/${org.id}/plan`, { plan: String(tiny.id), quote: tinyQuote });
    expect(forced.statusCode).toBe(409);
    expect(forced.body).toContain('Members (with pending invitations): 2 in use, Tiny allows 1');

    const fresh = await adminAgent.get(`/admin/organizations/${org.id}/plan/preview?plan=${professional.id}`);
    const freshQuote = /name="quote" value="([^"]+)"/.exec(fresh.body)![1]!;
    expect((await adminAgent.post(`/admin/organizations/${org.id}/plan`, { plan: String(professional.id), quote: freshQuote })).statusCode).toBe(303);
    expect((await findBillingAccount(db(), org.id))!.planId).toBe(professional.id);
    expect((await auditOf(org)).at(-1)).toMatchObject({ action: 'billing.plan_changed', actor_user_id: admin.id });
  });
});

describe('users (R2.4)', () => {
  it('searches users, shows memberships, promotes and demotes platform admins (never oneself), logged in admin_events', async () => {
    const user = await newUser(t, { name: 'Quentin Quest', email: 'quentin@quest.example' });
    const org = await newOrg(t, { owner: user, name: 'Quest Org' });
    const list = await adminAgent.get('/admin/users?q=QUEST');
    expect(list.body).toContain('Quentin Quest');
    expect(list.body).not.toContain('Olga Ops</a>');
    const detail = await adminAgent.get(`/admin/users/${user.id}`);
    expect(detail.body).toContain(`<a href="/admin/organizations/${org.id}">Quest Org</a>`);
    expect(detail.body).toContain('Administrator');

    const confirm = await adminAgent.get(`/admin/users/${user.id}/platform-admin`);
    expect(confirm.body).toContain('Make Quentin Quest a platform admin?');
    expect((await adminAgent.post(`/admin/users/${user.id}/platform-admin`, { value: 'grant' })).statusCode).toBe(303);
    expect(Boolean((await t.knex('users').where({ id: user.id }).first()).is_platform_admin)).toBe(true);
    const quentin = await signedIn(t, user);
    expect((await quentin.get('/admin')).statusCode).toBe(200);
    expect((await adminAgent.post(`/admin/users/${user.id}/platform-admin`, { value: 'revoke' })).statusCode).toBe(303);
    expect((await quentin.get('/admin')).statusCode).toBe(404);
    const events = await t.knex('admin_events').where({ target_type: 'user', target_id: String(user.id) }).orderBy('id');
    expect(events.map((e: { action: string; actor_user_id: number }) => [e.action, e.actor_user_id])).toEqual([
      ['user.platform_admin_granted', admin.id],
      ['user.platform_admin_revoked', admin.id],
    ]);
    // Not oneself.
    expect((await adminAgent.get(`/admin/users/${admin.id}/platform-admin`)).body).toContain('You cannot change your own platform admin rights.');
    expect((await adminAgent.post(`/admin/users/${admin.id}/platform-admin`, { value: 'revoke' })).statusCode).toBe(409);
    expect(Boolean((await t.knex('users').where({ id: admin.id }).first()).is_platform_admin)).toBe(true);
    expect((await adminAgent.post(`/admin/users/${user.id}/platform-admin`, { value: 'maybe' })).statusCode).toBe(422);
  });
});

describe('enterprise inquiries (R3.4)', () => {
  it('lists inquiries, changes their status (logged), and links to a custom plan for the organizations the customer administers', async () => {
    const customer = await newUser(t, { name: 'Ines Inquirer' });
    const org = await newOrg(t, { owner: customer, name: 'Inquiring Org' });
    const { id } = await submitEnterpriseInquiry(db(), t.clock, { userId: customer.id, name: 'Ines Inquirer', email: customer.email, company: 'Inquiring Inc', expectedDevices: 12_000, message: 'We need 12k devices.' });
    const list = await adminAgent.get('/admin/inquiries?status=new');
    expect(list.body).toContain('Inquiring Inc');
    expect(list.body).toContain('12,000');
    const page = await adminAgent.get(`/admin/inquiries/${id}`);
    expect(page.body).toContain('We need 12k devices.');
    expect(page.body).toContain(`href="/admin/organizations/${org.id}/plan?inquiry=${id}"`);
    const search = await adminAgent.get(`/admin/inquiries/${id}?org=inquiring`);
    expect(search.body).toContain('Create an Enterprise plan for Inquiring Org');
    const plan = await adminAgent.get(`/admin/organizations/${org.id}/plan?inquiry=${id}`);
    expect(plan.body).toContain('value="Enterprise — Inquiring Inc"');
    expect(plan.body).toContain('value="12000"');
    expect(plan.body).toContain(`name="inquiry" value="${id}"`);

    expect((await adminAgent.post(`/admin/inquiries/${id}/status`, { status: 'bogus' })).statusCode).toBe(422);
    expect((await adminAgent.post(`/admin/inquiries/${id}/status`, { status: 'contacted' })).statusCode).toBe(303);
    expect((await t.knex('enterprise_inquiries').where({ id }).first()).status).toBe('contacted');
    const [event] = await t.knex('admin_events').where({ target_type: 'inquiry', target_id: String(id) });
    expect(event).toMatchObject({ action: 'inquiry.status_changed', actor_user_id: admin.id });
    expect((await adminAgent.get('/admin/inquiries?status=contacted')).body).toContain('Inquiring Inc');
  });
});

describe('mail outbox (R10.1)', () => {
  it('lists every email newest first and shows one readably: links clickable, HTML sandboxed and never injected', async () => {
    await t.deps.mailer.send({ to: 'first@example.com', subject: 'Older mail', text: 'old', kind: 'test' });
    t.clock.advance(1000);
    await t.deps.mailer.send({
      to: 'invitee@example.com',
      subject: 'You are invited',
      text: 'Join us: http://localhost:3000/invites/abcDEF_123-x.\nThanks <team> & co',
      html: '<p>Join <a href="http://localhost:3000/invites/abcDEF_123-x">here</a></p><script>alert(1)</script>',
      kind: 'invitation',
    });
    const list = await adminAgent.get('/admin/mail');
    expect(list.body.indexOf('You are invited')).toBeLessThan(list.body.indexOf('Older mail'));
    const mail = await t.knex('mail_outbox').where({ to_address: 'invitee@example.com' }).first();
    const page = await adminAgent.get(`/admin/mail/${mail.id}`);
    expect(page.body).toContain('<a href="http://localhost:3000/invites/abcDEF_123-x">http://localhost:3000/invites/abcDEF_123-x</a>.');
    expect(page.body).toContain('Thanks &lt;team&gt; &amp; co');
    expect(page.body).toContain('<iframe class="mail-html" sandbox="" srcdoc="&lt;p&gt;Join');
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect((await adminAgent.get('/admin/mail/999999')).statusCode).toBe(404);
  });

  it('shows where an SMTP delivery stands: waiting to be tried again, or given up after its last try, with the error (R9.12)', async () => {
    // Recorded far ahead of this file's other mails, so both are on the first page of the outbox (newest first).
    const smtpRow = (to: string, fields: Record<string, unknown>) =>
      t.knex('mail_outbox')
        .insert({ to_address: to, subject: `Receipt for ${to}`, text_body: 'We received $250.00', kind: 'receipt', transport: 'smtp', created_at: Date.parse('2099-03-01T09:30:00Z'), ...fields })
        .returning('id')
        .then((rows: ({ id: number } | number)[]) => (typeof rows[0] === 'object' ? rows[0].id : rows[0]!));
    const retrying = await smtpRow('retry@acme.example', { status: 'queued', attempts: 2, next_attempt_at: Date.parse('2099-03-01T09:36:00Z'), error: 'connect ECONNREFUSED 127.0.0.1:25' });
    const given = await smtpRow('gave-up@acme.example', { status: 'failed', attempts: 7, error: 'connect ECONNREFUSED 127.0.0.1:25' });
    const list = await adminAgent.get('/admin/mail');
    expect(list.body).toContain('SMTP failed (attempt 2 of 7); next try Mar 1, 2099, 09:36 UTC');
    expect(list.body).toContain('Failed: SMTP gave up after 7 attempts');
    const page = await adminAgent.get(`/admin/mail/${retrying}`);
    expect(page.body).toContain('<dt>Delivery</dt><dd>SMTP failed (attempt 2 of 7); next try Mar 1, 2099, 09:36 UTC</dd>');
    expect(page.body).toContain('<dt>Error</dt><dd>connect ECONNREFUSED 127.0.0.1:25</dd>');
    expect((await adminAgent.get(`/admin/mail/${given}`)).body).toContain('<dt>Delivery</dt><dd>Failed: SMTP gave up after 7 attempts</dd>');
  });
});

describe('mail outbox with real delivery (R10.1, R1.4, R4.1)', () => {
  const TOKEN = 'Zq3_live-Token-0123456789abcdefghijklmnopqrstu';
  it.each([
    ['SMTP is configured', { smtpUrl: 'smtp://mail.example:587' }],
    ['in production', { isProduction: true, nodeEnv: 'production' as const }],
  ])('%s: live reset, email-change and invitation links show their path, not their token', async (_when, config) => {
    const live = await startTestApp({ config });
    try {
      const ops = await newUser(live, { name: 'Live Ops' });
      await setPlatformAdmin(live.deps.db, ops.id, true);
      const staff = await signedIn(live, ops);
      const links = ['/password/reset/', '/confirm-email/', '/cancel-email-change/', '/invites/'].map((p) => `http://localhost:3000${p}${TOKEN}`);
      const sent = await live.deps.mailer.send({
        to: 'owner@example.com',
        subject: 'Account links',
        text: `Reset: ${links[0]}\nConfirm: ${links[1]}\nCancel: ${links[2]}\nJoin: ${links[3]}.\nBilling: http://localhost:3000/orgs/acme/settings/invoices`,
        html: links.map((l) => `<p><a href="${l}">${l}</a></p>`).join(''),
        kind: 'password_reset',
      });
      const page = await staff.get(`/admin/mail/${sent.id}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain(TOKEN);
      expect(page.body).toContain('http://localhost:3000/password/reset/••••');
      expect(page.body).toContain('http://localhost:3000/invites/••••.');
      expect(page.body).not.toContain('href="http://localhost:3000/confirm-email/');
      expect(page.body).toContain('shown with their token hidden');
      // Links without a token stay clickable.
      expect(page.body).toContain('<a href="http://localhost:3000/orgs/acme/settings/invoices">');
    } finally {
      await live.close();
    }
  });

  it('without SMTP outside production the links stay whole, for a developer to follow', async () => {
    const sent = await t.deps.mailer.send({ to: 'dev@example.com', subject: 'Dev reset', text: `Reset: http://localhost:3000/password/reset/${TOKEN}`, kind: 'password_reset' });
    const page = await adminAgent.get(`/admin/mail/${sent.id}`);
    expect(page.body).toContain(`<a href="http://localhost:3000/password/reset/${TOKEN}">`);
    expect(page.body).not.toContain('shown with their token hidden');
  });
});

describe('the admin home', () => {
  it('shows counts per status and the back-office events', async () => {
    const home = await adminAgent.get('/admin');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('Organizations by status');
    expect(home.body).toContain('user.platform_admin_granted');
    expect(home.body).toContain('Application time');
    expect(home.body).toContain('href="/admin/clock"');
  });
});
