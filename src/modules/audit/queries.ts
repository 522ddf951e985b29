import type { Knex } from 'knex';
import type { DbOrTrx } from '../../db/knex.ts';

export interface AuditEvent {
  id: number;
  actorLabel: string;
  action: string;
  targetType: string;
  targetLabel: string;
  before: unknown;
  after: unknown;
  createdAt: Date;
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
});

function filtered(db: DbOrTrx, organizationId: number, filter: AuditFilter): Knex.QueryBuilder {
  const q = db('audit_events').where({ organization_id: organizationId });
  if (filter.action) q.andWhere({ action: filter.action });
  if (filter.actor) q.andWhere({ actor_label: filter.actor });
  if (filter.from) q.andWhere('created_at', '>=', filter.from.getTime());
  if (filter.to) q.andWhere('created_at', '<', filter.to.getTime());
  return q;
}

/** Newest first, a page at a time, with the total of the filtered log. */
export async function listAuditEvents(
  db: DbOrTrx,
  organizationId: number,
  page: { limit: number; offset: number },
  filter: AuditFilter = {},
): Promise<{ events: AuditEvent[]; total: number }> {
  const [rows, total] = await Promise.all([
    filtered(db, organizationId, filter).orderBy('id', 'desc').limit(page.limit).offset(page.offset),
    filtered(db, organizationId, filter).count({ n: '*' }).first(),
  ]);
  return { total: Number(total?.n ?? 0), events: rows.map(toEvent) };
}

/** Every entry of the filtered log, newest first, in batches (the CSV export). */
export async function* auditEventsFor(db: DbOrTrx, organizationId: number, filter: AuditFilter, batch = 500): AsyncGenerator<AuditEvent> {
  let beforeId = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = await filtered(db, organizationId, filter).andWhere('id', '<', beforeId).orderBy('id', 'desc').limit(batch);
    for (const r of rows) yield toEvent(r);
    if (rows.length < batch) return;
    beforeId = Number(rows[rows.length - 1].id);
  }
}

/** The actions and actors an organization's log holds, for the filter's choices. */
export async function auditFilterChoices(db: DbOrTrx, organizationId: number): Promise<{ actions: string[]; actors: string[] }> {
  const [actions, actors] = await Promise.all([
    db('audit_events').where({ organization_id: organizationId }).distinct('action').orderBy('action'),
    db('audit_events').where({ organization_id: organizationId }).distinct('actor_label').orderBy('actor_label'),
  ]);
  return { actions: actions.map((r: { action: string }) => r.action), actors: actors.map((r: { actor_label: string }) => r.actor_label) };
}
