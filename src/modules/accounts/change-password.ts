import type { Deps } from '../../deps.ts';
import { destroyUserSessions } from '../../http/session-store.ts';
import { sendPasswordChangedEmail } from './emails.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { closeEmailChanges, closePasswordResets, findPasswordHash, markCredentialsChanged, setPassword, type User } from './queries.ts';

export type ChangePasswordResult = { ok: true; signedOut: number; credentialsChangedAt: number } | { ok: false; reason: 'wrong_password' };

/**
 * R1.4: a new password, with the current one. Every other session of the
 * account is signed out (the one making the change stays, under the new
 * credentials mark the caller gives it), reset links sent before stop
 * working, a new email address still waiting for its confirmation is
 * dropped (whoever asked for it may have had the old password), and the
 * owner is told by email.
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
  const { signedOut, credentialsChangedAt } = await db.transaction(async (trx) => {
    await setPassword(trx, user.id, newHash);
    await closePasswordResets(trx, user.id, now);
    await closeEmailChanges(trx, user.id, now);
    const mark = await markCredentialsChanged(trx, user.id, now);
    return { signedOut: await destroyUserSessions(trx, user.id, { exceptSid: input.keepSessionId }), credentialsChangedAt: mark };
  });
  await sendPasswordChangedEmail(deps.mailer, user, now);
  return { ok: true, signedOut, credentialsChangedAt };
}
