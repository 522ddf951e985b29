import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { mailsTo } from '../../src/modules/mail/queries.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import type { Agent } from './agent.ts';
import type { TestContext } from './app.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from './builders.ts';

/**
 * A small, lived-in product for walking every page: an organization with
 * members, an application with devices, data, a workflow and a key,
 * dashboards of every visibility, a pending invitation, a second
 * organization that is Past Due with an open invoice, an enterprise inquiry,
 * a scheduler pass, and the mailed links of a password reset and an email
 * change. Made through the same forms and use cases people use.
 */
export interface World {
  owner: TestUser;
  platformAdmin: TestUser;
  viewer: TestUser;
  collaborator: TestUser;
  org: Organization;
  overdue: Organization;
  /** Deleted by the owner, its invoices still readable by its former Administrators. */
  deleted: Organization;
  ids: {
    app: number;
    sandboxApp: number;
    device: number;
    workflow: number;
    key: number;
    dashboard: number;
    block: number;
    publicDashboard: number;
    invitation: number;
    invoice: number;
    openInvoice: number;
    deletedInvoice: number;
    plan: number;
    inquiry: number;
    mail: number;
    pass: number;
    /** The owner's personal API token, made on the account page (R16.2). */
    apiToken: number;
  };
  tokens: { invite: string; publicShare: string; passwordShare: string; reset: string; emailChange: string; emailChangeCancel: string };
}

export const SHARED_PASSWORD = 'Greenhouse#2026';

const lastId = async (t: TestContext, table: string, where: Record<string, unknown>) =>
  Number((await t.knex(table).where(where).orderBy('id', 'desc').first('id')).id);

async function ok(res: Promise<{ statusCode: number; body: string }>, what: string) {
  const r = await res;
  if (r.statusCode >= 400) throw new Error(`seeding ${what}: ${r.statusCode} ${r.body.slice(0, 300)}`);
  return r;
}

async function linkIn(t: TestContext, to: string, kind: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const mail = (await mailsTo(t.deps.db, to, { kind })).at(-1);
    const link = mail ? /https?:\/\/\S+/.exec(mail.text)?.[0] : undefined;
    if (link) return new URL(link).pathname.split('/').pop()!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`seeding: no ${kind} mail to ${to}`);
}

