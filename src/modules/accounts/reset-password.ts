import type { Deps } from '../../deps.ts';
import { destroyUserSessions } from '../../http/session-store.ts';
import { digestSubject } from '../rate-limits/limiter.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { hashPassword } from './passwords.ts';
import {
  closeEmailChanges,
  closePasswordResets,
  findPasswordReset,
  findUserById,
  markCredentialsChanged,
  setPassword,
  usePasswordReset,
  type AccountLink,
  type User,
} from './queries.ts';
import { hashLinkToken, looksLikeLinkToken } from './tokens.ts';

export type PasswordResetGone = 'expired' | 'used';

export type OpenPasswordResetResult = { ok: true; reset: AccountLink; user: User } | { ok: false; reason: 'not_found' | PasswordResetGone };

/** R1.4: whether a reset link can still set a password (opening it changes nothing). */
export async function openPasswordReset(deps: Pick<Deps, 'db' | 'clock'>, token: string): Promise<OpenPasswordResetResult> {
  if (!looksLikeLinkToken(token)) return { ok: false, reason: 'not_found' };
  const reset = await findPasswordReset(deps.db, hashLinkToken(token));
  if (!reset) return { ok: false, reason: 'not_found' };
  if (reset.usedAt) return { ok: false, reason: 'used' };
  if (reset.expiresAt.getTime() <= deps.clock.now().getTime()) return { ok: false, reason: 'expired' };
  const user = await findUserById(deps.db, reset.userId);
  return user ? { ok: true, reset, user } : { ok: false, reason: 'not_found' };
}

export type ResetPasswordResult = { ok: true; user: User } | { ok: false; reason: 'not_found' | PasswordResetGone };

/**
 * R1.4: sets the new password through a valid link, once: the link and every
 * other one sent are spent, a new email address still waiting for its
 * confirmation is dropped (whoever asked for it had the account), every
 * session of the account is signed out, and the account's log-in limits
 * start afresh (R13.3): its owner has just proved who they are.
 */
export async function resetPassword(deps: Pick<Deps, 'db' | 'clock' | 'limiter' | 'config'>, token: string, newPassword: string): Promise<ResetPasswordResult> {
  const opened = await openPasswordReset(deps, token);
  if (!opened.ok) return opened;
  const newHash = await hashPassword(newPassword);
  const now = deps.clock.now();
  const result = await deps.db.transaction(async (trx): Promise<ResetPasswordResult> => {
    if (!(await usePasswordReset(trx, opened.reset.id, now))) return { ok: false, reason: 'used' };
    await setPassword(trx, opened.user.id, newHash);
    await closePasswordResets(trx, opened.user.id, now);
    await closeEmailChanges(trx, opened.user.id, now);
    await markCredentialsChanged(trx, opened.user.id, now);
    await destroyUserSessions(trx, opened.user.id);
    return { ok: true, user: opened.user };
  });
  if (result.ok) {
    const rules = rateLimitRules(deps.config);
    const account = digestSubject(opened.user.email);
    await deps.limiter.reset(rules.logInByAccount, account);
    await deps.limiter.reset(rules.failedLogInsByAccount, account);
  }
  return result;
}
