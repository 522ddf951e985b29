import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication } from '../../src/modules/applications/create-application.ts';
import { addDevice } from '../../src/modules/applications/manage-devices.ts';
import { findBillingAccount } from '../../src/modules/owners/queries/billing-accounts.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const DAY_MS = 86_400_000;
const ms = (iso: string) => new Date(iso).getTime();
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

async function adminOf(opts: { plan?: 'starter' | 'professional'; name?: string } = {}) {
  const admin = await newUser(t, { name: 'Ada Admin' });
  const org = await newOrg(t, { owner: admin, name: opts.name ?? 'Ledger Co', ...(opts.plan ? { plan: opts.plan } : {}) });
  const agent = await signedIn(t, admin);
  return { admin, org, agent };
}

interface LineFixture {
  kind: string;
  description: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
}

/** An invoice as the renewal pass writes it, inserted directly (with its lines). */
async function insertInvoice(
  org: Organization,
  input: {
    seq: number;
    kind?: string;
    status: 'open' | 'paid' | 'void' | 'uncollectible';
    issuedAt: string;
    periodStart: string;
    periodEnd: string;
    lines: LineFixture[];
    creditAppliedCents?: number;
    amountPaidCents?: number;
  },
): Promise<{ id: number; number: string }> {
  const subtotal = input.lines.reduce((s, l) => s + l.amountCents, 0);
  const credit = input.creditAppliedCents ?? 0;
  const number = `${org.slug.toUpperCase()}-${String(input.seq).padStart(6, '0')}`;
  const [row] = await t.knex
    ('invoices')
    .insert({
      organization_id: org.id,
      seq: input.seq,
      number,
      kind: input.kind ?? 'renewal',
      status: input.status,
      issued_at: ms(input.issuedAt),
      period_start: ms(input.periodStart),
      period_end: ms(input.periodEnd),
      subtotal_cents: subtotal,
      credit_applied_cents: credit,
      amount_due_cents: subtotal - credit,
      amount_paid_cents: input.amountPaidCents ?? 0,
      paid_at: input.status === 'paid' ? ms(input.issuedAt) : null,
    })
    .returning('id');
  const id = Number(typeof row === 'object' ? (row as { id: number }).id : row);
  await t.knex('invoice_lines').insert(
    input.lines.map((l, i) => ({
      invoice_id: id,
      position: i + 1,
      kind: l.kind,
      description: l.description,
      quantity: l.quantity,
      unit_price_cents: l.unitPriceCents,
      amount_cents: l.amountCents,
    })),
  );
  await t.knex('billing_accounts').where({ organization_id: org.id }).update({ next_invoice_seq: input.seq + 1 });
  return { id, number };
}

const subscription = (cents: number): LineFixture => ({ kind: 'subscription', description: 'Starter plan', quantity: 1, unitPriceCents: cents, amountCents: cents });

