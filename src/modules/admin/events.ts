import type { Sql } from '../../db/sql.ts';
import { auditEventColumns, userActor, type AuditActor, type AuditEvent } from '../audit/record.ts';
import { insertAdminEvent } from './queries/events.ts';

/**
 * The back-office's own log (§11) for changes that belong to no
 * organization: platform-admin promotions, clock shifts, scheduler passes,
 * inquiry status. Changes to an organization go to its audit log instead.
 */
export type AdminEventInput = AuditEvent;

/**
 * A platform admin acting on a customer's organization, as its audit log
 * names them: the person, marked as staff, since they are not a member.
 */
export const adminActor = (user: { id: number; name: string; email: string }): AuditActor => {
  const actor = userActor(user);
  return { userId: actor.userId, label: `${actor.label} (platform admin)` };
};

/** Appends one event; call it inside the transaction of the change it describes. */
export async function recordAdminEvent(db: Sql, event: AdminEventInput): Promise<number> {
  return insertAdminEvent(db, auditEventColumns(event));
}
