import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { startTestApp, type TestContext } from '../support/app.ts';
import { Agent } from '../support/agent.ts';
import { DEFAULT_PASSWORD, newUser, signedIn } from '../support/builders.ts';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const signUpFields = (over: Record<string, string> = {}) => ({
  name: 'Grace Hopper',
  email: `grace-${Math.random().toString(36).slice(2)}@example.com`,
  password: 'a long enough password',
  ...over,
});

describe('sign up (R1.1)', () => {
  it('shows a labelled form', async () => {
    const res = await t.agent().get('/signup');
    expect(res.statusCode).toBe(200);
    for (const label of ['Name', 'Email', 'Password']) expect(res.body).toMatch(new RegExp(`<label for="\\w+">${label}</label>`));
    expect(res.body).toContain('>Sign up</button>');
  });

  it('creates the account, signs in and lands on the Sandbox with the name in the header (R1.2, R1.3)', async () => {
    const agent = t.agent();
    const fields = signUpFields({ name: 'Grace Hopper' });
    const res = await agent.post('/signup', fields);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/sandbox');
    const page = await agent.get('/sandbox');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<span class="user-name">Grace Hopper</span>');
    expect(page.body).toContain('Create Organization');
    // The account this sign-up made, by its own address (other tests share the database).
    const user = await t.knex('users').where({ email: fields.email }).first();
    expect(user).toMatchObject({ name: 'Grace Hopper', email: fields.email });
    expect(user.password_hash).not.toContain(fields.password);
  });

  it('refuses a duplicate email, whatever its case, keeping the values but never the password', async () => {
    const email = `dup-${Date.now()}@example.com`;
    await t.agent().post('/signup', signUpFields({ email }));
    const res = await t.agent().post('/signup', signUpFields({ email: email.toUpperCase(), name: 'Second Person', password: 'secret-password-123' }));
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('An account with this email already exists');
    expect(res.body).toContain('value="Second Person"');
    expect(res.body).not.toContain('secret-password-123');
    const rows = await t.knex('users').where({ email });
    expect(rows).toHaveLength(1);
  });

  it.each([
    ['a short password', { password: 'short' }, 'at least 10 characters'],
    ['a missing name', { name: '' }, 'Enter your name.'],
    ['a missing email', { email: '' }, 'Enter your email address.'],
    ['an invalid email', { email: 'not-an-email' }, 'Enter a valid email address'],
    ['a 10 KB name', { name: 'x'.repeat(10 * 1024) }, 'at most 100 characters'],
  ])('re-renders the form with a 422 for %s', async (_label, over, message) => {
    const before = await t.knex('users').count({ n: '*' }).first();
    const res = await t.agent().post('/signup', signUpFields(over));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(message);
    expect(res.body).toContain('aria-invalid="true"');
    expect(res.body).not.toContain('a long enough password');
    const after = await t.knex('users').count({ n: '*' }).first();
    expect(Number(after?.n)).toBe(Number(before?.n));
  });

  it('answers a sign-up without any fields with 422, not 500', async () => {
    const res = await t.agent().post('/signup', {});
    expect(res.statusCode).toBe(422);
  });
});

