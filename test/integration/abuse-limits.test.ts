import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { insertAccessKey, insertApplication, insertDevice, newUser, sandboxOf, signedIn } from '../support/builders.ts';

/**
 * R13.1, R13.3: rate limits that a client cannot step around, shared by
 * every instance. Each test starts its own application with the limits it
 * needs; the limiter runs on the test's manual clock.
 */

const WRONG = 'not-the-password-1';
let t: TestContext;
beforeAll(async () => {
  t = await startTestApp({ config: { authRateLimit: 10 } });
});
afterAll(async () => {
  await t.close();
});

const fresh = () => `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
let addresses = 0;
/** A new client address each call: 198.18.x.y (a benchmarking range). */
const nextAddress = () => `198.18.${Math.floor(++addresses / 250)}.${(addresses % 250) + 1}`;

async function logInAttempt(app: TestContext, email: string, password: string, opts: { from?: string; forwardedFor?: string } = {}) {
  const agent = app.agent(opts.from ?? nextAddress());
  await agent.get('/login');
  return agent.post('/login', { email, password }, { headers: opts.forwardedFor ? { 'x-forwarded-for': opts.forwardedFor } : {} });
}

describe('X-Forwarded-For with TRUST_PROXY unset (attack d, R13.3)', () => {
  it('a production server counts the socket address, whatever address the client claims', async () => {
    const prod = await startTestApp({ config: { isProduction: true, nodeEnv: 'production', authRateLimit: 10 } });
    try {
      const user = await newUser(prod);
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await logInAttempt(prod, `nobody-${i}@example.com`, WRONG, { from: '192.0.2.7', forwardedFor: `10.0.${i}.1` })).statusCode);
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
      // Still refused with the right password from that address: the limit is on the address.
      const right = await logInAttempt(prod, user.email, user.password, { from: '192.0.2.7', forwardedFor: '10.9.9.9' });
      expect(right.statusCode).toBe(429);
      expect(right.headers['retry-after']).toMatch(/^\d+$/);
    } finally {
      await prod.close();
    }
  });

  it('the dashboard unlock too', async () => {
    const prod = await startTestApp({ config: { isProduction: true, nodeEnv: 'production' } });
    try {
      const link = await passwordDashboard(prod);
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) {
        const visitor = prod.agent('192.0.2.8');
        await visitor.get(link);
        statuses.push((await visitor.post(`${link}/unlock`, { password: `Wrong-guess-${i}A!` }, { headers: { 'x-forwarded-for': `10.1.${i}.1` } })).statusCode);
      }
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    } finally {
      await prod.close();
    }
  });
});

describe('X-Forwarded-For with TRUST_PROXY set (attack d, R13.3)', () => {
  it('one hop: the address our proxy saw counts, not what the client wrote before it', async () => {
    const app = await startTestApp({ config: { trustProxy: 1, authRateLimit: 10 } });
    try {
      const proxy = '10.0.0.2';
      const statuses: number[] = [];
      // The client forges addresses in front; the proxy appends the one it saw (198.51.100.9).
      for (let i = 0; i < 12; i++) statuses.push((await logInAttempt(app, `x${i}@example.com`, WRONG, { from: proxy, forwardedFor: `10.2.${i}.1, 198.51.100.9` })).statusCode);
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.slice(10)).toEqual([429, 429]);
      // Another real client behind the same proxy has its own allowance.
      expect((await logInAttempt(app, 'y@example.com', WRONG, { from: proxy, forwardedFor: '198.51.100.10' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('a list of proxies: only they may say who the client is', async () => {
    const app = await startTestApp({ config: { trustProxy: ['10.0.0.0/8'], authRateLimit: 10 } });
    try {
      const statuses: number[] = [];
      // From a trusted proxy: the forwarded client counts, so twelve clients each get their own allowance.
      for (let i = 0; i < 12; i++) statuses.push((await logInAttempt(app, `z${i}@example.com`, WRONG, { from: '10.0.0.3', forwardedFor: `198.51.100.${i + 20}` })).statusCode);
      expect(statuses.every((s) => s === 401)).toBe(true);
      // From anywhere else the header is ignored: one address, one allowance.
      const direct: number[] = [];
      for (let i = 0; i < 12; i++) direct.push((await logInAttempt(app, `w${i}@example.com`, WRONG, { from: '192.0.2.50', forwardedFor: `198.51.100.${i + 40}` })).statusCode);
      expect(direct.slice(10)).toEqual([429, 429]);
    } finally {
      await app.close();
    }
  });
});

describe('X-Forwarded-For that names no address, with TRUST_PROXY set (R13.3)', () => {
  it.each([
    ['a hop count', 1],
    ['a list of proxies', ['10.0.0.0/8']],
  ] as const)('%s: garbage or a huge header counts as the socket address, and never fails a request', async (_name, trustProxy) => {
    const app = await startTestApp({ config: { trustProxy: trustProxy as number | string[], authRateLimit: 10 } });
    try {
      const proxy = '10.0.0.7';
      const headers = ['not-an-address', 'x'.repeat(8_000), `${'9'.repeat(300)}.1.1.1`, '198.51.100.1, <script>', '::ffff:999.1.1.1', ' , '];
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await logInAttempt(app, `xff${i}@example.com`, WRONG, { from: proxy, forwardedFor: headers[i % headers.length] })).statusCode);
      // One allowance, the proxy's own: ten wrong passwords, then refusals; never a 500.
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual([429, 429]);
      // A real client named by the proxy keeps an allowance of its own.
      expect((await logInAttempt(app, 'xff-real@example.com', WRONG, { from: proxy, forwardedFor: '198.51.100.77' })).statusCode).toBe(401);
      // Other limited forms answer too, not 500.
      const forgot = app.agent(proxy);
      await forgot.get('/password/forgot');
      expect((await forgot.post('/password/forgot', { email: 'xff@example.com' }, { headers: { 'x-forwarded-for': 'y'.repeat(8_000) } })).statusCode).toBe(303);
    } finally {
      await app.close();
    }
  });
});

describe('log-in throttled per account (item 1, R13.3)', () => {
  it('failed attempts on one account slow it down, then pause its log-in with an email to the owner, from any address', async () => {
    const user = await newUser(t, { name: 'Targeted Tess' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await logInAttempt(t, user.email, WRONG)).statusCode);
    // Five at once, then one a minute: the sixth is refused before its password is even checked.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const slowed = await logInAttempt(t, user.email.toUpperCase(), WRONG);
    expect(slowed.statusCode).toBe(429);
    expect(slowed.headers['retry-after']).toBe('60');
    expect(slowed.body).toContain('Too many failed attempts to log in to this account');

    // Then one a minute, until about ten failures in the hour pause the account's log-in for 15 minutes.
    let failures = 5;
    let paused;
    for (let i = 0; i < 10 && !paused; i++) {
      t.clock.advance(60_000);
      const res = await logInAttempt(t, user.email, WRONG);
      if (res.statusCode === 429) paused = res;
      else expect(res.statusCode).toBe(401), failures++;
    }
    expect(failures).toBeGreaterThanOrEqual(10);
    expect(failures).toBeLessThanOrEqual(11);
    expect(paused?.statusCode).toBe(429);
    expect(paused!.headers['retry-after']).toBe(String(15 * 60));
    const mails = await t.knex('mail_outbox').where({ to_address: user.email, kind: 'login_paused' });
    expect(mails).toHaveLength(1);
    expect(mails[0].text_body).toMatch(/paused/);
    expect(mails[0].text_body).toMatch(/15 minutes/);

    // Even the right password waits for the pause.
    t.clock.advance(14 * 60_000);
    expect((await logInAttempt(t, user.email, user.password)).statusCode).toBe(429);
    t.clock.advance(60_000);
    expect((await logInAttempt(t, user.email, user.password)).statusCode).toBe(303);
    // A successful log-in forgets the failures.
    for (let i = 0; i < 5; i++) expect((await logInAttempt(t, user.email, WRONG)).statusCode).toBe(401);
    expect(await t.knex('mail_outbox').where({ to_address: user.email, kind: 'login_paused' })).toHaveLength(1);
  });

  it('an unknown email is throttled the same way, and no mail goes anywhere', async () => {
    const email = `ghost-${randomBytes(3).toString('hex')}@example.com`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await logInAttempt(t, email, WRONG)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await t.knex('mail_outbox').where({ to_address: email })).toHaveLength(0);
    // The typed email is not kept in the limiter's table.
    expect(await t.knex('rate_limits').where('bucket_key', 'like', `%${email}%`)).toHaveLength(0);
  });
});

describe('a paused account log-in does not lock its owner out (R13.3, review item 4)', () => {
  /** Wrong guesses from ever new addresses until the account's log-in is paused (15 minutes). */
  async function pauseAccount(email: string) {
    for (let i = 0; i < 30; i++) {
      const res = await logInAttempt(t, email, WRONG);
      if (res.statusCode === 429 && res.headers['retry-after'] === String(15 * 60)) return;
      if (res.statusCode === 429) t.clock.advance(60_000);
    }
    throw new Error('the account was never paused');
  }
  /** The owner's own browser: it logs in once, and out again. */
  async function ownersBrowser(user: { email: string; password: string }) {
    const browser = t.agent(nextAddress());
    await browser.get('/login');
    expect((await browser.post('/login', { email: user.email, password: user.password })).statusCode).toBe(303);
    expect(browser.cookie('orgplane.known')).toBeDefined();
    await browser.post('/logout');
    return browser;
  }
  /** The path of the reset link mailed last to an address ("Forgot password?" does not wait for its mail). */
  const resetLinkMailedTo = (email: string) =>
    vi.waitFor(
      async () => {
        const mail = await t.knex('mail_outbox').where({ to_address: email, kind: 'password_reset' }).orderBy('id', 'desc').first();
        if (!mail) throw new Error(`no reset link mailed to ${email}`);
        return new URL(/https?:\/\/\S+/.exec(mail.text_body)![0]).pathname;
      },
      { timeout: 5_000, interval: 20 },
    );
  const logInWith = async (browser: ReturnType<TestContext['agent']>, email: string, password: string) => {
    await browser.get('/login');
    return browser.post('/login', { email, password });
  };

  it('a browser that logged in to the account before still gets in with the right password; anywhere else waits', async () => {
    const user = await newUser(t, { name: 'Owner Olive' });
    const browser = await ownersBrowser(user);
    await pauseAccount(user.email);
    expect((await logInAttempt(t, user.email, user.password)).statusCode).toBe(429);
    expect((await logInWith(browser, user.email, user.password)).statusCode).toBe(303);
    // Its success leaves the pause in place for everybody else.
    expect((await logInAttempt(t, user.email, user.password)).statusCode).toBe(429);
    // Its own wrong guesses are limited on its own bucket: five, then one a minute.
    await browser.post('/logout');
    const own: number[] = [];
    for (let i = 0; i < 6; i++) own.push((await logInWith(browser, user.email, WRONG)).statusCode);
    expect(own).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("a cookie cannot be forged, nor carried to another account, and a new password makes every known browser a stranger", async () => {
    const user = await newUser(t);
    const other = await newUser(t);
    const browser = await ownersBrowser(user);
    const cookie = browser.cookie('orgplane.known')!;
    await pauseAccount(other.email);
    // The owner's cookie says nothing about another account.
    expect((await logInWith(browser, other.email, other.password)).statusCode).toBe(429);
    // A tampered cookie is no cookie.
    const forged = t.agent(nextAddress());
    (forged as unknown as { cookies: Map<string, string> }).cookies.set('orgplane.known', cookie.replace(/^[^.]/, (c) => (c === 'A' ? 'B' : 'A')));
    await pauseAccount(user.email);
    expect((await logInWith(forged, user.email, user.password)).statusCode).toBe(429);
    // The owner sets a new password elsewhere (a reset): the old cookie no longer counts.
    await t.agent(nextAddress()).post('/password/forgot', { email: user.email });
    const reset = await resetLinkMailedTo(user.email);
    expect((await t.agent(nextAddress()).post(reset, { new_password: 'the owner took it back' })).statusCode).toBe(303);
    await pauseAccount(user.email);
    expect((await logInWith(browser, user.email, 'the owner took it back')).statusCode).toBe(429);
  });

  it('a password reset clears the account’s buckets: the owner logs in at once, from anywhere', async () => {
    const user = await newUser(t);
    await pauseAccount(user.email);
    expect((await logInAttempt(t, user.email, user.password)).statusCode).toBe(429);
    await t.agent(nextAddress()).post('/password/forgot', { email: user.email });
    const reset = await resetLinkMailedTo(user.email);
    expect((await t.agent(nextAddress()).post(reset, { new_password: 'a fresh start passphrase' })).statusCode).toBe(303);
    expect((await logInAttempt(t, user.email, 'a fresh start passphrase')).statusCode).toBe(303);
  });
});

describe('dashboard unlock: per dashboard and address (item 1)', () => {
  it("one visitor's wrong guesses on one dashboard leave other dashboards open to them", async () => {
    const a = await passwordDashboard(t);
    const b = await passwordDashboard(t);
    const visitor = t.agent('10.5.0.9');
    await visitor.get(a);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await visitor.post(`${a}/unlock`, { password: `Wrong-guess-${i}A!` })).statusCode);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    await visitor.get(b);
    expect((await visitor.post(`${b}/unlock`, { password: DASHBOARD_PASSWORD })).statusCode).toBe(303);
    expect((await visitor.get(b)).body).not.toContain('This dashboard is password-protected');
    // Another visitor of the first dashboard is not held back either.
    const other = t.agent('10.5.0.10');
    await other.get(a);
    expect((await other.post(`${a}/unlock`, { password: DASHBOARD_PASSWORD })).statusCode).toBe(303);
  });

  it('one address has thirty guesses over all dashboards, then one a minute: many dashboards do not multiply them', async () => {
    const links = [await passwordDashboard(t), await passwordDashboard(t), await passwordDashboard(t), await passwordDashboard(t)];
    const visitor = t.agent('10.5.1.9');
    const statuses: number[] = [];
    for (const link of links.slice(0, 3)) {
      await visitor.get(link);
      for (let i = 0; i < 10; i++) statuses.push((await visitor.post(`${link}/unlock`, { password: `Wrong-guess-${i}A!` })).statusCode);
    }
    expect(statuses).toEqual(Array(30).fill(401));
    await visitor.get(links[3]!);
    const capped = await visitor.post(`${links[3]}/unlock`, { password: DASHBOARD_PASSWORD });
    expect(capped.statusCode).toBe(429);
    expect(capped.headers['retry-after']).toBe('60');
    t.clock.advance(60_000);
    expect((await visitor.post(`${links[3]}/unlock`, { password: DASHBOARD_PASSWORD })).statusCode).toBe(303);
  });
});

describe('sign-up (R13.1, item 1 addendum)', () => {
  it('is limited per address', async () => {
    const visitor = t.agent('10.9.9.9');
    await visitor.get('/signup');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await visitor.post('/signup', { name: '', email: '', password: '' })).statusCode);
    expect(statuses.slice(0, 10).every((s) => s === 422)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('"an account with this email already exists" takes as long as creating an account', async () => {
    const existing = await newUser(t);
    const time = async (email: string) => {
      const visitor = t.agent(nextAddress());
      await visitor.get('/signup');
      const start = performance.now();
      const res = await visitor.post('/signup', { name: 'Timing Tom', email, password: 'long enough password' });
      return { ms: performance.now() - start, status: res.statusCode };
    };
    const taken: number[] = [];
    const created: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await time(existing.email);
      expect(a.status).toBe(409);
      taken.push(a.ms);
      const b = await time(`new-${randomBytes(4).toString('hex')}@example.com`);
      expect(b.status).toBe(303);
      created.push(b.ms);
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[1]!;
    // Creating costs one password hash (argon2id, hundreds of ms); so must the refusal.
    // Before: ~10 ms against ~680 ms.
    expect(median(taken) / median(created)).toBeGreaterThan(0.6);
    expect(median(taken) / median(created)).toBeLessThan(1.6);
  });
});

describe('the device limit (item 9, R13.3)', () => {
  async function device(app: TestContext) {
    const user = await newUser(app);
    const appId = await insertApplication(app, sandboxOf(user), 'Limited');
    const deviceId = await insertDevice(app, appId, 'Chatty');
    return { appId, deviceId, authorization: (await insertAccessKey(app, appId)).authorization };
  }
  const report = (app: { inject: TestContext['app']['inject'] }, d: { appId: number; deviceId: number; authorization?: string }, data: unknown = { t: 1 }) =>
    app.inject({
      method: 'POST',
      url: `/api/applications/${d.appId}/devices/${d.deviceId}/state`,
      headers: { 'content-type': 'application/json', ...(d.authorization ? { authorization: d.authorization } : {}) },
      payload: JSON.stringify({ data }),
    });
  const usage = async (app: TestContext, appId: number) => {
    const rows = await app.knex('usage_counters').where({ application_id: appId });
    return { payloads: rows.reduce((s, r) => s + Number(r.payloads), 0), rejected: rows.reduce((s, r) => s + Number(r.rejected), 0) };
  };

  it('a token bucket: 60 at once, then 10 a second — never 600 in half a minute; refusals say when and count as rejected', async () => {
    const d = await device(t);
    let accepted = 0;
    let refused = 0;
    // Thirty seconds of a device sending as fast as it can: 40 requests every tenth of a second.
    for (let step = 0; step < 300; step++) {
      for (let i = 0; i < 4; i++) {
        const res = await report(t.app, d);
        if (res.statusCode === 202) accepted++;
        else {
          expect(res.statusCode).toBe(429);
          refused++;
          if (refused === 1) {
            expect(res.headers['retry-after']).toBe('1');
            expect(JSON.parse(res.body).message).toMatch(/Too many requests for this device: 600 a minute \(bursts of 60\)/);
          }
        }
      }
      t.clock.advance(100);
    }
    // 60 at once plus one every 100 ms (fixed one-minute windows let 600 through here, and 977 across their edge).
    expect(accepted).toBeLessThanOrEqual(60 + 300);
    expect(accepted).toBeGreaterThanOrEqual(60 + 299);
    expect(await usage(t, d.appId)).toEqual({ payloads: accepted, rejected: refused });
    expect(Number((await t.knex('payloads').where({ application_id: d.appId }).count({ n: '*' }).first())?.n)).toBe(accepted);
  });

  it('requests without a valid key do not use up a device’s allowance', async () => {
    const d = await device(t);
    // More than a minute's allowance: before, these used it up and locked the device out.
    for (let i = 0; i < 310; i++) expect((await report(t.app, { ...d, authorization: undefined })).statusCode).toBe(401);
    for (let i = 0; i < 310; i++) expect((await report(t.app, { ...d, authorization: 'Bearer ak_nope:nope' })).statusCode).toBe(401);
    expect((await report(t.app, d)).statusCode).toBe(202);
  });

  it('is one limit for every instance on the database, and a restart does not forget it', async () => {
    const d = await device(t);
    const second = await buildApp(t.deps);
    try {
      const statuses = await Promise.all(Array.from({ length: 80 }, (_, i) => report(i % 2 ? second : t.app, d)));
      expect(statuses.filter((r) => r.statusCode === 202)).toHaveLength(60);
      expect(statuses.filter((r) => r.statusCode === 429)).toHaveLength(20);
    } finally {
      await second.close();
    }
    const restarted = await buildApp(t.deps);
    try {
      expect((await report(restarted, d)).statusCode).toBe(429);
    } finally {
      await restarted.close();
    }
  });
});

// ---- a password-protected dashboard, made through the pages ----

const DASHBOARD_PASSWORD = 'Shared-Pass-2026!';

async function passwordDashboard(app: TestContext): Promise<string> {
  const owner = await newUser(app);
  const agent = await signedIn(app, owner);
  const created = await agent.post('/dashboards/new', { owner: 'sandbox', name: `Shared ${fresh()}`, description: '' });
  const id = String(created.headers.location).split('/').pop()!.split('#')[0]!;
  const set = await agent.post(`/dashboards/${id}/visibility`, { visibility: 'password', password: DASHBOARD_PASSWORD });
  if (set.statusCode !== 303) throw new Error(`visibility: ${set.statusCode}`);
  const row = await app.knex('dashboards').where({ id }).first();
  return `/d/${row.share_token}`;
}
