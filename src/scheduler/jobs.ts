import { systemClock } from '../clock.ts';
import { purgeExpiredSessions } from '../http/session-store.ts';
import type { Job } from './registry.ts';

const sessionCleanup: Job = {
  name: 'sessions:purge-expired',
  // Sessions expire in real time (see app.ts), whatever instant the pass runs "as".
  async run(deps) {
    const removed = await purgeExpiredSessions(deps.db, systemClock.now());
    return `${removed} expired sessions removed`;
  },
};

/** Every job a scheduler pass runs, in order. Later modules append theirs. */
export const jobs: Job[] = [sessionCleanup];
