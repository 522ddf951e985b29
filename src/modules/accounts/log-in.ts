import type { Deps } from '../../deps.ts';
import { datesIn } from '../../format.ts';
import { digestSubject } from '../rate-limits/limiter.ts';
import { ACCOUNT_PAUSE_MS, rateLimitRules } from '../rate-limits/rules.ts';
import type { KnownBrowser } from './known-browser.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { findCredentials, normalizeEmail, type User } from './queries.ts';
import type { LogInInput } from './schemas.ts';

export type LogInResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid_credentials' }
  /** R13.3: too many failed attempts on this account lately; nothing was checked. */
  | { ok: false; reason: 'account_throttled'; retryAfterMs: number };

/**
 * R1.1, R13.3: checks an email and password. Attempts on one account are
 * limited whatever address they come from — five at once, then one a minute
 * (logInByAccount) — and the eleventh failure within an hour pauses the
 * account's log-in for 15 minutes, with an email to its owner. A refused
 * attempt costs no password hash. An unknown email is limited the same way
 * (no mail goes anywhere), so the answers do not tell which accounts exist.
 * A successful log-in forgets the account's failures: only failures stay
 * charged.
 *
 * A browser that logged in to this account before, under its current
 * credentials (known-browser.ts), is counted on a bucket of its own instead
 * (logInByKnownBrowser, the same five then one a minute): wrong guesses from
 * elsewhere neither slow nor pause its owner, and its own success leaves the
 * account's buckets as they are, so the pause still holds for the others.
 */
export async function logIn(
  deps: Pick<Deps, 'db' | 'config' | 'limiter' | 'mailer' | 'clock'>,
  input: LogInInput,
  context: { address: string; knownBrowser?: KnownBrowser | null },
): Promise<LogInResult> {
  const { db, limiter } = deps;
  const rules = rateLimitRules(deps.config);
  const account = digestSubject(normalizeEmail(input.email));
  const found = await findCredentials(db, input.email);
  const known = context.knownBrowser && found && context.knownBrowser.mark === (found.user.credentialsChangedAt ?? 0) ? context.knownBrowser : null;

  if (known) {
    const browser = `${account}:${known.id}`;
    const admitted = await limiter.take(rules.logInByKnownBrowser, browser);
    if (!admitted.ok) return { ok: false, reason: 'account_throttled', retryAfterMs: admitted.retryAfterMs };
    if (!(await verifyPassword(found!.passwordHash, input.password))) return { ok: false, reason: 'invalid_credentials' };
    await limiter.reset(rules.logInByKnownBrowser, browser);
    return { ok: true, user: found!.user };
  }

  const admitted = await limiter.take(rules.logInByAccount, account);
  if (!admitted.ok) return { ok: false, reason: 'account_throttled', retryAfterMs: admitted.retryAfterMs };
  const valid = found ? await verifyPassword(found.passwordHash, input.password) : await verifyPassword(await dummyPasswordHash(), input.password).then(() => false);
  if (found && valid) {
    await limiter.reset(rules.logInByAccount, account);
    await limiter.reset(rules.failedLogInsByAccount, account);
    return { ok: true, user: found.user };
  }

  const failure = await limiter.take(rules.failedLogInsByAccount, account);
  if (!failure.ok) {
    await limiter.pause(rules.logInByAccount, account, ACCOUNT_PAUSE_MS);
    if (found) await sendLogInPausedEmail(deps, found.user, context.address);
    return { ok: false, reason: 'account_throttled', retryAfterMs: ACCOUNT_PAUSE_MS };
  }
  return { ok: false, reason: 'invalid_credentials' };
}

async function sendLogInPausedEmail(deps: Pick<Deps, 'mailer' | 'clock'>, user: User, address: string) {
  const minutes = Math.round(ACCOUNT_PAUSE_MS / 60_000);
  const at = datesIn(user.timeZone).dateTime(deps.clock.now()); // in the owner's time zone (R1.5)
  await deps.mailer.send({
    to: user.email,
    kind: 'login_paused',
    subject: 'Log-in to your Orgplane account is paused for a while',
    text: [
      `Hello ${user.name},`,
      '',
      `Someone tried to log in to your Orgplane account with a wrong password many times in the last hour, most recently at ${at} from the address ${address}.`,
      `To protect the account, log-in is paused for ${minutes} minutes. Nobody got in: a wrong password never opens the account.`,
      '',
      'If it was you, wait and try again with the right password.',
      'If it was not you, your password held; choose a new, unique one after the pause if you use it anywhere else.',
    ].join('\n'),
  });
}
