import type { Deps } from '../../deps.ts';
import { closeEmailChanges, findEmailChangeByCancelToken, findUserById, useEmailChange, type EmailChange, type User } from './queries.ts';
import { hashLinkToken, looksLikeLinkToken } from './tokens.ts';

/** R1.4: "Cancel" on the account page: the new address waiting for its confirmation is dropped; answers whether one was. */
export async function cancelEmailChange(deps: Pick<Deps, 'db' | 'clock'>, userId: number): Promise<boolean> {
  return (await closeEmailChanges(deps.db, userId, deps.clock.now())) > 0;
}

/** Why a cancel link no longer does anything: the change was confirmed or closed already, or it has expired. */
export type EmailChangeCancelGone = 'expired' | 'closed';

export type OpenEmailChangeCancelResult = { ok: true; change: EmailChange; user: User } | { ok: false; reason: 'not_found' | EmailChangeCancelGone };

/** R1.4: what the cancel link mailed to the current address shows (opening it changes nothing). */
export async function openEmailChangeCancel(deps: Pick<Deps, 'db' | 'clock'>, token: string): Promise<OpenEmailChangeCancelResult> {
  if (!looksLikeLinkToken(token)) return { ok: false, reason: 'not_found' };
  const change = await findEmailChangeByCancelToken(deps.db, hashLinkToken(token));
  if (!change) return { ok: false, reason: 'not_found' };
  if (change.usedAt) return { ok: false, reason: 'closed' };
  if (change.expiresAt.getTime() <= deps.clock.now().getTime()) return { ok: false, reason: 'expired' };
  const user = await findUserById(deps.db, change.userId);
  return user ? { ok: true, change, user } : { ok: false, reason: 'not_found' };
}

/**
 * R1.4: the owner, from the notice mailed to the address they still have,
 * cancels a change they did not ask for: the confirmation link sent to the
 * new address stops working. The link is the proof; no session is needed.
 */
export async function cancelEmailChangeByLink(deps: Pick<Deps, 'db' | 'clock'>, token: string): Promise<OpenEmailChangeCancelResult> {
  const opened = await openEmailChangeCancel(deps, token);
  if (!opened.ok) return opened;
  if (!(await useEmailChange(deps.db, opened.change.id, deps.clock.now()))) return { ok: false, reason: 'closed' };
  return opened;
}
