import { createHash, randomBytes } from 'node:crypto';

/** R4.1: 32 random bytes in the link; only their SHA-256 is stored. */
export function newInvitationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashInvitationToken(token) };
}

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const looksLikeToken = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);

export const INVITATION_TTL_MS = 7 * 86_400_000;
