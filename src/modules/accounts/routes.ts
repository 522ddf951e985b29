import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fieldErrors, formBody, safeNext, formText } from '../../http/forms.ts';
import { renderPage, seeOther, setFlash } from '../../http/render.ts';
import { clientAddress, clientSubject, setRetryAfter, waitInWords } from '../rate-limits/http.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { accountPageRoutes } from './account-routes.ts';
import type { Deps } from '../../deps.ts';
import { knownBrowserFor, rememberBrowser } from './known-browser.ts';
import { logIn } from './log-in.ts';
import type { User } from './queries.ts';
import { logInSchema, PASSWORD_MIN, signUpSchema } from './schemas.ts';
import { signUp } from './sign-up.ts';
import { assertNever } from '../../assert-never.ts';

type FormState = {
  values: { name?: string; email?: string };
  errors: Record<string, string>;
  next?: string | undefined;
  /** The invitation the visitor came from (R4.1): named on the page, its email prefilled. */
  invitation?: InvitationBehind | null;
};

/** What the sign-up and log-in forms say of the invitation a visitor came from (R4.1). */
export interface InvitationBehind {
  organizationName: string;
  inviterName: string;
  roleLabel: string;
  email: string;
}

/**
 * Accounts sit below invitations (modules/README.md), so app.ts hands in how
 * to read the invitation behind a `next` link (invitations/invitation-behind.ts).
 */
export interface AccountRoutesOptions {
  invitationBehind: (deps: Pick<Deps, 'db' | 'clock'>, next: string | undefined) => Promise<InvitationBehind | null>;
}

const str = (v: unknown) => formText(v, 400);
const SESSION_COOKIE = 'orgplane.sid';

export async function accountRoutes(app: FastifyInstance, { invitationBehind }: AccountRoutesOptions): Promise<void> {
  const { db, clock, config, limiter } = app.deps;
  const rules = rateLimitRules(config);

  const withInvitation = async (state: FormState) => ({ ...state, invitation: state.invitation !== undefined ? state.invitation : await invitationBehind(app.deps, state.next) });
  const showSignUp = async (req: FastifyRequest, reply: FastifyReply, state: FormState, status = 200) =>
    renderPage(req, reply, 'pages/signup.eta', { ...(await withInvitation(state)), passwordMin: PASSWORD_MIN }, { status, title: 'Sign up · Orgplane' });
  const showLogIn = async (req: FastifyRequest, reply: FastifyReply, state: FormState, status = 200) =>
    renderPage(req, reply, 'pages/login.eta', await withInvitation(state), { status, title: 'Log in · Orgplane' });

  /**
   * Starts a fresh session for the user: a new id and a new CSRF secret at
   * every log-in (R13.1, R13.4), named for the account page's list (R1.4).
   */
  async function startSession(request: FastifyRequest, reply: FastifyReply, user: User) {
    await request.session.regenerate();
    request.session.userId = user.id;
    // R1.4: signed in under the account's current credentials; a later change ends this session.
    request.session.credentialsChangedAt = user.credentialsChangedAt;
    request.session.signedInAt = clock.now().getTime();
    request.session.userAgent = formText(request.headers['user-agent'], 400);
    reply.generateCsrf();
  }

  /** Where a new session lands without a `next`: platform admins in the back-office. */
  const home = (user: { isPlatformAdmin: boolean }) => (user.isPlatformAdmin ? '/admin' : '/sandbox');

  /** R13.3: attempts per client address; a refusal re-renders the form with 429 and Retry-After. */
  async function addressAllows(request: FastifyRequest, reply: FastifyReply, rule: typeof rules.logInByAddress) {
    const admitted = await limiter.take(rule, clientSubject(request));
    if (admitted.ok) return null;
    setRetryAfter(reply, admitted.retryAfterMs);
    return `Too many attempts from your address. Wait ${waitInWords(admitted.retryAfterMs)} and try again.`;
  }

  app.get('/signup', async (request, reply) => {
    const next = safeNext((request.query as Record<string, unknown>).next);
    if (request.user) return seeOther(reply, next ?? home(request.user));
    const invitation = await invitationBehind(app.deps, next);
    return showSignUp(request, reply, { values: { email: invitation?.email ?? '' }, errors: {}, next, invitation });
  });

  app.post('/signup', async (request, reply) => {
    const body = formBody(request.body);
    const next = safeNext(body.next);
    const values = { name: str(body.name), email: str(body.email) };
    const limited = await addressAllows(request, reply, rules.signUpByAddress);
    if (limited) return showSignUp(request, reply, { values, errors: { _form: limited }, next }, 429);
    const parsed = signUpSchema.safeParse(body);
    if (!parsed.success) return showSignUp(request, reply, { values, errors: fieldErrors(parsed.error), next }, 422);
    const result = await signUp(db, clock, { name: parsed.data.name, email: parsed.data.email, password: parsed.data.password, timeZone: parsed.data.time_zone });
    if (!result.ok) {
      switch (result.reason) {
        case 'email_taken':
          return showSignUp(
            request,
            reply,
            { values, errors: { email: 'An account with this email already exists. Log in instead.' }, next },
            409,
          );
        default:
          return assertNever(result.reason);
      }
    }
    await startSession(request, reply, result.user);
    const invitation = await invitationBehind(app.deps, next);
    setFlash(
      reply,
      'success',
      invitation
        ? `Welcome to Orgplane, ${result.user.name}. Accept the invitation below to join ${invitation.organizationName}.`
        : `Welcome to Orgplane, ${result.user.name}. This is your Sandbox.`,
    );
    return seeOther(reply, next ?? '/sandbox');
  });

  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as Record<string, unknown>).next);
    if (request.user) return seeOther(reply, next ?? home(request.user));
    return showLogIn(request, reply, { values: {}, errors: {}, next });
  });

  app.post('/login', async (request, reply) => {
    const body = formBody(request.body);
    const next = safeNext(body.next);
    const values = { email: str(body.email) };
    const limited = await addressAllows(request, reply, rules.logInByAddress);
    if (limited) return showLogIn(request, reply, { values, errors: { _form: limited }, next }, 429);
    const parsed = logInSchema.safeParse(body);
    if (!parsed.success) return showLogIn(request, reply, { values, errors: fieldErrors(parsed.error), next }, 422);
    const result = await logIn(app.deps, parsed.data, { address: clientAddress(request), knownBrowser: knownBrowserFor(request, parsed.data.email) });
    if (!result.ok) {
      switch (result.reason) {
        case 'invalid_credentials':
          return showLogIn(request, reply, { values, errors: { _form: 'Email or password is incorrect.' }, next }, 401);
        case 'account_throttled':
          setRetryAfter(reply, result.retryAfterMs);
          return showLogIn(
            request,
            reply,
            { values, errors: { _form: `Too many failed attempts to log in to this account. Wait ${waitInWords(result.retryAfterMs)} and try again.` }, next },
            429,
          );
        default:
          return assertNever(result);
      }
    }
    await startSession(request, reply, result.user);
    rememberBrowser(request, reply, result.user, config.secureCookies);
    return seeOther(reply, next ?? home(result.user));
  });

  app.post('/logout', async (request, reply) => {
    // The session ends, with its CSRF secret (R13.4); the browser forgets its cookie.
    if (request.session.userId !== undefined) await request.session.destroy();
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    setFlash(reply, 'success', 'You are logged out.');
    return seeOther(reply, '/login');
  });

  await app.register(accountPageRoutes);
}
