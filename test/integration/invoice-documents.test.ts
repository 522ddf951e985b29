import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changePlan } from '../../src/modules/billing/change-plan.ts';
import { findPlanByCode } from '../../src/modules/plans/queries.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import type { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addPayloads, visibleText } from '../support/pages.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';

/**
 * R9.14, R9.4, R9.3, R4.5: billing details an Administrator can change (with
 * JavaScript and without), audited and synced to the gateway's customer;
 * invoices made out to them, with the seller from configuration, both periods
 * of a renewal, a net credit shown as the credit it is — on the page and in
 * the PDF; a deleted organization's invoices for its former Administrators.
 */

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp({ config: { seller: { name: 'Orgplane Inc.', address: ['1 Example Way', 'Springfield, IL 62701', 'United States'], taxId: 'US-12-3456789' } } });
});
afterAll(async () => {
  await t.close();
});

const pass = async (at: string) => {
  t.clock.set(at);
  const report = await runPass(jobs, t.deps, t.clock.now());
  expect(report.results.filter((r) => !r.ok)).toEqual([]);
};

async function pdfText(agent: Agent, url: string): Promise<string> {
  const res = await agent.get(url);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="invoice-[A-Z0-9]+-\d{6}\.pdf"$/);
  expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const pdf = await getDocumentProxy(new Uint8Array(res.rawPayload));
  const { text } = await extractText(pdf, { mergePages: true });
  return text.replace(/\s+/g, ' ');
}



const DETAILS = {
  billing_email: 'ap@acme.example',
  billing_name: 'Acme Robotics GmbH',
  address_line1: 'Hauptstraße 5',
  address_line2: '',
  address_city: 'Berlin',
  address_region: '',
  address_postal_code: '10115',
  address_country: 'DE',
  tax_id: 'DE123456789',
};

