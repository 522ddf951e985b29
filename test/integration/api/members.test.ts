// R16.1, R16.3 with R2, R4, R7.3, R13.1: members, invitations and the audit
// log through Losant's own client (losant-rest): the same use cases, roles,
// limits, emails and audit entries as the Members and Audit Log pages.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toApiId } from '../../../src/modules/api/ids.ts';
import { mailsTo } from '../../../src/modules/mail/queries.ts';
import type { Organization } from '../../../src/modules/tenancy/queries/organizations.ts';
import { expectSchema, refusalOf, startApiServer, type ApiTestServer } from '../../support/api.ts';
import { addMember, newOrg, newUser, signedIn, type TestUser } from '../../support/builders.ts';

let t: ApiTestServer;
// Each test makes several accounts (argon2) and logs them in: on a busy 2-core machine some pass 30 s.
vi.setConfig({ testTimeout: 120_000 });

beforeAll(async () => {
  t = await startApiServer();
});
afterAll(async () => t.close());

/** The token of the newest invitation email sent to an address (R10.1: every email is recorded). */
async function invitationTokenSentTo(email: string): Promise<string> {
  const last = (await mailsTo(t.deps.db, email, { kind: 'invitation' })).at(-1);
  if (!last) throw new Error(`no invitation mail to ${email}`);
  const match = /http:\/\/localhost:3000\/invites\/([A-Za-z0-9_-]{43})/.exec(last.text);
  if (!match) throw new Error('no link in the invitation mail');
  return match[1]!;
}

const auditActions = async (org: Organization) =>
  (await t.knex('audit_events').where({ organization_id: org.id }).orderBy('id')).map((e: { action: string }) => e.action);

let seq = 0;
/** An organization with its Administrator, the admin's API client, and members of each lower role. */
async function orgWithPeople(opts: { plan?: 'starter' | 'professional' } = {}) {
  seq += 1;
  const admin = await newUser(t, { name: `Ada Admin${seq}` });
  const org = await newOrg(t, { owner: admin, name: `People Co ${seq}`, ...opts });
  const viewer = await newUser(t, { name: 'Vic Viewer' });
  await addMember(t, org, viewer, 'viewer');
  const editor = await newUser(t, { name: 'Eddie Editor' });
  await addMember(t, org, editor, 'editor');
  const api = t.client(await t.tokenFor(admin));
  return { admin, org, viewer, editor, api, orgId: toApiId(org.id) };
}

const clientOf = async (user: TestUser) => t.client(await t.tokenFor(user));

