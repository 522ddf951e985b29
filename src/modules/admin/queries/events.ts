import { insertReturningId, placeholders, type Sql } from '../../../db/sql.ts';
import type { AuditEventColumns } from '../../audit/queries.ts';

/** One entry of the back-office's own log (§11), as read back. */
export interface AdminEvent {
  id: number;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string | null;
  targetLabel: string;
  before: unknown;
  after: unknown;
  createdAt: Date;
}

/** Appends one event (the columns audit_events has, without an organization) and answers its id. */
export async function insertAdminEvent(db: Sql, columns: AuditEventColumns): Promise<number> {
  return insertReturningId(db, 'admin_events', columns);
}

const parse = (s: string | null): unknown => {
  if (s === null) return undefined;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
};

const toEvent = (r: Record<string, unknown>): AdminEvent => ({
  id: Number(r.id),
  actorLabel: String(r.actor_label),
  action: String(r.action),
  targetType: String(r.target_type),
  targetId: r.target_id == null ? null : String(r.target_id),
  targetLabel: String(r.target_label),
  before: parse(r.before_json as string | null),
  after: parse(r.after_json as string | null),
  createdAt: new Date(Number(r.created_at)),
});

/** Newest first; optionally only some actions. */
export async function listAdminEvents(db: Sql, opts: { limit: number; actions?: string[] }): Promise<AdminEvent[]> {
  if (opts.actions?.length === 0) return [];
  const rows = opts.actions
    ? await db.rows<Record<string, unknown>>(`SELECT * FROM admin_events WHERE action IN (${placeholders(opts.actions.length)}) ORDER BY id DESC LIMIT ?`, [...opts.actions, opts.limit])
    : await db.rows<Record<string, unknown>>('SELECT * FROM admin_events ORDER BY id DESC LIMIT ?', [opts.limit]);
  return rows.map(toEvent);
}

export async function findAdminEvent(db: Sql, id: number): Promise<AdminEvent | undefined> {
  const row = await db.first<Record<string, unknown>>('SELECT * FROM admin_events WHERE id = ?', [id]);
  return row ? toEvent(row) : undefined;
}

/** The events about one target (a user, an inquiry), newest first. */
export async function adminEventsAbout(db: Sql, target: { type: string; id: number }, limit = 20): Promise<AdminEvent[]> {
  const rows = await db.rows<Record<string, unknown>>('SELECT * FROM admin_events WHERE target_type = ? AND target_id = ? ORDER BY id DESC LIMIT ?', [
    target.type,
    String(target.id),
    limit,
  ]);
  return rows.map(toEvent);
}
