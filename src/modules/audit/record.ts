import type { DbOrTrx } from '../../db/knex.ts';

export interface AuditActor {
  userId: number | null;
  label: string;
}

export interface AuditEntry {
  organizationId: number;
  actor: AuditActor;
  action: string;
  target: { type: string; id?: string | number | null; label: string };
  before?: unknown;
  after?: unknown;
  at: Date;
}

export const userActor = (user: { id: number; name: string; email: string }): AuditActor => ({
  userId: user.id,
  label: `${user.name} <${user.email}>`,
});

export const systemActor: AuditActor = { userId: null, label: 'Orgplane' };

/** R4.5: appends one entry; call it inside the transaction of the change it describes. */
export async function recordAudit(db: DbOrTrx, entry: AuditEntry): Promise<void> {
  await db('audit_events').insert({
    organization_id: entry.organizationId,
    actor_user_id: entry.actor.userId,
    actor_label: entry.actor.label.slice(0, 400),
    action: entry.action,
    target_type: entry.target.type,
    target_id: entry.target.id == null ? null : String(entry.target.id),
    target_label: entry.target.label.slice(0, 400),
    before_json: entry.before === undefined ? null : JSON.stringify(entry.before),
    after_json: entry.after === undefined ? null : JSON.stringify(entry.after),
    created_at: entry.at.getTime(),
  });
}
