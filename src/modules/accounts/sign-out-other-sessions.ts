import type { Db } from '../../db/knex.ts';
import { destroyUserSessions } from '../../http/session-store.ts';

/** R1.4: "Sign out other sessions" ends every session of the user but the one asking; answers how many ended. */
export function signOutOtherSessions(db: Db, userId: number, currentSessionId: string): Promise<number> {
  return destroyUserSessions(db, userId, { exceptSid: currentSessionId });
}