describe('org.inviteMember and org.pendingInvites (R4.1–R4.3)', () => {
  it('an Administrator invites: the list answers, the email goes out as from the page, the Members page and the audit log show it', async () => {
    const { org, orgId, api, admin } = await orgWithPeople();
    const list = await api.org.inviteMember({ orgId, invite: { email: 'New.Person@Example.com', role: 'edit' } });
    expectSchema('orgInvites', list);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ email: 'new.person@example.com', role: 'edit', hasExpired: false, ttl: 7 * 24 * 3600 * 1000, applicationRoles: [], dashboardRoles: [] });
    const pending = await api.org.pendingInvites({ orgId });
    expectSchema('orgInvites', pending);
    expect(pending).toEqual(list);
    // The same email as the page sends: the link, the inviter.
    const mail = (await mailsTo(t.deps.db, 'new.person@example.com', { kind: 'invitation' })).at(-1)!;
    expect(mail.text).toContain(admin.name);
    expect(await invitationTokenSentTo('new.person@example.com')).toHaveLength(43);
    const page = await (await signedIn(t, admin)).get(`/orgs/${org.slug}/settings/members`);
    expect(page.body).toContain('new.person@example.com');
    const log = await (await signedIn(t, admin)).get(`/orgs/${org.slug}/settings/audit-log`);
    expect(log.body).toContain('Invitation sent');
    expect(await auditActions(org)).toEqual(['organization.created', 'invitation.sent']);
  });

  it('inviting an address with a pending invitation, or a member, is 409 with the reason', async () => {
    const { orgId, api, viewer } = await orgWithPeople();
    await api.org.inviteMember({ orgId, invite: { email: 'twice@example.com', role: 'view' } });
    expect(await refusalOf(api.org.inviteMember({ orgId, invite: { email: 'twice@example.com', role: 'view' } }))).toMatchObject({
      statusCode: 409,
      type: 'Conflict',
      message: expect.stringContaining('already has a pending invitation'),
    });
    expect(await refusalOf(api.org.inviteMember({ orgId, invite: { email: viewer.email, role: 'view' } }))).toMatchObject({ statusCode: 409, message: expect.stringContaining('already a member') });
  });

  it('the member limit counts pending invitations and names the limit and plan (R4.3, R7.3); nothing is created', async () => {
    const { org, orgId, api } = await orgWithPeople({ plan: 'starter' });
    // 3 members; the Starter plan allows 10.
    for (let i = 0; i < 7; i++) await api.org.inviteMember({ orgId, invite: { email: `fill${i}@example.com`, role: 'view' } });
    const refusal = await refusalOf(api.org.inviteMember({ orgId, invite: { email: 'one.too.many@example.com', role: 'view' } }));
    expect(refusal).toMatchObject({ statusCode: 409, type: 'Conflict' });
    expect(refusal.message).toContain('Starter plan');
    expect(refusal.message).toContain('10 members');
    expect(await t.knex('invitations').where({ organization_id: org.id, email: 'one.too.many@example.com' }).first()).toBeUndefined();
  });

  it('a bad email or an unknown field is 400 Validation naming the field; nothing is sent', async () => {
    const { org, orgId, api } = await orgWithPeople();
    const bad = await refusalOf(api.org.inviteMember({ orgId, invite: { email: 'not an email', role: 'view' } }));
    expect(bad).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(bad.message).toMatch(/email/);
    const extra = await refusalOf(api.org.inviteMember({ orgId, invite: { email: 'x@example.com', role: 'view', disallowTransfer: true } }));
    expect(extra).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(extra.message).toMatch(/disallowTransfer|additional/);
    const role = await refusalOf(api.org.inviteMember({ orgId, invite: { email: 'x@example.com', role: 'owner' } }));
    expect(role.statusCode).toBe(400);
    expect(role.message).toMatch(/role/);
    expect(await t.knex('invitations').where({ organization_id: org.id })).toHaveLength(0);
  });

  it('per-resource roles ride with the invitation (R2.2); an id that is not the organization’s is 400 and nothing is made', async () => {
    const { org, orgId, api, admin } = await orgWithPeople();
    const agent = await signedIn(t, admin);
    const made = await agent.post('/applications', { owner: `org:${org.id}`, name: 'Invite App' });
    const appId = toApiId(Number(String(made.headers.location).split('/').pop()));
    const list = await api.org.inviteMember({ orgId, invite: { email: 'scoped@example.com', role: 'view', applicationRoles: [{ resourceId: appId, role: 'collaborate' }] } });
    expectSchema('orgInvites', list);
    expect(list[0]!.applicationRoles).toEqual([{ resourceId: appId, role: 'collaborate' }]);
    const foreign = await refusalOf(api.org.inviteMember({ orgId, invite: { email: 'other@example.com', role: 'view', applicationRoles: [{ resourceId: toApiId(999_999), role: 'view' }] } }));
    expect(foreign).toMatchObject({ statusCode: 400, type: 'Validation', message: expect.stringContaining('applicationRoles[0].resourceId') });
    expect(await t.knex('invitations').where({ organization_id: org.id, email: 'other@example.com' }).first()).toBeUndefined();
  });

  it('an Editor is 403, a stranger and a platform admin 404 (R2.5)', async () => {
    const { orgId, editor } = await orgWithPeople();
    const editorApi = await clientOf(editor);
    expect(await refusalOf(editorApi.org.inviteMember({ orgId, invite: { email: 'x@example.com', role: 'view' } }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    expect((await refusalOf(editorApi.org.pendingInvites({ orgId }))).statusCode).toBe(403);
    const stranger = await newUser(t);
    const strangerRefusal = await refusalOf((await clientOf(stranger)).org.pendingInvites({ orgId }));
    expect(strangerRefusal).toMatchObject({ statusCode: 404, type: 'NotFound' });
    const platformAdmin = await newUser(t);
    await t.knex('users').where({ id: platformAdmin.id }).update({ is_platform_admin: true });
    expect((await refusalOf((await clientOf(platformAdmin)).org.inviteMember({ orgId, invite: { email: 'x@example.com', role: 'view' } }))).statusCode).toBe(404);
  });

  it('a read-only token lists invitations but may not invite (R16.2 scopes)', async () => {
    const { orgId, admin } = await orgWithPeople();
    const auth = await t.client().auth.authenticateUser({ credentials: { email: admin.email, password: admin.password, requestedScopes: ['all.Organization.read'] } });
    const readOnly = t.client(auth.token);
    expectSchema('orgInvites', await readOnly.org.pendingInvites({ orgId }));
    expect(await refusalOf(readOnly.org.inviteMember({ orgId, invite: { email: 'x@example.com', role: 'view' } }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
  });

  it('invitations per inviting user share the page’s limit: 429 with Retry-After (R13.1)', async () => {
    const { orgId, api } = await orgWithPeople({ plan: 'professional' });
    for (let i = 0; i < 30; i++) await api.org.inviteMember({ orgId, invite: { email: 'same@example.com', role: 'view' } }).catch(() => undefined);
    const refusal = await refusalOf(api.org.inviteMember({ orgId, invite: { email: 'fresh@example.com', role: 'view' } }));
    expect(refusal).toMatchObject({ statusCode: 429, type: 'TooManyRequests', message: expect.stringContaining('many invitations') });
  });

  it('an Unpaid organization’s Administrators still manage members, as on the page (R9.8: they keep Settings)', async () => {
    const { org, orgId, api } = await orgWithPeople();
    await t.knex('billing_accounts').where({ organization_id: org.id }).update({ status: 'unpaid' });
    const list = await api.org.inviteMember({ orgId, invite: { email: 'while.unpaid@example.com', role: 'view' } });
    expect(list.map((i: { email: string }) => i.email)).toContain('while.unpaid@example.com');
  });
});

describe('org.revokeInvite (R4.2)', () => {
  it('revokes: the list no longer has it, the link answers 410, the audit log says so', async () => {
    const { org, orgId, api } = await orgWithPeople();
    const [invite] = await api.org.inviteMember({ orgId, invite: { email: 'revoke.me@example.com', role: 'view' } });
    const token = await invitationTokenSentTo('revoke.me@example.com');
    const list = await api.org.revokeInvite({ orgId, inviteId: invite.id });
    expectSchema('orgInvites', list);
    expect(list).toEqual([]);
    expect((await t.agent().get(`/invites/${token}`)).statusCode).toBe(410);
    expect(await auditActions(org)).toEqual(['organization.created', 'invitation.sent', 'invitation.revoked']);
  });

  it('an unknown or spent invitation is 404; no inviteId is 400; a Viewer is 403', async () => {
    const { orgId, api, viewer } = await orgWithPeople();
    const [invite] = await api.org.inviteMember({ orgId, invite: { email: 'gone@example.com', role: 'view' } });
    await api.org.revokeInvite({ orgId, inviteId: invite.id });
    expect(await refusalOf(api.org.revokeInvite({ orgId, inviteId: invite.id }))).toMatchObject({ statusCode: 404, type: 'NotFound' });
    expect((await refusalOf(api.org.revokeInvite({ orgId, inviteId: 'zz' }))).statusCode).toBe(400);
    expect(await refusalOf(api.org.revokeInvite({ orgId }))).toMatchObject({ statusCode: 400, message: expect.stringContaining('inviteId') });
    expect((await refusalOf((await clientOf(viewer)).org.revokeInvite({ orgId, inviteId: invite.id }))).statusCode).toBe(403);
  });
});

describe('org.modifyMember (R2.2, R2.3, R4.4)', () => {
  it('changes a role: the org answers with its members, the Members page and the audit log show it', async () => {
    const { org, orgId, api, admin, viewer } = await orgWithPeople();
    const updated = await api.org.modifyMember({ orgId, member: { userId: toApiId(viewer.id), role: 'edit' } });
    expectSchema('org', updated);
    expect(updated.id).toBe(orgId);
    expect(updated.members.find((m: { userId: string }) => m.userId === toApiId(viewer.id))).toMatchObject({ role: 'edit', email: viewer.email, firstName: 'Vic', lastName: 'Viewer' });
    expect((await t.knex('memberships').where({ organization_id: org.id, user_id: viewer.id }).first()).role).toBe('editor');
    const log = await (await signedIn(t, admin)).get(`/orgs/${org.slug}/settings/audit-log`);
    expect(log.body).toContain('Member role changed');
    expect(await auditActions(org)).toEqual(['organization.created', 'member.role_changed']);
  });

  it('per-resource roles replace the organization role on one application; a foreign id changes nothing, not even the role', async () => {
    const { org, orgId, api, admin, viewer } = await orgWithPeople();
    const made = await (await signedIn(t, admin)).post('/applications', { owner: `org:${org.id}`, name: 'Override App' });
    const appNumber = Number(String(made.headers.location).split('/').pop());
    const updated = await api.org.modifyMember({ orgId, member: { userId: toApiId(viewer.id), applicationRoles: [{ resourceId: toApiId(appNumber), role: 'collaborate' }] } });
    expectSchema('org', updated);
    expect(updated.members.find((m: { userId: string }) => m.userId === toApiId(viewer.id)).applicationRoles).toEqual([{ resourceId: toApiId(appNumber), role: 'collaborate' }]);
    expect(await t.knex('resource_roles').where({ user_id: viewer.id, resource_id: appNumber }).first()).toMatchObject({ role: 'collaborator' });
    const refusal = await refusalOf(api.org.modifyMember({ orgId, member: { userId: toApiId(viewer.id), role: 'edit', dashboardRoles: [{ resourceId: toApiId(424242), role: 'view' }] } }));
    expect(refusal).toMatchObject({ statusCode: 400, type: 'Validation', message: expect.stringContaining('dashboardRoles[0].resourceId') });
    expect((await t.knex('memberships').where({ organization_id: org.id, user_id: viewer.id }).first()).role).toBe('viewer');
    // An empty list takes the overrides away.
    const cleared = await api.org.modifyMember({ orgId, member: { userId: toApiId(viewer.id), applicationRoles: [] } });
    expect(cleared.members.find((m: { userId: string }) => m.userId === toApiId(viewer.id)).applicationRoles).toEqual([]);
  });

  it('an Administrator cannot change their own role (R2.3): 409; a non-member userId is 404; nothing to change is 400', async () => {
    const { orgId, api, admin } = await orgWithPeople();
    expect(await refusalOf(api.org.modifyMember({ orgId, member: { userId: toApiId(admin.id), role: 'view' } }))).toMatchObject({ statusCode: 409, type: 'Conflict', message: expect.stringContaining('your own role') });
    const outsider = await newUser(t);
    expect(await refusalOf(api.org.modifyMember({ orgId, member: { userId: toApiId(outsider.id), role: 'view' } }))).toMatchObject({ statusCode: 404, type: 'NotFound' });
    expect((await refusalOf(api.org.modifyMember({ orgId, member: { userId: toApiId(outsider.id) } }))).statusCode).toBe(400);
  });

  it('one Administrator demotes another while two remain; the last one cannot be removed; a demoted one loses member management (R2.3)', async () => {
    const { org, orgId, admin, viewer } = await orgWithPeople();
    const second = await newUser(t);
    await addMember(t, org, second, 'administrator');
    // The second Administrator demotes the first: allowed, two were there.
    const secondApi = await clientOf(second);
    await secondApi.org.modifyMember({ orgId, member: { userId: toApiId(admin.id), role: 'edit' } });
    // Now the second is the last one; the first (an Editor now) may not touch roles.
    expect((await refusalOf((await clientOf(admin)).org.modifyMember({ orgId, member: { userId: toApiId(second.id), role: 'view' } }))).statusCode).toBe(403);
    expect(await refusalOf(secondApi.org.removeMember({ orgId, userId: toApiId(second.id) }))).toMatchObject({ statusCode: 409 });
    expect((await refusalOf((await clientOf(viewer)).org.modifyMember({ orgId, member: { userId: toApiId(viewer.id), role: 'admin' } }))).statusCode).toBe(403);
  });
});

describe('org.removeMember (R4.4)', () => {
  it('removes a member: account and Sandbox stay, the audit log says so', async () => {
    const { org, orgId, api, viewer } = await orgWithPeople();
    const updated = await api.org.removeMember({ orgId, userId: toApiId(viewer.id) });
    expectSchema('org', updated);
    expect(updated.members.map((m: { userId: string }) => m.userId)).not.toContain(toApiId(viewer.id));
    expect(await t.knex('memberships').where({ organization_id: org.id, user_id: viewer.id }).first()).toBeUndefined();
    expect(await t.knex('users').where({ id: viewer.id }).first()).toBeDefined();
    expect(await auditActions(org)).toEqual(['organization.created', 'member.removed']);
    // The removed member now sees nothing: 404.
    expect((await refusalOf((await clientOf(viewer)).org.pendingInvites({ orgId }))).statusCode).toBe(404);
  });

  it('removing yourself is 409; an Editor is 403; a stranger 404', async () => {
    const { orgId, api, admin, editor, viewer } = await orgWithPeople();
    expect(await refusalOf(api.org.removeMember({ orgId, userId: toApiId(admin.id) }))).toMatchObject({ statusCode: 409, message: expect.stringContaining('Leave Organization') });
    expect((await refusalOf((await clientOf(editor)).org.removeMember({ orgId, userId: toApiId(viewer.id) }))).statusCode).toBe(403);
    expect((await refusalOf((await clientOf(await newUser(t))).org.removeMember({ orgId, userId: toApiId(viewer.id) }))).statusCode).toBe(404);
  });
});

describe('orgInvites.get and orgInvites.post: the invitation link for a client (R4.1)', () => {
  it('get needs no API token: organization, role and dates; another email or a bad token is 404', async () => {
    const { org, orgId, api } = await orgWithPeople();
    await api.org.inviteMember({ orgId, invite: { email: 'look@example.com', role: 'collaborate' } });
    const token = await invitationTokenSentTo('look@example.com');
    const info = await t.client().orgInvites.get({ token, email: 'Look@Example.com' });
    expectSchema('orgInviteInfo', info);
    expect(info).toMatchObject({ orgName: org.name, email: 'look@example.com', role: 'collaborate' });
    expect(await refusalOf(t.client().orgInvites.get({ token, email: 'someone.else@example.com' }))).toMatchObject({ statusCode: 404, type: 'NotFound' });
    expect((await refusalOf(t.client().orgInvites.get({ token: 'x'.repeat(43), email: 'look@example.com' }))).statusCode).toBe(404);
    expect((await refusalOf(t.client().orgInvites.get({ token }))).statusCode).toBe(400);
  });

  it('an expired invitation is 410 Gone', async () => {
    const { orgId, api } = await orgWithPeople();
    await api.org.inviteMember({ orgId, invite: { email: 'late@example.com', role: 'view' } });
    const token = await invitationTokenSentTo('late@example.com');
    t.clock.advance(8 * 24 * 3600 * 1000);
    expect(await refusalOf(t.client().orgInvites.get({ token, email: 'late@example.com' }))).toMatchObject({ statusCode: 410, type: 'Gone', message: expect.stringContaining('expired') });
  });

  it('accepting with the token of a user (any email: the link is the proof) makes them a member with the role; the pages show it', async () => {
    const { org, orgId, api, admin } = await orgWithPeople();
    await api.org.inviteMember({ orgId, invite: { email: 'join@example.com', role: 'edit' } });
    const token = await invitationTokenSentTo('join@example.com');
    const joiner = await newUser(t, { name: 'Joan Joiner' });
    const result = await (await clientOf(joiner)).orgInvites.post({ invite: { token, email: 'join@example.com', accept: true } });
    expectSchema('orgInviteResult', result);
    expect(result).toEqual({ accepted: true, orgId });
    expect((await t.knex('memberships').where({ organization_id: org.id, user_id: joiner.id }).first()).role).toBe('editor');
    expect((await (await signedIn(t, joiner)).get('/orgs')).body).toContain(org.name);
    expect((await (await signedIn(t, admin)).get(`/orgs/${org.slug}/settings/members`)).body).toContain('Joan Joiner');
    expect(await auditActions(org)).toEqual(['organization.created', 'invitation.sent', 'invitation.accepted']);
    // Spent: a second use is 410.
    expect((await refusalOf((await clientOf(await newUser(t))).orgInvites.post({ invite: { token, email: 'join@example.com', accept: true } }))).statusCode).toBe(410);
  });

  it('accepting without an API token is 401 and changes nothing; declining needs none', async () => {
    const { org, orgId, api } = await orgWithPeople();
    await api.org.inviteMember({ orgId, invite: { email: 'maybe@example.com', role: 'view' } });
    const token = await invitationTokenSentTo('maybe@example.com');
    expect(await refusalOf(t.client().orgInvites.post({ invite: { token, email: 'maybe@example.com', accept: true } }))).toMatchObject({ statusCode: 401, type: 'Unauthorized' });
    expect((await t.knex('invitations').where({ organization_id: org.id }).first()).status).toBe('pending');
    const declined = await t.client().orgInvites.post({ invite: { token, email: 'maybe@example.com', accept: false } });
    expectSchema('orgInviteResult', declined);
    expect(declined).toEqual({ accepted: false, orgId });
    expect((await t.knex('invitations').where({ organization_id: org.id }).first()).status).toBe('declined');
    expect(await auditActions(org)).toEqual(['organization.created', 'invitation.sent', 'invitation.declined']);
    expect((await t.agent().get(`/invites/${token}`)).statusCode).toBe(410);
  });

  it('a member accepting is 409; a full organization is 409 naming the limit; a bad API token is 401', async () => {
    const { org, orgId, api, viewer } = await orgWithPeople({ plan: 'starter' });
    await api.org.inviteMember({ orgId, invite: { email: 'again@example.com', role: 'view' } });
    const token = await invitationTokenSentTo('again@example.com');
    expect(await refusalOf((await clientOf(viewer)).orgInvites.post({ invite: { token, email: 'again@example.com', accept: true } }))).toMatchObject({ statusCode: 409, type: 'Conflict' });
    for (let i = 0; i < 7; i++) await addMember(t, org, await newUser(t), 'viewer');
    const late = await refusalOf((await clientOf(await newUser(t))).orgInvites.post({ invite: { token, email: 'again@example.com', accept: true } }));
    expect(late).toMatchObject({ statusCode: 409, message: expect.stringContaining('Starter plan allows 10 members') });
    expect((await refusalOf(t.client('opl_' + 'y'.repeat(43)).orgInvites.post({ invite: { token, email: 'again@example.com', accept: false } }))).statusCode).toBe(401);
    expect((await t.knex('invitations').where({ organization_id: org.id }).first()).status).toBe('pending');
  });

  it('without an API token, look-ups and answers are limited per client address: 429 with Retry-After', async () => {
    const call = () => t.app.inject({ method: 'GET', url: `/api/invites?token=${'z'.repeat(43)}&email=a%40example.com`, remoteAddress: '203.0.113.77' });
    for (let i = 0; i < 30; i++) expect((await call()).statusCode).toBe(404);
    const limited = await call();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toMatchObject({ type: 'TooManyRequests' });
    // Another address is not held up.
    expect((await t.app.inject({ method: 'GET', url: `/api/invites?token=${'z'.repeat(43)}&email=a%40example.com`, remoteAddress: '203.0.113.78' })).statusCode).toBe(404);
  });
});

describe('auditLogs.get (R4.5)', () => {
  it('the same entries as the Audit Log page, newest first, paged, sorted, narrowed by time and action', async () => {
    const { org, orgId, api, viewer, editor } = await orgWithPeople();
    await api.org.inviteMember({ orgId, invite: { email: 'logged@example.com', role: 'view' } });
    t.clock.advance(60_000);
    const between = t.clock.now().getTime();
    t.clock.advance(60_000);
    await api.org.modifyMember({ orgId, member: { userId: toApiId(viewer.id), role: 'collaborate' } });
    await api.org.removeMember({ orgId, userId: toApiId(editor.id) });
    const all = await api.auditLogs.get({ orgId });
    expectSchema('auditLogs', all);
    expect(all).toMatchObject({ totalCount: 4, count: 4, page: 0, perPage: 100, sortField: 'creationDate', sortDirection: 'desc', orgId });
    expect(all.items.map((e: { action: string }) => e.action)).toEqual(['member.removed', 'member.role_changed', 'invitation.sent', 'organization.created']);
    const changed = all.items[1];
    expect(changed).toMatchObject({ requestResource: 'member', requestAction: 'role_changed', actionName: 'Member role changed', actorType: 'User', primaryTargetName: `Vic Viewer <${viewer.email}>` });
    expect(changed.changes).toEqual([{ field: 'Role', before: 'Viewer', after: 'Collaborator' }]);
    expect(all.items[2]).toMatchObject({ primaryTargetType: 'OrgInvite', primaryTargetName: 'logged@example.com' });
    const asc = await api.auditLogs.get({ orgId, sortDirection: 'asc', perPage: 2, page: 1 });
    expectSchema('auditLogs', asc);
    expect(asc.items.map((e: { action: string }) => e.action)).toEqual(['member.role_changed', 'member.removed']);
    const later = await api.auditLogs.get({ orgId, start: String(between) });
    expect(later.items.map((e: { action: string }) => e.action)).toEqual(['member.removed', 'member.role_changed']);
    const sent = await api.auditLogs.get({ orgId, auditLogFilter: { request: [{ resource: 'invitation', action: 'sent' }] } });
    expectSchema('auditLogs', sent);
    expect(sent.items.map((e: { action: string }) => e.action)).toEqual(['invitation.sent']);
    // The page holds the same entries.
    const pageCount = Number((await t.knex('audit_events').where({ organization_id: org.id }).count({ n: '*' }).first())?.n);
    expect(pageCount).toBe(all.totalCount);
  });

  it('bad parameters are 400 naming them; an unsupported filter is refused, not ignored', async () => {
    const { orgId, api } = await orgWithPeople();
    expect(await refusalOf(api.auditLogs.get({ orgId, sortField: 'responseStatus' }))).toMatchObject({ statusCode: 400, message: expect.stringContaining('sortField') });
    expect(await refusalOf(api.auditLogs.get({ orgId, start: 'yesterday' }))).toMatchObject({ statusCode: 400, message: expect.stringContaining('start') });
    expect(await refusalOf(api.auditLogs.get({ orgId, auditLogFilter: { responseCode: [200] } }))).toMatchObject({ statusCode: 400, type: 'Validation' });
  });

  it('only Administrators read it: an Editor is 403, a stranger 404', async () => {
    const { orgId, editor } = await orgWithPeople();
    expect(await refusalOf((await clientOf(editor)).auditLogs.get({ orgId }))).toMatchObject({ statusCode: 403, type: 'Forbidden' });
    expect((await refusalOf((await clientOf(await newUser(t))).auditLogs.get({ orgId }))).statusCode).toBe(404);
  });
});