describe('Billing Details (R9.14)', () => {
  let owner: TestUser;
  let org: Organization;
  let agent: Agent;
  beforeAll(async () => {
    t.clock.set('2026-03-10T09:00:00Z');
    owner = await newUser(t, { name: 'Ada Admin' });
    org = await newOrg(t, { owner, name: 'Acme Robotics' });
    agent = await signedIn(t, owner);
  });

  it('shows the details on file, the billing email first', async () => {
    const page = await agent.get(`/orgs/${org.slug}/settings/billing-details`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="bd-email">Billing Email Address</label>');
    expect(page.body).toContain(`value="${owner.email}"`);
    expect(page.body).toContain('<option value="DE">Germany</option>');
    expect(page.body).toContain('aria-current="page">Billing Details</a>');
  });

  it('refuses bad input with a message per field, keeping what was typed, and changes nothing', async () => {
    const res = await agent.post(`/orgs/${org.slug}/settings/billing-details`, { ...DETAILS, billing_email: 'not an email', address_country: 'XX', tax_id: 'x'.repeat(51) });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Enter a valid email address');
    expect(res.body).toContain('Choose a country from the list.');
    expect(res.body).toContain('Tax ID is at most 50 characters.');
    expect(res.body).toContain('value="Hauptstraße 5"');
    const lineBreak = await agent.post(`/orgs/${org.slug}/settings/billing-details`, { ...DETAILS, address_city: 'Ber\nlin' });
    expect(lineBreak.statusCode).toBe(422);
    expect(lineBreak.body).toContain('City must be one line of text.');
    // Other control characters stop at the input boundary of every form (R13.5).
    const control = await agent.post(`/orgs/${org.slug}/settings/billing-details`, { ...DETAILS, address_city: 'Ber\u0007lin' });
    expect(control.statusCode).toBe(400);
    expect(control.body).toContain('control character');
    expect((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).billing_email).toBe(owner.email);
  });

  it('saves without JavaScript (303), audited with before and after, and synced to the gateway customer', async () => {
    const res = await agent.post(`/orgs/${org.slug}/settings/billing-details`, DETAILS);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/orgs/${org.slug}/settings/billing-details`);
    const page = await agent.get(String(res.headers.location));
    expect(page.body).toContain('Billing details saved: Billing email, Billing name, Address, Tax ID.');
    expect(page.body).toContain('value="ap@acme.example"');
    expect(page.body).toContain('<option value="DE" selected>Germany</option>');
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    expect(account).toMatchObject({ billing_email: 'ap@acme.example', billing_name: 'Acme Robotics GmbH', address_line1: 'Hauptstraße 5', address_line2: null, address_city: 'Berlin', address_postal_code: '10115', address_country: 'DE', tax_id: 'DE123456789' });
    const audit = await t.knex('audit_events').where({ organization_id: org.id, action: 'billing.details_changed' });
    expect(audit).toHaveLength(1);
    expect(audit[0].actor_user_id).toBe(owner.id);
    expect(JSON.parse(audit[0].before_json)).toEqual({ 'Billing email': owner.email, 'Billing name': '—', Address: '—', 'Tax ID': '—' });
    expect(JSON.parse(audit[0].after_json)).toEqual({ 'Billing email': 'ap@acme.example', 'Billing name': 'Acme Robotics GmbH', Address: 'Hauptstraße 5, 10115 Berlin, Germany', 'Tax ID': 'DE123456789' });
    const customer = await t.knex('sim_customers').where({ ref: account.customer_ref }).first();
    expect(customer).toMatchObject({ email: 'ap@acme.example', name: 'Acme Robotics GmbH' });
    expect(JSON.parse(customer.details_json)).toEqual({ address: { line1: 'Hauptstraße 5', line2: '', city: 'Berlin', region: '', postalCode: '10115', country: 'DE' }, taxId: 'DE123456789' });
  });

  it('with htmx the same form answers the same (the page follows the redirect); saving the same again changes nothing', async () => {
    const res = await agent.post(`/orgs/${org.slug}/settings/billing-details`, DETAILS, { headers: { 'hx-request': 'true' } });
    expect(res.statusCode).toBe(303);
    expect((await agent.get(String(res.headers.location), { 'hx-request': 'true' })).body).toContain('Nothing changed: these are the billing details on file.');
    expect(await t.knex('audit_events').where({ organization_id: org.id, action: 'billing.details_changed' })).toHaveLength(1);
  });

  it('a gateway that cannot be reached changes nothing, and says so', async () => {
    t.gateway.failNextCalls(1, { method: 'updateCustomer', phase: 'before' });
    const res = await agent.post(`/orgs/${org.slug}/settings/billing-details`, { ...DETAILS, billing_email: 'other@acme.example' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('The payment processor could not be reached, so nothing was changed.');
    expect(res.body).toContain('value="other@acme.example"');
    expect((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).billing_email).toBe('ap@acme.example');
  });

  it('Administrators only: lower roles get 403 and change nothing', async () => {
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    const editorAgent = await signedIn(t, editor);
    expect((await editorAgent.get(`/orgs/${org.slug}/settings/billing-details`)).statusCode).toBe(403);
    expect((await editorAgent.post(`/orgs/${org.slug}/settings/billing-details`, { ...DETAILS, billing_email: 'evil@example.com' })).statusCode).toBe(403);
    expect((await t.knex('billing_accounts').where({ organization_id: org.id }).first()).billing_email).toBe('ap@acme.example');
  });

  it('the renewal invoice is made out to them, names both periods, reads $10.00 per million, and its PDF carries the same', async () => {
    // 26,000,000 payloads in Mar 10 – Apr 10: 1,000,000 over Starter's 25,000,000 at $10.00 per million = $10.00.
    await addPayloads(t, org, 26_000_000);
    await pass('2026-04-10T09:00:00Z');
    const invoice = await t.knex('invoices').where({ organization_id: org.id, seq: 2 }).first();
    const url = `/orgs/${org.slug}/settings/invoices/${invoice.id}`;
    const page = visibleText((await agent.get(url)).body);
    for (const text of [
      'From Orgplane Inc. 1 Example Way Springfield, IL 62701 United States Tax ID: US-12-3456789',
      'Billed to Acme Robotics GmbH Acme Robotics Hauptstraße 5 10115 Berlin Germany ap@acme.example Tax ID: DE123456789',
      'Subscription period Apr 10, 2026 – May 10, 2026',
      'Usage period Mar 10, 2026 – Apr 10, 2026 (overage and application usage)',
      'Overage: 1,000,000 payloads over the 25,000,000 of Starter, Mar 10, 2026 – Apr 10, 2026, at $10.00 per million',
      'Starter plan, Apr 10, 2026 – May 10, 2026',
      // 1000 + 25000 = 26000
      'Amount due $260.00',
    ]) {
      expect(page).toContain(text);
    }
    expect(page).not.toContain('USD per million');
    // The receipt goes to the new billing email, with links to the invoice and its PDF.
    const receipt = await t.knex('mail_outbox').where({ organization_id: org.id, kind: 'receipt' }).orderBy('id', 'desc').first();
    expect(receipt.to_address).toBe('ap@acme.example');
    expect(receipt.text_body).toContain(`http://localhost:3000${url}/pdf`);

    const pdf = await pdfText(agent, `${url}/pdf`);
    for (const text of [
      invoice.number,
      'Orgplane Inc.',
      '1 Example Way',
      'Tax ID: US-12-3456789',
      'Acme Robotics GmbH',
      'Hauptstraße 5',
      '10115 Berlin',
      'Germany',
      'ap@acme.example',
      'Tax ID: DE123456789',
      'Subscription period Apr 10, 2026 – May 10, 2026',
      'Usage period Mar 10, 2026 – Apr 10, 2026',
      'at $10.00 per million',
      '$10.00',
      '$250.00',
      'Amount due $260.00',
      'Paid',
    ]) {
      expect(pdf).toContain(text);
    }
  });

  it('says which zone its dates are in: the reader\'s (R1.5), on the page and in the PDF', async () => {
    const invoice = await t.knex('invoices').where({ organization_id: org.id, seq: 2 }).first();
    const url = `/orgs/${org.slug}/settings/invoices/${invoice.id}`;
    expect(visibleText((await agent.get(url)).body)).toContain('Amounts in US dollars. Dates in UTC.');
    await t.knex('users').where({ id: owner.id }).update({ time_zone: 'America/New_York' });
    try {
      const page = visibleText((await agent.get(url)).body);
      expect(page).toContain('Dates in America/New_York.');
      expect(page).not.toContain('Dates in UTC');
      const pdf = await pdfText(agent, `${url}/pdf`);
      expect(pdf).toContain('Dates in America/New_York.');
      expect(pdf).toMatch(/Issue date [A-Z][a-z]{2} \d{1,2}, \d{4} \(America\/New_York\)/);
      expect(pdf).not.toContain('(UTC)');
    } finally {
      await t.knex('users').where({ id: owner.id }).update({ time_zone: 'UTC' });
    }
  });

  it('invoices already issued keep the details they were made out to', async () => {
    expect((await agent.post(`/orgs/${org.slug}/settings/billing-details`, { ...DETAILS, billing_name: 'Acme Holding AG', address_city: 'Munich', address_postal_code: '80331' })).statusCode).toBe(303);
    const invoice = await t.knex('invoices').where({ organization_id: org.id, seq: 2 }).first();
    const old = visibleText((await agent.get(`/orgs/${org.slug}/settings/invoices/${invoice.id}`)).body);
    expect(old).toContain('Acme Robotics GmbH');
    expect(old).not.toContain('Acme Holding AG');
    await pass('2026-05-10T09:00:00Z');
    const next = await t.knex('invoices').where({ organization_id: org.id, seq: 3 }).first();
    const fresh = visibleText((await agent.get(`/orgs/${org.slug}/settings/invoices/${next.id}`)).body);
    expect(fresh).toContain('Billed to Acme Holding AG Acme Robotics Hauptstraße 5 80331 Munich Germany');
  });

  it('the PDF is for Administrators only, and only of this organization', async () => {
    const invoice = await t.knex('invoices').where({ organization_id: org.id, seq: 2 }).first();
    const stranger = await signedIn(t, await newUser(t));
    expect((await stranger.get(`/orgs/${org.slug}/settings/invoices/${invoice.id}/pdf`)).statusCode).toBe(404);
    const other = await newOrg(t, { owner, name: 'Other Co' });
    expect((await agent.get(`/orgs/${other.slug}/settings/invoices/${invoice.id}/pdf`)).statusCode).toBe(404);
    expect((await agent.get(`/orgs/${org.slug}/settings/invoices/nope/pdf`)).statusCode).toBe(404);
  });
});

describe('a net credit on an invoice (issue #14 item 13)', () => {
  it('is shown below the total, signed as a credit, with the balance after it — not as a positive line', async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, plan: 'business', name: 'Downsize Co' });
    const agent = await signedIn(t, owner);
    t.clock.set('2026-04-21T00:00:00Z');
    const starter = await findPlanByCode(t.deps.db, 'starter');
    expect(await changePlan(t.deps, { organizationId: org.id, planId: starter!.id, at: t.clock.now(), actor: owner })).toMatchObject({ ok: true });
    await pass('2026-05-01T00:00:00Z');
    const invoice = await t.knex('invoices').where({ organization_id: org.id, seq: 2 }).first();
    const url = `/orgs/${org.slug}/settings/invoices/${invoice.id}`;
    // ⅓ of April left: −83333 (Business), +8333 (Starter), Starter for May 25000: −50000 in all.
    const page = visibleText((await agent.get(url)).body);
    expect(page).toContain('Subtotal -$500.00');
    expect(page).toContain('Amount due $0.00');
    expect(page).toContain('Net credit moved to your credit balance -$500.00');
    expect(page).toContain('Credit balance after this invoice $500.00');
    expect(page).not.toMatch(/Net credit moved to your credit balance 1 \$500\.00/);
    const pdf = await pdfText(agent, `${url}/pdf`);
    expect(pdf).toContain('Net credit moved to your credit balance -$500.00');
    expect(pdf).toContain('Credit balance after this invoice $500.00');
    // The next invoice takes the credit: $250.00 applied, $250.00 left after it.
    await pass('2026-06-01T00:00:00Z');
    const next = await t.knex('invoices').where({ organization_id: org.id, seq: 3 }).first();
    const nextPage = visibleText((await agent.get(`/orgs/${org.slug}/settings/invoices/${next.id}`)).body);
    expect(nextPage).toContain('Credit applied -$250.00');
    expect(nextPage).toContain('Credit balance after this invoice $250.00');
  });

  it('an invoice issued before this change, with its credit stored as a line, reads the same way; its stored text is untouched', async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Legacy Co' });
    const agent = await signedIn(t, owner);
    const [row] = await t.knex
      ('invoices')
      .insert({ organization_id: org.id, seq: 2, number: `${org.slug.toUpperCase()}-000002`, kind: 'renewal', status: 'paid', issued_at: Date.parse('2026-05-01T00:00:00Z'), period_start: Date.parse('2026-05-01T00:00:00Z'), period_end: Date.parse('2026-06-01T00:00:00Z'), subtotal_cents: 0, credit_applied_cents: 0, amount_due_cents: 0, amount_paid_cents: 0, paid_at: Date.parse('2026-05-01T00:00:00Z') })
      .returning('id');
    const id = Number(typeof row === 'object' ? row.id : row);
    await t.knex('invoice_lines').insert([
      { invoice_id: id, position: 1, kind: 'proration_credit', description: 'Unused time on Business (Apr 21, 2026, 24:05 UTC – May 1, 2026, 24:00 UTC)', quantity: 1, unit_price_cents: -83_333, amount_cents: -83_333 },
      { invoice_id: id, position: 2, kind: 'proration_charge', description: 'Remaining time on Starter (Apr 21, 2026, 24:05 UTC – May 1, 2026, 24:00 UTC)', quantity: 1, unit_price_cents: 8_333, amount_cents: 8_333 },
      { invoice_id: id, position: 3, kind: 'subscription', description: 'Starter plan, May 1, 2026 – Jun 1, 2026', quantity: 1, unit_price_cents: 25_000, amount_cents: 25_000 },
      { invoice_id: id, position: 4, kind: 'credit_balance', description: 'Net credit moved to your credit balance', quantity: 1, unit_price_cents: 50_000, amount_cents: 50_000 },
    ]);
    const page = visibleText((await agent.get(`/orgs/${org.slug}/settings/invoices/${id}`)).body);
    expect(page).toContain('Subtotal -$500.00');
    expect(page).toContain('Net credit moved to your credit balance -$500.00');
    expect(page).not.toContain('$500.00 $500.00');
    // Stored lines of issued invoices stay as they were written (24:05 and all).
    expect(page).toContain('Apr 21, 2026, 24:05 UTC');
  });
});
