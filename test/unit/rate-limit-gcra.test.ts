import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketTerms, hit, pausedTat, retryAfterSeconds, type RateLimitRule } from '../../src/modules/rate-limits/gcra.ts';
import { ipv6Network64, waitInWords } from '../../src/modules/rate-limits/http.ts';

const rule = (limit: number, periodMs: number, burst: number): RateLimitRule => ({ name: 't', limit, periodMs, burst });

/** Runs hits at the given instants (sorted) through one bucket; answers which were admitted. */
function run(times: number[], r: RateLimitRule) {
  const terms = bucketTerms(r);
  let tat: number | undefined;
  return times.map((now) => {
    const out = hit(tat, now, terms);
    tat = out.tat;
    return { now, ...out };
  });
}

const ruleArb = fc.record({ limit: fc.integer({ min: 1, max: 1000 }), periodMs: fc.integer({ min: 1000, max: 3_600_000 }), burst: fc.integer({ min: 1, max: 200 }) });
const timesArb = fc.array(fc.integer({ min: 0, max: 7_200_000 }), { minLength: 1, maxLength: 400 }).map((a) => a.sort((x, y) => x - y));

describe('the token bucket of every rate limit (R13.3)', () => {
  it('lets a quiet bucket take exactly `burst` hits at once, then refuses', () => {
    const out = run(Array(12).fill(1_000), rule(600, 60_000, 10));
    expect(out.filter((o) => o.admitted)).toHaveLength(10);
    expect(out[10]).toMatchObject({ admitted: false, retryAfterMs: 100 });
  });

  it('never lets more than burst + T / increment through in any stretch of length T (no fixed-window edge)', () => {
    fc.assert(
      fc.property(ruleArb, timesArb, fc.integer({ min: 1, max: 3_600_000 }), ({ limit, periodMs, burst }, times, span) => {
        const r = rule(limit, periodMs, burst);
        const { incrementMs } = bucketTerms(r);
        const admitted = run(times, r).filter((o) => o.admitted).map((o) => o.now);
        for (let i = 0; i < admitted.length; i++) {
          let j = i;
          while (j < admitted.length && admitted[j]! - admitted[i]! < span) j++;
          expect(j - i).toBeLessThanOrEqual(burst + Math.ceil(span / incrementMs));
        }
      }),
    );
  });

  it('a refusal changes nothing, and says exactly when the next hit is admitted', () => {
    fc.assert(
      fc.property(ruleArb, timesArb, ({ limit, periodMs, burst }, times) => {
        const r = rule(limit, periodMs, burst);
        const terms = bucketTerms(r);
        let tat: number | undefined;
        for (const now of times) {
          const out = hit(tat, now, terms);
          if (!out.admitted) {
            expect(out.tat).toBe(tat);
            expect(out.retryAfterMs).toBeGreaterThan(0);
            expect(hit(tat, now + out.retryAfterMs, terms).admitted).toBe(true);
            expect(hit(tat, now + out.retryAfterMs - 1, terms).admitted).toBe(false);
          }
          tat = out.tat;
        }
      }),
    );
  });

  it('keeps admitting a client that stays at the sustained rate', () => {
    const r = rule(600, 60_000, 1);
    const times = Array.from({ length: 1000 }, (_, i) => i * 100);
    expect(run(times, r).every((o) => o.admitted)).toBe(true);
  });

  it('a paused bucket refuses until the pause ends and admits one then', () => {
    const terms = bucketTerms(rule(1, 60_000, 5));
    const tat = pausedTat(1_000_000, terms);
    expect(hit(tat, 999_999, terms).admitted).toBe(false);
    expect(hit(tat, 999_999, terms).retryAfterMs).toBe(1);
    expect(hit(tat, 1_000_000, terms).admitted).toBe(true);
  });

  it('Retry-After is whole seconds, at least one', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(waitInWords(5_000)).toBe('5 seconds');
    expect(waitInWords(60_000)).toBe('about a minute');
    expect(waitInWords(14 * 60_000 + 1)).toBe('15 minutes');
  });

  it('counts an IPv6 client by its /64 network', () => {
    expect(ipv6Network64('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(ipv6Network64('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(ipv6Network64('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipv6Network64('::1')).toBe('0:0:0:0::/64');
    expect(ipv6Network64('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
