import { createHash, randomBytes } from 'node:crypto';

/**
 * R1.4: the links mailed for a password reset or an email change carry 32
 * random bytes; only their SHA-256 is stored, so a copy of the database opens
 * no account.
 */
export function newLinkToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const looksLikeLinkToken = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);

/** A "Forgot password?" link works for one hour, once. */
export const PASSWORD_RESET_TTL_MS = 3_600_000;
/** At most this many usable reset links per account at a time; more requests send nothing. */
export const MAX_LIVE_PASSWORD_RESETS = 3;
/** A new address has a day to be confirmed. */
export const EMAIL_CHANGE_TTL_MS = 24 * 3_600_000;
