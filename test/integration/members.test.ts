import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailsTo } from '../../src/modules/mail/queries.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../support/builders.ts';
import type { Organization } from '../../src/modules/tenancy/queries/organizations.ts';
import type { Agent } from '../support/agent.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const count = async (table: string, where: Record<string, unknown> = {}) =>
  Number((await t.knex(table).where(where).count({ n: '*' }).first())?.n ?? 0);

/** The link of the newest invitation email sent to an address (R10.1: every email is recorded). */
async function linkSentTo(email: string): Promise<string> {
  const mails = await mailsTo(t.deps.db, email, { kind: 'invitation' });
  const last = mails.at(-1);
  if (!last) throw new Error(`no invitation mail to ${email}`);
  const match = /http:\/\/localhost:3000(\/invites\/[A-Za-z0-9_-]{43})/.exec(last.text);
  if (!match) throw new Error('no link in the invitation mail');
  return match[1]!;
}

async function adminOf(opts: { plan?: 'starter' | 'professional' } = {}) {
  const admin = await newUser(t, { name: 'Ada Admin' });
  const org = await newOrg(t, { owner: admin, name: 'People Co', ...opts });
  const agent = await signedIn(t, admin);
  return { admin, org, agent };
}

const auditActions = async (org: Organization) =>
  (await t.knex('audit_events').where({ organization_id: org.id }).orderBy('id')).map((e: { action: string }) => e.action);