export async function seedWorld(t: TestContext): Promise<World> {
  const owner = await newUser(t, { name: 'Ada Owner', email: 'ada@acme.example' });
  await t.knex('users').where({ id: owner.id }).update({ time_zone: 'America/New_York' });
  const platformAdmin = await newUser(t, { name: 'Pat Platform', email: 'pat@orgplane.example' });
  await t.knex('users').where({ id: platformAdmin.id }).update({ is_platform_admin: true });
  const viewer = await newUser(t, { name: 'Vic Viewer', email: 'vic@acme.example' });
  const collaborator = await newUser(t, { name: 'Cole Collaborator', email: 'cole@acme.example' });

  const org = await newOrg(t, { owner, plan: 'business', name: 'Acme Robotics', description: 'Robots that water greenhouses.' });
  const overdue = await newOrg(t, { owner, plan: 'starter', name: 'Overdue Labs' });
  const deleted = await newOrg(t, { owner, plan: 'starter', name: 'Gone Gadgets' });
  await addMember(t, org, viewer, 'viewer');
  await addMember(t, org, collaborator, 'collaborator');

  const agent: Agent = await signedIn(t, owner);
  await ok(agent.post(`/orgs/${deleted.slug}/settings/delete`, { confirm_name: deleted.name }), 'a deleted organization');
  // Overdue Labs keeps a card that fails when charged; its first renewal fails: Past Due, one open invoice.
  await ok(agent.post(`/orgs/${overdue.slug}/settings/payment-method`, { card_number: '4000 0000 0000 0341', card_expiry: '12/34', card_cvc: '123' }), 'the failing card');
  t.clock.advance(31 * 86_400_000);
  await runPass(jobs, t.deps, t.clock.now());

  // Acme's application: two devices, a workflow, a key, three days of data.
  const created = await ok(agent.post('/applications', { owner: `org:${org.id}`, name: 'Greenhouse', description: 'Soil and air of the north greenhouse.' }), 'the application');
  const app = Number(String((created as unknown as { headers: { location: string } }).headers.location).split('/').pop());
  await ok(agent.post(`/applications/${app}/devices`, { name: 'Soil sensor' }), 'a device');
  await ok(agent.post(`/applications/${app}/devices`, { name: 'Vent controller' }), 'a device');
  const device = await lastId(t, 'devices', { application_id: app, name: 'Soil sensor' });
  await ok(agent.post(`/applications/${app}/workflows`, { name: 'Open vents when hot', description: 'Above 28 °C', enabled: 'on' }), 'a workflow');
  const workflow = await lastId(t, 'workflows', { application_id: app });
  const keyPage = await ok(agent.post(`/applications/${app}/keys`, { name: 'Gateway' }), 'a key');
  const keyId = /id="new-key-id">([^<]+)</.exec(keyPage.body)![1]!;
  const secret = /id="new-key-secret">([^<]+)</.exec(keyPage.body)![1]!;
  const key = await lastId(t, 'access_keys', { application_id: app });
  for (let day = 0; day < 3; day++) {
    for (let i = 0; i < 4; i++) {
      await t.app.inject({
        method: 'POST',
        url: `/api/applications/${app}/devices/${device}/state`,
        headers: { authorization: `Bearer ${keyId}:${secret}`, 'content-type': 'application/json' },
        payload: { data: { moisture: 31 + day + i, temperature: 22.5 + i / 2 } },
      });
    }
    t.clock.advance(86_400_000);
  }
  const sandboxCreated = await ok(agent.post('/applications', { owner: 'sandbox', name: 'Home weather', description: '' }), 'a Sandbox application');
  const sandboxApp = Number(String((sandboxCreated as unknown as { headers: { location: string } }).headers.location).split('/').pop());

  // Dashboards: private with both kinds of block, public, password-protected.
  const dashboardFor = async (name: string) => {
    const res = await ok(agent.post('/dashboards/new', { owner: `org:${org.id}`, name, description: '' }), name);
    return Number(String((res as unknown as { headers: { location: string } }).headers.location).split('/').pop()!.split('#')[0]);
  };
  const dashboard = await dashboardFor('Greenhouse overview');
  await ok(agent.post(`/dashboards/${dashboard}/blocks`, { kind: 'device_state', title: 'Soil now', application_id: String(app), device_id: String(device) }), 'a block');
  await ok(agent.post(`/dashboards/${dashboard}/blocks`, { kind: 'payloads_over_time', title: 'Payloads this month', application_id: String(app), device_id: '' }), 'a chart block');
  const block = await lastId(t, 'dashboard_blocks', { dashboard_id: dashboard, title: 'Soil now' });
  const publicDashboard = await dashboardFor('Visitor board');
  await ok(agent.post(`/dashboards/${publicDashboard}/blocks`, { kind: 'device_state', title: 'Soil', application_id: String(app), device_id: String(device) }), 'a public block');
  await ok(agent.post(`/dashboards/${publicDashboard}/visibility`, { visibility: 'public' }), 'public');
  const passwordDashboard = await dashboardFor('Partner board');
  await ok(agent.post(`/dashboards/${passwordDashboard}/visibility`, { visibility: 'password', password: SHARED_PASSWORD }), 'password');
  const shareOf = async (id: number) => String((await t.knex('dashboards').where({ id }).first('share_token')).share_token);

  // A pending invitation, and its link.
  await ok(agent.post(`/orgs/${org.slug}/invitations`, { email: 'new.hire@example.com', role: 'editor' }), 'an invitation');
  const invitation = await lastId(t, 'invitations', { organization_id: org.id });

  // An enterprise inquiry, a scheduler pass, the mailed links of a reset and an email change.
  await ok(agent.post('/orgs/new/enterprise', { name: 'Ada Owner', email: owner.email, company: 'Acme Robotics', expected_devices: '20000', message: 'We are growing to twenty greenhouses.' }), 'an inquiry');
  const admin = await signedIn(t, platformAdmin);
  await ok(admin.post('/admin/scheduler/passes'), 'a scheduler pass');
  const forgetful = await newUser(t, { name: 'Forgetful Fay', email: 'fay@example.com' });
  await t.agent().post('/password/forgot', { email: forgetful.email });
  const mover = await newUser(t, { name: 'Moving Mo', email: 'mo@example.com' });
  await ok((await signedIn(t, mover)).post('/account/email', { email: 'mo@new.example', current_password: mover.password }), 'an email change');
  await ok(agent.post('/account/tokens', { name: 'Walk token', scope: ['all.User', 'all.Organization.read'] }), 'an API token');
  // The wizard, at step 2 for the owner.
  await ok(agent.post('/orgs/new/plan', { plan: 'professional' }), 'a plan in the wizard');

  return {
    owner,
    platformAdmin,
    viewer,
    collaborator,
    org,
    overdue,
    deleted,
    ids: {
      app,
      sandboxApp,
      device,
      workflow,
      key,
      dashboard,
      block,
      publicDashboard,
      invitation,
      invoice: await lastId(t, 'invoices', { organization_id: org.id }),
      openInvoice: await lastId(t, 'invoices', { organization_id: overdue.id, status: 'open' }),
      deletedInvoice: await lastId(t, 'invoices', { organization_id: deleted.id }),
      plan: Number((await t.knex('plans').where({ code: 'professional' }).first('id')).id),
      inquiry: await lastId(t, 'enterprise_inquiries', {}),
      mail: await lastId(t, 'mail_outbox', {}),
      pass: await lastId(t, 'admin_events', { action: 'scheduler.pass_run' }),
      apiToken: await lastId(t, 'api_tokens', { user_id: owner.id, kind: 'personal' }),
    },
    tokens: {
      invite: await linkIn(t, 'new.hire@example.com', 'invitation'),
      publicShare: await shareOf(publicDashboard),
      passwordShare: await shareOf(passwordDashboard),
      reset: await linkIn(t, forgetful.email, 'password_reset'),
      emailChange: await linkIn(t, 'mo@new.example', 'email_change'),
      emailChangeCancel: await linkIn(t, mover.email, 'email_change_notice'),
    },
  };
}
