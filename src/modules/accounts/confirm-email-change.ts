import type { Deps } from '../../deps.ts';
import { closeEmailChanges, closePasswordResets, findEmailChange, findUserByEmail, findUserById, setEmail, useEmailChange, type EmailChange, type User } from './queries.ts';
import { hashLinkToken, looksLikeLinkToken } from './tokens.ts';

export type EmailChangeGone = 'expired' | 'used';

export type OpenEmailChangeResult =
  | { ok: true; change: EmailChange; user: User }
  | { ok: false; reason: 'not_found' | EmailChangeGone };

/** R1.4: what the confirmation link shows before it is confirmed (opening it changes nothing). */
export async function openEmailChange(deps: Pick<Deps, 'db' | 'clock'>, token: string): Promise<OpenEmailChangeResult> {
  if (!looksLikeLinkToken(token)) return { ok: false, reason: 'not_found' };
  const change = await findEmailChange(deps.db, hashLinkToken(token));
  if (!change) return { ok: false, reason: 'not_found' };
  if (change.usedAt) return { ok: false, reason: 'used' };
  if (change.expiresAt.getTime() <= deps.clock.now().getTime()) return { ok: false, reason: 'expired' };
  const user = await findUserById(deps.db, change.userId);
  if (!user) return { ok: false, reason: 'not_found' };
  return { ok: true, change, user };
}

export type ConfirmEmailChangeResult =
  | { ok: true; user: User; previousEmail: string }
  | { ok: false; reason: 'not_found' | EmailChangeGone | 'email_taken' };

/**
 * R1.4: the new address confirmed: the account's email changes, once; other
 * waiting changes close, and so do reset links mailed to the old address
 * (they would let whoever reads that mailbox back in).
 */
export async function confirmEmailChange(deps: Pick<Deps, 'db' | 'clock'>, token: string): Promise<ConfirmEmailChangeResult> {
  const opened = await openEmailChange(deps, token);
  if (!opened.ok) return opened;
  const { change, user } = opened;
  const now = deps.clock.now();
  try {
    return await deps.db.transaction(async (trx): Promise<ConfirmEmailChangeResult> => {
      if (!(await useEmailChange(trx, change.id, now))) return { ok: false, reason: 'used' };
      // Taken meanwhile by a sign-up: refused, and the link is spent.
      if (await findUserByEmail(trx, change.newEmail)) return { ok: false, reason: 'email_taken' };
      await setEmail(trx, user.id, change.newEmail);
      await closeEmailChanges(trx, user.id, now);
      await closePasswordResets(trx, user.id, now);
      return { ok: true, user: { ...user, email: change.newEmail }, previousEmail: user.email };
    });
  } catch (err) {
    // Two confirmations racing for one address: the unique index decides.
    if (await findUserByEmail(deps.db, change.newEmail)) return { ok: false, reason: 'email_taken' };
    throw err;
  }
}
