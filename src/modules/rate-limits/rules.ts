import type { Config } from '../../config.ts';
import type { RateLimitRule } from './gcra.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Every rate limit of the application, as one table (R13.1, R13.3). Each rule
 * is a token bucket (gcra.ts): `limit` per `periodMs` sustained, `burst` at
 * once. Who is counted (the subject) is said where the rule is used.
 */
export interface RateLimitRules {
  /** Log-in attempts per client address (AUTH_RATE_LIMIT a minute). */
  logInByAddress: RateLimitRule;
  /** Log-in attempts per account (the email typed): five at once, then one a minute. */
  logInByAccount: RateLimitRule;
  /** Failed log-ins per account: ten in an hour pause the account's log-in (see `accountPauseMs`). */
  failedLogInsByAccount: RateLimitRule;
  /** Log-in attempts from a browser that logged in to the account before (accounts/known-browser.ts), instead of the account's two buckets: five at once, then one a minute. */
  logInByKnownBrowser: RateLimitRule;
  /** Sign-ups per client address (AUTH_RATE_LIMIT a minute). */
  signUpByAddress: RateLimitRule;
  /** "Forgot password?" requests per client address (AUTH_RATE_LIMIT a minute), R1.4. */
  passwordResetByAddress: RateLimitRule;
  /** Current-password checks on the account page (email and password changes) per user: five at once, then one a minute, R1.4. */
  accountPasswordChecksByUser: RateLimitRule;
  /** Invitations sent per inviting user. */
  invitationsByUser: RateLimitRule;
  /** Password guesses per shared dashboard and client address. */
  unlockByDashboardAndAddress: RateLimitRule;
  /** Password guesses per client address over every dashboard: thirty at once, then one a minute, so many dashboards do not multiply a guesser's allowance. */
  unlockByAddress: RateLimitRule;
  /** State reports per device (DEVICE_RATE_LIMIT a minute, bursts of a tenth of it). */
  deviceReports: RateLimitRule;
  /** REST API calls per token (R16.3): API_RATE_LIMIT a minute, bursts of a fifth of it. */
  apiByToken: RateLimitRule;
  /** REST API invitation look-ups and answers by token (orgInvites, which need no API token) per client address: thirty at once, then one every two seconds. */
  apiInvitationsByAddress: RateLimitRule;
}

/** How long an account's log-in stays paused after too many failures. */
export const ACCOUNT_PAUSE_MS = 15 * MINUTE;

export function rateLimitRules(config: Pick<Config, 'authRateLimit' | 'deviceRateLimit' | 'apiRateLimit'>): RateLimitRules {
  return {
    logInByAddress: { name: 'login.address', limit: config.authRateLimit, periodMs: MINUTE, burst: config.authRateLimit },
    logInByAccount: { name: 'login.account', limit: 1, periodMs: MINUTE, burst: 5 },
    failedLogInsByAccount: { name: 'login.failures', limit: 10, periodMs: HOUR, burst: 10 },
    logInByKnownBrowser: { name: 'login.known-browser', limit: 1, periodMs: MINUTE, burst: 5 },
    signUpByAddress: { name: 'signup.address', limit: config.authRateLimit, periodMs: MINUTE, burst: config.authRateLimit },
    passwordResetByAddress: { name: 'reset.address', limit: config.authRateLimit, periodMs: MINUTE, burst: config.authRateLimit },
    accountPasswordChecksByUser: { name: 'account.password', limit: 1, periodMs: MINUTE, burst: 5 },
    invitationsByUser: { name: 'invite.user', limit: 30, periodMs: MINUTE, burst: 30 },
    unlockByDashboardAndAddress: { name: 'unlock.dashboard-address', limit: 10, periodMs: MINUTE, burst: 10 },
    unlockByAddress: { name: 'unlock.address', limit: 60, periodMs: HOUR, burst: 30 },
    apiByToken: { name: 'api.token', limit: config.apiRateLimit, periodMs: MINUTE, burst: Math.max(1, Math.floor(config.apiRateLimit / 5)) },
    apiInvitationsByAddress: { name: 'api.invites.address', limit: 30, periodMs: MINUTE, burst: 30 },
    deviceReports: { name: 'device', limit: config.deviceRateLimit, periodMs: MINUTE, burst: Math.max(1, Math.floor(config.deviceRateLimit / 10)) },
  };
}
