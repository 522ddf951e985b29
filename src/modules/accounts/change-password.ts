import type { Deps } from '../../deps.ts';
import { destroyUserSessions } from '../../http/session-store.ts';
import { sendPasswordChangedEmail } from './emails.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { closePasswordResets, findPasswordHash, setPassword, type User } from './queries.ts';

export type ChangePasswordResult = { ok: true; signedOut: number } | { ok: false; reason: 'wrong_password' };

/**
 * R1.4: a new password, with the current one. Every other session of the
 * account is signed out (the one making the change stays), reset links sent
 * before stop working, and the owner is told by email.
 */
export async function changePassword(
  deps: Pick<Deps, 'db' | 'clock' | 'mailer'>,
  user: User,
  input: { currentPassword: string; newPassword: string; keepSessionId: string },
): Promise<ChangePasswordResult> {
  const { db, clock } = deps;
  const hash = await findPasswordHash(db, user.id);
  if (!hash || !(await verifyPassword(hash, input.currentPassword))) return { ok: false, reason: 'wrong_password' };
  const newHash = await hashPassword(input.newPassword);
  const now = clock.now();
  const signedOut = await db.transaction(async (trx) => {
    await setPassword(trx, user.id, newHash);
    await closePasswordResets(trx, user.id, now);
    return destroyUserSessions(trx, user.id, { exceptSid: input.keepSessionId });
  });
  await sendPasswordChangedEmail(deps.mailer, user, now);
  return { ok: true, signedOut };
}
