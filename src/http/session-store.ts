import type { Sql } from '../db/sql.ts';
import type { SessionStore } from '@fastify/session';
import type { Clock } from '../clock.ts';

type Callback = (err?: unknown) => void;
type GetCallback = Parameters<SessionStore['get']>[1];

interface StorableSession {
  cookie?: { expires?: Date | string | null; originalMaxAge?: number | null };
  userId?: number;
}

const SESSION_BY_ID = 'SELECT data, expires_at FROM sessions WHERE sid = ?';
const SAVE_SESSION = `INSERT INTO sessions (sid, data, expires_at, user_id) VALUES (?, ?, ?, ?)
  ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, user_id = excluded.user_id`;

/**
 * A database-backed store for @fastify/session: sessions survive restarts and are
 * shared by every instance on the same database. Expired rows are ignored on
 * read and removed by `purgeExpired` (a scheduler job).
 */
export class SqlSessionStore implements SessionStore {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
    private readonly defaultMaxAgeMs: number,
  ) {}

  set(sid: string, session: StorableSession & object, callback: Callback): void {
    const expires = session.cookie?.expires
      ? new Date(session.cookie.expires).getTime()
      : this.clock.now().getTime() + this.defaultMaxAgeMs;
    // The user is a column too, so a user's sessions can be listed and signed out (R1.4).
    const row = { sid, data: JSON.stringify(session), expires_at: expires, user_id: session.userId ?? null };
    this.db.run(SAVE_SESSION, [row.sid, row.data, row.expires_at, row.user_id]).then(() => callback(), callback);
  }

  // Every signed-in request reads its session: one statement, written once.
  get(sid: string, callback: GetCallback): void {
    this.db
      .first<{ data: string; expires_at: number | string }>(SESSION_BY_ID, [sid])
      .then((row) => {
        if (!row || Number(row.expires_at) <= this.clock.now().getTime()) return callback(null, null);
        callback(null, JSON.parse(row.data) as Parameters<GetCallback>[1]);
      }, callback);
  }

  destroy(sid: string, callback: Callback): void {
    this.db.run('DELETE FROM sessions WHERE sid = ?', [sid]).then(() => callback(), callback);
  }
}

export async function purgeExpiredSessions(db: Sql, now: Date): Promise<number> {
  return db.run('DELETE FROM sessions WHERE expires_at <= ?', [now.getTime()]);
}

/** One signed-in session of a user, as the account page lists it (R1.4). */
export interface UserSession {
  sid: string;
  signedInAt: Date | null;
  userAgent: string | null;
  expiresAt: Date;
}

/** The user's sessions that have not expired, most recent sign-in first. */
export async function listUserSessions(db: Sql, userId: number, now: Date): Promise<UserSession[]> {
  const rows = await db.rows<{ sid: string; data: string; expires_at: number | string }>(
    'SELECT sid, data, expires_at FROM sessions WHERE user_id = ? AND expires_at > ?',
    [userId, now.getTime()],
  );
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
export async function destroyUserSessions(db: Sql, userId: number, opts: { exceptSid?: string } = {}): Promise<number> {
  if (opts.exceptSid) return db.run('DELETE FROM sessions WHERE user_id = ? AND sid <> ?', [userId, opts.exceptSid]);
  return db.run('DELETE FROM sessions WHERE user_id = ?', [userId]);
}
