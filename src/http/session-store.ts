import { statementsOf } from '../db/sql.ts';
import type { SessionStore } from '@fastify/session';
import type { Knex } from 'knex';
import type { Clock } from '../clock.ts';

type Callback = (err?: unknown) => void;
type GetCallback = Parameters<SessionStore['get']>[1];

interface StorableSession {
  cookie?: { expires?: Date | string | null; originalMaxAge?: number | null };
}

const SESSION_BY_ID = 'SELECT data, expires_at FROM sessions WHERE sid = ?';

/**
 * A Knex-backed store for @fastify/session: sessions survive restarts and are
 * shared by every instance on the same database. Expired rows are ignored on
 * read and removed by `purgeExpired` (a scheduler job).
 */
export class KnexSessionStore implements SessionStore {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly defaultMaxAgeMs: number,
  ) {}

  set(sid: string, session: StorableSession & object, callback: Callback): void {
    const expires = session.cookie?.expires
      ? new Date(session.cookie.expires).getTime()
      : this.clock.now().getTime() + this.defaultMaxAgeMs;
    const row = { sid, data: JSON.stringify(session), expires_at: expires };
    this.db('sessions')
      .insert(row)
      .onConflict('sid')
      .merge(['data', 'expires_at'])
      .then(() => callback(), callback);
  }

  // Every signed-in request reads its session: one statement, written once.
  get(sid: string, callback: GetCallback): void {
    statementsOf(this.db)
      .first<{ data: string; expires_at: number | string }>(SESSION_BY_ID, [sid])
      .then((row) => {
        if (!row || Number(row.expires_at) <= this.clock.now().getTime()) return callback(null, null);
        callback(null, JSON.parse(row.data) as Parameters<GetCallback>[1]);
      }, callback);
  }

  destroy(sid: string, callback: Callback): void {
    this.db('sessions')
      .where({ sid })
      .delete()
      .then(() => callback(), callback);
  }
}

export async function purgeExpiredSessions(db: Knex, now: Date): Promise<number> {
  return db('sessions').where('expires_at', '<=', now.getTime()).delete();
}
