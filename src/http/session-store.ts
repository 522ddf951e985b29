import { statementsOf } from '../db/sql.ts';
import type { SessionStore } from '@fastify/session';
import type { Knex } from 'knex';
import type { Clock } from '../clock.ts';

type Callback = (err?: unknown) => void;
type GetCallback = Parameters<SessionStore['get']>[1];

interface StorableSession {
  cookie?: { expires?: Date | string | null; originalMaxAge?: number | null };
  userId?: number;
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
    // The user is a column too, so a user's sessions can be listed and signed out (R1.4).
    const row = { sid, data: JSON.stringify(session), expires_at: expires, user_id: session.userId ?? null };
    this.db('sessions')
      .insert(row)
      .onConflict('sid')
      .merge(['data', 'expires_at', 'user_id'])
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

/** One signed-in session of a user, as the account page lists it (R1.4). */
export interface UserSession {
  sid: string;
  signedInAt: Date | null;
  userAgent: string | null;
  expiresAt: Date;
}

/** The user's sessions that have not expired, most recent sign-in first. */
export async function listUserSessions(db: Knex, userId: number, now: Date): Promise<UserSession[]> {
  const rows: { sid: string; data: string; expires_at: number | string }[] = await db('sessions')
    .where({ user_id: userId })
    .andWhere('expires_at', '>', now.getTime())
    .select('sid', 'data', 'expires_at');
  const sessions = rows.map((r) => {
    let data: { signedInAt?: unknown; userAgent?: unknown } = {};
    try {
      data = JSON.parse(r.data) as typeof data;
    } catch {
      // An unreadable row still counts as a session: it can be signed out.
    }
    return {
      sid: r.sid,
      signedInAt: typeof data.signedInAt === 'number' ? new Date(data.signedInAt) : null,
      userAgent: typeof data.userAgent === 'string' ? data.userAgent : null,
      expiresAt: new Date(Number(r.expires_at)),
    };
  });
  return sessions.sort((a, b) => (b.signedInAt?.getTime() ?? 0) - (a.signedInAt?.getTime() ?? 0));
}

/** Signs a user out everywhere, or everywhere but one session; answers how many were ended. */
export async function destroyUserSessions(db: Knex, userId: number, opts: { exceptSid?: string } = {}): Promise<number> {
  const q = db('sessions').where({ user_id: userId });
  if (opts.exceptSid) q.andWhereNot({ sid: opts.exceptSid });
  return q.delete();
}
