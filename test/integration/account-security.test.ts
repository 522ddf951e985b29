import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mailsTo } from '../../src/modules/mail/queries.ts';
import { Agent } from '../support/agent.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { DEFAULT_PASSWORD, newUser, signedIn, type TestUser } from '../support/builders.ts';

/**
 * R1.4, R13.4: what an attacker who once had a session (or the password)
 * keeps after the owner takes the account back: nothing. Follow-ups of the
 * security review of issues 13 and 17.
 */

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const NEW_PASSWORD = 'a brand new passphrase';
const SESSION_COOKIE = 'orgplane.sid';
const pathOf = (url: string) => new URL(url).pathname;

/** The path of the link labelled `label` in the last email of a kind sent to an address. */
async function linkMailedTo(address: string, kind: string, pathPrefix = '/'): Promise<string> {
  return vi.waitFor(
    async () => {
      const mails = await mailsTo(t.deps.db, address, { kind });
      const links = [...(mails.at(-1)?.text ?? '').matchAll(/https?:\/\/\S+/g)].map((m) => pathOf(m[0]));
      const link = links.find((l) => l.startsWith(pathPrefix));
      if (!link) throw new Error(`no ${kind} email to ${address} with a ${pathPrefix} link`);
      return link;
    },
    { timeout: 5_000, interval: 20 },
  );
}

const emailOf = async (user: TestUser) => (await t.knex('users').where({ id: user.id }).first()).email as string;

/** An attacker with the owner's session asks for the account's email to move to their own address. */
async function attackerAsksForEmailChange(user: TestUser) {
  const attacker = await signedIn(t, user);
  const attackerEmail = `attacker-${user.id}@evil.example`;
  expect((await attacker.post('/account/email', { email: attackerEmail, current_password: user.password })).statusCode).toBe(303);
  return { attacker, attackerEmail, confirmLink: await linkMailedTo(attackerEmail, 'email_change') };
}

/** Another browser that carries the same session cookie (an in-flight copy, a stolen or planted id). */
function sameCookieAs(agent: Agent): Agent {
  const copy = t.agent();
  const sid = agent.cookie(SESSION_COOKIE);
  if (!sid) throw new Error('the agent has no session');
  (copy as unknown as { cookies: Map<string, string> }).cookies.set(SESSION_COOKIE, sid);
  return copy;
}

