import { createHash, randomBytes } from 'node:crypto';

/**
 * The tokens in links mailed to people (invitations R4.1, password resets and
 * email changes R1.4): 32 random bytes, base64url in the link; only their
 * SHA-256 is stored, so a copy of the database opens nothing.
 */
export function newLinkToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 43 base64url characters: anything else is not one of our links, without asking the database. */
export const looksLikeLinkToken = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);
