import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { databaseRateLimiter } from '../../src/modules/rate-limits/database-store.ts';
import { bucketTerms, hit, type RateLimitRule } from '../../src/modules/rate-limits/gcra.ts';
import type { RateLimiter } from '../../src/modules/rate-limits/limiter.ts';
import { redisRateLimiter } from '../../src/modules/rate-limits/redis-store.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { redisReachable, redisTestPrefix, testRedisUrl } from '../support/redis.ts';

/**
 * R13.3: the limiter's stores. Each must compute the token bucket of gcra.ts
 * exactly, atomically when many hits arrive at once, on its own clock.
 */

let testDb: TestDb;
beforeAll(async () => {
  testDb = await createTestDb();
});
afterAll(async () => {
  await testDb.drop();
});

const RULE: RateLimitRule = { name: 'test.rule', limit: 60, periodMs: 60_000, burst: 5 };
let subjects = 0;
const subject = () => `s${++subjects}`;

type Store = { name: string; make(clock: ManualClock): RateLimiter };
const stores: Store[] = [{ name: 'database', make: (clock) => databaseRateLimiter(testDb.db, { clock }) }];
// Redis is one server whichever database the file runs on: test it once, with the SQLite run.
const withRedis = process.env.TEST_DB !== 'postgres' && (await redisReachable());
if (withRedis) stores.push({ name: 'redis', make: (clock) => redisRateLimiter({ url: testRedisUrl, clock, prefix: redisTestPrefix() }) });

describe.each(stores)('the $name store', (store) => {
  let clock: ManualClock;
  let limiter: RateLimiter;
  beforeAll(() => {
    clock = new ManualClock('2026-05-01T00:00:00Z');
    limiter = store.make(clock);
  });
  afterAll(async () => {
    await limiter.close();
  });

  it('admits `burst` hits, then refuses with the wait until the next one; time comes from its clock', async () => {
    const s = subject();
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push(await limiter.take(RULE, s));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    expect(outcomes[5]).toEqual({ ok: false, retryAfterMs: 1000 });
    clock.advance(999);
    expect(await limiter.take(RULE, s)).toEqual({ ok: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(await limiter.take(RULE, s)).toEqual({ ok: true });
    // Another subject has a bucket of its own.
    expect(await limiter.take(RULE, subject())).toEqual({ ok: true });
  });

  it('takes a subject of any length: a long one is counted by its digest, never refused with an error (R13.3)', async () => {
    const long = `${'x'.repeat(5_000)}${subject()}`;
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push((await limiter.take(RULE, long)).ok);
    expect(outcomes).toEqual([true, true, true, true, true, false]);
    // Another long subject that differs only at its end has a bucket of its own.
    expect((await limiter.take(RULE, `${'x'.repeat(5_000)}${subject()}`)).ok).toBe(true);
  });

  it('is atomic: 40 hits at once on one bucket admit exactly `burst`', async () => {
    const s = subject();
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => limiter.take(RULE, s)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
  });

  it('decides exactly as the token bucket arithmetic does, for any sequence of hits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ limit: fc.integer({ min: 1, max: 100 }), periodMs: fc.integer({ min: 1000, max: 120_000 }), burst: fc.integer({ min: 1, max: 8 }) }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 30 }),
        async ({ limit, periodMs, burst }, gaps) => {
          const rule: RateLimitRule = { name: 'prop', limit, periodMs, burst };
          const terms = bucketTerms(rule);
          const s = subject();
          let tat: number | undefined;
          for (const gap of gaps) {
            clock.advance(gap);
            const expected = hit(tat, clock.now().getTime(), terms);
            tat = expected.tat;
            expect(await limiter.take(rule, s)).toEqual(expected.admitted ? { ok: true } : { ok: false, retryAfterMs: expected.retryAfterMs });
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('pauses a bucket for a while, and forgets one on reset', async () => {
    const s = subject();
    await limiter.take(RULE, s);
    await limiter.pause(RULE, s, 15 * 60_000);
    expect(await limiter.take(RULE, s)).toEqual({ ok: false, retryAfterMs: 15 * 60_000 });
    clock.advance(15 * 60_000);
    expect(await limiter.take(RULE, s)).toEqual({ ok: true });
    await limiter.pause(RULE, s, 60_000);
    await limiter.reset(RULE, s);
    expect(await limiter.take(RULE, s)).toEqual({ ok: true });
  });
});

describe('the database store', () => {
  it('takes its hit inside a transaction of the application, and a rollback takes it back', async () => {
    const clock = new ManualClock('2026-05-01T00:00:00Z');
    const limiter = databaseRateLimiter(testDb.db, { clock });
    const rule: RateLimitRule = { name: 'test.trx', limit: 1, periodMs: 60_000, burst: 1 };
    await expect(
      testDb.db.transaction(async (sql) => {
        expect(await limiter.take(rule, 'x', { within: sql })).toEqual({ ok: true });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await testDb.db.transaction((sql) => limiter.take(rule, 'x', { within: sql }))).toEqual({ ok: true });
    expect(await limiter.take(rule, 'x')).toEqual({ ok: false, retryAfterMs: 60_000 });
  });

  it('purges the buckets that are full again, and only those', async () => {
    const clock = new ManualClock('2026-06-01T00:00:00Z');
    const limiter = databaseRateLimiter(testDb.db, { clock });
    const rule: RateLimitRule = { name: 'test.purge', limit: 1, periodMs: 60_000, burst: 1 };
    await limiter.take(rule, 'old');
    clock.advance(30_000);
    await limiter.take(rule, 'young');
    clock.advance(30_001);
    const before = await testDb.knex('rate_limits').where('bucket_key', 'like', 'test.purge:%').pluck('bucket_key');
    expect(before.sort()).toEqual(['test.purge:old', 'test.purge:young']);
    expect(await limiter.purge()).toBeGreaterThanOrEqual(1);
    expect(await testDb.knex('rate_limits').where('bucket_key', 'like', 'test.purge:%').pluck('bucket_key')).toEqual(['test.purge:young']);
  });
});

describe.runIf(withRedis)('the Redis store', () => {
  it('lets a hit through, and says so, when Redis cannot be reached; a pause or a reset fails open too (R13.3)', async () => {
    const errors: unknown[] = [];
    const limiter = redisRateLimiter({ url: 'redis://127.0.0.1:1', clock: new ManualClock(), onError: (e) => errors.push(e) });
    try {
      expect(await limiter.take(RULE, 'x')).toEqual({ ok: true });
      expect(errors).toHaveLength(1);
      // A pause or a reset fails open the same way: no error reaches the request.
      await expect(limiter.pause(RULE, 'x', 60_000)).resolves.toBeUndefined();
      await expect(limiter.reset(RULE, 'x')).resolves.toBeUndefined();
      expect(errors).toHaveLength(3);
    } finally {
      await limiter.close();
    }
  });
});