describe('a pending email change does not outlive the owner taking the account back (R1.4)', () => {
  it('a password reset closes it: the confirmation link no longer changes the email', async () => {
    const user = await newUser(t);
    const { attackerEmail, confirmLink } = await attackerAsksForEmailChange(user);
    await t.agent().post('/password/forgot', { email: user.email });
    const reset = await linkMailedTo(user.email, 'password_reset');
    expect((await t.agent().post(reset, { new_password: NEW_PASSWORD })).statusCode).toBe(303);

    const late = await t.agent().post(confirmLink);
    expect(late.statusCode).toBe(410);
    expect(late.body).toContain('This link was already used, or it was cancelled.');
    expect(await emailOf(user)).toBe(user.email);
    expect((await t.agent().post('/login', { email: attackerEmail, password: NEW_PASSWORD })).statusCode).toBe(401);
  });

  it('a password change closes it too', async () => {
    const user = await newUser(t);
    const { confirmLink } = await attackerAsksForEmailChange(user);
    const owner = await signedIn(t, user);
    expect((await owner.post('/account/password', { current_password: DEFAULT_PASSWORD, new_password: NEW_PASSWORD })).statusCode).toBe(303);
    expect((await owner.get('/account')).body).not.toContain('Waiting for');
    expect((await t.agent().post(confirmLink)).statusCode).toBe(410);
    expect(await emailOf(user)).toBe(user.email);
  });

  it('confirming an email change closes the reset links mailed to the old address', async () => {
    const user = await newUser(t);
    await t.agent().post('/password/forgot', { email: user.email });
    const reset = await linkMailedTo(user.email, 'password_reset');
    const agent = await signedIn(t, user);
    const newEmail = `moved-${user.id}@example.com`;
    await agent.post('/account/email', { email: newEmail, current_password: user.password });
    expect((await agent.post(await linkMailedTo(newEmail, 'email_change'))).statusCode).toBe(303);
    expect(await emailOf(user)).toBe(newEmail);
    expect((await t.agent().get(reset)).statusCode).toBe(410);
    expect((await t.agent().post(reset, { new_password: NEW_PASSWORD })).statusCode).toBe(410);
    expect((await t.agent().post('/login', { email: newEmail, password: user.password })).statusCode).toBe(303);
  });

  it('the owner cancels it on the account page, without JavaScript', async () => {
    const user = await newUser(t);
    const { attackerEmail, confirmLink } = await attackerAsksForEmailChange(user);
    const owner = await signedIn(t, user);
    const page = await owner.get('/account');
    expect(page.body).toContain(`Waiting for <strong>${attackerEmail}</strong> to be confirmed`);
    expect(page.body).toContain('<form method="post" action="/account/email/cancel"');
    expect(page.body).toContain('>Cancel this change</button>');
    const cancelled = await owner.post('/account/email/cancel');
    expect(cancelled.statusCode).toBe(303);
    expect(cancelled.headers.location).toBe('/account#email');
    const after = await owner.get('/account');
    expect(after.body).toContain(`Email change cancelled. Your email stays ${user.email}`);
    expect(after.body).not.toContain('Waiting for');
    expect((await t.agent().post(confirmLink)).statusCode).toBe(410);
    expect(await emailOf(user)).toBe(user.email);
    // Nothing left to cancel; and nobody else's change is touched.
    await owner.post('/account/email/cancel');
    expect((await owner.get('/account')).body).toContain('There was no email change to cancel.');
  });

  it('cannot be cancelled by a visitor or by another user', async () => {
    const user = await newUser(t);
    const { confirmLink } = await attackerAsksForEmailChange(user);
    const visitor = t.agent();
    await visitor.get('/login');
    expect((await visitor.post('/account/email/cancel')).headers.location).toBe('/login');
    const stranger = await signedIn(t, await newUser(t));
    expect((await stranger.post('/account/email/cancel')).statusCode).toBe(303);
    // Still waiting: the link works for whoever asked.
    expect((await t.agent().get(confirmLink)).statusCode).toBe(200);
  });

  it('the notice mailed to the current address has a cancel link: opening it changes nothing, its button cancels, once', async () => {
    const user = await newUser(t);
    const { attackerEmail, confirmLink } = await attackerAsksForEmailChange(user);
    const cancelLink = await linkMailedTo(user.email, 'email_change_notice', '/cancel-email-change/');
    const notice = (await mailsTo(t.deps.db, user.email, { kind: 'email_change_notice' })).at(-1)!;
    expect(notice.text).toContain('Cancel this change');
    expect(JSON.stringify(await t.knex('email_changes').where({ user_id: user.id }))).not.toContain(cancelLink.split('/').pop());

    const owner = t.agent();
    const page = await owner.get(cancelLink);
    expect(page.statusCode).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain(attackerEmail);
    expect(page.body).toContain(`<form method="post" action="${cancelLink}"`);
    expect((await t.agent().get(confirmLink)).statusCode).toBe(200);

    const done = await owner.post(cancelLink);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/password/forgot');
    expect((await owner.get('/password/forgot')).body).toContain(`Cancelled: your account keeps ${user.email}`);
    expect((await t.agent().post(confirmLink)).statusCode).toBe(410);
    expect(await emailOf(user)).toBe(user.email);
    const again = await t.agent().post(cancelLink);
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('This change was already confirmed or cancelled.');
    expect((await t.agent().get('/cancel-email-change/not-a-token')).statusCode).toBe(404);
  });

  it('a cancel link does nothing once the change was confirmed, or after a day', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    await agent.post('/account/email', { email: `kept-${user.id}@example.com`, current_password: user.password });
    const cancelLink = await linkMailedTo(user.email, 'email_change_notice', '/cancel-email-change/');
    await agent.post(await linkMailedTo(`kept-${user.id}@example.com`, 'email_change'));
    expect((await t.agent().post(cancelLink)).statusCode).toBe(410);
    expect(await emailOf(user)).toBe(`kept-${user.id}@example.com`);

    const later = await newUser(t);
    const laterAgent = await signedIn(t, later);
    await laterAgent.post('/account/email', { email: `late-${later.id}@example.com`, current_password: later.password });
    const lateCancel = await linkMailedTo(later.email, 'email_change_notice', '/cancel-email-change/');
    t.clock.advance(24 * 3_600_000 + 1);
    const expired = await t.agent().get(lateCancel);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('This link has expired.');
  });
});

/** The session id an agent's cookie carries (the cookie is the id and its signature). */
const sidOf = (agent: Agent) => decodeURIComponent(agent.cookie(SESSION_COOKIE) ?? '').split('.')[0]!;

