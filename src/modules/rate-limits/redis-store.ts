import { Redis } from 'ioredis';
import { bucketTerms, pausedTat, type Admission, type RateLimitRule } from './gcra.ts';
import { bucketKey, type RateLimiter, type StoreOptions } from './limiter.ts';

// gcra.ts's `hit` as one Lua script, which Redis runs atomically. The bucket
// expires when it is full again (tat <= now), so Redis needs no purge.
// KEYS[1] bucket; ARGV now, increment, capacity. Answers { admitted, tat }.
const HIT = `
local now = tonumber(ARGV[1])
local inc = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]))
local start = now
if tat and tat > now then start = tat end
local nxt = start + inc
if nxt <= now + cap then
  redis.call('SET', KEYS[1], nxt, 'PX', nxt - now)
  return {1, nxt}
end
return {0, tat or now}
`;

export interface RedisStoreOptions extends StoreOptions {
  url: string;
  /** Prepended to every key, so several programs (or test files) can share one Redis. */
  prefix?: string;
  /** Called when Redis cannot be reached; the hit is then admitted (see SECURITY.md). */
  onError?: (err: unknown) => void;
}

/**
 * The store for REDIS_URL: every instance's hits on one Redis. If Redis
 * cannot answer within a second the hit is admitted and `onError` is told:
 * an outage of the limiter's store does not stop log-ins or devices. A pause
 * or a reset it cannot take is told the same way and lost (fails open).
 */
export function redisRateLimiter(opts: RedisStoreOptions): RateLimiter {
  const { clock } = opts;
  const prefix = opts.prefix ?? 'orgplane:rl:';
  const redis = new Redis(opts.url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 1_000, enableOfflineQueue: true });
  redis.on('error', () => undefined); // connection errors surface on the commands; this keeps them off the process
  redis.defineCommand('orgplaneRateLimitHit', { numberOfKeys: 1, lua: HIT });
  const run = redis as unknown as { orgplaneRateLimitHit(key: string, now: number, inc: number, cap: number): Promise<[number, number | string]> };
  const key = (rule: RateLimitRule, subject: string) => prefix + bucketKey(rule, subject);

  return {
    store: 'redis',
    async take(rule, subject): Promise<Admission> {
      const { incrementMs, capacityMs } = bucketTerms(rule);
      const now = clock.now().getTime();
      try {
        const [admitted, tat] = await run.orgplaneRateLimitHit(key(rule, subject), now, incrementMs, capacityMs);
        if (Number(admitted) === 1) return { ok: true };
        return { ok: false, retryAfterMs: Number(tat) + incrementMs - capacityMs - now };
      } catch (err) {
        opts.onError?.(err);
        return { ok: true };
      }
    },
    // Like a hit, a pause or a reset that Redis cannot take is told to
    // `onError` and does not fail the request: the log-in it belongs to was
    // already decided (its password checked).
    async pause(rule, subject, ms) {
      const now = clock.now().getTime();
      const tat = pausedTat(now + ms, bucketTerms(rule));
      await redis.set(key(rule, subject), String(tat), 'PX', Math.max(1, tat - now)).catch((err: unknown) => opts.onError?.(err));
    },
    async reset(rule, subject) {
      await redis.del(key(rule, subject)).catch((err: unknown) => opts.onError?.(err));
    },
    async purge() {
      return 0;
    },
    async close() {
      if (redis.status === 'wait' || redis.status === 'end') {
        redis.disconnect();
        return;
      }
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
