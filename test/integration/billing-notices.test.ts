import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changePlan } from '../../src/modules/billing/change-plan.ts';
import { replaceCard } from '../../src/modules/billing/replace-card.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { findPlanByCode } from '../../src/modules/plans/queries.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addPayloads, visibleText } from '../support/pages.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';

/**
 * R9.15: the Delete page states the final invoice and the refund before
 * confirming; R9.14: former Administrators read a deleted organization's
 * invoices (its final one included) for 12 months, linked from the listing;
 * R9.10: the Past Due bar states the amount owed, the next attempt and the
 * day it becomes Unpaid.
 */

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});



describe('deleting an organization (R9.15, R9.9, R9.12, R9.14)', () => {
  let owner: TestUser;
  let viewer: TestUser;
  let org: Organization;

  beforeAll(async () => {
    // Business from April 1; downgraded to Starter on April 21 (⅓ of April left):
    // −83333 + 8333 = −75000 of credit pending; 30,000,000 payloads so far.
    t.clock.set('2026-04-01T00:00:00Z');
    owner = await newUser(t, { name: 'Olga Owner' });
    org = await newOrg(t, { owner, plan: 'business', name: 'Farewell Co' });
    viewer = await newUser(t);
    await addMember(t, org, viewer, 'viewer');
    t.clock.set('2026-04-21T00:00:00Z');
    const starter = await findPlanByCode(t.deps.db, 'starter');
    expect(await changePlan(t.deps, { organizationId: org.id, planId: starter!.id, at: t.clock.now(), actor: owner })).toMatchObject({ ok: true });
    await addPayloads(t, org, 30_000_000);
    t.clock.set('2026-04-25T00:00:00Z');
  });

  it('states the final invoice and the refund before confirming', async () => {
    const agent = await signedIn(t, owner);
    const page = visibleText((await agent.get(`/orgs/${org.slug}/settings/delete`)).body);
    // Overage on Starter (plan in force now): 5,000,000 over at $10 per million = $50.00;
    // −$833.33 + $83.33 + $50.00 = −$700.00: nothing to charge, $700.00 refunded.
    expect(page).toContain('Overage: 5,000,000 payloads over the 25,000,000 of Starter');
    expect(page).toContain('$50.00');
    expect(page).toContain('-$833.33');
    expect(page).toContain('$83.33');
    expect(page).toContain('Subtotal -$700.00');
    expect(page).toContain('Charged to the card now $0.00');
    expect(page).toContain('Credit refunded to the card $700.00');
  });

  it('then deletes with exactly those amounts: the refund has its notice, and the invoices stay readable by former Administrators', async () => {
    const agent = await signedIn(t, owner);
    const res = await agent.post(`/orgs/${org.slug}/settings/delete`, { confirm_name: 'Farewell Co' });
    expect(res.statusCode).toBe(303);
    const final = await t.knex('invoices').where({ organization_id: org.id, kind: 'final' }).first();
    expect(Number(final.subtotal_cents)).toBe(-70_000);
    expect(Number(final.amount_due_cents)).toBe(0);
    const refund = await t.knex('mail_outbox').where({ organization_id: org.id, kind: 'refund' }).first();
    expect(refund.to_address).toBe(owner.email);
    expect(refund.text_body).toContain('We refunded $700.00 of credit balance for Farewell Co to Visa ending in 4242');
    expect(refund.text_body).toContain(`http://localhost:3000/orgs/deleted/${org.slug}/invoices`);

    // The listing links the former Administrator to the invoices; a former Viewer only gets the notice.
    const listing = visibleText((await agent.get('/orgs')).body);
    expect(listing).toContain('Farewell Co was deleted on Apr 25, 2026.');
    expect((await agent.get('/orgs')).body).toContain(`href="/orgs/deleted/${org.slug}/invoices"`);
    expect(listing).toContain('available until Apr 25, 2027');
    const viewerAgent = await signedIn(t, viewer);
    expect((await viewerAgent.get('/orgs')).body).not.toContain(`/orgs/deleted/${org.slug}/invoices`);

    const list = await agent.get(`/orgs/deleted/${org.slug}/invoices`);
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(final.number);
    expect(list.body).toContain(`/orgs/deleted/${org.slug}/invoices/${final.id}`);
    const detail = visibleText((await agent.get(`/orgs/deleted/${org.slug}/invoices/${final.id}`)).body);
    expect(detail).toContain('Usage period Apr 1, 2026 – Apr 25, 2026');
    expect(detail).toContain('Net credit moved to your credit balance -$700.00');
    const pdf = await agent.get(`/orgs/deleted/${org.slug}/invoices/${final.id}/pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');

    // Not for a former Viewer, a stranger, or another organization's invoice.
    expect((await viewerAgent.get(`/orgs/deleted/${org.slug}/invoices`)).statusCode).toBe(404);
    expect((await (await signedIn(t, await newUser(t))).get(`/orgs/deleted/${org.slug}/invoices/${final.id}`)).statusCode).toBe(404);
    const other = await newOrg(t, { owner, name: 'Still Here Co' });
    const otherInvoice = await t.knex('invoices').where({ organization_id: other.id }).first();
    expect((await agent.get(`/orgs/deleted/${org.slug}/invoices/${otherInvoice.id}`)).statusCode).toBe(404);
    // A live organization is not reachable there either.
    expect((await agent.get(`/orgs/deleted/${other.slug}/invoices`)).statusCode).toBe(404);
  });

  it('after 12 months the invoices and the link are gone', async () => {
    const agent = await signedIn(t, owner);
    t.clock.set('2027-04-24T23:59:00Z');
    expect((await agent.get(`/orgs/deleted/${org.slug}/invoices`)).statusCode).toBe(200);
    t.clock.set('2027-04-25T00:00:00Z');
    expect((await agent.get(`/orgs/deleted/${org.slug}/invoices`)).statusCode).toBe(404);
    expect((await agent.get('/orgs')).body).not.toContain(`/orgs/deleted/${org.slug}/invoices`);
  });

  it('a final invoice with something due is charged, with its receipt', async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const admin = await newUser(t);
    const heavy = await newOrg(t, { owner: admin, name: 'Heavy Co' });
    await addPayloads(t, heavy, 30_000_000);
    t.clock.set('2026-04-25T00:00:00Z');
    const agent = await signedIn(t, admin);
    // 5,000,000 over at $10 per million: $50.00 charged; no credit to refund.
    const page = visibleText((await agent.get(`/orgs/${heavy.slug}/settings/delete`)).body);
    expect(page).toContain('Charged to the card now $50.00');
    expect(page).toContain('Credit refunded to the card $0.00');
    expect((await agent.post(`/orgs/${heavy.slug}/settings/delete`, { confirm_name: 'Heavy Co' })).statusCode).toBe(303);
    const mails = await t.knex('mail_outbox').where({ organization_id: heavy.id }).orderBy('id');
    expect(mails.map((m: { kind: string }) => m.kind)).toEqual(['receipt', 'receipt']);
    expect(mails[1].text_body).toContain('We received $50.00 for Heavy Co');
    expect(mails[1].text_body).toContain(`/orgs/deleted/${heavy.slug}/invoices/`);
  });
});

describe('the Past Due bar (R9.10)', () => {
  it('states the amount owed, the next attempt and the day it becomes Unpaid; Pay now works without JavaScript', async () => {
    t.clock.set('2026-04-01T00:00:00Z');
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Late Co' });
    const viewer = await newUser(t);
    await addMember(t, org, viewer, 'viewer');
    await replaceCard(t.deps, { organizationId: org.id, actor: owner, card: { kind: 'card', number: '4000000000000341', expMonth: 12, expYear: 2030, cvc: '123' } });
    t.clock.set('2026-05-01T00:00:00Z');
    await runPass(jobs, t.deps, t.clock.now());
    t.clock.set('2026-05-03T10:00:00Z');
    const agent = await signedIn(t, owner);
    const page = await agent.get(`/orgs/${org.slug}`);
    const bar = visibleText(/<div class="past-due-bar"[\s\S]*?<\/div>\s*<\/div>/.exec(page.body)![0]);
    expect(bar).toContain('Late Co is Past Due : $250.00 is owed.');
    expect(bar).toContain('The card on file is charged again on May 8, 2026.');
    expect(bar).toContain('the organization becomes Unpaid on May 29, 2026');
    // The form carries its own CSRF token, so Pay now works with JavaScript off.
    const token = /action="\/orgs\/[a-z0-9]+\/billing\/pay-now"[\s\S]*?name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    expect(token).toBeTruthy();
    const viewerPage = visibleText((await (await signedIn(t, viewer)).get(`/orgs/${org.slug}`)).body);
    expect(viewerPage).toContain('$250.00 is owed');
    expect(viewerPage).toContain('Ask an Administrator of Late Co to update the payment method.');
    expect(viewerPage).not.toContain('Pay now');

    // After the day-7 retry fails, the next one is May 15; May 29 stays the Unpaid date.
    await runPass(jobs, t.deps, new Date('2026-05-08T00:00:00Z'));
    t.clock.set('2026-05-09T00:00:00Z');
    const later = visibleText((await agent.get(`/orgs/${org.slug}`)).body);
    expect(later).toContain('charged again on May 15, 2026');
    expect(later).toContain('becomes Unpaid on May 29, 2026');
  });
});
