import { systemClock } from '../clock.ts';
import { purgeExpiredSessions } from '../http/session-store.ts';
import { purgeExpiredAccountLinks } from '../modules/accounts/queries.ts';
import { settleStaleWizards } from '../modules/organizations/create-organization.ts';
import { retentionJob } from '../modules/applications/purge-expired-payloads.ts';
import { renewalPass } from '../modules/billing/renew.ts';
import { settlePendingAttempts } from '../modules/billing/charge.ts';
import { settlePendingRefunds } from '../modules/billing/refund-credit.ts';
import { retryPastDue } from '../modules/billing/retry-past-due.ts';
import type { Job } from './registry.ts';

const sessionCleanup: Job = {
  name: 'sessions:purge-expired',
  // Sessions expire in real time (see app.ts), whatever instant the pass runs "as".
  async run(deps) {
    const removed = await purgeExpiredSessions(deps.db, systemClock.now());
    return `${removed} expired sessions removed`;
  },
};

// R13.3: buckets that are full again mean the same as none (the Redis store expires its own).
const rateLimitCleanup: Job = {
  name: 'rate-limits:purge-full-buckets',
  async run(deps) {
    const removed = await deps.limiter.purge();
    return `${removed} idle rate-limit buckets removed`;
  },
};

// R1.4: password reset and email change links past their expiry.
const accountLinkCleanup: Job = {
  name: 'accounts:purge-expired-links',
  async run(deps, at) {
    const removed = await purgeExpiredAccountLinks(deps.db, at);
    return `${removed} expired account links removed`;
  },
};

const settleWizards: Job = {
  name: 'organizations:settle-stale-first-charges',
  async run(deps, at) {
    const r = await settleStaleWizards(deps, at);
    return `${r.created} organizations created from settled charges, ${r.released} wizards released`;
  },
};

// R9.13: attempts a crash left pending are settled with their own key first.
const settleAttempts: Job = {
  name: 'billing:settle-pending-attempts',
  async run(deps, at) {
    const settled = await settlePendingAttempts(deps, at, new Date(at.getTime() - 2 * 60_000));
    return `${settled.length} pending payment attempts settled`;
  },
};

// R9.13: credit refunds a crash or a lost answer left pending, with their own key.
const settleRefunds: Job = {
  name: 'billing:settle-pending-refunds',
  async run(deps, at) {
    const settled = await settlePendingRefunds(deps, at, new Date(at.getTime() - 2 * 60_000));
    return `${settled} pending credit refunds settled`;
  },
};

const renewals: Job = {
  name: 'billing:renewals',
  async run(deps, at) {
    const r = await renewalPass(deps, at);
    return `${r.invoices} invoices issued for ${r.organizations} organizations, ${r.failed} charges failed`;
  },
};

const retries: Job = {
  name: 'billing:past-due-retries',
  async run(deps, at) {
    const r = await retryPastDue(deps, at);
    return `${r.retried} retried, ${r.recovered} recovered, ${r.unpaid} became Unpaid, ${r.reminders} reminders`;
  },
};

// R9.12, R10.1: mails waiting for SMTP — written with the change that caused
// them and not sent yet (the process died after the commit), due again after a
// failed send (the relay was down), or lost mid-send (the process died).
const deliverMail: Job = {
  name: 'mail:deliver-queued',
  async run(deps) {
    const sent = await deps.mailer.deliverQueued();
    return `${sent} queued emails sent`;
  },
};

/** Every job a scheduler pass runs, in order: a new job is added to this list. */
export const jobs: Job[] = [settleWizards, settleAttempts, settleRefunds, retries, renewals, retentionJob, sessionCleanup, deliverMail, rateLimitCleanup, accountLinkCleanup];
