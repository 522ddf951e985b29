import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TIME_ZONES, zoneLabel } from '../../format.ts';
import { currentUser, requireUser } from '../../http/auth.ts';
import { notFound } from '../../http/errors.ts';
import { fieldErrors, formBody, formText, type FieldErrors } from '../../http/forms.ts';
import { renderConfirmation } from '../../http/confirm.ts';
import { parseId } from '../../http/ids.ts';
import { datesFor, renderPage, seeOther, setFlash } from '../../http/render.ts';
import { listUserSessions } from '../../http/session-store.ts';
import { clientSubject, setRetryAfter, waitInWords } from '../rate-limits/http.ts';
import type { RateLimitRule } from '../rate-limits/gcra.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { cancelEmailChange, cancelEmailChangeByLink, openEmailChangeCancel, type EmailChangeCancelGone } from './cancel-email-change.ts';
import { changePassword } from './change-password.ts';
import { confirmEmailChange, openEmailChange, type EmailChangeGone } from './confirm-email-change.ts';
import { createPersonalToken, findPersonalToken, listPersonalTokens, revokePersonalToken, TOKEN_NAME_MAX } from './personal-tokens.ts';
import { pendingEmailChange } from './queries.ts';
import { requestEmailChange } from './request-email-change.ts';
import { requestPasswordReset } from './request-password-reset.ts';
import { openPasswordReset, resetPassword, type PasswordResetGone } from './reset-password.ts';
import { emailChangeSchema, forgotPasswordSchema, PASSWORD_MIN, passwordChangeSchema, profileSchema, resetPasswordSchema } from './schemas.ts';
import { signOutOtherSessions } from './sign-out-other-sessions.ts';
import { updateProfile } from './update-profile.ts';
import { describeUserAgent } from './user-agent.ts';
import { assertNever } from '../../assert-never.ts';

type TokenParams = { token: string };

/** Which of the account page's forms a re-rendering is for, with its values and messages. */
interface AccountForms {
  profile?: { values: { name: string; time_zone: string }; errors: FieldErrors };
  email?: { values: { email: string }; errors: FieldErrors };
  password?: { errors: FieldErrors };
  tokens?: { values: { name: string; scope: string[]; expires_on: string }; errors: FieldErrors };
  /** A token just made: its value is on this one response only. */
  newToken?: { name: string; token: string };
}

/** R16.2: the scopes the account page offers, as Losant names them. */
export const PAGE_SCOPES: { value: string; label: string }[] = [
  { value: 'all.User', label: 'Everything you can do (all.User)' },
  { value: 'all.User.read', label: 'Read everything you can see (all.User.read)' },
  { value: 'all.Organization', label: 'Organizations: what your roles allow (all.Organization)' },
  { value: 'all.Organization.read', label: 'Read organizations (all.Organization.read)' },
  { value: 'all.Application', label: 'Applications and devices: what your roles allow (all.Application)' },
  { value: 'all.Application.read', label: 'Read applications and devices (all.Application.read)' },
];

/** 00:00 of a calendar day in a time zone, as an instant. */
export function startOfDayIn(timeZone: string, year: number, month: number, day: number): Date {
  const offsetAt = (t: number) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
        .formatToParts(new Date(t))
        .map((p) => [p.type, p.value]),
    );
    return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) - t;
  };
  const guess = Date.UTC(year, month - 1, day);
  let t = guess - offsetAt(guess);
  t = guess - offsetAt(t);
  return new Date(t);
}

const LINK_GONE: Record<PasswordResetGone | EmailChangeGone | EmailChangeCancelGone | 'not_found', string> = {
  expired: 'This link has expired.',
  // Spent, or closed by what came after it (a newer link, a new password, a cancelled change).
  used: 'This link was already used, or it was cancelled.',
  closed: 'This change was already confirmed or cancelled.',
  not_found: 'This link is not valid. Check that you copied the whole link.',
};

/**
 * R1.4, R1.5: the account page (name and time zone, email, password,
 * sessions), "Forgot password?" and the links mailed for it and for a new
 * email address. The links work without being signed in: they are the proof.
 */