describe('invitations (R4.1–R4.3)', () => {
  it('an Administrator invites; the email has the link and the inviter; the invitee signs up and accepts', async () => {
    const { org, agent } = await adminOf();
    const res = await agent.post(`/orgs/${org.slug}/invitations`, { email: 'New.Person@Example.com', role: 'editor' });
    expect(res.statusCode).toBe(303);
    const list = await agent.get(`/orgs/${org.slug}/settings/members`);
    expect(list.body).toContain('new.person@example.com');
    expect(list.body).toContain('Invitation sent to new.person@example.com.');

    const [mail] = await mailsTo(t.deps.db, 'new.person@example.com');
    expect(mail!.subject).toBe('Ada Admin invited you to join People Co on Orgplane');
    expect(mail!.text).toContain('Ada Admin');
    const link = await linkSentTo('new.person@example.com');
    const stored = await t.knex('invitations').where({ email: 'new.person@example.com' }).first();
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(link.split('/').pop());

    // The page needs no login and shows organization, inviter and role.
    const invitee = t.agent();
    const page = await invitee.get(link);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('People Co');
    expect(page.body).toContain('Ada Admin');
    expect(page.body).toContain('Editor');
    expect(page.body).toContain('/decline">Decline</a>');
    // Accepting while logged out goes through sign-up and comes back.
    const accept = await invitee.post(`${link}/accept`);
    expect(accept.headers.location).toBe(`/login?next=${encodeURIComponent(link)}`);
    const signup = await invitee.post('/signup', { name: 'Nina New', email: 'nina@elsewhere.example', password: 'a fine password', next: link });
    expect(signup.headers.location).toBe(link);
    expect((await invitee.get(link)).body).toContain('>Accept</button>');
    const accepted = await invitee.post(`${link}/accept`);
    expect(accepted.statusCode).toBe(303);
    expect(accepted.headers.location).toBe(`/orgs/${org.slug}`);
    const nina = await t.knex('users').where({ email: 'nina@elsewhere.example' }).first();
    expect(await t.knex('memberships').where({ organization_id: org.id, user_id: nina.id }).first()).toMatchObject({ role: 'editor' });
    // A used link cannot be used again.
    expect((await t.agent().get(link)).statusCode).toBe(410);
    expect((await invitee.post(`${link}/accept`)).statusCode).toBe(410);
    expect(await auditActions(org)).toEqual(['organization.created', 'invitation.sent', 'invitation.accepted']);
  });

  it('an expired link answers 410; Renew restarts the 7 days with a new link', async () => {
    const { org, agent } = await adminOf();
    await agent.post(`/orgs/${org.slug}/invitations`, { email: 'late@example.com', role: 'viewer' });
    const oldLink = await linkSentTo('late@example.com');
    t.clock.advanceDays(7);
    const expired = await t.agent().get(oldLink);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('This invitation has expired');
    expect((await agent.get(`/orgs/${org.slug}/settings/members`)).body).toContain('Expired');
    const inv = await t.knex('invitations').where({ email: 'late@example.com' }).first();
    expect((await agent.post(`/orgs/${org.slug}/invitations/${inv.id}/renew`)).statusCode).toBe(303);
    const newLink = await linkSentTo('late@example.com');
    expect(newLink).not.toBe(oldLink);
    expect((await t.agent().get(oldLink)).statusCode).toBe(404);
    expect((await t.agent().get(newLink)).statusCode).toBe(200);
    t.clock.advanceDays(6);
    expect((await t.agent().get(newLink)).statusCode).toBe(200);
  });

  it('a revoked link answers 410 and leaves the list', async () => {
    const { org, agent } = await adminOf();
    await agent.post(`/orgs/${org.slug}/invitations`, { email: 'revoked@example.com', role: 'viewer' });
    const link = await linkSentTo('revoked@example.com');
    const inv = await t.knex('invitations').where({ email: 'revoked@example.com' }).first();
    expect((await agent.post(`/orgs/${org.slug}/invitations/${inv.id}/revoke`)).statusCode).toBe(303);
    const res = await t.agent().get(link);
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('withdrawn');
    expect((await agent.get(`/orgs/${org.slug}/settings/members`)).body).not.toContain('revoked@example.com');
    expect((await agent.post(`/orgs/${org.slug}/invitations/${inv.id}/revoke`)).statusCode).toBe(404);
  });

  it('declining needs no account and uses the link up', async () => {
    const { org, agent } = await adminOf();
    await agent.post(`/orgs/${org.slug}/invitations`, { email: 'nope@example.com', role: 'viewer' });
    const link = await linkSentTo('nope@example.com');
    expect((await t.agent().post(`${link}/decline`)).statusCode).toBe(303);
    expect((await t.agent().get(link)).statusCode).toBe(410);
    expect(await auditActions(org)).toContain('invitation.declined');
  });

  it('an unknown or malformed link is 404', async () => {
    expect((await t.agent().get('/invites/' + 'A'.repeat(43))).statusCode).toBe(404);
    expect((await t.agent().get('/invites/short')).statusCode).toBe(404);
  });

  it('refuses inviting a current member or an address already invited', async () => {
    const { admin, org, agent } = await adminOf();
    const member = await newUser(t, { email: 'member@example.com' });
    await addMember(t, org, member, 'viewer');
    const dupMember = await agent.post(`/orgs/${org.slug}/invitations`, { email: 'MEMBER@example.com', role: 'viewer' });
    expect(dupMember.statusCode).toBe(409);
    expect(dupMember.body).toContain('member@example.com is already a member of People Co.');
    await agent.post(`/orgs/${org.slug}/invitations`, { email: 'twice@example.com', role: 'viewer' });
    const twice = await agent.post(`/orgs/${org.slug}/invitations`, { email: 'twice@example.com', role: 'editor' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('already has a pending invitation');
    expect(await count('invitations', { organization_id: org.id, email: 'twice@example.com' })).toBe(1);
    expect(admin).toBeTruthy();
  });

  it('refuses bad input with 422', async () => {
    const { org, agent } = await adminOf();
    expect((await agent.post(`/orgs/${org.slug}/invitations`, { email: 'not-an-email', role: 'viewer' })).statusCode).toBe(422);
    const badRole = await agent.post(`/orgs/${org.slug}/invitations`, { email: 'x@example.com', role: 'owner' });
    expect(badRole.statusCode).toBe(422);
    expect(badRole.body).toContain('Choose one of the roles in the list.');
    expect(await count('invitations', { organization_id: org.id })).toBe(0);
  });

  it('counts pending invitations against the member limit, naming the limit and plan (R4.3, R7.3)', async () => {
    const { org, agent } = await adminOf({ plan: 'starter' }); // 10 members
    for (let i = 0; i < 9; i++) {
      expect((await agent.post(`/orgs/${org.slug}/invitations`, { email: `p${i}@example.com`, role: 'viewer' })).statusCode).toBe(303);
    }
    const full = await agent.post(`/orgs/${org.slug}/invitations`, { email: 'tenth@example.com', role: 'viewer' });
    expect(full.statusCode).toBe(409);
    expect(full.body).toContain('Your Starter plan allows 10 members');
    // Expired invitations free their place.
    t.clock.advanceDays(8);
    expect((await agent.post(`/orgs/${org.slug}/invitations`, { email: 'tenth@example.com', role: 'viewer' })).statusCode).toBe(303);
  });

  it('accepting when the member limit is full fails with the limit named', async () => {
    const { org, agent } = await adminOf({ plan: 'starter' });
    await agent.post(`/orgs/${org.slug}/invitations`, { email: 'waiting@example.com', role: 'viewer' });
    const link = await linkSentTo('waiting@example.com');
    for (let i = 0; i < 9; i++) await addMember(t, org, await newUser(t), 'viewer');
    const invitee = await signedIn(t, await newUser(t, { email: 'waiting@example.com' }));
    const res = await invitee.post(`${link}/accept`);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('Starter plan allows 10 members');
    expect(await count('memberships', { organization_id: org.id })).toBe(10);
  });

  it('refuses a second acceptance by someone already a member', async () => {
    const { org, agent } = await adminOf();
    const member = await newUser(t);
    await addMember(t, org, member, 'viewer');
    await agent.post(`/orgs/${org.slug}/invitations`, { email: 'other@example.com', role: 'editor' });
    const res = await (await signedIn(t, member)).post(`${await linkSentTo('other@example.com')}/accept`);
    expect(res.statusCode).toBe(409);
    expect((await t.knex('memberships').where({ organization_id: org.id, user_id: member.id }).first()).role).toBe('viewer');
  });
});

describe('member management (R2.3, R4.4)', () => {
  async function withMember(role: 'viewer' | 'administrator' = 'viewer') {
    const ctx = await adminOf();
    const member = await newUser(t, { name: 'Mo Member' });
    await addMember(t, ctx.org, member, role);
    return { ...ctx, member };
  }

  it('lists members with name, email, role and joined date', async () => {
    const { org, agent, member } = await withMember();
    const res = await agent.get(`/orgs/${org.slug}/settings/members`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Mo Member');
    expect(res.body).toContain(member.email);
    expect(res.body).toContain(t.clock.now().toLocaleDateString('en-US', { dateStyle: 'medium', timeZone: 'UTC' }));
  });

  it('changes a role and writes the audit log with before and after', async () => {
    const { org, agent, member } = await withMember();
    const res = await agent.post(`/orgs/${org.slug}/settings/members/${member.id}/role`, { role: 'collaborator' });
    expect(res.statusCode).toBe(303);
    expect((await t.knex('memberships').where({ organization_id: org.id, user_id: member.id }).first()).role).toBe('collaborator');
    const event = await t.knex('audit_events').where({ organization_id: org.id, action: 'member.role_changed' }).first();
    expect(JSON.parse(event.before_json)).toEqual({ role: 'Viewer' });
    expect(JSON.parse(event.after_json)).toEqual({ role: 'Collaborator' });
    expect(event.actor_label).toContain('Ada Admin');
  });

  it('an Administrator cannot change their own role', async () => {
    const { admin, org, agent } = await withMember('administrator');
    const res = await agent.post(`/orgs/${org.slug}/settings/members/${admin.id}/role`, { role: 'viewer' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('You cannot change your own role.');
    expect((await t.knex('memberships').where({ organization_id: org.id, user_id: admin.id }).first()).role).toBe('administrator');
  });

  it('the last Administrator can be neither demoted nor removed', async () => {
    const { admin, org } = await withMember();
    // A second Administrator acts on the first, after the first stepped down to be the only one left… set up directly:
    const other = await newUser(t, { name: 'Second Admin' });
    await addMember(t, org, other, 'administrator');
    const otherAgent = await signedIn(t, other);
    // Demote the first: allowed, two Administrators exist.
    expect((await otherAgent.post(`/orgs/${org.slug}/settings/members/${admin.id}/role`, { role: 'editor' })).statusCode).toBe(303);
    // Now `other` is the last one; the (now Editor) first admin cannot act, so another admin is needed to try:
    await t.knex('memberships').where({ organization_id: org.id, user_id: admin.id }).update({ role: 'administrator' });
    await t.knex('memberships').where({ organization_id: org.id, user_id: other.id }).update({ role: 'administrator' });
    // Make `admin` the only Administrator again and let `other` try to demote and remove them as a fresh admin would.
    const adminAgent = await signedIn(t, admin);
    expect((await adminAgent.post(`/orgs/${org.slug}/settings/members/${other.id}/role`, { role: 'viewer' })).statusCode).toBe(303);
    const third = await newUser(t);
    await addMember(t, org, third, 'administrator');
    await t.knex('memberships').where({ organization_id: org.id, user_id: third.id }).update({ role: 'administrator' });
    // Two admins (admin, third): third demotes admin → ok; admin is no longer admin.
    const thirdAgent = await signedIn(t, third);
    expect((await thirdAgent.post(`/orgs/${org.slug}/settings/members/${admin.id}/role`, { role: 'viewer' })).statusCode).toBe(303);
    // `third` is the last Administrator: nobody else can demote or remove them, and they cannot leave.
    expect((await thirdAgent.post(`/orgs/${org.slug}/settings/members/${third.id}/role`, { role: 'viewer' })).statusCode).toBe(409);
    expect((await thirdAgent.post(`/orgs/${org.slug}/settings/members/${third.id}/remove`)).statusCode).toBe(409);
    const leave = await thirdAgent.post(`/orgs/${org.slug}/leave`);
    expect(leave.headers.location).toBe(`/orgs/${org.slug}`);
    expect(await count('memberships', { organization_id: org.id, role: 'administrator' })).toBe(1);
  });

  it('refuses demoting or removing the last Administrator when asked by the use case directly', async () => {
    const { changeRole } = await import('../../src/modules/members/change-role.ts');
    const { removeMember } = await import('../../src/modules/members/remove-member.ts');
    const { admin, org, member } = await withMember('administrator');
    await t.knex('memberships').where({ organization_id: org.id, user_id: admin.id }).update({ role: 'viewer' });
    // `member` is now the only Administrator; `admin` (a Viewer now) stands in as a stale actor.
    const asActor = { ...admin };
    expect(await changeRole(t.deps.db, t.clock, { organizationId: org.id, actor: asActor, targetUserId: member.id, targetLabel: 'm', role: 'viewer' })).toEqual({ ok: false, reason: 'last_administrator' });
    expect(await removeMember(t.deps.db, t.clock, { organizationId: org.id, actor: asActor, targetUserId: member.id, targetLabel: 'm' })).toEqual({ ok: false, reason: 'last_administrator' });
  });

  it('removes a member after confirmation; the account and Sandbox stay and they can be invited again', async () => {
    const { org, agent, member } = await withMember();
    const confirm = await agent.get(`/orgs/${org.slug}/settings/members/${member.id}/remove`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Remove Mo Member from People Co?');
    expect((await agent.post(`/orgs/${org.slug}/settings/members/${member.id}/remove`)).statusCode).toBe(303);
    expect(await count('memberships', { organization_id: org.id, user_id: member.id })).toBe(0);
    expect(await count('users', { id: member.id })).toBe(1);
    const memberAgent = await signedIn(t, member);
    expect((await memberAgent.get(`/orgs/${org.slug}`)).statusCode).toBe(404);
    expect((await memberAgent.get('/sandbox')).statusCode).toBe(200);
    expect((await agent.post(`/orgs/${org.slug}/invitations`, { email: member.email, role: 'viewer' })).statusCode).toBe(303);
    expect(await auditActions(org)).toEqual(['organization.created', 'member.removed', 'invitation.sent']);
  });

  it('may remove another Administrator, but not themself', async () => {
    const { admin, org, agent, member } = await withMember('administrator');
    expect((await agent.post(`/orgs/${org.slug}/settings/members/${admin.id}/remove`)).statusCode).toBe(409);
    expect((await agent.post(`/orgs/${org.slug}/settings/members/${member.id}/remove`)).statusCode).toBe(303);
  });

  it('answers 404 for a user who is not a member, and 422 for an unknown role', async () => {
    const { org, agent, member } = await withMember();
    const stranger = await newUser(t);
    expect((await agent.post(`/orgs/${org.slug}/settings/members/${stranger.id}/role`, { role: 'viewer' })).statusCode).toBe(404);
    expect((await agent.post(`/orgs/${org.slug}/settings/members/abc/role`, { role: 'viewer' })).statusCode).toBe(404);
    expect((await agent.post(`/orgs/${org.slug}/settings/members/${member.id}/role`, { role: 'owner' })).statusCode).toBe(422);
  });
});

describe('audit log (R4.5)', () => {
  it('records settings, member and invitation changes, newest first, paged, for Administrators only', async () => {
    const { org, agent } = await adminOf({ plan: 'professional' });
    await agent.post(`/orgs/${org.slug}/settings/general`, { name: 'People Co Renamed', description: '', icon_color: '#3346d3' });
    for (let i = 0; i < 30; i++) await agent.post(`/orgs/${org.slug}/invitations`, { email: `a${i}@example.com`, role: 'viewer' }).catch(() => undefined);
    const first = await agent.get(`/orgs/${org.slug}/settings/audit-log`);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Invitation sent');
    expect(first.body).toContain('Page 1 of 2');
    const second = await agent.get(`/orgs/${org.slug}/settings/audit-log?page=2`);
    expect(second.body).toContain('General settings changed');
    expect(second.body).toContain('People Co Renamed');
    const viewer = await newUser(t);
    await addMember(t, org, viewer, 'editor');
    expect((await (await signedIn(t, viewer)).get(`/orgs/${org.slug}/settings/audit-log`)).statusCode).toBe(403);
  });
});

describe('audit log as a person reads it (R4.5, R9.1, issue #14)', () => {
  it('amounts as $1,234.56 (also in entries stored as raw cents), actions in words, dates formatted, "1 entry"', async () => {
    const { org, agent, admin } = await adminOf();
    // organization.created is the one entry; an older plan change is stored as it used to be: raw cents, an ISO instant.
    let page = await agent.get(`/orgs/${org.slug}/settings/audit-log`);
    expect(page.body).toContain('1 entry');
    expect(page.body).toContain('Organization created');
    expect(page.body).toContain('First charge');
    expect(page.body).toContain('$250.00');
    await t.knex('audit_events').insert([
      { organization_id: org.id, actor_user_id: admin.id, actor_label: 'Old Entry <old@example.com>', action: 'billing.plan_changed', target_type: 'plan', target_id: '2', target_label: 'Professional', before_json: JSON.stringify({ plan: 'Starter', price: 25_000 }), after_json: JSON.stringify({ plan: 'Professional', price: 100_000, prorationCredit: -24_998, prorationCharge: 99_991 }), created_at: Date.parse('2026-03-11T00:05:00Z') },
      { organization_id: org.id, actor_user_id: admin.id, actor_label: 'Old Entry <old@example.com>', action: 'invitation.sent', target_type: 'invitation', target_id: '9', target_label: 'x@example.com', before_json: null, after_json: JSON.stringify({ email: 'x@example.com', expiresAt: '2026-12-07T05:23:38.688Z' }), created_at: Date.parse('2026-03-12T09:00:00Z') },
    ]);
    page = await agent.get(`/orgs/${org.slug}/settings/audit-log`);
    const text = page.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('3 entries');
    expect(text).toContain('Plan changed');
    expect(text).toContain('Price $250.00 → $1,000.00');
    expect(text).toContain('Proration credit -$249.98');
    expect(text).toContain('Proration charge $999.91');
    expect(text).toContain('Expires Dec 7, 2026, 05:23 UTC');
    expect(text).toContain('Mar 11, 2026, 00:05 UTC');
    for (const raw of ['25000', '2026-12-07T05:23:38.688Z', 'billing.plan_changed', 'prorationCredit']) expect(text).not.toContain(raw);
  });

  it('filters by action, actor and dates (kept through the pages), and exports what it shows as CSV', async () => {
    const { org, agent, admin } = await adminOf({ plan: 'professional' });
    const at = (iso: string) => Date.parse(iso);
    const entry = (action: string, actor: string, iso: string, after: Record<string, unknown>) => ({ organization_id: org.id, actor_user_id: null, actor_label: actor, action, target_type: 'x', target_id: null, target_label: 'Target', before_json: null, after_json: JSON.stringify(after), created_at: at(iso) });
    await t.knex('audit_events').insert([
      ...Array.from({ length: 30 }, (_, i) => entry('invitation.sent', 'Bea <bea@example.com>', `2026-03-${String(11 + (i % 10)).padStart(2, '0')}T10:00:00Z`, { email: `i${i}@example.com` })),
      entry('billing.credit_granted', 'Staff <s@example.com> (platform admin)', '2026-03-15T10:00:00Z', { granted: '$20.00', reason: '=HYPERLINK("evil")' }),
    ]);
    const base = `/orgs/${org.slug}/settings/audit-log`;
    const invitations = await agent.get(`${base}?action=invitation.sent`);
    expect(invitations.body).toContain('30 entries match');
    expect(invitations.body).toContain('<option value="invitation.sent" selected>Invitation sent</option>');
    expect(invitations.body).toContain('href="?action=invitation.sent&amp;page=2"');
    expect((await agent.get(`${base}?action=invitation.sent&page=2`)).body).toContain('Page 2 of 2');
    const byActor = await agent.get(`${base}?actor=${encodeURIComponent('Staff <s@example.com> (platform admin)')}`);
    expect(byActor.body).toContain('1 entry match');
    expect(byActor.body).toContain('Credit granted');
    // March 11 and 12 (the "to" day included): 3 + 3 invitations.
    const days = await agent.get(`${base}?from=2026-03-11&to=2026-03-12&action=invitation.sent`);
    expect(days.body).toContain('6 entries match');
    const bad = await agent.get(`${base}?from=yesterday`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('must be a date like 2026-03-01');
    expect(days.body).toContain(`href="/orgs/${org.slug}/settings/audit-log/export.csv?action=invitation.sent&amp;from=2026-03-11&amp;to=2026-03-12"`);

    const csv = await agent.get(`${base}/export.csv?action=invitation.sent&from=2026-03-11&to=2026-03-12`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('Time (UTC),Actor,Action,Action key,Target,Field,Before,After');
    expect(lines).toHaveLength(7);
    expect(lines[1]).toMatch(/^2026-03-12T10:00:00\.000Z,Bea <bea@example\.com>,Invitation sent,invitation\.sent,Target,Email,,i\d+@example\.com$/);
    const credit = await agent.get(`${base}/export.csv?action=billing.credit_granted`);
    expect(credit.body).toContain(`Granted,,$20.00`);
    expect(credit.body).toContain(`Reason,,"'=HYPERLINK(""evil"")"`); // no formula reaches a spreadsheet
    expect((await agent.get(`${base}/export.csv?to=nope`)).statusCode).toBe(400);
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    expect((await (await signedIn(t, editor)).get(`${base}/export.csv`)).statusCode).toBe(403);
    void admin;
  });
});

export type { Agent, TestUser };

describe('per-resource roles (R2.2)', () => {
  it('an Administrator gives a Viewer Collaborator on one application; it applies there only, and is audited', async () => {
    const { org, agent } = await adminOf();
    const appA = await agent.post('/applications', { owner: `org:${org.id}`, name: 'App A' });
    const appB = await agent.post('/applications', { owner: `org:${org.id}`, name: 'App B' });
    const idA = Number(String(appA.headers.location).split('/').pop());
    const idB = Number(String(appB.headers.location).split('/').pop());
    const viewer = await newUser(t, { name: 'Val Viewer' });
    await addMember(t, org, viewer, 'viewer');
    const page = await agent.get(`/orgs/${org.slug}/settings/members/${viewer.id}/access`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('App A');
    expect(page.body).toContain('Organization role (Viewer)');
    const bad = await agent.post(`/orgs/${org.slug}/settings/members/${viewer.id}/access`, { [`application:${idA}`]: 'administrator' });
    expect(bad.statusCode).toBe(422);
    const res = await agent.post(`/orgs/${org.slug}/settings/members/${viewer.id}/access`, { [`application:${idA}`]: 'collaborator', [`application:${idB}`]: '' });
    expect(res.statusCode).toBe(303);
    const viewerAgent = await signedIn(t, viewer);
    expect((await viewerAgent.post(`/applications/${idA}/devices`, { name: 'allowed' })).statusCode).toBe(303);
    expect((await viewerAgent.post(`/applications/${idB}/devices`, { name: 'refused' })).statusCode).toBe(403);
    const event = await t.knex('audit_events').where({ organization_id: org.id, action: 'member.resource_roles_changed' }).first();
    expect(JSON.parse(event.after_json)).toEqual({ 'App A': 'Collaborator' });
    // Removing the member clears their per-resource roles.
    await agent.post(`/orgs/${org.slug}/settings/members/${viewer.id}/remove`);
    expect(await count('resource_roles', { user_id: viewer.id })).toBe(0);
  });

  it('is for Administrators only and 404 for someone not in the organization', async () => {
    const { org, agent } = await adminOf();
    const editor = await newUser(t);
    await addMember(t, org, editor, 'editor');
    expect((await (await signedIn(t, editor)).get(`/orgs/${org.slug}/settings/members/${editor.id}/access`)).statusCode).toBe(403);
    expect((await agent.get(`/orgs/${org.slug}/settings/members/${(await newUser(t)).id}/access`)).statusCode).toBe(404);
  });
});

describe('invitations with per-resource roles (R4.1, R2.2)', () => {
  it('grants the chosen roles on acceptance, for resources the organization still owns', async () => {
    const { org, agent } = await adminOf();
    const a = await agent.post('/applications', { owner: `org:${org.id}`, name: 'Granted App' });
    const appId = Number(String(a.headers.location).split('/').pop());
    const bad = await agent.post(`/orgs/${org.slug}/invitations`, { email: 'rr@example.com', role: 'viewer', [`application:${appId}`]: 'owner' });
    expect(bad.statusCode).toBe(422);
    const res = await agent.post(`/orgs/${org.slug}/invitations`, { email: 'rr@example.com', role: 'viewer', [`application:${appId}`]: 'collaborator' });
    expect(res.statusCode).toBe(303);
    const invitee = await newUser(t, { email: 'rr@example.com' });
    const inviteeAgent = await signedIn(t, invitee);
    expect((await inviteeAgent.post(`${await linkSentTo('rr@example.com')}/accept`)).statusCode).toBe(303);
    expect(await t.knex('resource_roles').where({ user_id: invitee.id, resource_type: 'application', resource_id: appId }).first()).toMatchObject({ role: 'collaborator' });
    expect((await inviteeAgent.post(`/applications/${appId}/devices`, { name: 'allowed by the grant' })).statusCode).toBe(303);
  });
});
