import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { lockRow } from '../../db/locks.ts';
import { hashPassword } from '../accounts/passwords.ts';
import type { User } from '../accounts/queries.ts';
import { recordAudit, userActor } from '../audit/record.ts';
import { sharedPasswordShortfalls, VISIBILITY_LABELS, type Visibility } from './policy.ts';
import { findDashboard, updateDashboardVisibility, type Dashboard } from './queries.ts';

export type SetVisibilityResult =
  | { ok: true; visibility: Visibility }
  | { ok: false; reason: 'password_required' }
  | { ok: false; reason: 'weak_password'; missing: string[] };

/**
 * R5.2: private, public, or password-protected with one shared password
 * (policy in policy.ts), stored as an argon2id hash. A blank password keeps
 * the current one when the dashboard is already password-protected; a new
 * password changes the hash, which also ends every unlock made with the old
 * one (the unlock cookie is bound to the hash). Leaving password-protected
 * forgets the password.
 */
export async function setVisibility(
  db: Sql,
  clock: Clock,
  actor: User,
  dashboard: Dashboard,
  input: { visibility: Visibility; password: string },
): Promise<SetVisibilityResult> {
  let passwordHash: string | null = null;
  if (input.visibility === 'password') {
    if (input.password === '') {
      if (dashboard.visibility !== 'password' || !dashboard.passwordHash) return { ok: false, reason: 'password_required' };
      passwordHash = dashboard.passwordHash;
    } else {
      const missing = sharedPasswordShortfalls(input.password);
      if (missing.length) return { ok: false, reason: 'weak_password', missing };
      // Hashed before the transaction: argon2 is slow and needs no lock.
      passwordHash = await hashPassword(input.password);
    }
  }
  return db.transaction(async (trx): Promise<SetVisibilityResult> => {
    await lockRow(trx, 'dashboards', { id: dashboard.id });
    const current = (await findDashboard(trx, dashboard.id)) ?? dashboard;
    // Keeping the current password only holds if nobody removed it meanwhile.
    if (input.visibility === 'password' && input.password === '') {
      passwordHash = current.passwordHash;
      if (!passwordHash) return { ok: false, reason: 'password_required' };
    }
    await updateDashboardVisibility(trx, dashboard.id, { visibility: input.visibility, passwordHash });
    if (dashboard.owner.kind === 'organization' && (current.visibility !== input.visibility || input.password !== '')) {
      await recordAudit(trx, {
        organizationId: dashboard.owner.organizationId,
        actor: userActor(actor),
        action: 'dashboard.visibility_changed',
        target: { type: 'dashboard', id: dashboard.id, label: dashboard.name },
        before: { visibility: VISIBILITY_LABELS[current.visibility] },
        after: { visibility: VISIBILITY_LABELS[input.visibility], ...(input.password !== '' ? { password: 'changed' } : {}) },
        at: clock.now(),
      });
    }
    return { ok: true, visibility: input.visibility };
  });
}
