import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { digestSubject } from '../rate-limits/limiter.ts';
import { normalizeEmail } from './queries.ts';

/**
 * R13.3: a browser that has logged in to an account before. A successful
 * log-in leaves a signed cookie naming a random id of this browser, the
 * account (the digest of its email) and the account's credentials mark; on
 * a later attempt at that account the browser is counted on its own bucket
 * instead of the account's (log-in.ts), so someone who pauses the account's
 * log-in with wrong guesses does not lock its owner out of the browsers they
 * use. Nobody gets such a cookie without the password, the signature
 * (SESSION_SECRET) cannot be forged, and a new password, a reset or "Sign
 * out other sessions" (a new mark) makes every such cookie a stranger again.
 */
export const KNOWN_BROWSER_COOKIE = 'orgplane.known';
const KNOWN_BROWSER_MAX_AGE_S = 365 * 86_400;
const ID = /^[A-Za-z0-9_-]{22}$/;

export interface KnownBrowser {
  id: string;
  /** The account's credentials mark when this browser logged in (0: none). */
  mark: number;
}

/** What this browser's cookie says about the account of `email`: null when it names another account, or nothing valid. */
export function knownBrowserFor(request: FastifyRequest, email: string): KnownBrowser | null {
  const raw = request.cookies[KNOWN_BROWSER_COOKIE];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return null;
  const [id = '', account = '', mark = ''] = unsigned.value.split('.');
  if (!ID.test(id) || account !== digestSubject(normalizeEmail(email)) || !/^\d{1,16}$/.test(mark)) return null;
  return { id, mark: Number(mark) };
}

/** After a successful log-in: this browser is known to the account under its current mark (the same id if it already was). */
export function rememberBrowser(request: FastifyRequest, reply: FastifyReply, user: { email: string; credentialsChangedAt: number | null }, secure: boolean): void {
  const id = knownBrowserFor(request, user.email)?.id ?? randomBytes(16).toString('base64url');
  reply.setCookie(KNOWN_BROWSER_COOKIE, `${id}.${digestSubject(normalizeEmail(user.email))}.${user.credentialsChangedAt ?? 0}`, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure,
    signed: true,
    maxAge: KNOWN_BROWSER_MAX_AGE_S,
  });
}
