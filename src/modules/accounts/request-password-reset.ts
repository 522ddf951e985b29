import type { Deps } from '../../deps.ts';
import { sendPasswordResetEmail } from './emails.ts';
import { countLivePasswordResets, findUserByEmail, insertPasswordReset } from './queries.ts';
import { MAX_LIVE_PASSWORD_RESETS, newLinkToken, PASSWORD_RESET_TTL_MS } from './tokens.ts';

/**
 * R1.4 "Forgot password?": when an account has this email, a link valid for
 * one hour is recorded (its hash) and mailed. The caller answers the same
 * whatever happened here, so the answer never tells whether an account
 * exists; `delivery` is the mail still on its way, which the caller does not
 * wait for (an SMTP round trip would tell, by its time, that there was one).
 */
export async function requestPasswordReset(
  deps: Pick<Deps, 'db' | 'clock' | 'mailer' | 'config'>,
  email: string,
): Promise<{ delivery: Promise<unknown> }> {
  const { db, clock } = deps;
  const user = await findUserByEmail(db, email);
  const now = clock.now();
  if (!user || (await countLivePasswordResets(db, user.id, now)) >= MAX_LIVE_PASSWORD_RESETS) return { delivery: Promise.resolve() };
  const { token, hash } = newLinkToken();
  const expiresAt = new Date(now.getTime() + PASSWORD_RESET_TTL_MS);
  await insertPasswordReset(db, { userId: user.id, tokenHash: hash, createdAt: now, expiresAt });
  return { delivery: sendPasswordResetEmail(deps.mailer, user, `${deps.config.publicUrl}/password/reset/${token}`, expiresAt) };
}
