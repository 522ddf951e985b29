// R16.2: the REST API's authentication, through Losant's own client
// (losant-rest): log-in tokens, bearer only, no cookies, tokens end with the
// credentials they were made under, expiry, errors as { type, message }.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markCredentialsChanged } from '../../../src/modules/accounts/queries.ts';
import { toApiId } from '../../../src/modules/api/ids.ts';
import { expectSchema, refusalOf, startApiServer, type ApiTestServer } from '../../support/api.ts';
import { newUser, signedIn, type TestUser } from '../../support/builders.ts';

let t: ApiTestServer;
let ada: TestUser;

beforeAll(async () => {
  t = await startApiServer();
  ada = await newUser(t, { name: 'Ada King Lovelace' });
});
afterAll(async () => t.close());

describe('POST /api/auth/user (auth.authenticateUser)', () => {
  it('trades an email and password for a token that speaks for the user', async () => {
    const auth = await t.client().auth.authenticateUser({ credentials: { email: ada.email, password: ada.password } });
    expectSchema('authedUser', auth);
    expect(auth.userId).toBe(toApiId(ada.id));
    const me = await t.client(auth.token).me.get();
    expectSchema('me', me);
    expect(me).toMatchObject({ id: toApiId(ada.id), email: ada.email, firstName: 'Ada', lastName: 'King Lovelace', fullName: 'Ada King Lovelace' });
  });

  it('a wrong password is 401 Unauthorized; no token', async () => {
    const refusal = await refusalOf(t.client().auth.authenticateUser({ credentials: { email: ada.email, password: 'not the password' } }));
    expect(refusal).toMatchObject({ statusCode: 401, type: 'Unauthorized', message: 'Email or password is incorrect.' });
  });

  it('a body without a password is 400 Validation, not a 500', async () => {
    const refusal = await refusalOf(t.client().auth.authenticateUser({ credentials: { email: ada.email } }));
    expect(refusal).toMatchObject({ statusCode: 400, type: 'Validation' });
    expect(refusal.message).toMatch(/password/);
  });

  it('an unknown requested scope is 400', async () => {
    const refusal = await refusalOf(t.client().auth.authenticateUser({ credentials: { email: ada.email, password: ada.password, requestedScopes: ['all.Everything'] } }));
    expect(refusal).toMatchObject({ statusCode: 400, type: 'Validation', message: 'Unknown scope all.Everything.' });
  });

  it('a token limited to other scopes is 403 Forbidden for me.get', async () => {
    const auth = await t.client().auth.authenticateUser({ credentials: { email: ada.email, password: ada.password, requestedScopes: ['orgs.get'] } });
    const refusal = await refusalOf(t.client(auth.token).me.get());
    expect(refusal).toMatchObject({ statusCode: 403, type: 'Forbidden' });
  });
});

describe('bearer tokens only (R16.2)', () => {
  it('without a token: 401 with WWW-Authenticate; with a garbage token: 401', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toMatchObject({ type: 'Unauthorized' });
    expect((await refusalOf(t.client('opl_' + 'x'.repeat(43)).me.get())).statusCode).toBe(401);
  });

  it('reads no cookies: a signed-in session cookie does not authenticate, and no session is started', async () => {
    const agent = await signedIn(t, ada);
    const cookie = `orgplane.sid=${agent.cookie('orgplane.sid')}`;
    const res = await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    // And a state-changing call needs no CSRF token, only the bearer.
    const token = await t.tokenFor(ada);
    const ok = await t.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['set-cookie']).toBeUndefined();
  });

  it('a token ends when the account’s credentials change (new password, reset, sign out others: R1.4)', async () => {
    const user = await newUser(t);
    const token = await t.tokenFor(user);
    expect((await t.client(token).me.get()).email).toBe(user.email);
    t.clock.advance(1_000);
    await markCredentialsChanged(t.deps.db, user.id, t.clock.now());
    const refusal = await refusalOf(t.client(token).me.get());
    expect(refusal).toMatchObject({ statusCode: 401, type: 'Unauthorized' });
    expect(refusal.message).toMatch(/password changed/);
  });

  it('a token with tokenTTL expires', async () => {
    const user = await newUser(t);
    const auth = await t.client().auth.authenticateUser({ credentials: { email: user.email, password: user.password, tokenTTL: 60 } });
    expect((await t.client(auth.token).me.get()).email).toBe(user.email);
    t.clock.advance(61_000);
    const refusal = await refusalOf(t.client(auth.token).me.get());
    expect(refusal).toMatchObject({ statusCode: 401, message: expect.stringMatching(/expired/) });
  });

  it('without a token a call is 401 whatever its body: the token is checked before the body is validated', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/orgs', headers: { 'content-type': 'application/json' }, payload: { name: 7, nonsense: true } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ type: 'Unauthorized' });
  });

  it('an unknown API address is a 404 NotFound in the API format', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/no-such-thing' });
    expect(res.statusCode).toBe(404);
    expectSchema('error', res.json());
    expect(res.json()).toMatchObject({ type: 'NotFound' });
  });

  it('a token is limited to its rate (R16.3): 429 TooManyRequests with Retry-After', async () => {
    const user = await newUser(t);
    const token = await t.tokenFor(user);
    const { burst } = { burst: 120 };
    let refused: { statusCode: number; headers: Record<string, unknown>; body: string } | undefined;
    for (let i = 0; i <= burst && !refused; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
      if (res.statusCode === 429) refused = res;
      else expect(res.statusCode).toBe(200);
    }
    expect(refused?.statusCode).toBe(429);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(refused!.body)).toMatchObject({ type: 'TooManyRequests' });
  });
});
