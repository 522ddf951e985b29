// R16.1, R16.3: organizations through Losant's own client (losant-rest):
// orgs.get, orgs.post (the wizard's first charge, Stripe's test tokens),
// org.get, org.patch (settings, billing email, card, plan change with the
// page's proration), org.delete (final invoice), org.payloadCounts and
// org.transferResources; every answer checked against the client's schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiId } from '../../../src/modules/api/ids.ts';
import type { Organization } from '../../../src/modules/tenancy/queries/organizations.ts';
import { expectSchema, refusalOf, startApiServer, type ApiTestServer } from '../../support/api.ts';
import { addMember, insertApplication, insertRowId, insertDevice, newOrg, newUser, orgOwner, sandboxOf, signedIn, type TestUser } from '../../support/builders.ts';

let t: ApiTestServer;

beforeAll(async () => {
  t = await startApiServer();
});
afterAll(async () => t.close());

const count = async (table: string, where: Record<string, unknown> = {}) => Number((await t.knex(table).where(where).count({ n: '*' }).first())?.n ?? 0);
const auditActions = async (orgId: number) => (await t.knex('audit_events').where({ organization_id: orgId }).orderBy('id')).map((e: { action: string }) => e.action);
const orgIdOf = (wire: string) => parseInt(wire, 16);

async function adminWithOrg(plan: 'starter' | 'professional' | 'business' = 'starter', name = 'Acme Robotics'): Promise<{ user: TestUser; org: Organization; token: string }> {
  const user = await newUser(t, { name: 'Ada Admin' });
  const org = await newOrg(t, { owner: user, plan, name });
  return { user, org, token: await t.tokenFor(user) };
}

