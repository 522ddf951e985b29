import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { Sql, SqlValue } from '../../db/sql.ts';
import type { Admission, RateLimitRule } from './gcra.ts';

/**
 * R13.3: the one rate limiter of the application. Every limit — log-in,
 * sign-up, invitations, dashboard unlock, the device API — takes hits from
 * the same store, shared by every instance of the program: a table of the
 * database by default, Redis when REDIS_URL is set. Time comes from the
 * limiter's own clock (real time in production, a manual clock in tests).
 */
export interface RateLimiter {
  readonly store: 'database' | 'redis';
  /**
   * One hit on `rule`'s bucket for `subject`. `within`: statements of an open
   * transaction of the application's database, so the hit commits (or rolls
   * back) with it; the Redis store has no use for it.
   */
  take(rule: RateLimitRule, subject: string, opts?: { within?: Sql }): Promise<Admission>;
  /**
   * The database store only: `take`'s hit as one statement, for a caller that
   * runs it inside a larger one (a PostgreSQL `WITH hit AS (…)`: the device
   * API's report on PostgreSQL). `sql` is an upsert answering `RETURNING tat,
   * admitted`; `admission` reads that row as `take` would.
   */
  hitStatement?(rule: RateLimitRule, subject: string): HitStatement;
  /** Refuses every hit on the bucket for `ms` from now (a paused log-in). */
  pause(rule: RateLimitRule, subject: string, ms: number): Promise<void>;
  /** Forgets the bucket: it is full again. */
  reset(rule: RateLimitRule, subject: string): Promise<void>;
  /** Drops buckets that are full again (they mean the same as none); answers how many. */
  purge(): Promise<number>;
  close(): Promise<void>;
}

export interface HitStatement {
  sql: string;
  bindings: SqlValue[];
  admission(row: { tat: number | string; admitted: number | string }): Admission;
}

export interface StoreOptions {
  clock: Clock;
}

/**
 * The storage key of a bucket. Subjects are short: addresses, ids, or digests
 * made by `digestSubject`. A longer one (which only a bug upstream could
 * pass) is stored as its digest rather than refused: a limit never turns a
 * request into a 500.
 */
export function bucketKey(rule: RateLimitRule, subject: string): string {
  return `${rule.name}:${subject.length > MAX_SUBJECT ? `#${digestSubject(subject)}` : subject}`;
}

const MAX_SUBJECT = 120;

/** A subject a person typed (an email): stored as a digest, never as the text itself. */
export function digestSubject(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}
