import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * The Redis the tests of the Redis rate-limit store use: TEST_REDIS_URL, or
 * the local one at 127.0.0.1:6379. When it cannot be reached the tests are
 * skipped, except in CI (CI=true), where that is a failure.
 */
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisReachable(): Promise<boolean> {
  const probe = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI=true but Redis is not reachable at ${testRedisUrl}: the Redis rate-limit store must be tested in CI`);
    console.warn(`[test] Redis is not reachable at ${testRedisUrl}: the Redis rate-limit store tests are skipped`);
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A key prefix of one test's own, so test files (and people) sharing one Redis never meet. */
export const redisTestPrefix = () => `orgplane-test:${randomBytes(6).toString('hex')}:`;
