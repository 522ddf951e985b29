import type { Sql } from '../../db/sql.ts';
import { bucketTerms, pausedTat, type Admission, type RateLimitRule } from './gcra.ts';
import { bucketKey, type HitStatement, type RateLimiter, type StoreOptions } from './limiter.ts';

// The table `rate_limits` belongs to this module: one row per bucket in use,
// `tat` its theoretical arrival time in epoch ms (gcra.ts), `admitted` the
// outcome of the last hit — written by the same statement, so RETURNING tells
// each hit its own outcome even when many arrive at once.
//
// One hit is one statement: an upsert that computes gcra.ts's `hit` in SQL.
// PostgreSQL locks the row for the upsert (concurrent hits on one bucket take
// turns, each seeing the last one's tat); SQLite has one writer. The SET
// expressions all read the row as it was before this hit.
const HIT_SQLITE = `INSERT INTO rate_limits (bucket_key, tat, admitted) VALUES (?, ?, 1)
  ON CONFLICT (bucket_key) DO UPDATE SET
    admitted = CASE WHEN max(rate_limits.tat, ?) + ? <= ? THEN 1 ELSE 0 END,
    tat = CASE WHEN max(rate_limits.tat, ?) + ? <= ? THEN max(rate_limits.tat, ?) + ? ELSE rate_limits.tat END
  RETURNING tat, admitted`;
const HIT_POSTGRES = `INSERT INTO rate_limits (bucket_key, tat, admitted) VALUES (?, ?::bigint, 1)
  ON CONFLICT (bucket_key) DO UPDATE SET
    admitted = CASE WHEN GREATEST(rate_limits.tat, ?::bigint) + ?::bigint <= ?::bigint THEN 1 ELSE 0 END,
    tat = CASE WHEN GREATEST(rate_limits.tat, ?::bigint) + ?::bigint <= ?::bigint THEN GREATEST(rate_limits.tat, ?::bigint) + ?::bigint ELSE rate_limits.tat END
  RETURNING tat, admitted`;
const SET_TAT = `INSERT INTO rate_limits (bucket_key, tat, admitted) VALUES (?, ?, 0)
  ON CONFLICT (bucket_key) DO UPDATE SET tat = excluded.tat, admitted = 0`;
const FORGET = 'DELETE FROM rate_limits WHERE bucket_key = ?';
const PURGE = 'DELETE FROM rate_limits WHERE tat < ?';

/** The default store: the application's own database, shared by every instance on it. */
export function databaseRateLimiter(db: Sql, { clock }: StoreOptions): RateLimiter {
  const hitSql = db.postgres ? HIT_POSTGRES : HIT_SQLITE;
  function hitStatement(rule: RateLimitRule, subject: string): HitStatement {
    const { incrementMs, capacityMs } = bucketTerms(rule);
    const now = clock.now().getTime();
    const limit = now + capacityMs;
    return {
      sql: hitSql,
      bindings: [bucketKey(rule, subject), now + incrementMs, now, incrementMs, limit, now, incrementMs, limit, now, incrementMs],
      admission: (row) => (Number(row.admitted) === 1 ? { ok: true } : { ok: false, retryAfterMs: Number(row.tat) + incrementMs - capacityMs - now }),
    };
  }
  return {
    store: 'database',
    hitStatement,
    async take(rule: RateLimitRule, subject: string, opts: { within?: Sql } = {}): Promise<Admission> {
      const hit = hitStatement(rule, subject);
      const row = await (opts.within ?? db).first<{ tat: number | string; admitted: number | string }>(hit.sql, hit.bindings);
      if (!row) throw new Error('rate limit upsert returned no row');
      return hit.admission(row);
    },
    async pause(rule, subject, ms) {
      const until = clock.now().getTime() + ms;
      await db.run(SET_TAT, [bucketKey(rule, subject), pausedTat(until, bucketTerms(rule))]);
    },
    async reset(rule, subject) {
      await db.run(FORGET, [bucketKey(rule, subject)]);
    },
    async purge() {
      return db.run(PURGE, [clock.now().getTime()]);
    },
    async close() {},
  };
}
