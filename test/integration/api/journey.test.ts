// Issue 16, "done when" (R16.1-R16.3): a script using only Losant's client
// (losant-rest) logs in, creates an organization on a paid plan with
// tok_visa, invites a member who accepts through orgInvites.post, changes
// that member's role, creates an application with a device and a key, sends
// device state with a device token, reads payloadCounts, changes the plan,
// moves the application to the Sandbox and deletes the organization; and
// every step shows on the pages, the invoices and the audit log as if done
// in the browser. Its first part is the README's example, run as written.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailsTo } from '../../../src/modules/mail/queries.ts';
import { toApiId } from '../../../src/modules/api/ids.ts';
import { expectSchema, startApiServer, type ApiTestServer } from '../../support/api.ts';
import { newUser, signedIn, type TestUser } from '../../support/builders.ts';
import { visibleText } from '../../support/pages.ts';

let t: ApiTestServer;
let owner: TestUser;
let ada: TestUser;

beforeAll(async () => {
  t = await startApiServer();
  owner = await newUser(t, { name: 'Grace Owner', email: 'you@example.com' });
  ada = await newUser(t, { name: 'Ada Member', email: 'ada@example.com' });
}, 120_000);
afterAll(async () => t.close());

/** The README's losant-rest example, pointed at this server and this owner's password. */
function readmeExample(): string {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  const code = /```js\n(const api = require\('losant-rest'\)[\s\S]*?)```/.exec(readme)?.[1];
  if (!code) throw new Error('README has no losant-rest example');
  return code.replaceAll('http://localhost:3000/api', t.apiUrl).replace("password: '…'", `password: ${JSON.stringify(owner.password)}`);
}

describe('a script with losant-rest only, from log-in to deleting the organization (issue 16)', () => {
  it('does every step, and the pages, invoices and audit log show each', async () => {
    // 1. The README's example: log in, create an organization (tok_visa), invite, application, device, key, device token, state.
    const run = new Function('require', `return (async () => {\n${readmeExample()}\nreturn { api, org, app, device, key };\n})();`) as (
      require: NodeJS.Require,
    ) => Promise<{ api: any; org: any; app: any; device: any; key: any }>;
    const { api, org, app, device } = await run(createRequire(import.meta.url));
    expectSchema('org', org);
    const orgId = parseInt(org.id, 16);
    const slug = (await t.knex('organizations').where({ id: orgId }).first()).slug as string;

    // 2. The invitee accepts with their own token, through orgInvites.post.
    const mail = (await mailsTo(t.deps.db, 'ada@example.com', { kind: 'invitation' })).at(-1)!;
    const inviteToken = /\/invites\/([A-Za-z0-9_-]{43})/.exec(mail.text)![1]!;
    const accepted = await t.client(await t.tokenFor(ada)).orgInvites.post({ invite: { token: inviteToken, email: 'ada@example.com', accept: true } });
    expectSchema('orgInviteResult', accepted);

    // 3. The owner changes the member's role (edit → view).
    const modified = await api.org.modifyMember({ orgId: org.id, member: { userId: toApiId(ada.id), role: 'view' } });
    expectSchema('org', modified);
    expect(modified.members.find((m: { userId: string }) => m.userId === toApiId(ada.id))).toMatchObject({ role: 'view' });

    // 4. The device's state was counted: payloadCounts of the organization and of the application.
    const counts = await api.org.payloadCounts({ orgId: org.id });
    expectSchema('payloadStats', counts);
    expect(counts).toEqual({ deviceState: { rest: 1 } });
    expect(await api.application.payloadCounts({ applicationId: app.id })).toEqual({ deviceState: { rest: 1 } });
    const state = await api.device.getState({ applicationId: app.id, deviceId: device.id });
    expect(state[0].data).toEqual({ temperature: 21.5 });

    // 5. A plan change, with the page's proration.
    const upgraded = await api.org.patch({ orgId: org.id, organization: { planId: 'professional' } });
    expectSchema('org', upgraded);
    expect(upgraded.planId).toBe('professional');

    // What the pages show before the organization goes: the members, the plan, the invoices, the audit log.
    const browser = await signedIn(t, owner);
    const members = visibleText((await browser.get(`/orgs/${slug}/settings/members`)).body);
    expect(members).toMatch(/Ada Member[\s\S]*Viewer/);
    const invoices = await browser.get(`/orgs/${slug}/settings/invoices`);
    expect(invoices.statusCode).toBe(200);
    // The first charge, paid; the upgrade's two proration lines wait for the next invoice (R9.5).
    expect((await t.knex('invoices').where({ organization_id: orgId })).map((i: { status: string }) => i.status)).toEqual(['paid']);
    expect(visibleText(invoices.body)).toMatch(/Paid/);
    expect(await t.knex('pending_invoice_lines').where({ organization_id: orgId })).toHaveLength(2);
    const audit = visibleText((await browser.get(`/orgs/${slug}/settings/audit-log`)).body).replaceAll('&lt;', '<').replaceAll('&gt;', '>');
    expect(audit).toContain('5 entries');
    expect(audit).toMatch(/Plan changed Professional Plan Starter → Professional .*Proration credit -\$250\.00 Proration charge \$1,000\.00/);
    expect(audit).toMatch(/Member role changed Ada Member <ada@example\.com> Role Editor → Viewer/);
    expect(audit).toMatch(/Ada Member <ada@example\.com> Invitation accepted/);
    expect(audit).toMatch(/Invitation sent ada@example\.com Email ada@example\.com Role Editor/);
    expect(audit).toMatch(/Organization created Acme Robotics Plan Starter First charge \$250\.00/);

    // 6. The application moves to the owner's Sandbox.
    const moved = await api.org.transferResources({ orgId: org.id, transfer: { destinationId: toApiId(owner.id), destinationType: 'user', applicationIds: [app.id] } });
    expectSchema('success', moved);
    const sandbox = visibleText((await browser.get('/sandbox')).body);
    expect(sandbox).toContain('Greenhouse');

    // 7. The organization is deleted, with the page's final invoice.
    const deleted = await api.org.delete({ orgId: org.id });
    expectSchema('success', deleted);
    expect(await t.knex('organizations').where({ id: orgId, deleted_at: null }).first()).toBeUndefined();
    // The final invoice carries the proration lines (R9.9), and the former Administrator still reads it.
    const finalInvoice = (await t.knex('invoices').where({ organization_id: orgId }).orderBy('id', 'desc').first()) as { id: number };
    const lines = (await t.knex('invoice_lines').where({ invoice_id: finalInvoice.id })).map((l: { description: string }) => l.description).join(' | ');
    expect(lines).toMatch(/Professional/);
    const afterwards = await browser.get(`/orgs/deleted/${slug}/invoices`);
    expect(afterwards.statusCode).toBe(200);

    // The audit log holds every step, as the pages would have written them.
    const actions = (await t.knex('audit_events').where({ organization_id: orgId }).orderBy('id')).map((e: { action: string }) => e.action);
    expect(actions).toEqual([
      'organization.created',
      'invitation.sent',
      'invitation.accepted',
      'member.role_changed',
      'billing.plan_changed',
      'application.transferred_out',
      'organization.deleted',
    ]);
  }, 120_000);
});