export async function accountPageRoutes(app: FastifyInstance): Promise<void> {
  const deps = app.deps;
  const { db, clock, config, limiter } = deps;
  const rules = rateLimitRules(config);
  /** R13.1, R13.3: forms that check a password or mail somebody take a hit; a refusal says how long to wait (429, Retry-After). */
  async function refusal(reply: FastifyReply, rule: RateLimitRule, subject: string): Promise<string | null> {
    const admitted = await limiter.take(rule, subject);
    if (admitted.ok) return null;
    setRetryAfter(reply, admitted.retryAfterMs);
    return `Too many attempts. Wait ${waitInWords(admitted.retryAfterMs)} and try again.`;
  }
  // The mailed links carry their token in the path: their requests are not logged (R13.4).
  const quiet = { logLevel: 'warn' } as const;

  /**
   * R1.4, R13.4: the session that changed the credentials goes on under the
   * new mark, with a new id (whoever planted or saw the old id has nothing)
   * and a new CSRF secret.
   */
  async function renewSession(request: FastifyRequest, reply: FastifyReply, credentialsChangedAt: number) {
    request.session.credentialsChangedAt = credentialsChangedAt;
    await request.session.regenerate(['userId', 'signedInAt', 'userAgent', 'credentialsChangedAt']);
    reply.generateCsrf();
  }

  async function showAccount(request: FastifyRequest, reply: FastifyReply, forms: AccountForms = {}, status = 200) {
    const user = currentUser(request);
    const now = clock.now();
    const [sessions, pending, tokens] = await Promise.all([listUserSessions(db, user.id, now), pendingEmailChange(db, user.id, now), listPersonalTokens(db, user.id)]);
    const currentSid = request.session.sessionId;
    return renderPage(
      request,
      reply,
      'pages/account/index.eta',
      {
        profile: forms.profile ?? { values: { name: user.name, time_zone: user.timeZone }, errors: {} },
        email: forms.email ?? { values: { email: '' }, errors: {} },
        password: forms.password ?? { errors: {} },
        passwordMin: PASSWORD_MIN,
        timeZones: zoneChoices(user.timeZone, now),
        pendingEmail: pending ? { email: pending.newEmail, expiresAt: pending.expiresAt } : null,
        sessions: sessions.map((s) => ({
          browser: describeUserAgent(s.userAgent),
          signedInAt: s.signedInAt,
          expiresAt: s.expiresAt,
          current: s.sid === currentSid,
        })),
        tokens: tokens.map((t) => ({ ...t, expired: t.expiresAt !== null && t.expiresAt.getTime() <= now.getTime() })),
        tokenForm: forms.tokens ?? { values: { name: '', scope: [], expires_on: '' }, errors: {} },
        pageScopes: PAGE_SCOPES,
        newToken: forms.newToken ?? null,
      },
      { status, title: 'Your account · Orgplane' },
    );
  }

  await app.register(async (signedIn) => {
    signedIn.addHook('preHandler', requireUser);

    signedIn.get('/account', async (request, reply) => showAccount(request, reply));

    signedIn.post('/account/profile', async (request, reply) => {
      const body = formBody(request.body);
      const values = { name: formText(body.name, 400), time_zone: formText(body.time_zone, 100) };
      const parsed = profileSchema.safeParse(values);
      if (!parsed.success) return showAccount(request, reply, { profile: { values, errors: fieldErrors(parsed.error) } }, 422);
      await updateProfile(db, currentUser(request).id, { name: parsed.data.name, timeZone: parsed.data.time_zone });
      setFlash(reply, 'success', `Profile saved. Dates and times are shown in ${parsed.data.time_zone.replaceAll('_', ' ')}.`);
      return seeOther(reply, '/account');
    });

    signedIn.post('/account/email', async (request, reply) => {
      const body = formBody(request.body);
      const values = { email: formText(body.email, 400) };
      const limited = await refusal(reply, rules.accountPasswordChecksByUser, String(currentUser(request).id));
      if (limited) return showAccount(request, reply, { email: { values, errors: { _form: limited } } }, 429);
      const parsed = emailChangeSchema.safeParse({ email: values.email, current_password: formText(body.current_password, 1_000) });
      if (!parsed.success) return showAccount(request, reply, { email: { values, errors: fieldErrors(parsed.error) } }, 422);
      const user = currentUser(request);
      const result = await requestEmailChange(deps, user, { email: parsed.data.email, currentPassword: parsed.data.current_password });
      if (!result.ok) {
        let errors: FieldErrors;
        let status: number;
        switch (result.reason) {
          case 'wrong_password':
            errors = { current_password: 'Your current password is not correct.' };
            status = 401;
            break;
          case 'same_email':
            errors = { email: `${user.email} is already your email address.` };
            status = 422;
            break;
          case 'email_taken':
            errors = { email: 'Another account uses this email address.' };
            status = 409;
            break;
          default:
            return assertNever(result.reason);
        }
        return showAccount(request, reply, { email: { values, errors } }, status);
      }
      setFlash(reply, 'success', `We sent a confirmation link to ${result.newEmail}. Your email stays ${user.email} until you open it.`);
      return seeOther(reply, '/account');
    });

    signedIn.post('/account/email/cancel', async (request, reply) => {
      const cancelled = await cancelEmailChange(deps, currentUser(request).id);
      setFlash(reply, 'success', cancelled ? `Email change cancelled. Your email stays ${currentUser(request).email}, and the link we sent to the new address no longer works.` : 'There was no email change to cancel.');
      return seeOther(reply, '/account#email');
    });

    signedIn.post('/account/password', async (request, reply) => {
      const body = formBody(request.body);
      const limited = await refusal(reply, rules.accountPasswordChecksByUser, String(currentUser(request).id));
      if (limited) return showAccount(request, reply, { password: { errors: { _form: limited } } }, 429);
      const parsed = passwordChangeSchema.safeParse({ current_password: formText(body.current_password, 1_000), new_password: formText(body.new_password, 1_000) });
      if (!parsed.success) return showAccount(request, reply, { password: { errors: fieldErrors(parsed.error) } }, 422);
      const result = await changePassword(deps, currentUser(request), {
        currentPassword: parsed.data.current_password,
        newPassword: parsed.data.new_password,
        keepSessionId: request.session.sessionId,
      });
      if (!result.ok) {
        switch (result.reason) {
          case 'wrong_password':
            return showAccount(request, reply, { password: { errors: { current_password: 'Your current password is not correct.' } } }, 401);
          default:
            return assertNever(result.reason);
        }
      }
      await renewSession(request, reply, result.credentialsChangedAt);
      setFlash(reply, 'success', `Password changed.${signedOutText(result.signedOut)}`);
      return seeOther(reply, '/account');
    });

    // ---- Personal API tokens (R1.4, R16.2) -------------------------------------
    // The value is shown on the response that made it and never again, so there is no redirect here.
    signedIn.post('/account/tokens', async (request, reply) => {
      const user = currentUser(request);
      const body = formBody(request.body);
      const rawScopes = Array.isArray(body.scope) ? body.scope : body.scope === undefined ? [] : [body.scope];
      const values = {
        name: formText(body.name, TOKEN_NAME_MAX + 1),
        scope: rawScopes.map((v) => formText(v, 64)).slice(0, PAGE_SCOPES.length * 2),
        expires_on: formText(body.expires_on, 20),
      };
      let expiresAt: Date | null = null;
      if (values.expires_on !== '') {
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(values.expires_on);
        const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
        const valid = m !== null && mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate() && y < 10000;
        if (!valid) return showAccount(request, reply, { tokens: { values, errors: { expires_on: 'Enter the date as YYYY-MM-DD, or leave it empty for a token that does not expire.' } } }, 422);
        // The token works through the chosen day, in the user's time zone.
        const next = new Date(Date.UTC(y, mo - 1, d + 1));
        expiresAt = startOfDayIn(user.timeZone, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
      }
      const offered = new Set(PAGE_SCOPES.map((p) => p.value));
      const result = await createPersonalToken(deps, user, { name: values.name, scopes: values.scope, expiresAt }, (scope) =>
        offered.has(scope) ? null : 'Choose scopes from the list.',
      );
      if (!result.ok) {
        const field = result.field === 'expirationDate' ? 'expires_on' : result.field;
        const message = result.field === 'expirationDate' ? 'Choose a day from today on, or leave it empty.' : result.message;
        return showAccount(request, reply, { tokens: { values, errors: { [field]: message } } }, result.status === 409 ? 409 : 422);
      }
      reply.header('Cache-Control', 'no-store');
      return showAccount(request, reply, { newToken: { name: result.apiToken.name, token: result.token } }, 201);
    });

    // Revoking ends every script that uses the token: asked on a page of its own (http/confirm.ts).
    signedIn.get<{ Params: { id: string } }>('/account/tokens/:id/revoke', async (request, reply) => {
      const user = currentUser(request);
      const id = parseId(request.params.id);
      const token = id === null ? undefined : await findPersonalToken(db, user.id, id);
      if (!token) throw notFound('That API token does not exist any more.');
      const dates = datesFor(request);
      return renderConfirmation(request, reply, {
        question: `Revoke the API token ${token.name}?`,
        consequences: [
          `Every script or service that uses it is refused from the moment you confirm${token.lastUsedAt ? `; it was last used ${dates.dateTime(token.lastUsedAt)}` : '; it has not been used yet'}. A revoked token cannot be restored: make a new one if you need it again.`,
        ],
        action: `/account/tokens/${token.id}/revoke`,
        button: 'Revoke token',
        cancelHref: '/account#api-tokens',
      });
    });

    signedIn.post<{ Params: { id: string } }>('/account/tokens/:id/revoke', async (request, reply) => {
      const user = currentUser(request);
      const id = parseId(request.params.id);
      const token = id === null ? undefined : await findPersonalToken(db, user.id, id);
      if (!token || !(await revokePersonalToken(db, user.id, token.id))) throw notFound('That API token does not exist any more.');
      setFlash(reply, 'success', `API token ${token.name} revoked. Calls made with it are refused from now on.`);
      return seeOther(reply, '/account#api-tokens');
    });

    signedIn.post('/account/sessions/sign-out-others', async (request, reply) => {
      const { ended, credentialsChangedAt } = await signOutOtherSessions(deps, currentUser(request).id, request.session.sessionId);
      await renewSession(request, reply, credentialsChangedAt);
      setFlash(reply, 'success', ended ? `Signed out of ${ended} other session${ended === 1 ? '' : 's'}.` : 'There were no other sessions to sign out.');
      return seeOther(reply, '/account#sessions');
    });
  });

  // ---- A new email address, confirmed by the link mailed to it ----------------
  const linkGone = (request: FastifyRequest, reply: FastifyReply, reason: keyof typeof LINK_GONE, what: 'reset' | 'email' | 'cancel') =>
    renderPage(
      request,
      reply,
      'pages/account/link-gone.eta',
      { message: LINK_GONE[reason], what },
      { status: reason === 'not_found' ? 404 : 410, title: 'Link no longer valid · Orgplane' },
    );

  app.get<{ Params: TokenParams }>('/confirm-email/:token', quiet, async (request, reply) => {
    const opened = await openEmailChange(deps, request.params.token);
    if (!opened.ok) return linkGone(request, reply, opened.reason, 'email');
    reply.header('Referrer-Policy', 'no-referrer');
    return renderPage(
      request,
      reply,
      'pages/account/confirm-email.eta',
      { token: request.params.token, newEmail: opened.change.newEmail, currentEmail: opened.user.email },
      { title: 'Confirm your new email address · Orgplane' },
    );
  });

  app.post<{ Params: TokenParams }>('/confirm-email/:token', quiet, async (request, reply) => {
    const result = await confirmEmailChange(deps, request.params.token);
    if (!result.ok) {
      switch (result.reason) {
        case 'email_taken':
          setFlash(reply, 'error', 'Another account started using that email address meanwhile, so your email was not changed.');
          return seeOther(reply, request.user ? '/account' : '/login');
        case 'not_found':
        case 'expired':
        case 'used':
          return linkGone(request, reply, result.reason, 'email');
        default:
          return assertNever(result.reason);
      }
    }
    setFlash(reply, 'success', `Your email address is now ${result.user.email}. Use it to log in.`);
    return seeOther(reply, request.user?.id === result.user.id ? '/account' : '/login');
  });

  // ---- Cancelling a new email address, by the link mailed to the current one --
  app.get<{ Params: TokenParams }>('/cancel-email-change/:token', quiet, async (request, reply) => {
    const opened = await openEmailChangeCancel(deps, request.params.token);
    if (!opened.ok) return linkGone(request, reply, opened.reason, 'cancel');
    reply.header('Referrer-Policy', 'no-referrer');
    return renderPage(
      request,
      reply,
      'pages/account/cancel-email-change.eta',
      { token: request.params.token, newEmail: opened.change.newEmail, currentEmail: opened.user.email },
      { title: 'Cancel the email change · Orgplane' },
    );
  });

  app.post<{ Params: TokenParams }>('/cancel-email-change/:token', quiet, async (request, reply) => {
    const result = await cancelEmailChangeByLink(deps, request.params.token);
    if (!result.ok) return linkGone(request, reply, result.reason, 'cancel');
    setFlash(
      reply,
      'success',
      `Cancelled: your account keeps ${result.user.email}, and the link sent to ${result.change.newEmail} no longer works. If you did not ask for the change, set a new password now.`,
    );
    return seeOther(reply, request.user?.id === result.user.id ? '/account' : '/password/forgot');
  });

  // ---- Forgot password? -----------------------------------------------------
  const showForgot = (request: FastifyRequest, reply: FastifyReply, values: { email: string }, errors: FieldErrors, status = 200) =>
    renderPage(request, reply, 'pages/account/forgot.eta', { values, errors }, { status, title: 'Forgot password · Orgplane' });

  app.get<{ Querystring: { email?: string } }>('/password/forgot', async (request, reply) =>
    showForgot(request, reply, { email: formText(request.query.email, 320) }, {}),
  );

  app.post('/password/forgot', async (request, reply) => {
    const values = { email: formText(formBody(request.body).email, 400) };
    const limited = await refusal(reply, rules.passwordResetByAddress, clientSubject(request));
    if (limited) return showForgot(request, reply, values, { _form: limited }, 429);
    const parsed = forgotPasswordSchema.safeParse(values);
    if (!parsed.success) return showForgot(request, reply, values, fieldErrors(parsed.error), 422);
    const { delivery } = await requestPasswordReset(deps, parsed.data.email);
    delivery.catch((err: unknown) => request.log.error({ err }, 'the password reset email could not be sent'));
    // The same answer whether or not an account has this address (R1.4).
    setFlash(
      reply,
      'success',
      `If an account uses ${parsed.data.email}, we have emailed it a link to set a new password. The link works once, for one hour. No email? Check the address and your spam folder.`,
    );
    return seeOther(reply, '/password/forgot');
  });

  const showReset = (request: FastifyRequest, reply: FastifyReply, token: string, email: string, errors: FieldErrors, status = 200) => {
    // The token is in this page's address: no Referer carries it elsewhere.
    reply.header('Referrer-Policy', 'no-referrer');
    return renderPage(request, reply, 'pages/account/reset.eta', { token, email, errors, passwordMin: PASSWORD_MIN }, { status, title: 'Set a new password · Orgplane' });
  };

  app.get<{ Params: TokenParams }>('/password/reset/:token', quiet, async (request, reply) => {
    const opened = await openPasswordReset(deps, request.params.token);
    if (!opened.ok) return linkGone(request, reply, opened.reason, 'reset');
    return showReset(request, reply, request.params.token, opened.user.email, {});
  });

  app.post<{ Params: TokenParams }>('/password/reset/:token', quiet, async (request, reply) => {
    const opened = await openPasswordReset(deps, request.params.token);
    if (!opened.ok) return linkGone(request, reply, opened.reason, 'reset');
    const parsed = resetPasswordSchema.safeParse({ new_password: formText(formBody(request.body).new_password, 1_000) });
    if (!parsed.success) return showReset(request, reply, request.params.token, opened.user.email, fieldErrors(parsed.error), 422);
    const result = await resetPassword(deps, request.params.token, parsed.data.new_password);
    if (!result.ok) return linkGone(request, reply, result.reason, 'reset');
    // Every session of the account ended, this browser's too if it was signed in.
    if (request.session.userId !== undefined) await request.session.destroy();
    setFlash(reply, 'success', 'Your new password is set and every session of your account was signed out. Log in with the new password.');
    return seeOther(reply, '/login');
  });
}

const signedOutText = (n: number) => (n === 0 ? '' : ` ${n} other session${n === 1 ? ' was' : 's were'} signed out.`);

/** The time zone picker's options: every zone with its offset now, the user's own even if the list lacks it. */
function zoneChoices(current: string, now: Date) {
  const zones = TIME_ZONES.includes(current) ? TIME_ZONES : [current, ...TIME_ZONES];
  return zones.map((zone) => ({ value: zone, label: zoneLabel(zone, now) }));
}