describe('log in and log out (R1.1, R13.1)', () => {
  it('logs in and goes to the Sandbox', async () => {
    const user = await newUser(t, { name: 'Linus' });
    const agent = t.agent();
    const res = await agent.post('/login', { email: user.email.toUpperCase(), password: user.password });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/sandbox');
    expect((await agent.get('/sandbox')).body).toContain('<span class="user-name">Linus</span>');
  });

  it('refuses a wrong password with 401 and keeps the email', async () => {
    const user = await newUser(t);
    const res = await t.agent().post('/login', { email: user.email, password: 'wrong password!' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Email or password is incorrect.');
    expect(res.body).toContain(`value="${user.email}"`);
    expect(res.body).not.toContain('wrong password!');
  });

  it('refuses an unknown email with the same message', async () => {
    const res = await t.agent().post('/login', { email: 'nobody@example.com', password: DEFAULT_PASSWORD });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Email or password is incorrect.');
  });

  it('answers missing fields with 422', async () => {
    const res = await t.agent().post('/login', { email: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Enter your email address.');
  });

  it('gives a new session id at every login and forgets the old one', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const first = agent.cookie('orgplane.sid');
    expect(first).toBeTruthy();
    await agent.post('/login', { email: user.email, password: user.password });
    const second = agent.cookie('orgplane.sid');
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    const stale = await t.app.inject({ method: 'GET', url: '/sandbox', headers: { cookie: `orgplane.sid=${first}` } });
    expect(stale.statusCode).toBe(303);
    expect(stale.headers.location).toBe('/login?next=%2Fsandbox');
  });

  it('goes back to a local next path after login, and ignores another site', async () => {
    const user = await newUser(t);
    const ok = await t.agent().post('/login', { email: user.email, password: user.password, next: '/orgs' });
    expect(ok.headers.location).toBe('/orgs');
    const evil = await t.agent().post('/login', { email: user.email, password: user.password, next: '//evil.example/' });
    expect(evil.headers.location).toBe('/sandbox');
  });

  it('logs out: the session is gone from the database and the Sandbox asks to log in', async () => {
    const user = await newUser(t);
    const agent = await signedIn(t, user);
    const before = await t.knex('sessions').count({ n: '*' }).first();
    const res = await agent.post('/logout');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    const after = await t.knex('sessions').count({ n: '*' }).first();
    expect(Number(after?.n)).toBe(Number(before?.n) - 1);
    const page = await agent.get('/sandbox');
    expect(page.statusCode).toBe(303);
    const login = await agent.get('/login');
    expect(login.body).toContain('You are logged out.');
  });

  it('sends a signed-in visitor of /login and /signup to the Sandbox', async () => {
    const agent = await signedIn(t, await newUser(t));
    expect((await agent.get('/login')).headers.location).toBe('/sandbox');
    expect((await agent.get('/signup')).headers.location).toBe('/sandbox');
  });
});

describe('CSRF (R13.1)', () => {
  it('refuses a POST without a token with 403 and changes nothing', async () => {
    const agent = t.agent();
    await agent.get('/signup');
    const res = await agent.post('/signup', signUpFields({ email: 'csrf@example.com' }), { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form has expired');
    expect(await t.knex('users').where({ email: 'csrf@example.com' })).toHaveLength(0);
  });

  it('refuses a token from another visitor', async () => {
    const other = t.agent();
    const stolen = await other.token();
    const agent = t.agent();
    await agent.get('/login');
    const res = await agent.post('/logout', { _csrf: stolen }, { csrf: false });
    expect(res.statusCode).toBe(403);
  });

  it('accepts the token in the header htmx sends', async () => {
    const agent = await signedIn(t, await newUser(t));
    const token = await agent.token();
    const res = await agent.post('/logout', {}, { csrf: false, headers: { 'x-csrf-token': token, 'hx-request': 'true' } });
    expect(res.statusCode).toBe(303);
  });
});

describe('rate limits (R13.1)', () => {
  it('answers 429 once the login limit is reached', async () => {
    const limited = await startTestApp({ config: { authRateLimit: 3 } });
    try {
      const agent = limited.agent('10.1.2.3');
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await agent.post('/login', { email: 'x@example.com', password: 'wrong-password' })).statusCode);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const signup = limited.agent('10.9.9.9');
      for (let i = 0; i < 3; i++) await signup.post('/signup', { name: '', email: '', password: '' });
      expect((await signup.post('/signup', { name: '', email: '', password: '' })).statusCode).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('sessions in the database', () => {
  it('survive a restart of the server', async () => {
    const user = await newUser(t, { name: 'Persistent Pat' });
    const agent = await signedIn(t, user);
    const cookie = `orgplane.sid=${agent.cookie('orgplane.sid')}`;
    // A second instance on the same database, as after a restart or behind a load balancer.
    const second = await buildApp(t.deps);
    try {
      const res = await second.inject({ method: 'GET', url: '/sandbox', headers: { cookie } });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Persistent Pat');
    } finally {
      await second.close();
    }
  });
});

describe('pages and errors', () => {
  it('asks a visitor to log in for the Sandbox and comes back after', async () => {
    const res = await t.agent().get('/sandbox');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fsandbox');
  });

  it('shows a 404 page in the site layout', async () => {
    const res = await t.agent().get('/no-such-page');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('Page not found');
    expect(res.body).toContain('class="site-header"');
  });

  it('shows a 500 page without details, and logs the error', async () => {
    const app = await buildApp(t.deps);
    app.get('/boom', async () => {
      throw new Error('secret internal detail');
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/boom' });
      expect(res.statusCode).toBe(500);
      expect(res.body).toContain('Something went wrong');
      expect(res.body).not.toContain('secret internal detail');
    } finally {
      await app.close();
    }
  });

  it('serves htmx from the package, and the stylesheet', async () => {
    const htmx = await t.agent().get('/static/vendor/htmx.min.js');
    expect(htmx.statusCode).toBe(200);
    expect(htmx.body).toContain('htmx');
    expect((await t.agent().get('/static/css/app.css')).statusCode).toBe(200);
  });

  it('sends security headers (helmet)', async () => {
    const res = await t.agent().get('/login');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sets the session cookie httpOnly and SameSite=Lax', async () => {
    const user = await newUser(t);
    const res = await t.agent().post('/login', { email: user.email, password: user.password });
    const sid = res.cookies.find((c) => c.name === 'orgplane.sid');
    expect(sid?.httpOnly).toBe(true);
    expect(sid?.sameSite).toBe('Lax');
  });
});

export { Agent };
