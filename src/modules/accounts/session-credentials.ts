import type { User } from './queries.ts';

/**
 * R1.4: whether a session still speaks for its user. It remembers the user's
 * credentials mark (users.credentials_changed_at) from when it signed in, or
 * from the change it made itself; any later change — a new password, a
 * reset, "Sign out other sessions" — gives the user a new mark, and every
 * session holding another one is over. Comparing marks rather than times
 * needs no clock to agree: the demo clock can move backwards (R11.3).
 * A session from before marks existed holds none, and is good until the
 * first change.
 */
export function sessionHoldsCredentials(session: { credentialsChangedAt?: number | null }, user: Pick<User, 'credentialsChangedAt'>): boolean {
  if (user.credentialsChangedAt === null) return true;
  return session.credentialsChangedAt === user.credentialsChangedAt;
}