describe('Invoices tab (R9.11)', () => {
  it('lists the last 12 invoices, newest first, each linking to its detail', async () => {
    const { org, agent } = await adminOf();
    // newOrg issued invoice #1; add #2 … #15 (one a month), so 15 in all.
    for (let seq = 2; seq <= 15; seq++) {
      const start = new Date(Date.UTC(2026, 2 + seq, 10, 9));
      const end = new Date(Date.UTC(2026, 3 + seq, 10, 9));
      await insertInvoice(org, {
        seq,
        status: seq === 15 ? 'open' : seq === 14 ? 'void' : seq === 13 ? 'uncollectible' : 'paid',
        issuedAt: start.toISOString(),
        periodStart: start.toISOString(),
        periodEnd: end.toISOString(),
        lines: [subscription(seq === 15 ? 123_456 : 25_000)],
        amountPaidCents: seq < 13 ? 25_000 : 0,
      });
    }
    const res = await agent.get(`/orgs/${org.slug}/settings/invoices`);
    expect(res.statusCode).toBe(200);
    const body = res.body;
    const numbers = [...body.matchAll(/settings\/invoices\/\d+">([A-Z0-9]+-\d{6})</g)].map((m) => m[1]);
    const prefix = org.slug.toUpperCase();
    expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => `${prefix}-${String(15 - i).padStart(6, '0')}`));
    expect(body).not.toContain(`${prefix}-000003<`);
    expect(body).not.toContain(`${prefix}-000001<`);
    // Date, period, status and amount, with $ formatting (R9.1).
    expect(body).toContain('$1,234.56');
    expect(body).toContain('$250.00');
    expect(body).toContain('>Open</span>');
    expect(body).toContain('>Paid</span>');
    expect(body).toContain('>Void</span>');
    expect(body).toContain('>Uncollectible</span>');
    expect(body).toContain('Jun 10, 2027'); // issue date of #15, in UTC
    expect(body).toContain('aria-current="page">Invoices</a>');
    expect(body).toContain('<th scope="col">Number</th>');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('shows the first invoice of a new organization', async () => {
    const { org, agent } = await adminOf();
    const body = (await agent.get(`/orgs/${org.slug}/settings/invoices`)).body;
    expect(body).toContain(`${org.slug.toUpperCase()}-000001`);
    expect(body).toContain('>Paid</span>');
    expect(body).toContain('$250.00');
  });

  it('has an empty state when there are no invoices', async () => {
    const { org, agent } = await adminOf();
    await t.knex('payment_attempts').where({ organization_id: org.id }).delete();
    await t.knex('invoices').where({ organization_id: org.id }).delete();
    const body = (await agent.get(`/orgs/${org.slug}/settings/invoices`)).body;
    expect(body).toContain('No invoices yet.');
    expect(body).not.toContain('<table');
  });
});

describe('invoice detail (R9.4)', () => {
  /** A renewal with overage, proration, credit, a failed then a successful attempt and per-application usage. */
  async function renewalInvoice(org: Organization) {
    const invoice = await insertInvoice(org, {
      seq: 2,
      status: 'paid',
      issuedAt: '2026-04-10T09:00:00Z',
      periodStart: '2026-04-10T09:00:00Z',
      periodEnd: '2026-05-10T09:00:00Z',
      lines: [
        // 31,234,567 payloads on Starter (25,000,000): 6,234,567 over at $10 / million = 6,234.567 → 6,235 cents.
        { kind: 'overage', description: 'Overage: 6,234,567 payloads over the 25,000,000 of Starter', quantity: 6_234_567, unitPriceCents: 1_000, amountCents: 6_235 },
        { kind: 'proration_credit', description: 'Unused time on Starter', quantity: 1, unitPriceCents: -12_000, amountCents: -12_000 },
        { kind: 'proration_charge', description: 'Remaining time on Professional', quantity: 1, unitPriceCents: 48_000, amountCents: 48_000 },
        { kind: 'subscription', description: 'Professional plan, Apr 10, 2026 – May 10, 2026', quantity: 1, unitPriceCents: 100_000, amountCents: 100_000 },
      ],
      creditAppliedCents: 5_000,
      amountPaidCents: 137_235,
    });
    await t.knex('payment_attempts').insert([
      {
        organization_id: org.id,
        invoice_id: invoice.id,
        idempotency_key: `invoice-${invoice.id}-attempt-1`,
        amount_cents: 137_235,
        status: 'failed',
        card_brand: 'visa',
        card_last4: '0002',
        failure_code: 'card_declined',
        failure_message: 'Your card was declined.',
        charge_ref: null,
        created_at: ms('2026-04-10T09:00:05Z'),
        completed_at: ms('2026-04-10T09:00:06Z'),
      },
      {
        organization_id: org.id,
        invoice_id: invoice.id,
        idempotency_key: `invoice-${invoice.id}-attempt-2`,
        amount_cents: 137_235,
        status: 'succeeded',
        card_brand: 'mastercard',
        card_last4: '4444',
        failure_code: null,
        failure_message: null,
        charge_ref: 'ch_sim_ok',
        created_at: ms('2026-04-17T09:00:00Z'),
        completed_at: ms('2026-04-17T09:00:01Z'),
      },
    ]);
    await t.knex('invoice_usage').insert([
      { invoice_id: invoice.id, application_id: 9001, application_name: 'Line Sensors', payloads: 20_000_000, usage_period_start: ms('2026-03-10T09:00:00Z'), usage_period_end: ms('2026-04-10T09:00:00Z') },
      { invoice_id: invoice.id, application_id: 9002, application_name: 'Trackers (since renamed)', payloads: 11_234_567, usage_period_start: ms('2026-03-10T09:00:00Z'), usage_period_end: ms('2026-04-10T09:00:00Z') },
    ]);
    return invoice;
  }

  it('shows every field R9.4 lists, amounts formatted $1,234.56, dates in UTC', async () => {
    const { org, agent, admin } = await adminOf({ name: 'Billed Org' });
    const invoice = await renewalInvoice(org);
    const res = await agent.get(`/orgs/${org.slug}/settings/invoices/${invoice.id}`);
    expect(res.statusCode).toBe(200);
    const body = res.body;
    // Number, issue date, period, status.
    expect(body).toContain(`>${invoice.number}</h2>`);
    expect(body).toContain('Apr 10, 2026');
    expect(body).toContain('Apr 10, 2026 – May 10, 2026');
    expect(body).toContain('>Paid</span>');
    // Billed to.
    expect(body).toContain('Billed Org');
    expect(body).toContain(admin.email);
    // Line items: description, quantity, unit price, amount; overage priced per million.
    expect(body).toContain('<th scope="col">Description</th>');
    expect(body).toContain('Overage: 6,234,567 payloads over the 25,000,000 of Starter');
    expect(body).toMatch(/<td class="num">6,234,567<\/td>\s*<td class="num">\$10\.00 \/ million<\/td>\s*<td class="num">\$62\.35<\/td>/);
    expect(body).toMatch(/Unused time on Starter<\/td>\s*<td class="num">1<\/td>\s*<td class="num">-\$120\.00<\/td>\s*<td class="num">-\$120\.00<\/td>/);
    expect(body).toContain('$480.00');
    expect(body).toMatch(/<td class="num">\$1,000\.00<\/td>\s*<td class="num">\$1,000\.00<\/td>/);
    // Totals.
    expect(body).toMatch(/Subtotal<\/th><td class="num">\$1,422\.35</);
    expect(body).toMatch(/Credit applied<\/th><td class="num">-\$50\.00</);
    expect(body).toMatch(/Amount due<\/th><td class="num">\$1,372\.35</);
    expect(body).toMatch(/Amount paid<\/th><td class="num">\$1,372\.35</);
    expect(body).toMatch(/Balance remaining<\/th><td class="num">\$0\.00</);
    // Payment attempts: time, card, result, failure reason — in order.
    const payments = body.slice(body.indexOf('id="payments-title"'), body.indexOf('id="usage-title"'));
    expect(payments).toContain('Apr 10, 2026, 09:00 UTC');
    expect(payments).toContain('Visa •••• 0002');
    expect(payments).toContain('Your card was declined.');
    expect(payments).toContain('Apr 17, 2026, 09:00 UTC');
    expect(payments).toContain('Mastercard •••• 4444');
    expect(payments.indexOf('>Failed</span>')).toBeGreaterThan(-1);
    expect(payments.indexOf('>Failed</span>')).toBeLessThan(payments.indexOf('>Succeeded</span>'));
    // Application usage of the invoiced period, names as stored at issue.
    const usage = body.slice(body.indexOf('id="usage-title"'));
    expect(usage).toContain('Mar 10, 2026 – Apr 10, 2026');
    expect(usage).toMatch(/Line Sensors<\/td><td class="num">20,000,000</);
    expect(usage).toMatch(/Trackers \(since renamed\)<\/td><td class="num">11,234,567</);
    expect(usage).toMatch(/Total<\/th><td class="num">31,234,567</);
    // Every header cell has a scope.
    expect(body).not.toMatch(/<th(?=[\s>])(?![^>]*scope=)[^>]*>/);
    // Print: a plain link (works without JavaScript), not boosted.
    expect(body).toContain(`href="/orgs/${org.slug}/settings/invoices/${invoice.id}?print=1" hx-boost="false"`);
    expect(body).not.toContain('print.js');
  });

  it('an open invoice shows what remains to pay', async () => {
    const { org, agent } = await adminOf();
    const invoice = await insertInvoice(org, {
      seq: 2,
      status: 'open',
      issuedAt: '2026-04-10T09:00:00Z',
      periodStart: '2026-04-10T09:00:00Z',
      periodEnd: '2026-05-10T09:00:00Z',
      lines: [subscription(25_000)],
    });
    const body = (await agent.get(`/orgs/${org.slug}/settings/invoices/${invoice.id}`)).body;
    expect(body).toContain('>Open</span>');
    expect(body).toMatch(/Balance remaining<\/th><td class="num">\$250\.00</);
    expect(body).toContain('No payment has been attempted for this invoice.');
    expect(body).toContain('No application usage was billed on this invoice.');
  });

  it('the first invoice shows its successful charge', async () => {
    const { org, agent } = await adminOf();
    const first = await t.knex('invoices').where({ organization_id: org.id, seq: 1 }).first('id');
    const body = (await agent.get(`/orgs/${org.slug}/settings/invoices/${first.id}`)).body;
    expect(body).toContain('Visa •••• 4242');
    expect(body).toContain('>Succeeded</span>');
    expect(body).toMatch(/Amount paid<\/th><td class="num">\$250\.00</);
  });

  it('prints without JavaScript: ?print=1 is the same invoice laid out for paper', async () => {
    const { org, agent } = await adminOf();
    const invoice = await renewalInvoice(org);
    const res = await agent.get(`/orgs/${org.slug}/settings/invoices/${invoice.id}?print=1`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('class="card invoice invoice-print-view"');
    expect(res.body).toContain(`>${invoice.number}</h1>`);
    expect(res.body).toContain('$1,372.35');
    expect(res.body).not.toContain('aria-label="Settings"'); // no tabs
    expect(res.body).toContain('<script src="/static/js/print.js" defer></script>');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const script = await t.app.inject({ method: 'GET', url: '/static/js/print.js' });
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain('window.print()');
    const css = await t.app.inject({ method: 'GET', url: '/static/css/app.css' });
    expect(css.body).toContain('/* Invoice print');
  });

  it("another organization's invoice is 404, as is a malformed or unknown id", async () => {
    const { org, agent } = await adminOf();
    const other = await adminOf({ name: 'Other Co' });
    const foreign = await t.knex('invoices').where({ organization_id: other.org.id }).first('id');
    expect((await agent.get(`/orgs/${org.slug}/settings/invoices/${foreign.id}`)).statusCode).toBe(404);
    expect((await agent.get(`/orgs/${org.slug}/settings/invoices/abc`)).statusCode).toBe(404);
    expect((await agent.get(`/orgs/${org.slug}/settings/invoices/99999999`)).statusCode).toBe(404);
    expect((await agent.get(`/orgs/${org.slug}/settings/invoices/99999999999999`)).statusCode).toBe(404);
    expect((await agent.get(`/orgs/${org.slug}/settings/invoices/9999999999`)).statusCode).toBe(404);
    // …while its own Administrator sees it.
    expect((await other.agent.get(`/orgs/${other.org.slug}/settings/invoices/${foreign.id}`)).statusCode).toBe(200);
  });
});

describe('who may see invoices and usage (R2.1, R2.5)', () => {
  it('Administrators only: lower roles get 403, non-members 404, visitors go to log in', async () => {
    const { org } = await adminOf();
    const first = await t.knex('invoices').where({ organization_id: org.id }).first('id');
    const urls = [`/orgs/${org.slug}/settings/invoices`, `/orgs/${org.slug}/settings/invoices/${first.id}`, `/orgs/${org.slug}/settings/usage`];
    for (const role of ['viewer', 'editor', 'none'] as const) {
      const member = await newUser(t, { name: `A ${role}` });
      await addMember(t, org, member, role);
      const agent = await signedIn(t, member);
      for (const url of urls) expect((await agent.get(url)).statusCode, `${role} ${url}`).toBe(403);
    }
    const stranger = await signedIn(t, await newUser(t, { name: 'Stranger' }));
    for (const url of urls) expect((await stranger.get(url)).statusCode, url).toBe(404);
    const anonymous = t.agent();
    for (const url of urls) {
      const res = await anonymous.get(url);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
    // An unknown organization is 404 too.
    const { agent } = await adminOf();
    expect((await agent.get('/orgs/nosuchorg/settings/usage')).statusCode).toBe(404);
    expect((await agent.get('/orgs/nosuchorg/settings/invoices')).statusCode).toBe(404);
  });
});

describe('Usage tab (R8.3)', () => {
  it('shows each count against its limit, payloads per application, one bar per day, and the projection', async () => {
    const { org, agent, admin } = await adminOf({ name: 'Busy Co' });
    const owner = { kind: 'organization' as const, organizationId: org.id };
    const account = (await findBillingAccount(t.deps.db, org.id))!;
    const start = account.currentPeriodStart;
    const end = account.currentPeriodEnd;
    // Two applications with three devices; two more members.
    const a = await createApplication(t.deps.db, t.clock, { owner, name: 'Line Sensors', description: '', userId: admin.id });
    const b = await createApplication(t.deps.db, t.clock, { owner, name: 'Trackers', description: '', userId: admin.id });
    if (!a.ok || !b.ok) throw new Error('applications not created');
    for (const [applicationId, name] of [[a.id, 'd1'], [a.id, 'd2'], [b.id, 'd3']] as const) {
      const r = await addDevice(t.deps.db, t.clock, { owner, applicationId, name });
      if (!r.ok) throw new Error('device not created');
    }
    await addMember(t, org, await newUser(t, { name: 'Vera Viewer' }), 'viewer');
    await addMember(t, org, await newUser(t, { name: 'Ed Editor' }), 'editor');

    // Ten days in: 10,000,000 payloads counted (6M + 4M), three refused requests.
    t.clock.set(new Date(start.getTime() + 10 * DAY_MS));
    const counter = { owner_type: 'organization', owner_id: org.id, period_start: start.getTime() };
    await t.knex('usage_counters').insert([
      { ...counter, application_id: a.id, application_name: 'Line Sensors', payloads: 6_000_000, rejected: 1 },
      { ...counter, application_id: b.id, application_name: 'Trackers', payloads: 4_000_000, rejected: 2 },
      // Another period's counter must not count.
      { ...counter, period_start: start.getTime() - 31 * DAY_MS, application_id: a.id, application_name: 'Line Sensors', payloads: 77_000_000, rejected: 0 },
    ]);
    const firstDay = Math.floor(start.getTime() / DAY_MS) * DAY_MS;
    await t.knex('usage_daily').insert(
      Array.from({ length: 10 }, (_, i) => ({ owner_type: 'organization', owner_id: org.id, application_id: a.id, day: firstDay + i * DAY_MS, payloads: 600_000 })),
    );

    const res = await agent.get(`/orgs/${org.slug}/settings/usage`);
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body).toContain('aria-current="page">Usage</a>');
    const limitRow = (label: string, used: string, limit: string) =>
      new RegExp(`>${label}</th>\\s*<td class="num" data-label="In use">${used}</td>\\s*<td class="num" data-label="Plan limit">${limit}</td>`);
    expect(body).toMatch(limitRow('Devices', '3', '250'));
    expect(body).toMatch(limitRow('Applications', '2', '10'));
    expect(body).toMatch(limitRow('Dashboards', '0', '50'));
    expect(body).toMatch(limitRow('Members', '3', '10'));
    expect(body).toMatch(limitRow('Payloads this period', '10,000,000', '25,000,000'));
    expect(body).toContain('<meter id="meter-payloads" min="0" max="25000000"');
    expect(body).toContain('value="10000000"');
    expect(body).toContain('>40%');
    expect(count(body, '<meter ')).toBe(5);
    // Payloads per application, from the counters.
    expect(body).toMatch(/>Line Sensors<\/th><td class="num" data-label="Payloads">6,000,000<\/td><td class="num" data-label="Refused requests">1</);
    expect(body).toMatch(/>Trackers<\/th><td class="num" data-label="Payloads">4,000,000<\/td><td class="num" data-label="Refused requests">2</);
    expect(body).not.toContain('77,000,000');
    // One bar per UTC day the period touches.
    const days = (Math.floor((end.getTime() - 1) / DAY_MS) * DAY_MS - firstDay) / DAY_MS + 1;
    expect(count(body, '<rect class="usage-bar"')).toBe(days);
    expect(body).toContain(`(${days} days)`);
    expect(body).toContain('6,000,000 in total');
    // Projection: 10,000,000 in 10 days of a 31-day period → 31,000,000; 6,000,000 over at $10.00 / million = $60.00.
    expect((end.getTime() - start.getTime()) / DAY_MS).toBe(31);
    expect(body).toContain('about 31,000,000 payloads by the end of the period');
    expect(body).toContain('Projected overage: 6,000,000 payloads over the allotment at $10.00 / million = $60.00');
    // No inline style anywhere (CSP).
    expect(body).not.toMatch(/\sstyle=/);
  });

  it('a new period with nothing counted projects nothing; a hard-cap plan says so', async () => {
    const { org, agent } = await adminOf();
    let body = (await agent.get(`/orgs/${org.slug}/settings/usage`)).body;
    expect(body).toContain('No payloads yet this period');
    expect(body).toContain('No overage projected');
    expect(body).toContain('No application has sent payloads this period.');

    // A custom plan without an overage price (R7.1: none = hard cap).
    const [plan] = await t.knex
      ('plans')
      .insert({
        code: `capped-${org.id}`,
        name: 'Capped Custom',
        kind: 'custom',
        price_cents: 5_000,
        max_devices: 5,
        max_applications: 5,
        max_dashboards: 5,
        max_members: 5,
        max_payloads_per_month: 1_000,
        retention_days: 30,
        overage_cents_per_million: null,
        support_level: 'Email',
        organization_id: org.id,
        created_at: t.clock.now().getTime(),
      })
      .returning('id');
    const planId = Number(typeof plan === 'object' ? (plan as { id: number }).id : plan);
    await t.knex('billing_accounts').where({ organization_id: org.id }).update({ plan_id: planId });
    body = (await agent.get(`/orgs/${org.slug}/settings/usage`)).body;
    expect(body).toContain('Capped Custom');
    expect(body).toContain('your plan has a hard cap');
  });
});
