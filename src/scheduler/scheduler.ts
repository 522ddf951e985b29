import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../deps.ts';
import { jobs as registeredJobs } from './jobs.ts';
import { runPass, type Job, type PassReport } from './registry.ts';

/**
 * The in-process scheduler: one pass a minute at the clock's current instant.
 * Passes never overlap within an instance; jobs are idempotent across
 * instances (R12.2).
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PassReport> | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly log: Pick<FastifyBaseLogger, 'error'>,
    private readonly jobs: readonly Job[] = registeredJobs,
    private readonly intervalMs = 60_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async runNow(at: Date = this.deps.clock.now()): Promise<PassReport> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = runPass(this.jobs, this.deps, at);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    try {
      const report = await this.runNow();
      for (const f of report.failures) this.log.error({ err: f.error, job: f.job }, 'scheduled job failed');
    } catch (err) {
      this.log.error({ err }, 'scheduler pass failed');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
