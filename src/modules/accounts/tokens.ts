/**
 * R1.4: the links mailed for a password reset or an email change carry a
 * random token of their own (src/tokens.ts); only its hash is stored.
 */
export { hashLinkToken, looksLikeLinkToken, newLinkToken } from '../../tokens.ts';

/** A "Forgot password?" link works for one hour, once. */
export const PASSWORD_RESET_TTL_MS = 3_600_000;
/** At most this many usable reset links per account at a time; more requests send nothing. */
export const MAX_LIVE_PASSWORD_RESETS = 3;
/** A new address has a day to be confirmed. */
export const EMAIL_CHANGE_TTL_MS = 24 * 3_600_000;
