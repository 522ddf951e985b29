import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { Deps } from '../../src/deps.ts';
import { runPass, type Job } from '../../src/scheduler/registry.ts';

describe('scheduler pass (R12.1)', () => {
  it('runs every job at the given instant and goes on past a failing one', async () => {
    const seen: string[] = [];
    const jobs: Job[] = [
      { name: 'a', run: async (_d, at) => void seen.push(`a@${at.toISOString()}`) },
      { name: 'b', run: async () => { throw new Error('boom'); } },
      { name: 'c', run: async () => 'three things done' },
    ];
    const at = new Date('2026-04-01T00:00:00Z');
    const report = await runPass(jobs, { clock: new ManualClock() } as unknown as Deps, at);
    expect(seen).toEqual(['a@2026-04-01T00:00:00.000Z']);
    expect(report.results).toEqual([
      { job: 'a', ok: true, summary: 'done' },
      { job: 'b', ok: false, summary: 'boom' },
      { job: 'c', ok: true, summary: 'three things done' },
    ]);
    // The log gets what the job threw, stack included, not only its message.
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]!.job).toBe('b');
    expect((report.failures[0]!.error as Error).stack).toContain('boom');
  });
});
