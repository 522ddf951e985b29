import type { Deps } from '../../deps.ts';
import { sendEmailChangeConfirmation, sendEmailChangeNotice } from './emails.ts';
import { verifyPassword } from './passwords.ts';
import { closeEmailChanges, findPasswordHash, findUserByEmail, insertEmailChange, normalizeEmail, type User } from './queries.ts';
import { EMAIL_CHANGE_TTL_MS, newLinkToken } from './tokens.ts';

export type RequestEmailChangeResult =
  | { ok: true; newEmail: string; expiresAt: Date }
  | { ok: false; reason: 'wrong_password' | 'same_email' | 'email_taken' };

/**
 * R1.4: a new email address, asked for with the current password, takes
 * effect only when the link mailed to it is opened. The current address is
 * told, with a link that cancels the change. A newer request replaces an
 * older one still waiting.
 */
export async function requestEmailChange(
  deps: Pick<Deps, 'db' | 'clock' | 'mailer' | 'config'>,
  user: User,
  input: { email: string; currentPassword: string },
): Promise<RequestEmailChangeResult> {
  const { db, clock } = deps;
  const hash = await findPasswordHash(db, user.id);
  if (!hash || !(await verifyPassword(hash, input.currentPassword))) return { ok: false, reason: 'wrong_password' };
  const newEmail = normalizeEmail(input.email);
  if (newEmail === user.email) return { ok: false, reason: 'same_email' };
  if (await findUserByEmail(db, newEmail)) return { ok: false, reason: 'email_taken' };
  const { token, hash: tokenHash } = newLinkToken();
  const cancel = newLinkToken();
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + EMAIL_CHANGE_TTL_MS);
  await db.transaction(async (trx) => {
    await closeEmailChanges(trx, user.id, now);
    await insertEmailChange(trx, { userId: user.id, newEmail, tokenHash, cancelTokenHash: cancel.hash, createdAt: now, expiresAt });
  });
  await sendEmailChangeConfirmation(deps.mailer, user, newEmail, `${deps.config.publicUrl}/confirm-email/${token}`, expiresAt);
  await sendEmailChangeNotice(deps.mailer, user, newEmail, `${deps.config.publicUrl}/cancel-email-change/${cancel.token}`);
  return { ok: true, newEmail, expiresAt };
}