describe('orgs.post: create an organization with the first charge (R3.6, R16.3)', () => {
  it('creates it on the plan, charges the first month with tok_visa, makes the caller Administrator; the page lists it', async () => {
    const user = await newUser(t, { name: 'Grace Hopper' });
    const token = await t.tokenFor(user);
    const created = await t.client(token).orgs.post({
      organization: { name: 'Compilers Inc', description: 'We compile', planId: 'professional', billingEmail: 'billing@compilers.example', cardToken: 'tok_visa', iconColor: '#0f766e' },
    });
    expectSchema('org', created);
    expect(created).toMatchObject({
      name: 'Compilers Inc',
      description: 'We compile',
      iconColor: '#0f766e',
      planId: 'professional',
      billingEmail: 'billing@compilers.example',
      subscriptionStatus: 'active',
      limits: { application: 50, dashboard: 200, device: 1000, member: 50, payload: 100_000_000, dataTTL: 365 * 86_400 },
      summary: { appCount: 0, dashCount: 0, deviceCount: 0, memberCount: 1, pendingInviteCount: 0, payloadCount: { deviceState: { rest: 0 } } },
      members: [{ userId: toApiId(user.id), email: user.email, firstName: 'Grace', lastName: 'Hopper', role: 'admin' }],
    });
    const orgId = orgIdOf(created.id);
    // The first invoice is paid with a Visa ending 4242, as through the wizard.
    const invoice = await t.knex('invoices').where({ organization_id: orgId }).first();
    expect(invoice).toMatchObject({ status: 'paid', amount_due_cents: 100_000 });
    expect(await t.knex('billing_accounts').where({ organization_id: orgId }).first()).toMatchObject({ card_brand: 'visa', card_last4: '4242', billing_email: 'billing@compilers.example' });
    expect(await auditActions(orgId)).toEqual(['organization.created']);
    const page = await (await signedIn(t, user)).get('/orgs');
    expect(page.body).toContain('Compilers Inc');
    expect(page.body).toContain('Professional');
  });

  it('other Stripe test tokens pay too (tok_mastercard, tok_amex)', async () => {
    for (const [cardToken, brand, last4] of [
      ['tok_mastercard', 'mastercard', '4444'],
      ['tok_amex', 'amex', '0005'],
    ] as const) {
      const user = await newUser(t);
      const created = await t.client(await t.tokenFor(user)).orgs.post({ organization: { name: `Org ${brand}`, planId: 'starter', cardToken } });
      expect(await t.knex('billing_accounts').where({ organization_id: orgIdOf(created.id) }).first()).toMatchObject({ card_brand: brand, card_last4: last4 });
    }
  });

  it('a declined card (tok_chargeDeclined) is 402 PaymentRequired with the decline message; nothing is created', async () => {
    const user = await newUser(t);
    const token = await t.tokenFor(user);
    const before = await count('organizations');
    const refusal = await refusalOf(t.client(token).orgs.post({ organization: { name: 'Declined Co', planId: 'starter', cardToken: 'tok_chargeDeclined' } }));
    expect(refusal).toMatchObject({ statusCode: 402, type: 'PaymentRequired', message: 'Your card was declined. Nothing was created.' });
    const funds = await refusalOf(t.client(token).orgs.post({ organization: { name: 'Declined Co', planId: 'starter', cardToken: 'tok_chargeDeclinedInsufficientFunds' } }));
    expect(funds).toMatchObject({ statusCode: 402, message: 'Your card has insufficient funds. Nothing was created.' });
    expect(await count('organizations')).toBe(before);
    expect((await t.client(token).orgs.get()).totalCount).toBe(0);
  });

  it('a token that attaches but fails when charged (tok_chargeCustomerFail, like card 0341) is 402 too; nothing is created', async () => {
    const user = await newUser(t);
    const before = await count('organizations');
    const refusal = await refusalOf(t.client(await t.tokenFor(user)).orgs.post({ organization: { name: 'Later Fail', planId: 'starter', cardToken: 'tok_chargeCustomerFail' } }));
    expect(refusal).toMatchObject({ statusCode: 402, type: 'PaymentRequired', message: 'Your card was declined. Nothing was created.' });
    expect(await count('organizations')).toBe(before);
    // The gateway did save the card and did attempt the charge.
    expect(await count('sim_charges', { status: 'failed', failure_code: 'card_declined' })).toBeGreaterThan(0);
  });

  it('bad input is 400 Validation naming the field, never a 500: unknown plan, no card, bad icon color, unknown field', async () => {
    const client = t.client(await t.tokenFor(await newUser(t)));
    const unknownPlan = await refusalOf(client.orgs.post({ organization: { name: 'X', planId: 'platinum', cardToken: 'tok_visa' } }));
    expect(unknownPlan).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(unknownPlan.message).toMatch(/^planId: .*starter, professional, business/);
    const noCard = await refusalOf(client.orgs.post({ organization: { name: 'X', planId: 'starter' } }));
    expect(noCard).toMatchObject({ statusCode: 400 });
    expect(noCard.message).toMatch(/cardToken/);
    const color = await refusalOf(client.orgs.post({ organization: { name: 'X', planId: 'starter', cardToken: 'tok_visa', iconColor: 'hotpink' } }));
    expect(color).toMatchObject({ statusCode: 400 });
    expect(color.message).toMatch(/^iconColor: /);
    const unknownField = await refusalOf(client.orgs.post({ organization: { name: 'X', planId: 'starter', cardToken: 'tok_visa', whitelistedEmailDomains: ['a.com'] } }));
    expect(unknownField).toMatchObject({ statusCode: 400 });
    expect(unknownField.message).toMatch(/additional properties/);
    const blankName = await refusalOf(client.orgs.post({ organization: { name: '   ', planId: 'starter', cardToken: 'tok_visa' } }));
    expect(blankName).toMatchObject({ statusCode: 400 });
    expect(blankName.message).toMatch(/^name: /);
  });

  it('a token without the orgs.post scope is 403; no token is 401', async () => {
    const user = await newUser(t);
    const auth = await t.client().auth.authenticateUser({ credentials: { email: user.email, password: user.password, requestedScopes: ['orgs.get'] } });
    expect(await refusalOf(t.client(auth.token).orgs.post({ organization: { name: 'X', planId: 'starter', cardToken: 'tok_visa' } }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    expect(await refusalOf(t.client().orgs.post({ organization: { name: 'X', planId: 'starter', cardToken: 'tok_visa' } }))).toMatchObject({ statusCode: 401 });
  });
});

describe('orgs.get: the user’s organizations, paged, sorted and filtered (R3.1, R16.1)', () => {
  it('lists only the organizations the user is a member of, with sort, filter and pages', async () => {
    const user = await newUser(t);
    const names = ['Bravo Works', 'Alpha Labs', 'Charlie Co'];
    for (const name of names) await newOrg(t, { owner: user, name });
    const stranger = await adminWithOrg('starter', 'Not Yours Ltd');
    await addMember(t, stranger.org, await newUser(t), 'viewer');
    const client = t.client(await t.tokenFor(user));
    const all = await client.orgs.get();
    expectSchema('orgs', all);
    expect(all.items.map((o: { name: string }) => o.name)).toEqual(['Alpha Labs', 'Bravo Works', 'Charlie Co']);
    expect(all).toMatchObject({ count: 3, totalCount: 3, page: 0, perPage: 100, sortField: 'name', sortDirection: 'asc' });
    const desc = await client.orgs.get({ sortField: 'name', sortDirection: 'desc', perPage: 2, page: 0 });
    expectSchema('orgs', desc);
    expect(desc.items.map((o: { name: string }) => o.name)).toEqual(['Charlie Co', 'Bravo Works']);
    expect(desc).toMatchObject({ count: 2, totalCount: 3, perPage: 2 });
    const second = await client.orgs.get({ sortField: 'name', sortDirection: 'desc', perPage: 2, page: 1 });
    expect(second.items.map((o: { name: string }) => o.name)).toEqual(['Alpha Labs']);
    const filtered = await client.orgs.get({ filterField: 'name', filter: 'b*' });
    expectSchema('orgs', filtered);
    expect(filtered.items.map((o: { name: string }) => o.name)).toEqual(['Bravo Works']);
    const bad = await refusalOf(client.orgs.get({ sortField: 'password' }));
    expect(bad).toMatchObject({ statusCode: 400, type: 'Validation' });
  });

  it('shows a Viewer what the pages show a Viewer: no billing fields, counts without the resources a None override hides (R2.6)', async () => {
    const { org } = await adminWithOrg('starter', 'Visible Org');
    const viewer = await newUser(t);
    await addMember(t, org, viewer, 'viewer');
    const seen = await insertApplication(t, orgOwner(org), 'Seen App');
    await insertDevice(t, seen, 'd1');
    const hidden = await insertApplication(t, orgOwner(org), 'Hidden App');
    await insertDevice(t, hidden, 'd2');
    await insertDevice(t, hidden, 'd3');
    await t.knex('resource_roles').insert({ organization_id: org.id, user_id: viewer.id, resource_type: 'application', resource_id: hidden, role: 'none' });
    const list = await t.client(await t.tokenFor(viewer)).orgs.get();
    expectSchema('orgs', list);
    const item = list.items[0];
    expect(item).toMatchObject({ name: 'Visible Org', planId: 'starter', summary: { appCount: 1, deviceCount: 1, memberCount: 2 } });
    expect(item.billingEmail).toBeUndefined();
    expect(item.subscriptionStatus).toBeUndefined();
    expect(item.summary.payloadCount).toBeUndefined();
    expect(item.members.find((m: { userId: string }) => m.userId === toApiId(viewer.id))).toEqual({ userId: toApiId(viewer.id), email: viewer.email, firstName: expect.any(String), lastName: expect.any(String), role: 'view' });
    // R2.1: a member with role None sees the organization listed, as on the listing page, and nothing of it.
    const none = await newUser(t);
    await addMember(t, org, none, 'none');
    const noneList = await t.client(await t.tokenFor(none)).orgs.get();
    expectSchema('orgs', noneList);
    expect(noneList.items).toEqual([{ id: toApiId(org.id), orgId: toApiId(org.id), creationDate: expect.any(String), name: 'Visible Org', description: '', iconColor: '#3346d3', planId: 'starter', isEnterprise: false }]);
  });
});

describe('org.get (R3.2, R16.1)', () => {
  it('answers members with Losant role names and per-resource roles, limits, summary and billing fields for an Administrator', async () => {
    const { user, org, token } = await adminWithOrg('starter', 'Roles Org');
    const editor = await newUser(t, { name: 'Eddie' });
    await addMember(t, org, editor, 'editor');
    const appId = await insertApplication(t, orgOwner(org), 'App');
    await t.knex('resource_roles').insert({ organization_id: org.id, user_id: editor.id, resource_type: 'application', resource_id: appId, role: 'viewer' });
    const got = await t.client(token).org.get({ orgId: toApiId(org.id) });
    expectSchema('org', got);
    expect(got).toMatchObject({ id: toApiId(org.id), orgId: toApiId(org.id), name: 'Roles Org', planId: 'starter', subscriptionStatus: 'active', billingEmail: user.email, isEnterprise: false });
    expect(got.members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: toApiId(user.id), role: 'admin', applicationRoles: [], dashboardRoles: [] }),
        { userId: toApiId(editor.id), email: editor.email, firstName: 'Eddie', role: 'edit', applicationRoles: [{ resourceId: toApiId(appId), role: 'view' }], dashboardRoles: [] },
      ]),
    );
    expect(got.limits).toEqual({ application: 10, dashboard: 50, device: 250, member: 10, payload: 25_000_000, dataTTL: 90 * 86_400 });
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    expect(got.currentPeriodStart).toBe(new Date(Number(account.current_period_start)).toISOString());
    const trimmed = await t.client(token).org.get({ orgId: toApiId(org.id), summaryExclude: 'payloadCount,pendingInviteCount' });
    expect(Object.keys(trimmed.summary).sort()).toEqual(['appCount', 'dashCount', 'deviceCount', 'memberCount']);
  });

  it('a stranger and a platform admin get 404 (existence not told); a member with role None gets 403; an unknown id 404', async () => {
    const { org } = await adminWithOrg('starter', 'Secret Org');
    const stranger = await newUser(t);
    const admin = await newUser(t);
    await t.knex('users').where({ id: admin.id }).update({ is_platform_admin: true });
    const none = await newUser(t);
    await addMember(t, org, none, 'none');
    for (const u of [stranger, admin]) {
      const refusal = await refusalOf(t.client(await t.tokenFor(u)).org.get({ orgId: toApiId(org.id) }));
      expect(refusal).toMatchObject({ statusCode: 404, type: 'NotFound' });
      expect(refusal.message).not.toContain('Secret');
    }
    expect(await refusalOf(t.client(await t.tokenFor(none)).org.get({ orgId: toApiId(org.id) }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    expect(await refusalOf(t.client(await t.tokenFor(stranger)).org.get({ orgId: 'ffffffffffffffffffffffff' }))).toMatchObject({ statusCode: 404 });
  });
});

describe('org.patch (R3.8, R9.5, R9.14, R16.3)', () => {
  it('changes name, description and icon color with the General tab’s audit entry; the settings page shows them', async () => {
    const { user, org, token } = await adminWithOrg('starter', 'Old Name');
    const patched = await t.client(token).org.patch({ orgId: toApiId(org.id), organization: { name: 'New Name', description: 'Now described', iconColor: '#15803d' } });
    expectSchema('org', patched);
    expect(patched).toMatchObject({ name: 'New Name', description: 'Now described', iconColor: '#15803d' });
    expect(await auditActions(org.id)).toContain('settings.general_updated');
    const agent = await signedIn(t, user);
    const page = await agent.get(`/orgs/${org.slug}/settings/general`);
    expect(page.body).toContain('New Name');
    expect(page.body).toContain('Now described');
    const log = await agent.get(`/orgs/${org.slug}/settings/audit-log`);
    expect(log.body).toContain('General settings changed');
  });

  it('changes the plan at once with the page’s two proration lines on the next invoice; the audit log shows it', async () => {
    const { user, org, token } = await adminWithOrg('starter', 'Upgrader');
    t.clock.advance(10 * 86_400_000);
    const patched = await t.client(token).org.patch({ orgId: toApiId(org.id), organization: { planId: 'professional' } });
    expectSchema('org', patched);
    expect(patched).toMatchObject({ planId: 'professional', limits: { application: 50 } });
    const lines = await t.knex('pending_invoice_lines').where({ organization_id: org.id }).orderBy('id');
    expect(lines).toHaveLength(2);
    // The same numbers the page's preview states: credit for Starter's unused time, charge for Professional's.
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    const period = Number(account.current_period_end) - Number(account.current_period_start);
    const remaining = Number(account.current_period_end) - t.clock.now().getTime();
    expect(lines.map((l: { amount_cents: number }) => Number(l.amount_cents))).toEqual([-Math.round((25_000 * remaining) / period), Math.round((100_000 * remaining) / period)]);
    expect(await auditActions(org.id)).toContain('billing.plan_changed');
    const page = await (await signedIn(t, user)).get(`/orgs/${org.slug}/settings/billing-plan`);
    expect(page.body).toMatch(/Professional/);
  });

  it('a downgrade the organization’s resources exceed is 409 naming what exceeds; nothing changes, not even the name sent with it', async () => {
    const { org, token } = await adminWithOrg('professional', 'Big Org');
    for (let i = 0; i < 11; i++) await insertApplication(t, orgOwner(org), `App ${i}`);
    const refusal = await refusalOf(t.client(token).org.patch({ orgId: toApiId(org.id), organization: { name: 'Renamed', planId: 'starter' } }));
    expect(refusal).toMatchObject({ statusCode: 409, type: 'Conflict' });
    expect(refusal.message).toContain('Applications: 11 in use, Starter allows 10');
    const after = await t.client(token).org.get({ orgId: toApiId(org.id) });
    expect(after).toMatchObject({ name: 'Big Org', planId: 'professional' });
    expect(await count('pending_invoice_lines', { organization_id: org.id })).toBe(0);
  });

  it('changes the billing email and the card; a declined card is 402 and leaves the old card and everything else', async () => {
    const { org, token } = await adminWithOrg('starter', 'Card Org');
    const client = t.client(token);
    const patched = await client.org.patch({ orgId: toApiId(org.id), organization: { billingEmail: 'ap@card.example', cardToken: 'tok_mastercard' } });
    expectSchema('org', patched);
    expect(patched.billingEmail).toBe('ap@card.example');
    expect(await t.knex('billing_accounts').where({ organization_id: org.id }).first()).toMatchObject({ card_brand: 'mastercard', card_last4: '4444' });
    const refusal = await refusalOf(client.org.patch({ orgId: toApiId(org.id), organization: { name: 'Should Not Stick', cardToken: 'tok_chargeDeclined' } }));
    expect(refusal).toMatchObject({ statusCode: 402, type: 'PaymentRequired' });
    expect(refusal.message).toMatch(/^Your card was declined\./);
    expect(await t.knex('billing_accounts').where({ organization_id: org.id }).first()).toMatchObject({ card_last4: '4444' });
    expect((await client.org.get({ orgId: toApiId(org.id) })).name).toBe('Card Org');
    const badEmail = await refusalOf(client.org.patch({ orgId: toApiId(org.id), organization: { billingEmail: 'not-an-email' } }));
    expect(badEmail).toMatchObject({ statusCode: 400 });
    expect(badEmail.message).toMatch(/^billingEmail: /);
  });

  it('an Editor is 403; an unknown plan is 400', async () => {
    const { org, token } = await adminWithOrg('starter', 'Guarded');
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    expect(await refusalOf(t.client(await t.tokenFor(editor)).org.patch({ orgId: toApiId(org.id), organization: { name: 'Mine now' } }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    const unknown = await refusalOf(t.client(token).org.patch({ orgId: toApiId(org.id), organization: { planId: 'sandbox' } }));
    expect(unknown).toMatchObject({ statusCode: 400 });
    expect(unknown.message).toMatch(/^planId: /);
  });
});

describe('org.payloadCounts (R8.2, R8.3)', () => {
  it('counts this period’s payloads from the counters, and a range by UTC days; Viewers get 403', async () => {
    const { org, token, user } = await adminWithOrg('starter', 'Busy Org');
    const appId = await insertApplication(t, orgOwner(org), 'Sensors');
    const account = await t.knex('billing_accounts').where({ organization_id: org.id }).first();
    const periodStart = Number(account.current_period_start);
    const day = Math.floor(t.clock.now().getTime() / 86_400_000) * 86_400_000;
    await t.knex('usage_counters').insert({ owner_type: 'organization', owner_id: org.id, application_id: appId, period_start: periodStart, application_name: 'Sensors', payloads: 42, rejected: 0 });
    await t.knex('usage_daily').insert({ owner_type: 'organization', owner_id: org.id, application_id: appId, day, payloads: 42 });
    const client = t.client(token);
    const current = await client.org.payloadCounts({ orgId: toApiId(org.id) });
    expectSchema('payloadStats', current);
    expect(current).toEqual({ deviceState: { rest: 42 } });
    const ranged = await client.org.payloadCounts({ orgId: toApiId(org.id), start: String(day), end: String(day + 86_400_000) });
    expectSchema('payloadStats', ranged);
    expect(ranged).toEqual({ deviceState: { rest: 42 } });
    expect(await client.org.payloadCounts({ orgId: toApiId(org.id), start: String(day - 3 * 86_400_000), end: String(day) })).toEqual({ deviceState: { rest: 0 } });
    expect(await refusalOf(client.org.payloadCounts({ orgId: toApiId(org.id), start: String(day), end: String(day - 1) }))).toMatchObject({ statusCode: 400 });
    expect(await refusalOf(client.org.payloadCounts({ orgId: toApiId(org.id), start: 'yesterday' }))).toMatchObject({ statusCode: 400 });
    const viewer = await newUser(t);
    await addMember(t, org, viewer, 'viewer');
    expect(await refusalOf(t.client(await t.tokenFor(viewer)).org.payloadCounts({ orgId: toApiId(org.id) }))).toMatchObject({ statusCode: 403 });
    // The Usage page counts the same.
    expect((await (await signedIn(t, user)).get(`/orgs/${org.slug}/settings/usage`)).body).toContain('42');
  });
});

describe('org.transferResources (R5.4, R16.3)', () => {
  it('moves applications and dashboards to the caller’s Sandbox, audited as on the Transfer pages', async () => {
    const { user, org, token } = await adminWithOrg('starter', 'Mover Org');
    const appId = await insertApplication(t, orgOwner(org), 'Moving App');
    await insertDevice(t, appId, 'dev');
    const dashboardId = await insertRowId(t, 'dashboards', { ...orgOwner(org), name: 'Moving Dash', share_token: `share-${appId}-moving`, created_by_user_id: user.id, created_at: t.clock.now().getTime() });
    const result = await t.client(token).org.transferResources({
      orgId: toApiId(org.id),
      transfer: { destinationId: toApiId(user.id), destinationType: 'user', applicationIds: [toApiId(appId)], dashboardIds: [toApiId(dashboardId)] },
    });
    expectSchema('success', result);
    expect(result).toEqual({ success: true });
    expect(await t.knex('applications').where({ id: appId }).first()).toMatchObject(sandboxOf(user));
    expect(await t.knex('dashboards').where({ id: dashboardId }).first()).toMatchObject(sandboxOf(user));
    expect(await auditActions(org.id)).toEqual(expect.arrayContaining(['application.transferred_out', 'dashboard.transferred_out']));
    const log = await (await signedIn(t, user)).get(`/orgs/${org.slug}/settings/audit-log`);
    expect(log.body).toContain('Application transferred out');
  });

  it('moves an application to another organization the caller administers, audited in both; an Unpaid destination is 402', async () => {
    const { user, org, token } = await adminWithOrg('starter', 'Source Org');
    const destination = await newOrg(t, { owner: user, plan: 'starter', name: 'Destination Org' });
    const appId = await insertApplication(t, orgOwner(org), 'Traveller');
    const client = t.client(token);
    const moved = await client.org.transferResources({ orgId: toApiId(org.id), transfer: { destinationId: toApiId(destination.id), destinationType: 'organization', applicationIds: [toApiId(appId)] } });
    expectSchema('success', moved);
    expect(await t.knex('applications').where({ id: appId }).first()).toMatchObject(orgOwner(destination));
    expect(await auditActions(org.id)).toContain('application.transferred_out');
    expect(await auditActions(destination.id)).toContain('application.transferred_in');
    const back = await insertApplication(t, orgOwner(org), 'Stays home');
    await t.knex('billing_accounts').where({ organization_id: destination.id }).update({ status: 'unpaid' });
    const refusal = await refusalOf(client.org.transferResources({ orgId: toApiId(org.id), transfer: { destinationId: toApiId(destination.id), destinationType: 'organization', applicationIds: [toApiId(back)] } }));
    expect(refusal).toMatchObject({ statusCode: 402, type: 'PaymentRequired' });
    expect(await t.knex('applications').where({ id: back }).first()).toMatchObject(orgOwner(org));
  });

  it('all or nothing: when one does not fit the receiver’s limits (409) none moves', async () => {
    const { user, org, token } = await adminWithOrg('starter', 'Crowded Org');
    // The Sandbox allows 2 applications: one there already, so two more do not fit.
    await insertApplication(t, sandboxOf(user), 'Already there');
    const a = await insertApplication(t, orgOwner(org), 'A');
    const b = await insertApplication(t, orgOwner(org), 'B');
    const refusal = await refusalOf(
      t.client(token).org.transferResources({ orgId: toApiId(org.id), transfer: { destinationId: toApiId(user.id), destinationType: 'user', applicationIds: [toApiId(a), toApiId(b)] } }),
    );
    expect(refusal).toMatchObject({ statusCode: 409, type: 'Conflict' });
    expect(refusal.message).toMatch(/Sandbox/);
    const rows = await t.knex('applications').whereIn('id', [a, b]);
    expect(rows.map((r: { owner_type: string; owner_id: number }) => [r.owner_type, Number(r.owner_id)])).toEqual([
      ['organization', org.id],
      ['organization', org.id],
    ]);
    expect(await auditActions(org.id)).not.toContain('application.transferred_out');
  });

  it('refusals: to someone else’s Sandbox 403, an organization the caller is not in 404 (R2.5); an id not of this organization 404; an Unpaid source 402; an Editor 403', async () => {
    const { user, org, token } = await adminWithOrg('starter', 'Guarded Mover');
    const other = await adminWithOrg('starter', 'Other Org');
    const appId = await insertApplication(t, orgOwner(org), 'Stay');
    const foreignApp = await insertApplication(t, orgOwner(other.org), 'Foreign');
    const client = t.client(token);
    const transfer = (body: Record<string, unknown>) => client.org.transferResources({ orgId: toApiId(org.id), transfer: body });
    expect(await refusalOf(transfer({ destinationId: toApiId(other.user.id), destinationType: 'user', applicationIds: [toApiId(appId)] }))).toMatchObject({ statusCode: 403 });
    expect(await refusalOf(transfer({ destinationId: toApiId(other.org.id), destinationType: 'organization', applicationIds: [toApiId(appId)] }))).toMatchObject({ statusCode: 404 });
    // A member of the destination who does not administer it: 403.
    await addMember(t, other.org, user, 'editor');
    expect(await refusalOf(transfer({ destinationId: toApiId(other.org.id), destinationType: 'organization', applicationIds: [toApiId(appId)] }))).toMatchObject({ statusCode: 403 });
    expect(await refusalOf(transfer({ destinationId: toApiId(user.id), destinationType: 'user', applicationIds: [toApiId(foreignApp)] }))).toMatchObject({ statusCode: 404 });
    expect(await refusalOf(transfer({ destinationId: toApiId(user.id), destinationType: 'user' }))).toMatchObject({ statusCode: 400 });
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    expect(
      await refusalOf(t.client(await t.tokenFor(editor)).org.transferResources({ orgId: toApiId(org.id), transfer: { destinationId: toApiId(editor.id), destinationType: 'user', applicationIds: [toApiId(appId)] } })),
    ).toMatchObject({ statusCode: 403 });
    await t.knex('billing_accounts').where({ organization_id: org.id }).update({ status: 'unpaid' });
    const unpaid = await refusalOf(transfer({ destinationId: toApiId(user.id), destinationType: 'user', applicationIds: [toApiId(appId)] }));
    expect(unpaid).toMatchObject({ statusCode: 402, type: 'PaymentRequired' });
    expect(await t.knex('applications').where({ id: appId }).first()).toMatchObject(orgOwner(org));
  });
});

describe('org.delete (R3.9, R9.9)', () => {
  it('deletes it with the Delete page’s use case: resources gone, final invoice for accrued charges, listed as deleted on the page', async () => {
    const { user, org, token } = await adminWithOrg('starter', 'Doomed Org');
    await insertApplication(t, orgOwner(org), 'Goes away');
    t.clock.advance(5 * 86_400_000);
    // A plan change accrues proration lines: the deletion bills them on a final invoice.
    await t.client(token).org.patch({ orgId: toApiId(org.id), organization: { planId: 'professional' } });
    const result = await t.client(token).org.delete({ orgId: toApiId(org.id) });
    expectSchema('success', result);
    expect(result).toMatchObject({ success: true, finalInvoice: { number: expect.any(String), paid: true } });
    expect(await count('applications', orgOwner(org))).toBe(0);
    expect((await t.knex('organizations').where({ id: org.id }).first()).deleted_at).not.toBeNull();
    expect(await t.knex('invoices').where({ organization_id: org.id, number: result.finalInvoice.number }).first()).toMatchObject({ status: 'paid' });
    expect(await auditActions(org.id)).toContain('organization.deleted');
    expect(await refusalOf(t.client(token).org.get({ orgId: toApiId(org.id) }))).toMatchObject({ statusCode: 404 });
    expect((await (await signedIn(t, user)).get('/orgs')).body).toContain('Doomed Org');
  });

  it('only Administrators: an Editor is 403, a stranger 404; nothing is deleted', async () => {
    const { org } = await adminWithOrg('starter', 'Kept Org');
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    expect(await refusalOf(t.client(await t.tokenFor(editor)).org.delete({ orgId: toApiId(org.id) }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    expect(await refusalOf(t.client(await t.tokenFor(await newUser(t))).org.delete({ orgId: toApiId(org.id) }))).toMatchObject({ statusCode: 404 });
    expect((await t.knex('organizations').where({ id: org.id }).first()).deleted_at).toBeNull();
  });
});