describe('sessions end for good when the credentials change (R1.4, R13.4)', () => {
  /** What a request already past the session lookup does when it finishes: it saves its session, writing the deleted row back. */
  async function writeBack(row: Record<string, unknown>) {
    await t.knex('sessions').insert(row).onConflict('sid').merge();
  }
  const sessionRows = (user: TestUser) => t.knex('sessions').where({ user_id: user.id });

  it('"Sign out other sessions": a session written back by a request in flight is refused all the same', async () => {
    const user = await newUser(t);
    const here = await signedIn(t, user);
    const phone = await signedIn(t, user);
    const phoneSid = sidOf(phone);
    const before = await sessionRows(user);
    expect(before).toHaveLength(2);
    expect((await here.post('/account/sessions/sign-out-others')).statusCode).toBe(303);
    expect(await sessionRows(user)).toHaveLength(1);
    for (const row of before) await writeBack(row);
    const refused = await phone.get('/account');
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe('/login?next=%2Faccount');
    // The refused session is gone, not merely ignored.
    expect(await t.knex('sessions').where({ sid: phoneSid })).toHaveLength(0);
    expect((await here.get('/account')).statusCode).toBe(200);
    // Signing in again works as before.
    expect((await phone.post('/login', { email: user.email, password: user.password })).statusCode).toBe(303);
    expect((await phone.get('/account')).statusCode).toBe(200);
  });

  it('a password change: the same, and the changing session gets a new id (session fixation)', async () => {
    const user = await newUser(t);
    const here = await signedIn(t, user);
    const elsewhere = await signedIn(t, user);
    const planted = sameCookieAs(here);
    const oldSid = here.cookie(SESSION_COOKIE);
    const before = await sessionRows(user);
    expect((await here.post('/account/password', { current_password: DEFAULT_PASSWORD, new_password: NEW_PASSWORD })).statusCode).toBe(303);
    expect(here.cookie(SESSION_COOKIE)).toBeDefined();
    expect(here.cookie(SESSION_COOKIE)).not.toBe(oldSid);
    const page = await here.get('/account');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Password changed. 1 other session was signed out.');
    expect(page.body.match(/Logged in <time/g)?.length).toBe(1);
    // Whoever held the old id (planted before log-in, or seen since) holds nothing now.
    expect((await planted.get('/account')).statusCode).toBe(303);
    expect(await sessionRows(user)).toHaveLength(1);
    for (const row of before) await writeBack(row);
    expect((await planted.get('/account')).statusCode).toBe(303);
    expect((await elsewhere.get('/account')).statusCode).toBe(303);
    // The new session's forms work with its new CSRF secret.
    expect((await here.post('/account/profile', { name: 'Still Here', time_zone: 'UTC' })).statusCode).toBe(303);
  });

  it('a password reset: every session is refused, also one written back after the reset', async () => {
    const user = await newUser(t);
    const signed = await signedIn(t, user);
    const before = await sessionRows(user);
    await t.agent().post('/password/forgot', { email: user.email });
    expect((await t.agent().post(await linkMailedTo(user.email, 'password_reset'), { new_password: NEW_PASSWORD })).statusCode).toBe(303);
    for (const row of before) await writeBack(row);
    expect((await signed.get('/sandbox')).statusCode).toBe(303);
  });

  it('two changes within one millisecond give two marks, and a clock set back still moves the mark on', async () => {
    const user = await newUser(t);
    const here = await signedIn(t, user);
    const phone = await signedIn(t, user);
    await here.post('/account/sessions/sign-out-others');
    const mark = async () => Number((await t.knex('users').where({ id: user.id }).first()).credentials_changed_at);
    const first = await mark();
    expect(first).toBe(t.clock.now().getTime());
    // The phone signs in again under the first mark; the next change comes in the same millisecond (the manual clock stands still).
    await phone.post('/login', { email: user.email, password: user.password });
    const phoneRow = await t.knex('sessions').where({ sid: sidOf(phone) }).first();
    await here.post('/account/sessions/sign-out-others');
    expect(await mark()).toBe(first + 1);
    await writeBack(phoneRow);
    expect((await phone.get('/account')).statusCode).toBe(303);
    // The demo clock can be set back (R11.3): the mark still moves on.
    t.clock.set(new Date(first - 3_600_000));
    await here.post('/account/sessions/sign-out-others');
    expect(await mark()).toBe(first + 2);
    expect((await here.get('/account')).statusCode).toBe(200);
    t.clock.set(new Date(first + 1));
  });

  it('the server gives a client a finite time to send its request', () => {
    expect(t.app.server.requestTimeout).toBeGreaterThan(0);
    expect(t.app.server.requestTimeout).toBeLessThanOrEqual(60_000);
  });
});
