import type { Deps } from '../deps.ts';

/**
 * A scheduled job (R12.2): `run` does what is due at `at` and must be
 * idempotent, so running a pass twice at the same instant changes nothing
 * the second time, and safe when several instances run it at once.
 */
export interface Job {
  name: string;
  run(deps: Deps, at: Date): Promise<string | void>;
}

export interface PassReport {
  at: Date;
  results: { job: string; ok: boolean; summary: string }[];
  /** What each failing job threw, whole (stack and cause), for the log. */
  failures: { job: string; error: unknown }[];
}

/** Runs every job once, in order, as if at `at`. A failing job does not stop the others. */
export async function runPass(jobs: readonly Job[], deps: Deps, at: Date): Promise<PassReport> {
  const results: PassReport['results'] = [];
  const failures: PassReport['failures'] = [];
  for (const job of jobs) {
    try {
      const summary = await job.run(deps, at);
      results.push({ job: job.name, ok: true, summary: summary ?? 'done' });
    } catch (err) {
      results.push({ job: job.name, ok: false, summary: err instanceof Error ? err.message : String(err) });
      failures.push({ job: job.name, error: err });
    }
  }
  return { at, results, failures };
}
