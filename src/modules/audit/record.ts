import type { Sql } from '../../db/sql.ts';
import { insertAuditEvent, type AuditEventColumns } from './queries.ts';

export interface AuditActor {
  userId: number | null;
  label: string;
}

/** Who did what to what, before and after: an organization's audit entry, or the back-office's own log. */
export interface AuditEvent {
  actor: AuditActor;
  action: string;
  target: { type: string; id?: string | number | null; label: string };
  before?: unknown;
  after?: unknown;
  at: Date;
}

export interface AuditEntry extends AuditEvent {
  organizationId: number;
}

/** The columns audit_events and admin_events share, as stored. */
export const auditEventColumns = (event: AuditEvent): AuditEventColumns => ({
  actor_user_id: event.actor.userId,
  actor_label: event.actor.label.slice(0, 400),
  action: event.action,
  target_type: event.target.type,
  target_id: event.target.id == null ? null : String(event.target.id),
  target_label: event.target.label.slice(0, 400),
  before_json: event.before === undefined ? null : JSON.stringify(event.before),
  after_json: event.after === undefined ? null : JSON.stringify(event.after),
  created_at: event.at.getTime(),
});

export const userActor = (user: { id: number; name: string; email: string }): AuditActor => ({
  userId: user.id,
  label: `${user.name} <${user.email}>`,
});

export const systemActor: AuditActor = { userId: null, label: 'Orgplane' };

/** R4.5: appends one entry; call it inside the transaction of the change it describes. */
export async function recordAudit(db: Sql, entry: AuditEntry): Promise<void> {
  await insertAuditEvent(db, entry.organizationId, auditEventColumns(entry));
}
