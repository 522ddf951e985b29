import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mailsTo } from '../../src/modules/mail/queries.ts';
import { jobs } from '../../src/scheduler/jobs.ts';
import { runPass } from '../../src/scheduler/registry.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { DEFAULT_PASSWORD, newUser, signedIn, type TestUser } from '../support/builders.ts';

/** R1.4 account self-service and R1.5 time zones, through the real forms. */

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const NEW_PASSWORD = 'a brand new passphrase';
const pathOf = (url: string) => new URL(url).pathname;

/** The link in the last email of a kind sent to an address (waits: "Forgot password?" does not wait for its mail). */
async function linkMailedTo(address: string, kind: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const mails = await mailsTo(t.deps.db, address, { kind });
      const match = /https?:\/\/\S+/.exec(mails.at(-1)?.text ?? '');
      if (!match) throw new Error(`no ${kind} email to ${address}`);
      return match[0];
    },
    { timeout: 5_000, interval: 20 },
  );
}

async function sessionCount(user: TestUser): Promise<number> {
  const row = await t.knex('sessions').where({ user_id: user.id }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

describe('the account page (R1.4)', () => {
  it('is linked from the user menu and shows profile, email, password and sessions', async () => {
    const user = await newUser(t, { name: 'Ada Account' });
    const agent = await signedIn(t, user);
    const home = await agent.get('/sandbox');
    expect(home.body).toContain('<a href="/account">Account</a>');
    const page = await agent.get('/account');
    expect(page.statusCode).toBe(200);
    for (const label of ['Name', 'Time zone', 'New email address', 'Current password', 'New password']) expect(page.body).toContain(`>${label}</label>`);
    expect(page.body).toContain('>Sign out other sessions</button>');
    expect(page.body).toContain('This session');
    expect((await t.agent().get('/account')).headers.location).toBe('/login?next=%2Faccount');
  });

  it('changes the name and the time zone; an unknown zone is refused with the values kept', async () => {
    const user = await newUser(t, { name: 'Old Name' });
    const agent = await signedIn(t, user);
    const bad = await agent.post('/account/profile', { name: 'New Name', time_zone: 'Mars/Olympus' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Choose a time zone from the list.');
    expect(bad.body).toContain('value="New Name"');
    const ok = await agent.post('/account/profile', { name: 'New Name', time_zone: 'America/New_York' });
    expect(ok.statusCode).toBe(303);
    const row = await t.knex('users').where({ id: user.id }).first();
    expect(row).toMatchObject({ name: 'New Name', time_zone: 'America/New_York' });
    const page = await agent.get('/account');
    expect(page.body).toContain('Profile saved. Dates and times are shown in America/New York.');
    expect(page.body).toContain('<span class="user-name">New Name</span>');
    expect(page.body).toMatch(/<option value="America\/New_York" selected>America\/New York \(GMT-[45]\)<\/option>/);
  });

  it('changes the password with the current one and signs out the other sessions, not this one', async () => {
    const user = await newUser(t);
    const here = await signedIn(t, user);
    const elsewhere = await signedIn(t, user);
    expect(await sessionCount(user)).toBe(2);
    const wrong = await here.post('/account/password', { current_password: 'not it at all', new_password: NEW_PASSWORD });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Your current password is not correct.');
    const short = await here.post('/account/password', { current_password: DEFAULT_PASSWORD, new_password: 'short' });
    expect(short.statusCode).toBe(422);
    const ok = await here.post('/account/password', { current_password: DEFAULT_PASSWORD, new_password: NEW_PASSWORD });
    expect(ok.statusCode).toBe(303);
    expect((await here.get('/account')).body).toContain('Password changed. 1 other session was signed out.');
    expect((await elsewhere.get('/account')).statusCode).toBe(303);
    expect(await sessionCount(user)).toBe(1);
    expect((await t.agent().post('/login', { email: user.email, password: DEFAULT_PASSWORD })).statusCode).toBe(401);
    expect((await t.agent().post('/login', { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(303);
    expect((await mailsTo(t.deps.db, user.email, { kind: 'password_changed' })).length).toBe(1);
  });

  it('lists the sessions and signs out the others on request', async () => {
    const user = await newUser(t);
    const here = await signedIn(t, user);
    const phone = t.agent();
    await phone.post('/login', { email: user.email, password: user.password }, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1' } });
    const page = await here.get('/account');
    expect(page.body).toContain('Safari on iOS');
    expect(page.body.match(/Logged in <time/g)?.length).toBe(2);
    const res = await here.post('/account/sessions/sign-out-others');
    expect(res.statusCode).toBe(303);
    expect((await here.get('/account')).body).toContain('Signed out of 1 other session.');
    expect((await phone.get('/sandbox')).statusCode).toBe(303);
    expect((await here.get('/sandbox')).statusCode).toBe(200);
  });
});

describe('changing the email address (R1.4)', () => {
  it('needs the current password, mails a link to the new address and changes only when it is opened', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const newEmail = `moved-${user.id}@example.com`;
    const wrong = await agent.post('/account/email', { email: newEmail, current_password: 'wrong password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain(`value="${newEmail}"`);
    const ok = await agent.post('/account/email', { email: newEmail, current_password: user.password });
    expect(ok.statusCode).toBe(303);
    expect((await t.knex('users').where({ id: user.id }).first()).email).toBe(user.email);
    expect((await mailsTo(t.deps.db, user.email, { kind: 'email_change_notice' })).length).toBe(1);
    const page = await agent.get('/account');
    expect(page.body).toContain(`We sent a confirmation link to ${newEmail}.`);
    expect(page.body).toContain(`Waiting for <strong>${newEmail}</strong> to be confirmed`);

    const link = await linkMailedTo(newEmail, 'email_change');
    const token = pathOf(link).split('/').pop()!;
    expect(JSON.stringify(await t.knex('email_changes').where({ user_id: user.id }))).not.toContain(token);
    // Opening the link changes nothing (mail scanners open links); confirming does, once.
    const confirmPage = await t.agent().get(pathOf(link));
    expect(confirmPage.statusCode).toBe(200);
    expect(confirmPage.body).toContain('>Confirm email address</button>');
    expect((await t.knex('users').where({ id: user.id }).first()).email).toBe(user.email);
    const confirmed = await agent.post(pathOf(link));
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe('/account');
    expect((await t.knex('users').where({ id: user.id }).first()).email).toBe(newEmail);
    expect((await agent.post(pathOf(link))).statusCode).toBe(410);
    expect((await t.agent().post('/login', { email: newEmail, password: user.password })).statusCode).toBe(303);
  });

  it('refuses an address another account uses, and the current one', async () => {
    const user = await newUser(t);
    const other = await newUser(t);
    const agent = await signedIn(t, user);
    const taken = await agent.post('/account/email', { email: other.email.toUpperCase(), current_password: user.password });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('Another account uses this email address.');
    expect((await agent.post('/account/email', { email: user.email, current_password: user.password })).statusCode).toBe(422);
  });

  it('a link expires after a day, and a newer request replaces an older one', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    await agent.post('/account/email', { email: `first-${user.id}@example.com`, current_password: user.password });
    const first = await linkMailedTo(`first-${user.id}@example.com`, 'email_change');
    await agent.post('/account/email', { email: `second-${user.id}@example.com`, current_password: user.password });
    const second = await linkMailedTo(`second-${user.id}@example.com`, 'email_change');
    expect((await agent.get(pathOf(first))).statusCode).toBe(410);
    t.clock.advance(24 * 3_600_000 + 1);
    expect((await agent.get(pathOf(second))).statusCode).toBe(410);
    expect((await agent.get('/confirm-email/not-a-token')).statusCode).toBe(404);
  });
});

describe('Forgot password? (R1.4)', () => {
  it('is linked from the log-in page', async () => {
    const page = await t.agent().get('/login');
    expect(page.body).toContain('<a href="/password/forgot">Forgot password?</a>');
    expect((await t.agent().get('/password/forgot')).body).toContain('>Email</label>');
  });

  it('answers the same whether or not an account exists, and mails only a real one', async () => {
    const user = await newUser(t);
    const known = await t.agent().post('/password/forgot', { email: user.email });
    const unknown = await t.agent().post('/password/forgot', { email: `nobody-${user.id}@example.com` });
    expect(known.statusCode).toBe(303);
    expect(unknown.statusCode).toBe(303);
    expect(known.headers.location).toBe(unknown.headers.location);
    const strip = (body: string, email: string) => body.replaceAll(email, 'EMAIL').replace(/value="[^"]{20,}"/g, 'TOKEN').replace(/"x-csrf-token": "[^"]+"/, '');
    const a = t.agent();
    const b = t.agent();
    await a.post('/password/forgot', { email: user.email });
    await b.post('/password/forgot', { email: `nobody-${user.id}@example.com` });
    const pageA = await a.get('/password/forgot');
    const pageB = await b.get('/password/forgot');
    expect(strip(pageA.body, user.email)).toBe(strip(pageB.body, `nobody-${user.id}@example.com`));
    expect(pageA.body).toContain(`If an account uses ${user.email}, we have emailed it a link`);
    await linkMailedTo(user.email, 'password_reset');
    expect(await mailsTo(t.deps.db, `nobody-${user.id}@example.com`)).toEqual([]);
    expect((await t.agent().post('/password/forgot', { email: 'not an email' })).statusCode).toBe(422);
  });

  it('sets a new password through the link, once, and signs out every session', async () => {
    const user = await newUser(t);
    const signed = await signedIn(t, user);
    const other = await signedIn(t, user);
    await t.agent().post('/password/forgot', { email: user.email });
    const link = await linkMailedTo(user.email, 'password_reset');
    const token = pathOf(link).split('/').pop()!;
    const rows = await t.knex('password_resets').where({ user_id: user.id });
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token);

    const visitor = t.agent();
    const form = await visitor.get(pathOf(link));
    expect(form.statusCode).toBe(200);
    expect(form.headers['referrer-policy']).toBe('no-referrer');
    expect(form.body).toContain('>New password</label>');
    expect((await visitor.post(pathOf(link), { new_password: 'short' })).statusCode).toBe(422);
    const done = await visitor.post(pathOf(link), { new_password: NEW_PASSWORD });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/login');
    expect(await sessionCount(user)).toBe(0);
    expect((await signed.get('/sandbox')).statusCode).toBe(303);
    expect((await other.get('/sandbox')).statusCode).toBe(303);
    expect((await t.agent().post('/login', { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(303);
    // Once only.
    expect((await visitor.get(pathOf(link))).statusCode).toBe(410);
    expect((await visitor.post(pathOf(link), { new_password: 'yet another passphrase' })).statusCode).toBe(410);
  });

  it('a link is valid for one hour', async () => {
    const user = await newUser(t);
    await t.agent().post('/password/forgot', { email: user.email });
    const link = await linkMailedTo(user.email, 'password_reset');
    t.clock.advance(59 * 60_000);
    expect((await t.agent().get(pathOf(link))).statusCode).toBe(200);
    t.clock.advance(60_001);
    const gone = await t.agent().get(pathOf(link));
    expect(gone.statusCode).toBe(410);
    expect(gone.body).toContain('This link has expired.');
    expect(gone.body).toContain('href="/password/forgot"');
  });

  it('a reset spends every other link the account was sent, and at most three are live at once', async () => {
    const user = await newUser(t);
    for (let i = 0; i < 5; i++) await t.agent().post('/password/forgot', { email: user.email });
    await vi.waitFor(async () => expect((await mailsTo(t.deps.db, user.email, { kind: 'password_reset' })).length).toBe(3));
    const links = (await mailsTo(t.deps.db, user.email, { kind: 'password_reset' })).map((m) => pathOf(/https?:\/\/\S+/.exec(m.text)![0]));
    expect((await t.agent().post(links[0]!, { new_password: NEW_PASSWORD })).statusCode).toBe(303);
    expect((await t.agent().get(links[1]!)).statusCode).toBe(410);
    expect((await t.agent().get(links[2]!)).statusCode).toBe(410);
  });
});

describe('limits (R13.1, R13.3)', () => {
  it('current-password checks on the account page: five at once, then one a minute, per user; 429 with Retry-After', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    for (let i = 0; i < 5; i++) expect((await agent.post('/account/password', { current_password: 'wrong guess', new_password: NEW_PASSWORD })).statusCode).toBe(401);
    const refused = await agent.post('/account/password', { current_password: user.password, new_password: NEW_PASSWORD });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body).toContain('Too many attempts. Wait');
    expect((await agent.post('/account/email', { email: 'x@example.com', current_password: user.password })).statusCode).toBe(429);
  });

  it('"Forgot password?" per client address (AUTH_RATE_LIMIT a minute)', async () => {
    const small = await startTestApp({ config: { authRateLimit: 3 } });
    try {
      const agent = small.agent('203.0.113.77');
      for (let i = 0; i < 3; i++) expect((await agent.post('/password/forgot', { email: `nobody-${i}@example.com` })).statusCode).toBe(303);
      const refused = await agent.post('/password/forgot', { email: 'nobody@example.com' });
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBeDefined();
      expect(refused.body).toContain('Too many attempts. Wait');
      expect((await small.agent('203.0.113.78').post('/password/forgot', { email: 'nobody@example.com' })).statusCode).toBe(303);
    } finally {
      await small.close();
    }
  });
});

describe('expired links (R1.4)', () => {
  it('are removed by the scheduler; live ones stay, and a second pass changes nothing (R12.2)', async () => {
    const user = await newUser(t);
    await t.agent().post('/password/forgot', { email: user.email });
    await linkMailedTo(user.email, 'password_reset');
    t.clock.advance(2 * 3_600_000);
    await t.agent().post('/password/forgot', { email: user.email });
    await vi.waitFor(async () => expect((await mailsTo(t.deps.db, user.email, { kind: 'password_reset' })).length).toBe(2));
    await runPass(jobs, t.deps, t.clock.now());
    expect(await t.knex('password_resets').where({ user_id: user.id })).toHaveLength(1);
    const again = await runPass(jobs, t.deps, t.clock.now());
    expect(again.results.find((r) => r.job === 'accounts:purge-expired-links')?.summary).toBe('0 expired account links removed');
  });
});

describe('the time zone at sign-up (R1.5)', () => {
  it('is the one the browser sent, or UTC without one or with one this server does not know', async () => {
    const cases: [string | undefined, string][] = [
      ['Europe/Paris', 'Europe/Paris'],
      [undefined, 'UTC'],
      ['Not/AZone', 'UTC'],
      ['+05:00', 'UTC'],
    ];
    for (const [sent, stored] of cases) {
      const email = `tz-${Math.random().toString(36).slice(2)}@example.com`;
      const res = await t.agent().post('/signup', { name: 'Zoe Zone', email, password: DEFAULT_PASSWORD, ...(sent ? { time_zone: sent } : {}) });
      expect(res.statusCode, String(sent)).toBe(303);
      expect((await t.knex('users').where({ email }).first()).time_zone).toBe(stored);
    }
    expect((await t.agent().get('/signup')).body).toContain('<input type="hidden" name="time_zone" value="UTC" data-browser-time-zone>');
  });

  it('every date a signed-in user reads is in their zone, the zone named with the time', async () => {
    const user = await newUser(t);
    await t.knex('users').where({ id: user.id }).update({ time_zone: 'Asia/Kolkata' });
    const agent = await signedIn(t, user);
    const page = await agent.get('/account');
    // The session's log-in time, 09:00 UTC on the test clock's day, read in India (+5:30).
    const loggedIn = /Logged in <time datetime="([^"]+)">([^<]+)<\/time>/.exec(page.body)!;
    expect(loggedIn[2]).toMatch(/, \d{2}:\d{2} GMT\+5:30$/);
    const instant = new Date(loggedIn[1]!);
    const local = new Date(instant.getTime() + 330 * 60_000);
    expect(loggedIn[2]).toContain(`${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')} GMT+5:30`);
  });
});
