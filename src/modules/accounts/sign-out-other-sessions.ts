import type { Deps } from '../../deps.ts';
import { destroyUserSessions } from '../../http/session-store.ts';
import { markCredentialsChanged } from './queries.ts';

/**
 * R1.4: "Sign out other sessions" ends every session of the user but the one
 * asking. The credentials mark moves on too, so a session a request still in
 * flight writes back is refused all the same; the caller carries the asking
 * session over to the new mark. Answers how many ended, and the mark.
 */
export async function signOutOtherSessions(
  deps: Pick<Deps, 'db' | 'clock'>,
  userId: number,
  currentSessionId: string,
): Promise<{ ended: number; credentialsChangedAt: number }> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const credentialsChangedAt = await markCredentialsChanged(trx, userId, now);
    return { ended: await destroyUserSessions(trx, userId, { exceptSid: currentSessionId }), credentialsChangedAt };
  });
}
