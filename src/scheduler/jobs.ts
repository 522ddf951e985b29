import { systemClock } from '../clock.ts';
import { purgeExpiredSessions } from '../http/session-store.ts';
import { settleStaleWizards } from '../modules/organizations/create-organization.ts';
import { retentionJob } from '../modules/usage/retention.ts';
import type { Job } from './registry.ts';

const sessionCleanup: Job = {
  name: 'sessions:purge-expired',
  // Sessions expire in real time (see app.ts), whatever instant the pass runs "as".
  async run(deps) {
    const removed = await purgeExpiredSessions(deps.db, systemClock.now());
    return `${removed} expired sessions removed`;
  },
};

const settleWizards: Job = {
  name: 'organizations:settle-stale-first-charges',
  async run(deps, at) {
    const r = await settleStaleWizards(deps, at);
    return `${r.created} organizations created from settled charges, ${r.released} wizards released`;
  },
};

/** Every job a scheduler pass runs, in order. Later modules append theirs. */
export const jobs: Job[] = [settleWizards, retentionJob, sessionCleanup];
