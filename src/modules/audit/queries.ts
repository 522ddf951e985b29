import { insertRows, type Sql, type SqlValue } from '../../db/sql.ts';

export interface AuditEvent {
  id: number;
  actorLabel: string;
  action: string;
  targetType: string;
  targetLabel: string;
  before: unknown;
  after: unknown;
  createdAt: Date;
  /** The acting user, when a user acted (R16.1: the API names them by id). */
  actorUserId?: number | null;
  targetId?: string | null;
}

/** An entry's columns as stored: audit_events and the back-office's admin_events share them (record.ts makes them). */
export type AuditEventColumns = {
  actor_user_id: number | null;
  actor_label: string;
  action: string;
  target_type: string;
  target_id: string | null;
  target_label: string;
  before_json: string | null;
  after_json: string | null;
  created_at: number;
};

/** R4.5: appends one entry to an organization's log (recordAudit calls it inside the change's transaction). */
export async function insertAuditEvent(db: Sql, organizationId: number, columns: AuditEventColumns): Promise<void> {
  await insertRows(db, 'audit_events', [{ organization_id: organizationId, ...columns }]);
}

/** What the Audit Log is narrowed to (R4.5): an action, an actor, an interval [from, to). */
export interface AuditFilter {
  action?: string | undefined;
  actor?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

const parse = (s: string | null) => {
  if (s === null) return undefined;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
};

const toEvent = (r: Record<string, unknown>): AuditEvent => ({
  id: Number(r.id),
  actorLabel: String(r.actor_label),
  action: String(r.action),
  targetType: String(r.target_type),
  targetLabel: String(r.target_label),
  before: parse(r.before_json as string | null),
  after: parse(r.after_json as string | null),
  createdAt: new Date(Number(r.created_at)),
  actorUserId: r.actor_user_id == null ? null : Number(r.actor_user_id),
  targetId: r.target_id == null ? null : String(r.target_id),
});

/** The order of a listed log: newest first unless asked (the REST API sorts by time or actor, R16.1). */
export interface AuditOrder {
  by: 'time' | 'actor';
  direction: 'asc' | 'desc';
}

const orderBy = (order: AuditOrder) => {
  const dir = order.direction === 'asc' ? 'ASC' : 'DESC';
  return order.by === 'actor' ? `actor_label ${dir}, id ${dir}` : `id ${dir}`;
};

/** The WHERE clause of an organization's filtered log, and its bindings. */
function filtered(organizationId: number, filter: AuditFilter): { sql: string; bindings: SqlValue[] } {
  let sql = 'WHERE organization_id = ?';
  const bindings: SqlValue[] = [organizationId];
  if (filter.action) (sql += ' AND action = ?'), bindings.push(filter.action);
  if (filter.actor) (sql += ' AND actor_label = ?'), bindings.push(filter.actor);
  if (filter.from) (sql += ' AND created_at >= ?'), bindings.push(filter.from.getTime());
  if (filter.to) (sql += ' AND created_at < ?'), bindings.push(filter.to.getTime());
  return { sql, bindings };
}

/** Newest first, a page at a time, with the total of the filtered log. */
export async function listAuditEvents(
  db: Sql,
  organizationId: number,
  page: { limit: number; offset: number },
  filter: AuditFilter = {},
  order: AuditOrder = { by: 'time', direction: 'desc' },
): Promise<{ events: AuditEvent[]; total: number }> {
  const where = filtered(organizationId, filter);
  const [rows, total] = await Promise.all([
    db.rows<Record<string, unknown>>(`SELECT * FROM audit_events ${where.sql} ORDER BY ${orderBy(order)} LIMIT ? OFFSET ?`, [...where.bindings, page.limit, page.offset]),
    db.first<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_events ${where.sql}`, where.bindings),
  ]);
  return { total: Number(total?.n ?? 0), events: rows.map(toEvent) };
}

/** Every entry of the filtered log, newest first, in batches (the CSV export). */
export async function* auditEventsFor(db: Sql, organizationId: number, filter: AuditFilter, batch = 500): AsyncGenerator<AuditEvent> {
  let beforeId = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const where = filtered(organizationId, filter);
    const rows = await db.rows<Record<string, unknown>>(`SELECT * FROM audit_events ${where.sql} AND id < ? ORDER BY id DESC LIMIT ?`, [...where.bindings, beforeId, batch]);
    for (const r of rows) yield toEvent(r);
    if (rows.length < batch) return;
    beforeId = Number(rows[rows.length - 1]!.id);
  }
}

/** The actions and actors an organization's log holds, for the filter's choices. */
export async function auditFilterChoices(db: Sql, organizationId: number): Promise<{ actions: string[]; actors: string[] }> {
  const [actions, actors] = await Promise.all([
    db.rows<{ action: string }>('SELECT DISTINCT action FROM audit_events WHERE organization_id = ? ORDER BY action', [organizationId]),
    db.rows<{ actor_label: string }>('SELECT DISTINCT actor_label FROM audit_events WHERE organization_id = ? ORDER BY actor_label', [organizationId]),
  ]);
  return { actions: actions.map((r) => r.action), actors: actors.map((r) => r.actor_label) };
}
