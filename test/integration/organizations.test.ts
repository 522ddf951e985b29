import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimForCharge, findWizard } from '../../src/modules/organizations/queries/wizards.ts';
import { openWizard, selectPlan } from '../../src/modules/organizations/wizard.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import type { Agent } from '../support/agent.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser, wizardDetailsForm } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const count = async (table: string, where: Record<string, unknown> = {}) =>
  Number((await t.knex(table).where(where).count({ n: '*' }).first())?.n ?? 0);

const card = (number: string, over: Record<string, string> = {}) => ({ card_number: number, card_expiry: '12/34', card_cvc: '123', ...over });

async function wizardUser(plan = 'starter'): Promise<{ user: TestUser; agent: Agent }> {
  const user = await newUser(t, { name: 'Wendy Wizard' });
  const agent = await signedIn(t, user);
  await agent.get('/orgs/new');
  const res = await agent.post('/orgs/new/plan', { plan });
  expect(res.statusCode).toBe(303);
  return { user, agent };
}

const details = wizardDetailsForm;

describe('creation wizard, step 1 (R3.4)', () => {
  it('shows the tiers side by side with price, every limit and Select Plan, and an Enterprise link', async () => {
    const { agent } = await wizardUser();
    const res = await agent.get('/orgs/new');
    expect(res.statusCode).toBe(200);
    for (const text of ['Starter', '$250.00', 'Professional', '$1,000.00', 'Business', '$2,500.00', '25,000,000', '$7.50 per million payloads', '730 days']) {
      expect(res.body).toContain(text);
    }
    expect(res.body.match(/>Select Plan</g)?.length).toBe(2); // the third is the selected one
    expect(res.body).toContain('✓ Selected');
    expect(res.body).toContain('href="/orgs/new/enterprise"');
    expect(res.body).toContain('>Continue</button>');
  });

  it('asks for a plan before Continue', async () => {
    const agent = await signedIn(t, await newUser(t));
    const res = await agent.post('/orgs/new/continue');
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Select a plan to continue.');
    const details = await agent.get('/orgs/new/details');
    expect(details.statusCode).toBe(303);
    expect(details.headers.location).toBe('/orgs/new');
  });

  it('refuses a plan that does not exist, or the Sandbox pseudo-plan', async () => {
    const agent = await signedIn(t, await newUser(t));
    expect((await agent.post('/orgs/new/plan', { plan: 'platinum' })).statusCode).toBe(422);
    expect((await agent.post('/orgs/new/plan', { plan: 'sandbox' })).statusCode).toBe(422);
  });

  it('keeps the chosen plan and typed fields across a reload', async () => {
    const { user, agent } = await wizardUser('business');
    expect((await agent.post('/orgs/new/continue')).headers.location).toBe('/orgs/new/details');
    const first = await agent.get('/orgs/new/details');
    expect(first.body).toContain('Business');
    expect(first.body).toContain(`value="${user.email}"`); // billing email defaults to the user's
    // Submitted without a card: refused, but what was typed is kept.
    const res = await agent.post('/orgs/new/details', details({ name: 'Reload Corp', description: 'kept across reloads' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Enter your card details.');
    const reloaded = await agent.get('/orgs/new/details');
    expect(reloaded.body).toContain('value="Reload Corp"');
    expect(reloaded.body).toContain('kept across reloads');
    expect(reloaded.body).toContain('Business');
  });

  it('stores an Enterprise inquiry, and refuses an incomplete one', async () => {
    const agent = await signedIn(t, await newUser(t));
    const bad = await agent.post('/orgs/new/enterprise', { name: 'Eve', email: 'eve@corp.example', company: '', message: '' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Enter your company.');
    const ok = await agent.post('/orgs/new/enterprise', { name: 'Eve', email: 'eve@corp.example', company: 'Big Corp', expected_devices: '20000', message: 'We need 20k devices.' });
    expect(ok.statusCode).toBe(303);
    expect(await count('enterprise_inquiries', { company: 'Big Corp', status: 'new', expected_devices: 20000 })).toBe(1);
  });
});

describe('creation wizard, step 2 and the first charge (R3.5, R3.6, R9.13)', () => {
  it('changes the icon color without JavaScript by submitting the icon, and with htmx returns the picker alone', async () => {
    const { agent } = await wizardUser();
    const plain = await agent.post('/orgs/new/details', details({ action: 'cycle-color', icon_color: '#3346d3', name: 'Blue Sky' }));
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toContain('<option value="#0f766e" selected>Teal</option>');
    expect(plain.body).toContain('>BS</text>');
    const partial = await agent.post('/orgs/new/icon', { action: 'cycle-color', icon_color: '#0f766e', name: 'Green Fields' }, { headers: { 'hx-request': 'true' } });
    expect(partial.statusCode).toBe(200);
    expect(partial.body).not.toContain('<html');
    expect(partial.body).toContain('<option value="#15803d" selected>Green</option>');
    expect(partial.body).toContain('>GF</text>');
  });

  it('with 4242 creates the organization, its Administrator, billing period, paid invoice #1 and the attempt', async () => {
    const { user, agent } = await wizardUser('professional');
    const res = await agent.post('/orgs/new/details', details({ ...card('4242 4242 4242 4242'), name: 'Acme Robotics' }));
    expect(res.statusCode).toBe(303);
    const slug = String(res.headers.location).replace('/orgs/', '');
    const org = await t.knex('organizations').where({ slug }).first();
    expect(org.name).toBe('Acme Robotics');
    expect(org.icon_color).toBe('#0f766e');
    expect(await t.knex('memberships').where({ organization_id: org.id }).select('user_id', 'role')).toEqual([{ user_id: user.id, role: 'administrator' }]);
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    expect(account.card_last4).toBe('4242');
    expect(account.billing_email).toBe('billing@acme.example');
    expect(Number(account.current_period_start)).toBe(t.clock.now().getTime());
    const invoices = await t.knex('invoices').where({ organization_id: org.id });
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ number: `${slug.toUpperCase()}-000001`, status: 'paid', kind: 'first' });
    expect(Number(invoices[0].amount_due_cents)).toBe(100_000);
    expect(Number(invoices[0].amount_paid_cents)).toBe(100_000);
    const lines = await t.knex('invoice_lines').where({ invoice_id: invoices[0].id });
    expect(lines).toHaveLength(1);
    expect(lines[0].description).toMatch(/^Professional plan, Mar 10, 2026 – Apr 10, 2026$/);
    const attempts = await t.knex('payment_attempts').where({ invoice_id: invoices[0].id });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status: 'succeeded', card_brand: 'visa', card_last4: '4242' });
    const overview = await agent.get(res.headers.location as string);
    expect(overview.statusCode).toBe(200);
    expect(overview.body).toContain('Acme Robotics is ready.');
    expect(overview.body).toContain('Next steps');
  });

  it.each([
    ['4000 0000 0000 0002', 'Your card was declined.'],
    ['4000 0000 0000 9995', 'Your card has insufficient funds.'],
    ['4000 0000 0000 0069', 'Your card has expired.'],
    ['4000 0000 0000 0127', 'security code is incorrect.'],
    ['4000 0000 0000 0341', 'Your card was declined.'],
    ['4242 4242 4242 4241', 'Your card number is incorrect.'],
  ])('with %s shows "%s", creates nothing and keeps the fields', async (number, message) => {
    const before = { orgs: await count('organizations'), invoices: await count('invoices'), attempts: await count('payment_attempts') };
    const { agent } = await wizardUser();
    const res = await agent.post('/orgs/new/details', details({ ...card(number), name: 'Declined Inc', description: 'Still here after a decline' }));
    expect(res.statusCode).toBe(402);
    expect(res.body).toContain(message);
    expect(res.body).toContain('value="Declined Inc"');
    expect(res.body).toContain('Still here after a decline');
    expect(res.body).not.toContain(number.replace(/ /g, ''));
    expect({ orgs: await count('organizations'), invoices: await count('invoices'), attempts: await count('payment_attempts') }).toEqual(before);
  });

  it('lets the user fix a declined card and succeed with another', async () => {
    const { agent } = await wizardUser();
    expect((await agent.post('/orgs/new/details', details(card('4000000000000341')))).statusCode).toBe(402);
    const res = await agent.post('/orgs/new/details', details(card('5555 5555 5555 4444')));
    expect(res.statusCode).toBe(303);
  });

  it.each([
    [{ card_expiry: '13/30' }, 'The expiry month must be between 01 and 12.'],
    [{ card_expiry: 'soon' }, 'Enter the expiry date as MM/YY.'],
    [{ card_cvc: '12' }, 'The CVC is the 3 or 4 digits on your card.'],
    [{ card_number: '4242' }, 'Your card number is incomplete'],
  ])('refuses malformed card fields %o with 422', async (over, message) => {
    const { agent } = await wizardUser();
    const res = await agent.post('/orgs/new/details', details(card('4242424242424242', over)));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(message);
  });

  it.each([
    [{ name: '' }, 'Enter a name for the organization.'],
    [{ name: 'x'.repeat(256) }, 'at most 255 characters'],
    [{ description: 'y'.repeat(32_768) }, 'at most 32,767 characters'],
    [{ billing_email: 'nope' }, 'Enter a valid billing email address'],
    [{ icon_color: 'red' }, 'Choose an icon color'],
  ])('refuses invalid details %# with 422 and charges nothing', async (over, message) => {
    const charges = await count('sim_charges');
    const { agent } = await wizardUser();
    const res = await agent.post('/orgs/new/details', details({ ...card('4242424242424242'), ...over }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(message);
    expect(await count('sim_charges')).toBe(charges);
  });

  it.each([
    ['starter', 25_000],
    ['professional', 100_000],
    ['business', 250_000],
  ] as const)('charges the %s price for the first period', async (plan, cents) => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, plan });
    const invoice = await t.knex('invoices').where({ organization_id: org.id }).first();
    expect(Number(invoice.subtotal_cents)).toBe(cents);
    expect(Number(invoice.amount_paid_cents)).toBe(cents);
    const charge = await t.knex('sim_charges').where({ idempotency_key: (await t.knex('payment_attempts').where({ invoice_id: invoice.id }).first()).idempotency_key }).first();
    expect(Number(charge.amount_cents)).toBe(cents);
  });

  it('a double-submitted Create makes one organization and one charge', async () => {
    const { user, agent } = await wizardUser();
    const [a, b] = await Promise.all([
      agent.post('/orgs/new/details', details({ ...card('4242424242424242'), name: 'Twice Clicked' })),
      agent.post('/orgs/new/details', details({ ...card('4242424242424242'), name: 'Twice Clicked' })),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([303, 303]);
    expect(a.headers.location).toBe(b.headers.location);
    const orgs = await t.knex('organizations').where({ created_by_user_id: user.id });
    expect(orgs).toHaveLength(1);
    const wizard = await findWizard(t.deps.db, user.id);
    expect(await count('sim_charges', { customer_ref: wizard!.customerRef, status: 'succeeded' })).toBe(1);
  });

  it('a lost gateway answer is retried with the same key: one charge, one organization', async () => {
    const { user, agent } = await wizardUser();
    t.gateway.failAfterChargeOnce();
    const lost = await agent.post('/orgs/new/details', details({ ...card('4242424242424242'), name: 'Lost Answer' }));
    expect(lost.statusCode).toBe(503);
    expect(lost.body).toContain('you will not be charged twice');
    expect(await count('organizations', { created_by_user_id: user.id })).toBe(0);
    const retry = await agent.post('/orgs/new/details', details({ name: 'Lost Answer' }));
    expect(retry.statusCode).toBe(303);
    const wizard = await findWizard(t.deps.db, user.id);
    expect(await count('sim_charges', { customer_ref: wizard!.customerRef })).toBe(1);
    expect(await count('organizations', { created_by_user_id: user.id })).toBe(1);
  });

  it('a crash between the charge and the commit is finished by the scheduler without a second charge', async () => {
    const user = await newUser(t);
    // What the process did before dying: key recorded, card charged, nothing committed.
    const wizard = await openWizard(t.deps.db, t.clock, user, { restartCompleted: true });
    await selectPlan(t.deps.db, t.clock, wizard, 'starter');
    const { customerRef } = await t.gateway.createCustomer({ email: user.email, name: user.name, idempotencyKey: `orgwizard-${wizard.id}-customer` });
    const saved = await t.gateway.saveCard(customerRef, { kind: 'card', number: '4242424242424242', expMonth: 12, expYear: 2034, cvc: '123' });
    if (!saved.ok) throw new Error('card');
    await t.knex('organization_wizards').where({ id: wizard.id }).update({
      name: 'Crashy Co',
      customer_ref: customerRef,
      payment_method_ref: saved.card.paymentMethodRef,
      card_brand: saved.card.brand,
      card_last4: saved.card.last4,
      card_exp_month: 12,
      card_exp_year: 2034,
      billing_email: user.email,
    });
    const key = await claimForCharge(t.deps.db, (await findWizard(t.deps.db, user.id))!, t.clock.now());
    await t.gateway.charge({ customerRef, paymentMethodRef: saved.card.paymentMethodRef, amountCents: 25_000, idempotencyKey: key!, description: 'first' });
    expect(await count('organizations', { created_by_user_id: user.id })).toBe(0);

    // Too early to call it a crash: the pass leaves it alone.
    await runPass(jobs, t.deps, t.clock.now());
    expect(await count('organizations', { created_by_user_id: user.id })).toBe(0);

    t.clock.advance(5 * 60_000);
    await runPass(jobs, t.deps, t.clock.now());
    await runPass(jobs, t.deps, t.clock.now()); // R12.2: a second pass changes nothing
    const orgs = await t.knex('organizations').where({ created_by_user_id: user.id });
    expect(orgs).toHaveLength(1);
    expect(orgs[0].name).toBe('Crashy Co');
    expect(await count('sim_charges', { customer_ref: customerRef })).toBe(1);
    expect(await count('invoices', { organization_id: orgs[0].id, status: 'paid' })).toBe(1);
    expect(await count('payment_attempts', { idempotency_key: key })).toBe(1);
  });

  it('a crash before the gateway saw the charge frees the wizard with a message and no charge', async () => {
    const { user, agent } = await wizardUser();
    t.gateway.failBeforeChargeOnce();
    expect((await agent.post('/orgs/new/details', details(card('4242424242424242')))).statusCode).toBe(503);
    t.clock.advance(5 * 60_000);
    await runPass(jobs, t.deps, t.clock.now());
    const wizard = await findWizard(t.deps.db, user.id);
    expect(wizard?.state).toBe('editing');
    expect(await count('sim_charges', { customer_ref: wizard!.customerRef })).toBe(0);
    const page = await agent.get('/orgs/new/details');
    expect(page.body).toContain('nothing was charged');
    expect((await agent.post('/orgs/new/details', details())).statusCode).toBe(303);
    expect(await count('sim_charges', { customer_ref: wizard!.customerRef })).toBe(1);
  });
});

describe('listing, overview, leave (R3.1, R3.2, R2.3)', () => {
  it('lists the organization with icon, name, role, plan and status, and in the header dropdown', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, plan: 'business', name: 'Listing Labs' });
    const agent = await signedIn(t, owner);
    const res = await agent.get('/orgs');
    expect(res.body).toContain('Listing Labs');
    expect(res.body).toContain('>LL</text>');
    expect(res.body).toMatch(/<td data-label="Role">Administrator<\/td>\s*<td data-label="Plan">Business<\/td>/);
    expect(res.body).toContain('Active');
    const sandbox = await agent.get('/sandbox');
    expect(sandbox.body).toContain(`href="/orgs/${org.slug}"`);
  });

  it('shows an empty state when the user has no organization', async () => {
    const agent = await signedIn(t, await newUser(t));
    expect((await agent.get('/orgs')).body).toContain('You are not in any organization yet');
  });

  it('the overview lists members with roles', async () => {
    const owner = await newUser(t, { name: 'Olive Owner' });
    const org = await newOrg(t, { owner });
    await addMember(t, org, await newUser(t, { name: 'Vic Viewer' }), 'viewer');
    const res = await (await signedIn(t, owner)).get(`/orgs/${org.slug}`);
    expect(res.body).toContain('Olive Owner');
    expect(res.body).toContain('Vic Viewer');
    expect(res.body).toContain('>Viewer</span>');
    expect(res.body).toContain('Leave Organization');
  });

  it('the last Administrator cannot leave, with a message saying why', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Solo Org' });
    const agent = await signedIn(t, owner);
    const res = await agent.post(`/orgs/${org.slug}/leave`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/orgs/${org.slug}`);
    expect((await agent.get(`/orgs/${org.slug}`)).body).toContain('You are the last Administrator of Solo Org');
    expect(await count('memberships', { organization_id: org.id })).toBe(1);
  });

  it('a member leaves; the organization and its other members stay', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner });
    const member = await newUser(t);
    await addMember(t, org, member, 'editor');
    const agent = await signedIn(t, member);
    const res = await agent.post(`/orgs/${org.slug}/leave`);
    expect(res.headers.location).toBe('/orgs');
    expect(await count('memberships', { organization_id: org.id })).toBe(1);
    expect((await agent.get(`/orgs/${org.slug}`)).statusCode).toBe(404);
  });
});

describe('General settings (R3.8)', () => {
  it('an Administrator edits name, description and icon color', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner });
    const agent = await signedIn(t, owner);
    const page = await agent.get(`/orgs/${org.slug}/settings/general`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('>General</a>');
    const res = await agent.post(`/orgs/${org.slug}/settings/general`, { name: 'Renamed Org', description: 'New words', icon_color: '#ABCDEF' });
    expect(res.statusCode).toBe(303);
    const row = await t.knex('organizations').where({ id: org.id }).first();
    expect(row).toMatchObject({ name: 'Renamed Org', description: 'New words', icon_color: '#abcdef' });
  });

  it.each([
    [{ name: '' }, 'Enter a name for the organization.'],
    [{ name: 'n'.repeat(256) }, 'at most 255 characters'],
    [{ description: 'd'.repeat(32_768) }, 'at most 32,767 characters'],
    [{ icon_color: 'javascript:alert(1)' }, 'Choose an icon color'],
  ])('refuses %# with 422 and changes nothing', async (over, message) => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner, name: 'Unchanged' });
    const res = await (await signedIn(t, owner)).post(`/orgs/${org.slug}/settings/general`, { name: 'Valid', description: '', icon_color: '#123456', ...over });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(message);
    expect((await t.knex('organizations').where({ id: org.id }).first()).name).toBe('Unchanged');
  });

  it('shows the Settings link to Administrators only', async () => {
    const owner = await newUser(t);
    const org = await newOrg(t, { owner });
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    expect((await (await signedIn(t, owner)).get(`/orgs/${org.slug}`)).body).toContain(`href="/orgs/${org.slug}/settings"`);
    expect((await (await signedIn(t, editor)).get(`/orgs/${org.slug}`)).body).not.toContain(`href="/orgs/${org.slug}/settings"`);
  });
});

describe('authorization of every organization route (R2.5)', () => {
  let org: { slug: string };
  const users: Record<string, TestUser | null> = {};
  beforeAll(async () => {
    const admin = await newUser(t);
    const created = await newOrg(t, { owner: admin, name: 'Guarded' });
    org = created;
    users.administrator = admin;
    users.anonymous = null;
    users.nonMember = await newUser(t);
    const platformAdmin = await newUser(t);
    await t.knex('users').where({ id: platformAdmin.id }).update({ is_platform_admin: true });
    users.platformAdmin = platformAdmin;
    for (const role of ['none', 'viewer', 'collaborator', 'editor'] as const) {
      const u = await newUser(t);
      await addMember(t, created, u, role);
      users[role] = u;
    }
  });

  // [method, path, expected status per actor]; 303 = redirect (to log in, or after a change).
  const routes: [string, string, Record<string, number>][] = [
    ['GET', '/orgs/:slug', { anonymous: 303, nonMember: 404, platformAdmin: 404, none: 403, viewer: 200, collaborator: 200, editor: 200, administrator: 200 }],
    ['GET', '/orgs/:slug/settings', { anonymous: 303, nonMember: 404, platformAdmin: 404, none: 403, viewer: 403, collaborator: 403, editor: 403, administrator: 303 }],
    ['GET', '/orgs/:slug/settings/general', { anonymous: 303, nonMember: 404, platformAdmin: 404, none: 403, viewer: 403, collaborator: 403, editor: 403, administrator: 200 }],
    ['POST', '/orgs/:slug/settings/general', { anonymous: 303, nonMember: 404, platformAdmin: 404, none: 403, viewer: 403, collaborator: 403, editor: 403, administrator: 303 }],
    ['POST', '/orgs/:slug/leave', { anonymous: 303, nonMember: 404, platformAdmin: 404, none: 303, viewer: 303, collaborator: 303, editor: 303, administrator: 303 }],
  ];

  for (const [method, path, expected] of routes) {
    for (const [actor, status] of Object.entries(expected)) {
      it(`${method} ${path} as ${actor} → ${status}`, async () => {
        const user = users[actor];
        const agent = user ? await signedIn(t, user) : t.agent();
        const url = path.replace(':slug', org.slug);
        const res =
          method === 'GET' ? await agent.get(url) : await agent.post(url, { name: 'Guarded', description: '', icon_color: '#3346d3' });
        expect(res.statusCode).toBe(status);
        if (actor === 'anonymous') expect(res.headers.location).toMatch(/^\/login/);
        if (status === 404) expect(res.body).not.toContain('Guarded');
      });
    }
  }

  it('an unknown organization is 404', async () => {
    const agent = await signedIn(t, users.administrator!);
    expect((await agent.get('/orgs/zzzzzzzz')).statusCode).toBe(404);
    expect((await agent.get('/orgs/NOT-A-SLUG!')).statusCode).toBe(404);
  });

  it('the wizard needs a signed-in user', async () => {
    for (const path of ['/orgs', '/orgs/new', '/orgs/new/details', '/orgs/new/enterprise']) {
      const res = await t.agent().get(path);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    const post = await t.agent().post('/orgs/new/details', details(card('4242424242424242')));
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toBe('/login');
  });
});
