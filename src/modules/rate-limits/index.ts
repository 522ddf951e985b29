import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Sql } from '../../db/sql.ts';
import { databaseRateLimiter } from './database-store.ts';
import type { RateLimiter } from './limiter.ts';
import { redisRateLimiter } from './redis-store.ts';

export type { RateLimiter } from './limiter.ts';

/** The store REDIS_URL chooses: Redis when set, else the application's database (R13.3). */
export function createRateLimiter(opts: { config: Pick<Config, 'redisUrl'>; db: Sql; clock: Clock; onError?: (err: unknown) => void }): RateLimiter {
  if (opts.config.redisUrl) return redisRateLimiter({ url: opts.config.redisUrl, clock: opts.clock, onError: opts.onError });
  return databaseRateLimiter(opts.db, { clock: opts.clock });
}
