/**
 * The arithmetic of every rate limit (R13.3): a token bucket in its GCRA form
 * ("generic cell rate algorithm"), which keeps one number per bucket — the
 * theoretical arrival time (`tat`) — instead of a count and a window.
 *
 * A rule lets `limit` hits through per `periodMs` on average, and up to
 * `burst` at once after a quiet spell. Each admitted hit pushes `tat` one
 * increment (`periodMs / limit`) further; a hit is admitted while `tat` stays
 * within `burst` increments of now. Nothing resets at a window boundary, so
 * in any stretch of time of length T at most `burst + T / increment` hits get
 * through (a fixed one-minute window let twice the limit through around its
 * edge). A refused hit changes nothing and learns exactly when the next one
 * would be admitted.
 *
 * The database store (one SQL statement) and the Redis store (one Lua script)
 * compute exactly this function; their tests check them against it.
 */

export interface RateLimitRule {
  /** Names the bucket family in storage keys, e.g. `login.address`. */
  name: string;
  /** Sustained rate: `limit` hits per `periodMs`. */
  limit: number;
  periodMs: number;
  /** Hits admitted at once after a quiet spell: the bucket's size (≥ 1). */
  burst: number;
}

export interface BucketTerms {
  /** How far one hit moves `tat` (ms), rounded up to whole milliseconds. */
  incrementMs: number;
  /** How far ahead of now `tat` may run: burst × increment. */
  capacityMs: number;
}

export function bucketTerms(rule: RateLimitRule): BucketTerms {
  if (!(rule.limit >= 1 && rule.periodMs >= 1 && rule.burst >= 1)) throw new Error(`rate limit ${rule.name}: limit, period and burst must be positive`);
  const incrementMs = Math.ceil(rule.periodMs / rule.limit);
  return { incrementMs, capacityMs: incrementMs * Math.floor(rule.burst) };
}

export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

export interface HitOutcome {
  admitted: boolean;
  /** The bucket's `tat` after the hit (unchanged when refused). */
  tat: number;
  /** 0 when admitted; otherwise how long until a hit would be admitted. */
  retryAfterMs: number;
}

/** One hit at `now` on a bucket whose `tat` is `tat` (undefined: never used, or full again). */
export function hit(tat: number | undefined, now: number, terms: BucketTerms): HitOutcome {
  const start = tat === undefined || tat < now ? now : tat;
  const next = start + terms.incrementMs;
  if (next <= now + terms.capacityMs) return { admitted: true, tat: next, retryAfterMs: 0 };
  return { admitted: false, tat: tat ?? now, retryAfterMs: next - terms.capacityMs - now };
}

/** The `tat` that refuses every hit until `until`, and admits one then. */
export function pausedTat(until: number, terms: BucketTerms): number {
  return until + terms.capacityMs - terms.incrementMs;
}

/** Whole seconds for a Retry-After header: at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
