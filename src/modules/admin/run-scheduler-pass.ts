import type { Deps } from '../../deps.ts';
import type { User } from '../accounts/queries.ts';
import { userActor } from '../audit/record.ts';
import { jobs as registeredJobs } from '../../scheduler/jobs.ts';
import { runPass, type Job, type PassReport } from '../../scheduler/registry.ts';
import { recordAdminEvent } from './events.ts';

/**
 * R11.2, R12.1: one scheduler pass now, at the application clock's instant —
 * the same jobs the in-process scheduler and `scheduler:run` run, all
 * idempotent — with its report kept in admin_events.
 */
export async function runSchedulerPassNow(
  deps: Deps,
  input: { admin: User; jobs?: readonly Job[] },
): Promise<{ report: PassReport; eventId: number }> {
  const at = deps.clock.now();
  const report = await runPass(input.jobs ?? registeredJobs, deps, at);
  const failed = report.results.filter((r) => !r.ok).length;
  const eventId = await recordAdminEvent(deps.db, {
    actor: userActor(input.admin),
    action: 'scheduler.pass_run',
    target: { type: 'scheduler', label: `Scheduler pass at ${at.toISOString()}` },
    after: { at: at.toISOString(), failed, results: report.results },
    at,
  });
  return { report, eventId };
}
